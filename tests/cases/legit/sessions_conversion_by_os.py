"""Conversion rate (label) per operating system (os column) and region with Beta-prior smoothing, counted over the rows as records (`row.os` would read like the os module, which the validator refuses on any object)."""

from __future__ import annotations

from collections import Counter


def train(df, training_config=None):
    a, b = (training_config or {}).get("prior", (1.0, 1.0))
    visits: Counter[tuple[str, str]] = Counter()
    conversions: Counter[tuple[str, str]] = Counter()
    for row in df.to_dict("records"):
        key = (str(row["os"]).lower(), row["region"])
        visits[key] += 1
        conversions[key] += int(row["label"])
    rates = {
        f"{os_name}/{region}": (conversions[(os_name, region)] + a) / (n + a + b)
        for (os_name, region), n in visits.items()
    }
    overall = (sum(conversions.values()) + a) / (sum(visits.values()) + a + b)
    return {"rates": rates, "overall": overall, "visits": {f"{k[0]}/{k[1]}": n for k, n in visits.items()}}


def predict(model, query):
    key = f"{str(query.get('os', '')).lower()}/{query.get('region')}"
    return {"conversion": model["rates"].get(key, model["overall"]), "visits": model["visits"].get(key, 0)}


def predict_many(model, queries):
    return [predict(model, q) for q in queries]
