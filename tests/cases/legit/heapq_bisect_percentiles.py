"""Percentile rank of a transaction amount among training amounts (bisect), with the k largest per region kept by heapq."""

from __future__ import annotations

import bisect
import heapq
import itertools
import statistics


def train(df, training_config=None):
    k = int((training_config or {}).get("k", 5))
    amounts = sorted(float(a) for a in df["amount"].dropna())
    cut_points = statistics.quantiles(amounts, n=10, method="inclusive")
    largest: dict[str, list[float]] = {}
    rows = sorted(zip(df["region"].astype(str), df["amount"].astype(float)), key=lambda r: r[0])
    for region, group in itertools.groupby(rows, key=lambda r: r[0]):
        largest[region] = heapq.nlargest(k, (amount for _, amount in group))
    return {"amounts": amounts, "deciles": cut_points, "largest": largest}


def predict(model, query):
    amount = float(query["amount"])
    amounts = model["amounts"]
    rank = bisect.bisect_right(amounts, amount)
    decile = bisect.bisect_left(model["deciles"], amount) + 1
    top = model["largest"].get(str(query.get("region")), [])
    return {
        "percentile": round(100.0 * rank / len(amounts), 2),
        "decile": decile,
        "in_region_top": bool(top) and amount >= top[-1],
    }


def predict_many(model, queries):
    return [predict(model, q) for q in queries]
