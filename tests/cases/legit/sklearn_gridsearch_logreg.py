"""Logistic regression of label on x1..x3 and category, with C and class_weight chosen by GridSearchCV."""

from __future__ import annotations

import logging
import sys

import numpy as np
import pandas as pd
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

logger = logging.getLogger(__name__)

FEATURES = ["x1", "x2", "x3", "category"]
PARAM_GRID = {
    "logisticregression__C": [0.01, 0.1, 1.0, 10.0],
    "logisticregression__class_weight": [None, "balanced"],
}


def train(df, training_config=None):
    config = training_config or {}
    folds = int(config.get("folds", 3))
    X, y = df[FEATURES], df["label"].astype(int)

    pipeline = make_pipeline(
        make_column_transformer(
            (StandardScaler(), ["x1", "x2", "x3"]),
            (OneHotEncoder(handle_unknown="ignore"), ["category"]),
        ),
        LogisticRegression(max_iter=1000),
    )
    search = GridSearchCV(
        pipeline,
        PARAM_GRID,
        scoring="roc_auc",
        cv=StratifiedKFold(n_splits=folds, shuffle=True, random_state=0),
        n_jobs=None,
    )
    search.fit(X, y)
    ranked = pd.DataFrame(search.cv_results_).sort_values("rank_test_score")
    for _, row in ranked.head(3).iterrows():
        print(f"  {row['mean_test_score']:.3f} ± {row['std_test_score']:.3f}  {row['params']}", file=sys.stderr)
    logger.warning("best AUC %.3f with %s", search.best_score_, search.best_params_)
    return search.best_estimator_


def predict(model, query):
    return predict_many(model, [query])[0]


def predict_many(model, queries):
    frame = pd.DataFrame(queries, columns=FEATURES)
    proba = model.predict_proba(frame)[:, list(model.classes_).index(1)]
    return [{"label": int(p > 0.5), "probability": round(float(p), 6)} for p in np.asarray(proba)]
