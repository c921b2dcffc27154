"""Hashing-trick logistic regression of label on text words, category and region, with hashlib and SGDClassifier."""

from __future__ import annotations

import hashlib
import re

import numpy as np
from sklearn.linear_model import SGDClassifier

N_BUCKETS = 2**10
WORD = re.compile(r"\w+")


def _bucket(token: str, salt: bytes = b"v1") -> tuple[int, float]:
    digest = hashlib.blake2b(token.encode("utf-8"), digest_size=8, key=salt).digest()
    index = int.from_bytes(digest[:4], "little") % N_BUCKETS
    sign = 1.0 if digest[4] & 1 else -1.0
    return index, sign


def _tokens(row: dict) -> list[str]:
    words = WORD.findall(str(row.get("text", "")).lower())
    return [f"w={w}" for w in words] + [f"cat={row.get('category')}", f"region={row.get('region')}"]


def _vectorise(rows: list[dict]) -> np.ndarray:
    X = np.zeros((len(rows), N_BUCKETS))
    for i, row in enumerate(rows):
        for token in _tokens(row):
            j, sign = _bucket(token)
            X[i, j] += sign
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.where(norms == 0, 1, norms)


def train(df, training_config=None):
    rows = df[["text", "category", "region"]].to_dict("records")
    clf = SGDClassifier(loss="log_loss", alpha=1e-4, max_iter=50, tol=None, random_state=0)
    clf.fit(_vectorise(rows), df["label"].astype(int).to_numpy())
    fingerprint = hashlib.sha256(clf.coef_.tobytes()).hexdigest()[:12]
    print(f"weights fingerprint {fingerprint}; {np.count_nonzero(clf.coef_)} non-zero of {N_BUCKETS}")
    return clf


def predict_many(model, queries):
    proba = model.predict_proba(_vectorise(queries))[:, 1]
    return [{"probability": float(p)} for p in proba]


def predict(model, query):
    return predict_many(model, [query])[0]
