"""Customer segments: KMeans on per-customer spend features (amount, quantity, price), named by an Enum."""

from __future__ import annotations

from enum import Enum

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler


class Segment(str, Enum):
    BARGAIN = "bargain"
    REGULAR = "regular"
    PREMIUM = "premium"

    @classmethod
    def ordered(cls) -> list[Segment]:
        return [cls.BARGAIN, cls.REGULAR, cls.PREMIUM]


AGGREGATES = {"amount": "mean", "quantity": "mean", "price": "mean"}


def _profile(df: pd.DataFrame) -> pd.DataFrame:
    return df.groupby("customer_id").agg(AGGREGATES).rename(columns=lambda c: f"avg_{c}")


class SegmentModel:
    def __init__(self, scaler: StandardScaler, kmeans: KMeans, names: dict[int, Segment]):
        self._scaler = scaler
        self._kmeans = kmeans
        self._names = names

    def __repr__(self) -> str:
        return f"SegmentModel(k={self._kmeans.n_clusters}, names={[s.value for s in self._names.values()]})"

    def segment(self, rows: pd.DataFrame) -> list[Segment]:
        clusters = self._kmeans.predict(self._scaler.transform(rows))
        return [self._names[int(c)] for c in clusters]


def train(df, training_config=None):
    profile = _profile(df)
    scaler = StandardScaler().fit(profile)
    kmeans = KMeans(n_clusters=3, n_init=10, random_state=0).fit(scaler.transform(profile))
    centers = scaler.inverse_transform(kmeans.cluster_centers_)
    by_spend = np.argsort(centers[:, list(profile.columns).index("avg_price")])
    names = {int(cluster): segment for cluster, segment in zip(by_spend, Segment.ordered())}
    model = SegmentModel(scaler, kmeans, names)
    print(model)
    return model


def predict_many(model, queries):
    rows = pd.DataFrame(
        [[q[column] for column in AGGREGATES] for q in queries],
        columns=[f"avg_{column}" for column in AGGREGATES],
        dtype=float,
    )
    return [segment.value for segment in model.segment(rows)]


def predict(model, query):
    return predict_many(model, [query])[0]
