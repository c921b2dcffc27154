"""Smoothed target encoding of category and region to predict the label rate, with notes saved to model_notes.json."""

from __future__ import annotations

import json
import math
from collections import defaultdict

import pandas as pd

KEYS = ("category", "region")


def _encode(df: pd.DataFrame, key: str, prior: float, strength: float) -> dict[str, float]:
    stats = df.groupby(key, observed=True)["label"].agg(["sum", "count"])
    smoothed = (stats["sum"] + strength * prior) / (stats["count"] + strength)
    return {str(k): float(v) for k, v in smoothed.items()}


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def train(df, training_config=None):
    strength = float((training_config or {}).get("smoothing", 10.0))
    data = df.dropna(subset=["label"]).astype({"label": int})
    prior = float(data["label"].mean())
    tables = {key: _encode(data, key, prior, strength) for key in KEYS}
    notes = {
        "prior": prior,
        "rows": int(len(data)),
        "levels": {key: sorted(table) for key, table in tables.items()},
    }
    with open("model_notes.json", "w", encoding="utf-8") as fh:
        json.dump(notes, fh, indent=2)
    return {"prior": prior, "tables": tables}


def initialize(model):
    with open("model_notes.json", encoding="utf-8") as fh:
        notes = json.load(fh)
    model["seen"] = defaultdict(set, {key: set(levels) for key, levels in notes["levels"].items()})
    return model


def predict(model, query):
    prior_logit = _logit(model["prior"])
    score = prior_logit
    unseen = []
    for key in KEYS:
        level = str(query.get(key))
        if level not in model["seen"][key]:
            unseen.append(key)
        score += _logit(model["tables"][key].get(level, model["prior"])) - prior_logit
    return {"probability": 1 / (1 + math.exp(-score)), "unseen": unseen}


def predict_many(model, queries):
    return list(map(lambda q: predict(model, q), queries))
