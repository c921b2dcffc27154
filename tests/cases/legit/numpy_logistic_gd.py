"""Binary logistic regression of label on x1, x2, x3 fitted by batch gradient descent with L2, numpy only."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np


class Fit(NamedTuple):
    weights: np.ndarray
    bias: float
    mean: np.ndarray
    std: np.ndarray
    epochs: int
    loss: float


FEATURES = ["x1", "x2", "x3"]


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


def _log_loss(p: np.ndarray, y: np.ndarray, eps: float = 1e-12) -> float:
    p = np.clip(p, eps, 1 - eps)
    return float(-(y * np.log(p) + (1 - y) * np.log(1 - p)).mean())


def train(df, training_config=None):
    cfg = training_config or {}
    lr, l2 = float(cfg.get("learning_rate", 0.5)), float(cfg.get("l2", 1e-3))
    max_epochs, patience = int(cfg.get("max_epochs", 2000)), int(cfg.get("patience", 20))

    data = df.dropna(subset=FEATURES + ["label"])
    X = data[FEATURES].to_numpy(float)
    y = data["label"].to_numpy(float)
    mean, std = X.mean(0), X.std(0) + 1e-9
    X = (X - mean) / std

    w, b = np.zeros(X.shape[1]), 0.0
    best, since_best, epoch = math.inf, 0, 0
    while epoch < max_epochs and since_best < patience:
        p = _sigmoid(X @ w + b)
        grad_w = X.T @ (p - y) / len(y) + l2 * w
        grad_b = float((p - y).mean())
        w -= lr * grad_w
        b -= lr * grad_b
        loss = _log_loss(p, y)
        if loss < best - 1e-7:
            best, since_best = loss, 0
        else:
            since_best += 1
        epoch += 1
    return Fit(w, b, mean, std, epoch, best)


def _probabilities(model: Fit, rows: list[list[float]]) -> np.ndarray:
    X = (np.asarray(rows, dtype=float) - model.mean) / model.std
    return _sigmoid(X @ model.weights + model.bias)


def predict(model, query):
    (p,) = _probabilities(model, [[query[f] for f in FEATURES]])
    return {"probability": float(p), "label": int(p >= 0.5)}


def predict_many(model, queries):
    probs = _probabilities(model, [[q[f] for f in FEATURES] for q in queries])
    return [{"probability": float(p), "label": int(p >= 0.5)} for p in probs]
