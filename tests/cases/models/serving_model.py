"""Serving behaviours, one per query: a plain answer, a user exception, a slow call, and the worker's pid."""

import time


def train(df):
    return {"rows": len(df)}


def initialize(model):
    return {**model, "started": time.time()}


def predict(model, query):
    action = query.get("action", "echo")
    if action == "raise":
        raise KeyError("no such feature: " + str(query.get("name")))
    if action == "unconvertible":
        return {"f": lambda: 1}
    if action == "sleep":
        time.sleep(float(query["seconds"]))
    return {"rows": model["rows"], "started": model["started"], "echo": query.get("value")}
