"""Arrival delay quantiles per route (origin-dest) and per weather bin (wind, precipitation), pure pandas and statistics."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

import pandas as pd

WIND_BINS = [0, 10, 20, float("inf")]
WIND_LABELS = ["calm", "breezy", "windy"]


@dataclass(frozen=True)
class DelayProfile:
    p50: float
    p90: float
    n: int

    @classmethod
    def of(cls, delays: pd.Series) -> DelayProfile:
        values = sorted(delays.dropna().astype(float))
        if len(values) < 2:
            only = values[0] if values else 0.0
            return cls(only, only, len(values))
        deciles = statistics.quantiles(values, n=10)
        return cls(statistics.median(values), deciles[-1], len(values))


def _with_weather(flights: pd.DataFrame, weather: pd.DataFrame) -> pd.DataFrame:
    hourly = (
        weather.assign(time_hour=pd.to_datetime(weather["time_hour"]))
        .groupby(["origin", "time_hour"], as_index=False)
        .agg(wind_speed=("wind_speed", "mean"), precip=("precip", "sum"))
    )
    merged = flights.assign(time_hour=pd.to_datetime(flights["time_hour"])).merge(
        hourly, on=["origin", "time_hour"], how="left", validate="many_to_one"
    )
    merged["wind"] = pd.cut(merged["wind_speed"].fillna(0), WIND_BINS, labels=WIND_LABELS, right=False)
    merged["wet"] = merged["precip"].fillna(0).gt(0)
    return merged


def train(flights, weather, training_config=None):
    min_flights = int((training_config or {}).get("min_flights", 5))
    data = _with_weather(flights, weather)
    routes = {
        f"{o}-{d}": DelayProfile.of(g["arr_delay"])
        for (o, d), g in data.groupby(["origin", "dest"])
        if g["arr_delay"].notna().sum() >= min_flights
    }
    weather_bins = {
        f"{wind}/{'wet' if wet else 'dry'}": DelayProfile.of(g["arr_delay"])
        for (wind, wet), g in data.groupby(["wind", "wet"], observed=True)
    }
    return {"routes": routes, "weather": weather_bins, "all": DelayProfile.of(data["arr_delay"])}


def predict(model, query):
    route = model["routes"].get(f"{query.get('origin')}-{query.get('dest')}", model["all"])
    wind = pd.cut([float(query.get("wind_speed") or 0)], WIND_BINS, labels=WIND_LABELS, right=False)[0]
    wet = "wet" if float(query.get("precip") or 0) > 0 else "dry"
    conditions = model["weather"].get(f"{wind}/{wet}", model["all"])
    shift = conditions.p50 - model["all"].p50
    return {
        "arr_delay_p50": route.p50 + shift,
        "arr_delay_p90": route.p90 + shift,
        "route_flights": route.n,
        "conditions": f"{wind}/{wet}",
    }
