"""Equal-frequency bins of x1 with the mean y per bin; bin edges saved to a notes file whose name is a module constant."""

from __future__ import annotations

import bisect
import json

import pandas as pd

NOTES_FILE = "model_notes.json"


def train(df, training_config=None):
    n_bins = int((training_config or {}).get("bins", 5))
    binned, edges = pd.qcut(df["x1"], q=n_bins, retbins=True, duplicates="drop")
    means = df.groupby(binned, observed=True)["y"].mean().tolist()
    with open(NOTES_FILE, "w") as fh:
        json.dump({"edges": edges.tolist(), "bins": len(means)}, fh)
    return {"means": means}


def initialize(model):
    with open(NOTES_FILE) as fh:
        notes = json.load(fh)
    return {**model, "edges": notes["edges"]}


def predict(model, query):
    inner = model["edges"][1:-1]
    index = bisect.bisect_right(inner, float(query["x1"]))
    return {"bin": index, "y": model["means"][index]}


def predict_many(model, queries):
    return [predict(model, q) for q in queries]
