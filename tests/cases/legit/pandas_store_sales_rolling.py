"""Daily sales forecast per store: 7-day rolling level times a day-of-week factor, from date, store and sales."""

from __future__ import annotations

import datetime as dt
import logging

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _clean(df: pd.DataFrame) -> pd.DataFrame:
    out = (
        df[["date", "store", "sales"]]
        .assign(date=lambda d: pd.to_datetime(d["date"]).dt.normalize(), store=lambda d: d["store"].astype(str))
        .dropna()
        .sort_values(["store", "date"])
    )
    return out[out["sales"] >= 0]


def _weekday_factors(daily: pd.DataFrame) -> pd.DataFrame:
    daily = daily.assign(
        weekday=daily["date"].dt.dayofweek,
        level=daily.groupby("store")["sales"].transform(lambda s: s.rolling(7, min_periods=1, center=True).mean()),
    )
    daily["ratio"] = daily["sales"] / daily["level"].replace(0, np.nan)
    factors = daily.pivot_table(index="store", columns="weekday", values="ratio", aggfunc="mean")
    return factors.reindex(columns=range(7)).fillna(1.0)


def train(df, training_config=None):
    window = int((training_config or {}).get("window", 7))
    daily = _clean(df)
    factors = _weekday_factors(daily)
    levels = (
        daily.groupby("store")
        .apply(lambda g: g["sales"].tail(window).mean(), include_groups=False)
        .rename("level")
    )
    last_date = daily.groupby("store")["date"].max()
    log.info("trained on %d stores, %d days", levels.size, daily["date"].nunique())
    return {
        "levels": levels.to_dict(),
        "factors": {store: row.tolist() for store, row in factors.iterrows()},
        "last_date": {store: ts.date().isoformat() for store, ts in last_date.items()},
        "overall": float(daily["sales"].mean()),
    }


def predict(model, query):
    store = str(query.get("store", ""))
    day = dt.date.fromisoformat(str(query["date"])[:10])
    level = model["levels"].get(store, model["overall"])
    factor = model["factors"].get(store, [1.0] * 7)[day.weekday()]
    horizon = (day - dt.date.fromisoformat(model["last_date"].get(store, day.isoformat()))).days
    return {
        "store": store,
        "date": day.isoformat(),
        "weekday": WEEKDAYS[day.weekday()],
        "forecast": round(level * factor, 2),
        "horizon_days": horizon,
    }


def predict_many(model, queries):
    return [predict(model, q) for q in queries]
