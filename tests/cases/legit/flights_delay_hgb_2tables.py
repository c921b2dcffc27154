"""Departure delay regression: flights joined to hourly weather on origin and time_hour, HistGradientBoosting on both."""

from __future__ import annotations

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder

CATEGORICAL = ["origin", "dest", "carrier"]
NUMERIC = ["distance", "hour", "month", "temp", "wind_speed", "precip", "visib"]
WEATHER = ["temp", "wind_speed", "precip", "visib"]


def _join(flights: pd.DataFrame, weather: pd.DataFrame) -> pd.DataFrame:
    weather = weather.assign(time_hour=pd.to_datetime(weather["time_hour"])).drop_duplicates(["origin", "time_hour"])
    flights = flights.assign(time_hour=pd.to_datetime(flights["time_hour"]))
    return flights.merge(weather[["origin", "time_hour", *WEATHER]], on=["origin", "time_hour"], how="left")


def train(flights, weather, training_config=None):
    data = _join(flights, weather).dropna(subset=["dep_delay"])
    pipe = Pipeline(
        [
            (
                "prep",
                ColumnTransformer(
                    [
                        ("cat", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1), CATEGORICAL),
                        ("num", "passthrough", NUMERIC),
                    ]
                ),
            ),
            ("hgb", HistGradientBoostingRegressor(max_iter=80, categorical_features=[0, 1, 2], random_state=0)),
        ]
    )
    pipe.fit(data[CATEGORICAL + NUMERIC], data["dep_delay"].clip(-30, 300))
    medians = data[WEATHER].median().to_dict()
    return {"pipe": pipe, "weather_medians": medians}


def _frame(model, queries: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(queries).reindex(columns=CATEGORICAL + NUMERIC)
    return frame.fillna(model["weather_medians"])


def predict(model, query):
    return {"dep_delay": float(model["pipe"].predict(_frame(model, [query]))[0])}


def predict_many(model, queries):
    return [{"dep_delay": float(v)} for v in model["pipe"].predict(_frame(model, queries))]
