"""Per-store linear sales trend over days since the first date, with statistics.linear_regression and a frozen config."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Optional

import pandas as pd


@dataclass(frozen=True)
class TrendConfig:
    min_points: int = 10
    clip_negative: bool = True
    stores: Optional[tuple[str, ...]] = None

    @staticmethod
    def parse(raw: Optional[dict]) -> TrendConfig:
        raw = dict(raw or {})
        if "stores" in raw and raw["stores"] is not None:
            raw["stores"] = tuple(raw["stores"])
        return TrendConfig(**raw)


@dataclass
class StoreTrend:
    slope: float
    intercept: float
    n: int
    residual_sd: float = 0.0


@dataclass
class TrendModel:
    origin: date
    config: TrendConfig
    trends: dict[str, StoreTrend] = field(default_factory=dict)
    fallback: float = 0.0

    def day_index(self, when: date) -> int:
        return (when - self.origin).days


def _fit_store(days: list[float], sales: list[float]) -> StoreTrend:
    slope, intercept = statistics.linear_regression(days, sales)
    residuals = [y - (intercept + slope * x) for x, y in zip(days, sales)]
    return StoreTrend(slope, intercept, len(days), statistics.pstdev(residuals))


def train(df, training_config=None):
    config = TrendConfig.parse(training_config)
    data = df.assign(date=pd.to_datetime(df["date"])).dropna(subset=["sales"])
    origin = data["date"].min().date()
    model = TrendModel(origin=origin, config=config, fallback=float(data["sales"].median()))
    for store, group in data.groupby("store"):
        if config.stores is not None and store not in config.stores:
            continue
        if len(group) < config.min_points:
            print(f"skipping {store}: only {len(group)} points")
            continue
        days = [float((d.date() - origin).days) for d in group["date"]]
        model.trends[str(store)] = _fit_store(days, group["sales"].astype(float).tolist())
    return model


def predict(model, query):
    when = datetime.fromisoformat(str(query["date"])).date()
    trend = model.trends.get(str(query.get("store")))
    if trend is None:
        return {"sales": model.fallback, "method": "median"}
    value = trend.intercept + trend.slope * model.day_index(when)
    if model.config.clip_negative:
        value = max(value, 0.0)
    return {"sales": round(value, 3), "method": "trend", "sd": round(trend.residual_sd, 3)}


def predict_many(model, queries):
    return [predict(model, q) for q in queries]


if __name__ == "__main__":
    frame = pd.DataFrame(
        {"date": pd.date_range("2024-01-01", periods=30), "store": "s1", "sales": [float(i) for i in range(30)]}
    )
    fitted = train(frame)
    print(predict(fitted, {"date": "2024-02-15", "store": "s1"}))
