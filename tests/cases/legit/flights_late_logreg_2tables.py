"""Probability that a flight leaves more than 15 minutes late, from carrier, hour and the latest weather (merge_asof)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, SplineTransformer, StandardScaler

LATE_MINUTES = 15


def _attach_weather(flights: pd.DataFrame, weather: pd.DataFrame) -> pd.DataFrame:
    left = flights.assign(time_hour=pd.to_datetime(flights["time_hour"])).sort_values("time_hour")
    right = weather.assign(time_hour=pd.to_datetime(weather["time_hour"])).sort_values("time_hour")
    return pd.merge_asof(
        left,
        right[["origin", "time_hour", "wind_speed", "visib", "precip"]],
        on="time_hour",
        by="origin",
        direction="backward",
        tolerance=pd.Timedelta(hours=3),
    )


def _pipeline(C: float) -> Pipeline:
    prep = ColumnTransformer(
        [
            ("carrier", OneHotEncoder(handle_unknown="ignore", min_frequency=5), ["carrier", "origin"]),
            ("hour", SplineTransformer(n_knots=5, degree=3), ["hour"]),
            ("weather", Pipeline([("log", FunctionTransformer(np.log1p)), ("scale", StandardScaler())]), ["wind_speed", "precip"]),
            ("visib", StandardScaler(), ["visib"]),
        ]
    )
    return Pipeline([("prep", prep), ("clf", LogisticRegression(C=C, max_iter=2000))])


def train(flights, weather, training_config=None):
    C = float((training_config or {}).get("C", 1.0))
    data = _attach_weather(flights, weather).dropna(subset=["dep_delay", "wind_speed", "visib", "precip"])
    y = (data["dep_delay"] > LATE_MINUTES).astype(int)
    print(f"{len(data)} flights with weather, {y.mean():.1%} late")
    return _pipeline(C).fit(data, y)


def _features(queries: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(queries)
    defaults = {"wind_speed": 0.0, "precip": 0.0, "visib": 10.0}
    return frame.assign(**{k: frame.get(k, pd.Series(v, index=frame.index)).fillna(v) for k, v in defaults.items()})


def predict(model, query):
    return predict_many(model, [query])[0]


def predict_many(model, queries):
    proba = model.predict_proba(_features(queries))[:, 1]
    return [{"p_late": round(float(p), 6), "late": bool(p >= 0.5)} for p in proba]
