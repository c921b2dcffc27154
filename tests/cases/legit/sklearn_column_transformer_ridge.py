"""Ridge regression of y on numeric x1..x3 and one-hot category/region through a ColumnTransformer pipeline."""

from __future__ import annotations

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import Ridge
from sklearn.metrics import mean_absolute_error
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

NUMERIC = ["x1", "x2", "x3"]
CATEGORICAL = ["category", "region"]
TARGET = "y"


def _build(alpha: float) -> Pipeline:
    preprocess = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), NUMERIC),
            ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), CATEGORICAL),
        ],
        remainder="drop",
    )
    return Pipeline([("prep", preprocess), ("model", Ridge(alpha=alpha))])


def _frame(queries: list[dict]) -> pd.DataFrame:
    return pd.DataFrame.from_records(queries).reindex(columns=NUMERIC + CATEGORICAL)


def train(df, training_config=None):
    alpha = (training_config or {}).get("alpha", 1.0)
    data = df.dropna(subset=[TARGET])
    X_train, X_test, y_train, y_test = train_test_split(
        data[NUMERIC + CATEGORICAL], data[TARGET], test_size=0.25, random_state=42
    )
    pipe = _build(alpha).fit(X_train, y_train)
    mae = mean_absolute_error(y_test, pipe.predict(X_test))
    print(f"holdout MAE: {mae:.4f} (alpha={alpha:g}, n_train={len(X_train)})")
    return _build(alpha).fit(data[NUMERIC + CATEGORICAL], data[TARGET])


def predict(model, query):
    return float(model.predict(_frame([query]))[0])


def predict_many(model, queries):
    return model.predict(_frame(queries)).tolist()
