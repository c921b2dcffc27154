"""Linear regression of y with a hand-written scikit-learn transformer adding interaction and log-price features."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted


class InteractionFeatures(TransformerMixin, BaseEstimator):
    """Adds pairwise products of `columns` and log1p of `log_columns`; keeps the original columns."""

    def __init__(self, columns=("x1", "x2", "x3"), log_columns=("price",)):
        self.columns = columns
        self.log_columns = log_columns

    def fit(self, X: pd.DataFrame, y=None):
        missing = [c for c in (*self.columns, *self.log_columns) if c not in X.columns]
        if missing:
            raise KeyError(f"InteractionFeatures: missing columns {missing}")
        self.pairs_ = list(combinations(self.columns, 2))
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        check_is_fitted(self, "pairs_")
        out = X[list(self.columns)].astype(float).copy()
        for a, b in self.pairs_:
            out[f"{a}*{b}"] = out[a] * out[b]
        for c in self.log_columns:
            out[f"log1p_{c}"] = np.log1p(X[c].astype(float).clip(lower=0))
        return out

    def get_feature_names_out(self, input_features=None):
        return np.array(
            [*self.columns, *(f"{a}*{b}" for a, b in self.pairs_), *(f"log1p_{c}" for c in self.log_columns)]
        )


def train(df, training_config=None):
    pipe = Pipeline(
        [("features", InteractionFeatures()), ("scale", StandardScaler()), ("ols", LinearRegression())]
    )
    pipe.fit(df, df["y"])
    names = pipe.named_steps["features"].get_feature_names_out()
    coefs = dict(zip(names, pipe.named_steps["ols"].coef_.round(3)))
    print("coefficients:", coefs)
    return pipe


def predict(model, query):
    return float(model.predict(pd.DataFrame([query]))[0])


def predict_many(model, queries):
    return model.predict(pd.DataFrame(queries)).tolist()
