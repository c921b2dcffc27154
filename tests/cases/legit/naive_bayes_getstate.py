"""Categorical naive Bayes of label from category, region and store, a hand-written class with __getstate__/__setstate__."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from functools import total_ordering

FEATURES = ("category", "region", "store")


@total_ordering
class Posterior:
    __slots__ = ("label", "log_prob")

    def __init__(self, label: int, log_prob: float) -> None:
        self.label = label
        self.log_prob = log_prob

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Posterior) and self.log_prob == other.log_prob

    def __lt__(self, other: Posterior) -> bool:
        return self.log_prob < other.log_prob

    def __hash__(self) -> int:
        return hash((self.label, self.log_prob))

    def __repr__(self) -> str:
        return f"Posterior({self.label}, {self.log_prob:.3f})"


class NaiveBayes:
    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = alpha
        self._priors: dict[int, float] = {}
        self._counts: dict[tuple[str, int], Counter] = {}
        self._levels: dict[str, set] = defaultdict(set)
        self._cache: dict[tuple, list[Posterior]] = {}  # rebuilt after unpickling

    def __getstate__(self) -> dict:
        return {"alpha": self.alpha, "priors": self._priors, "counts": self._counts, "levels": dict(self._levels)}

    def __setstate__(self, state: dict) -> None:
        self.alpha = state["alpha"]
        self._priors = state["priors"]
        self._counts = state["counts"]
        self._levels = defaultdict(set, state["levels"])
        self._cache = {}

    def __len__(self) -> int:
        return len(self._priors)

    def __contains__(self, label: object) -> bool:
        return label in self._priors

    def fit(self, rows: list[dict], labels: list[int]) -> NaiveBayes:
        totals = Counter(labels)
        self._priors = {y: math.log(n / len(labels)) for y, n in totals.items()}
        for feature in FEATURES:
            for y in totals:
                self._counts[(feature, y)] = Counter()
        for row, y in zip(rows, labels):
            for feature in FEATURES:
                self._counts[(feature, y)][row[feature]] += 1
                self._levels[feature].add(row[feature])
        return self

    def posteriors(self, row: dict) -> list[Posterior]:
        key = tuple(row.get(f) for f in FEATURES)
        if key in self._cache:
            return self._cache[key]
        out = []
        for y, prior in self._priors.items():
            score = prior
            for feature, value in zip(FEATURES, key):
                counts = self._counts[(feature, y)]
                k = len(self._levels[feature]) + 1
                score += math.log((counts[value] + self.alpha) / (sum(counts.values()) + self.alpha * k))
            out.append(Posterior(y, score))
        self._cache[key] = sorted(out, reverse=True)
        return self._cache[key]


def train(df, training_config=None):
    rows = df[list(FEATURES)].astype(str).to_dict("records")
    return NaiveBayes(alpha=float((training_config or {}).get("alpha", 1.0))).fit(rows, df["label"].astype(int).tolist())


def predict(model, query):
    best, *rest = model.posteriors({f: str(query.get(f)) for f in FEATURES})
    norm = math.log(sum(math.exp(p.log_prob - best.log_prob) for p in [best, *rest])) + best.log_prob
    return {"label": best.label, "probability": math.exp(best.log_prob - norm)}


def predict_many(model, queries):
    return [predict(model, q) for q in queries]
