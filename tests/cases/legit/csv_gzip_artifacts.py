"""Per-region amount thresholds written by train to thresholds.csv and summary.json.gz, read back in initialize."""

from __future__ import annotations

import csv
import gzip
import io
import json
from contextlib import contextmanager, suppress

import numpy as np


@contextmanager
def report(title: str):
    buffer = io.StringIO()
    buffer.write(f"== {title} ==\n")
    try:
        yield buffer
    finally:
        print(buffer.getvalue(), end="")


def train(df, training_config=None):
    quantile = float((training_config or {}).get("quantile", 0.9))
    rows = []
    with report("thresholds") as out:
        for region, amounts in df.groupby("region")["amount"]:
            values = amounts.dropna().to_numpy(float)
            row = {"region": region, "threshold": float(np.quantile(values, quantile)), "n": len(values)}
            rows.append(row)
            out.write(f"{region:<8}{row['threshold']:>10.2f}{row['n']:>6d}\n")
    with open("thresholds.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["region", "threshold", "n"])
        writer.writeheader()
        writer.writerows(rows)
    summary = {"quantile": quantile, "regions": len(rows), "global": float(df["amount"].quantile(quantile))}
    with gzip.open("summary.json.gz", "wt", encoding="utf-8") as fh:
        json.dump(summary, fh)
    return {"version": 1}


def initialize(model):
    thresholds = {}
    with open("thresholds.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            thresholds[row["region"]] = float(row["threshold"])
    summary = {"global": max(thresholds.values(), default=0.0)}
    with suppress(FileNotFoundError), gzip.open("summary.json.gz", "rt", encoding="utf-8") as fh:
        summary = json.load(fh)
    return {**model, "thresholds": thresholds, "global": summary["global"]}


def predict(model, query):
    limit = model["thresholds"].get(query.get("region"), model["global"])
    amount = float(query["amount"])
    return {"flag": amount > limit, "limit": limit, "ratio": amount / limit if limit else None}


def predict_many(model, queries):
    return [predict(model, q) for q in queries]
