"""Random forest classifier of label from x1..x3, price and one-hot region; feature importances kept in feature_importance.json."""

from __future__ import annotations

import json
from operator import itemgetter

import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import cross_val_score

NUMERIC = ["x1", "x2", "x3", "price"]


def _features(frame: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    X = pd.get_dummies(frame[NUMERIC + ["region"]], columns=["region"], prefix="region", dtype=float)
    return X if columns is None else X.reindex(columns=columns, fill_value=0.0)


def train(df, training_config=None):
    cfg = {"n_estimators": 50, "max_depth": 6, **(training_config or {})}
    X, y = _features(df), df["label"].astype(int)
    forest = RandomForestClassifier(
        n_estimators=cfg["n_estimators"], max_depth=cfg["max_depth"], random_state=7, n_jobs=1
    )
    scores = cross_val_score(forest, X, y, cv=3, scoring="accuracy")
    forest.fit(X, y)
    ranking = sorted(zip(X.columns, forest.feature_importances_.round(4).tolist()), key=itemgetter(1), reverse=True)
    with open("feature_importance.json", "w") as fh:
        json.dump({"cv_accuracy": scores.tolist(), "importances": ranking}, fh)
    return {"forest": forest, "columns": list(X.columns)}


def initialize(model):
    try:
        with open("feature_importance.json") as fh:
            model["top_features"] = [name for name, _ in json.load(fh)["importances"][:3]]
    except FileNotFoundError:
        model["top_features"] = []
    return model


def predict_many(model, queries):
    X = _features(pd.DataFrame(queries), model["columns"])
    proba = model["forest"].predict_proba(X)[:, 1]
    return [{"p_label": float(p), "top_features": model["top_features"]} for p in proba]


def predict(model, query):
    return predict_many(model, [query])[0]
