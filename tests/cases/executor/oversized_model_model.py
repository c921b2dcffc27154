"""C15's shape: train returns an array far larger than the memory limit that costs nothing while training
(np.zeros pages are never touched), so only serialising it would need the memory and the disk."""

import numpy as np


def train(df, training_config=None):
    return {"weights": np.zeros(4 * 1024**3 // 8)}  # 4 GB of untouched zeros


def predict(model, query):
    return float(model["weights"][0])
