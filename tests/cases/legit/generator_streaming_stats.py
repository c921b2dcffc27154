"""Streaming z-score of y per category: Welford mean/variance accumulated through generator pipelines in chunks."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from itertools import islice


class Welford:
    def __init__(self) -> None:
        self.n = 0
        self.mean = 0.0
        self._m2 = 0.0

    def push(self, x: float) -> None:
        self.n += 1
        delta = x - self.mean
        self.mean += delta / self.n
        self._m2 += delta * (x - self.mean)

    @property
    def std(self) -> float:
        return math.sqrt(self._m2 / (self.n - 1)) if self.n > 1 else 0.0

    def __repr__(self) -> str:
        return f"Welford(n={self.n}, mean={self.mean:.4f}, std={self.std:.4f})"


def chunks(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def records(df) -> Iterator[tuple[str, float]]:
    for category, value in zip(df["category"], df["y"]):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        yield str(category), float(value)


def finite(pairs: Iterable[tuple[str, float]]) -> Iterator[tuple[str, float]]:
    yield from ((k, v) for k, v in pairs if math.isfinite(v))


def train(df, training_config=None):
    size = int((training_config or {}).get("chunk_size", 32))
    stats: dict[str, Welford] = {}
    overall = Welford()
    n_chunk = 0
    for n_chunk, chunk in enumerate(chunks(finite(records(df)), size), start=1):
        for category, value in chunk:
            stats.setdefault(category, Welford()).push(value)
            overall.push(value)
    print(f"{n_chunk} chunks; {overall!r}")
    return {"by_category": stats, "overall": overall}


def _score(model, query: dict) -> dict:
    acc = model["by_category"].get(str(query.get("category")), model["overall"])
    z = (float(query["y"]) - acc.mean) / acc.std if acc.std else 0.0
    return {"z": z, "unusual": abs(z) > 3}


def predict(model, query):
    return _score(model, query)


def predict_many(model, queries):
    return list(_score(model, q) for q in queries)


if __name__ == "__main__":
    import pandas as pd

    demo = pd.DataFrame({"category": ["a", "a", "b", "b"], "y": [1.0, 2.0, 3.0, 5.0]})
    print(predict(train(demo), {"category": "a", "y": 4.0}))
