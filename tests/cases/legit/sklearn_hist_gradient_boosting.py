"""HistGradientBoostingRegressor on x1..x3, price, quantity and ordinal-encoded category/region, predicting y."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder

NUMERIC: list[str] = ["x1", "x2", "x3", "price", "quantity"]
CATEGORICAL: list[str] = ["category", "region"]
DEFAULTS: dict[str, Any] = {"max_iter": 100, "learning_rate": 0.1, "max_leaf_nodes": 15, "random_state": 0}


def _pipeline(params: dict[str, Any]) -> Pipeline:
    encoder = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan, encoded_missing_value=np.nan)
    prep = ColumnTransformer(
        [("cat", encoder, CATEGORICAL), ("num", "passthrough", NUMERIC)],
        verbose_feature_names_out=False,
    )
    n_cat = len(CATEGORICAL)
    categorical_mask = [True] * n_cat + [False] * len(NUMERIC)
    model = HistGradientBoostingRegressor(categorical_features=categorical_mask, **params)
    return Pipeline(steps=[("prep", prep), ("gbm", model)])


def train(df, training_config=None):
    params = DEFAULTS | {k: v for k, v in (training_config or {}).items() if k in DEFAULTS}
    data = df.dropna(subset=["y"])
    pipe = _pipeline(params).fit(data[CATEGORICAL + NUMERIC], data["y"])
    gbm = pipe.named_steps["gbm"]
    print(f"boosting stopped after {gbm.n_iter_} iterations; train R^2 = {pipe.score(data, data['y']):.3f}")
    return pipe


def _to_frame(queries):
    frame = pd.DataFrame.from_records(queries)
    for column in NUMERIC:
        frame[column] = pd.to_numeric(frame.get(column), errors="coerce")
    return frame.reindex(columns=CATEGORICAL + NUMERIC)


def predict(model, query):
    (value,) = model.predict(_to_frame([query]))
    return round(float(value), 5)


def predict_many(model, queries):
    return [round(v, 5) for v in model.predict(_to_frame(queries)).astype(float).tolist()]
