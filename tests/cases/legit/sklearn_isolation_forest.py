"""Transaction anomaly detection with IsolationForest on amount, quantity, x1 and x2; settings in a frozen dataclass."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

import numpy as np
import pandas as pd
from sklearn.ensemble import IsolationForest


@dataclass(frozen=True)
class Settings:
    n_estimators: int = 100
    contamination: float = 0.05
    features: tuple[str, ...] = ("amount", "quantity", "x1", "x2")
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0 < self.contamination <= 0.5:
            raise ValueError(f"contamination must be in (0, 0.5] (got {self.contamination})")
        object.__setattr__(self, "features", tuple(self.features))

    @classmethod
    def from_config(cls, config: dict | None) -> Settings:
        names = {f.name for f in fields(cls)}
        known = {k: v for k, v in (config or {}).items() if k in names}
        return replace(cls(), **known)


def train(df, training_config=None):
    settings = Settings.from_config(training_config)
    X = df.loc[:, list(settings.features)].astype(float).dropna()
    forest = IsolationForest(
        n_estimators=settings.n_estimators,
        contamination=settings.contamination,
        random_state=settings.seed,
    ).fit(X)
    threshold = float(np.quantile(forest.score_samples(X), settings.contamination))
    print("settings:", asdict(settings))
    return {"forest": forest, "settings": settings, "threshold": threshold}


def predict_many(model, queries):
    settings: Settings = model["settings"]
    X = pd.DataFrame([[q[f] for f in settings.features] for q in queries], columns=list(settings.features), dtype=float)
    scores = model["forest"].score_samples(X)
    return [{"score": float(s), "anomaly": bool(s < model["threshold"])} for s in scores]


def predict(model, query):
    return predict_many(model, [query])[0]
