"""Region-by-category mean of y with shrinkage; shows a timing decorator, functools.wraps, lru_cache and a lazy property."""

from __future__ import annotations

import functools
import time
from collections import defaultdict


def timed(label: str | None = None):
    """Prints how long the wrapped function took."""

    def decorate(fn):
        name = label or fn.__name__

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                print(f"{name} took {1000 * (time.perf_counter() - start):.1f} ms")

        return wrapper

    return decorate


def retry(times: int = 2, on: tuple[type[Exception], ...] = (ValueError,)):
    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            for attempt in range(times):
                try:
                    return fn(*args, **kwargs)
                except on:
                    if attempt == times - 1:
                        raise
            return None

        return wrapper

    return decorate


@functools.lru_cache(maxsize=256)
def shrink(mean: float, n: int, prior: float, k: float = 5.0) -> float:
    return (n * mean + k * prior) / (n + k)


class CellMeans:
    def __init__(self, stats: dict[tuple[str, str], tuple[float, int]], prior: float):
        self._stats = stats
        self._prior = prior
        self._by_region: dict[str, list[float]] | None = None

    @property
    def by_region(self) -> dict[str, list[float]]:
        # Computed on first use. (functools.cached_property would be the idiom, but on Python 3.11 it holds an
        # RLock, so a class using it cannot be pickled by value.)
        if self._by_region is None:
            grouped: defaultdict[str, list[float]] = defaultdict(list)
            for (region, _), (mean, _n) in self._stats.items():
                grouped[region].append(mean)
            self._by_region = dict(grouped)
        return self._by_region

    def __getitem__(self, key: tuple[str, str]) -> float:
        mean, n = self._stats.get(key, (self._prior, 0))
        return shrink(mean, n, self._prior)

    def __contains__(self, key: object) -> bool:
        return key in self._stats


@timed()
def train(df, training_config=None):
    grouped = df.groupby(["region", "category"])["y"].agg(["mean", "size"])
    stats = {(str(r), str(c)): (float(m), int(n)) for (r, c), (m, n) in grouped.iterrows()}
    return CellMeans(stats, prior=float(df["y"].mean()))


@retry(times=2)
def _key(query: dict) -> tuple[str, str]:
    return str(query["region"]), str(query["category"])


def predict(model, query):
    key = _key(query)
    return {"y": model[key], "seen": key in model, "regions": len(model.by_region)}


@timed("predict_many")
def predict_many(model, queries):
    return [predict(model, q) for q in queries]


__all__ = ["train", "predict", "predict_many", "shrink"]
