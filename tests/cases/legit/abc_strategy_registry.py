"""Baseline forecasters of sales chosen by name from training_config (last value, moving average, drift), via an ABC registry."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

import numpy as np
import pandas as pd


class Forecaster(ABC):
    registry: ClassVar[dict[str, type[Forecaster]]] = {}
    key: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.key:
            Forecaster.registry[cls.key] = cls

    @classmethod
    def create(cls, key: str, **params) -> Forecaster:
        try:
            return cls.registry[key](**params)
        except KeyError:
            raise ValueError(f"unknown strategy {key!r}; choose one of {sorted(cls.registry)}") from None

    @abstractmethod
    def fit(self, series: pd.Series) -> Forecaster: ...

    @abstractmethod
    def forecast(self, steps: int) -> np.ndarray: ...

    def __repr__(self) -> str:
        return f"<{type(self).__name__} key={self.key}>"


class LastValue(Forecaster):
    key = "last"

    def fit(self, series):
        self._last = float(series.iloc[-1])
        return self

    def forecast(self, steps):
        return np.full(steps, self._last)


class MovingAverage(Forecaster):
    key = "moving_average"

    def __init__(self, window: int = 7):
        self.window = window

    def fit(self, series):
        self._level = float(series.tail(self.window).mean())
        return self

    def forecast(self, steps):
        return np.repeat(self._level, steps)


class Drift(Forecaster):
    key = "drift"

    def fit(self, series):
        values = series.to_numpy(float)
        self._last = values[-1]
        self._slope = (values[-1] - values[0]) / max(len(values) - 1, 1)
        return self

    def forecast(self, steps):
        return self._last + self._slope * np.arange(1, steps + 1)


def train(df, training_config=None):
    config = dict(training_config or {})
    strategy = config.pop("strategy", "moving_average")
    daily = df.assign(date=pd.to_datetime(df["date"])).sort_values("date")
    models = {}
    for store, group in daily.groupby("store"):
        models[str(store)] = Forecaster.create(strategy, **config).fit(group["sales"])
    return {"models": models, "strategy": strategy}


def predict(model, query):
    steps = int(query.get("steps", 7))
    forecaster = model["models"][str(query["store"])]
    return {"strategy": repr(forecaster), "forecast": forecaster.forecast(steps).round(3).tolist()}


def predict_many(model, queries):
    return [predict(model, q) for q in queries]
