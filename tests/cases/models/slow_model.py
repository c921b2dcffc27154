"""train sleeps long enough for a test to stop the server while it runs."""

import time


def train(df, training_config=None):
    print("started", flush=True)
    time.sleep((training_config or {}).get("seconds", 60))
    return {}


def predict(model, query):
    return 0
