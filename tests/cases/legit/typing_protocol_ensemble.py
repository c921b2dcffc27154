"""Averaging ensemble of three tiny regressors of y (mean, per-category mean, one-feature OLS on x1), typed with Protocol and generics."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Generic, Protocol, TypeVar, runtime_checkable

import numpy as np
import pandas as pd

Row = Mapping[str, object]
T = TypeVar("T")


@runtime_checkable
class Regressor(Protocol):
    name: str

    def fit(self, frame: pd.DataFrame) -> Regressor: ...

    def predict_one(self, row: Row) -> float: ...


class MeanRegressor:
    name = "mean"

    def __init__(self) -> None:
        self._mean = 0.0

    def fit(self, frame: pd.DataFrame) -> MeanRegressor:
        self._mean = float(frame["y"].mean())
        return self

    def predict_one(self, row: Row) -> float:
        return self._mean


class GroupMeanRegressor:
    name = "category_mean"

    def __init__(self, key: str = "category") -> None:
        self._key = key
        self._means: dict[str, float] = {}
        self._default = 0.0

    def fit(self, frame: pd.DataFrame) -> GroupMeanRegressor:
        self._means = frame.groupby(self._key)["y"].mean().astype(float).to_dict()
        self._default = float(frame["y"].mean())
        return self

    def predict_one(self, row: Row) -> float:
        return self._means.get(str(row.get(self._key)), self._default)


class SlopeRegressor:
    name = "ols_x1"

    def __init__(self, feature: str = "x1") -> None:
        self._feature = feature
        self._a = self._b = 0.0

    def fit(self, frame: pd.DataFrame) -> SlopeRegressor:
        self._b, self._a = np.polyfit(frame[self._feature].astype(float), frame["y"].astype(float), 1)
        return self

    def predict_one(self, row: Row) -> float:
        return float(self._a + self._b * float(row[self._feature]))  # type: ignore[arg-type]


class Ensemble(Generic[T]):
    """Weighted members; `T` is the member type."""

    def __init__(self, members: Sequence[T], weights: Sequence[float] | None = None) -> None:
        self.members = list(members)
        total = sum(weights) if weights else len(self.members)
        self.weights = [w / total for w in (weights or [1.0] * len(self.members))]

    def __len__(self) -> int:
        return len(self.members)

    def __iter__(self):
        return iter(zip(self.members, self.weights))


def _check(members: Iterable[object]) -> list[Regressor]:
    checked = []
    for member in members:
        if not isinstance(member, Regressor):
            raise TypeError(f"{type(member).__name__} does not implement Regressor")
        checked.append(member)
    return checked


def train(df, training_config=None):
    weights = (training_config or {}).get("weights")
    frame = df.dropna(subset=["y", "x1"])
    members = _check(m.fit(frame) for m in (MeanRegressor(), GroupMeanRegressor(), SlopeRegressor()))
    return Ensemble[Regressor](members, weights)


def predict(model: Ensemble[Regressor], query: dict) -> dict[str, float]:
    parts = {member.name: member.predict_one(query) for member, _ in model}
    blended = sum(weight * parts[member.name] for member, weight in model)
    return {"y": blended, **{f"part_{k}": v for k, v in parts.items()}}


def predict_many(model: Ensemble[Regressor], queries: list[dict]) -> list[dict[str, float]]:
    return [predict(model, q) for q in queries]
