"""K-means clustering of customers on x1, x2 and amount, k-means++ seeding and Lloyd iterations by hand in numpy."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

COLUMNS = ["x1", "x2", "amount"]


@dataclass
class KMeansModel:
    centroids: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    inertia: float
    iterations: int
    sizes: list[int] = field(default_factory=list)
    labels: dict[int, str] = field(default_factory=dict)

    def standardise(self, X: np.ndarray) -> np.ndarray:
        return (X - self.mean) / self.scale

    def assign(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        distances = np.linalg.norm(self.standardise(X)[:, None, :] - self.centroids[None, :, :], axis=2)
        return distances.argmin(axis=1), distances.min(axis=1)


def _kmeans_plus_plus(X: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    centroids = [X[rng.integers(len(X))]]
    while len(centroids) < k:
        d2 = np.min(((X[:, None, :] - np.array(centroids)[None]) ** 2).sum(axis=2), axis=1)
        probs = d2 / d2.sum() if d2.sum() > 0 else np.full(len(X), 1 / len(X))
        centroids.append(X[rng.choice(len(X), p=probs)])
    return np.array(centroids)


def _lloyd(X: np.ndarray, centroids: np.ndarray, max_iter: int, tol: float) -> tuple[np.ndarray, np.ndarray, int]:
    for iteration in range(1, max_iter + 1):
        labels = np.linalg.norm(X[:, None, :] - centroids[None], axis=2).argmin(axis=1)
        updated = np.array(
            [X[labels == j].mean(axis=0) if np.any(labels == j) else centroids[j] for j in range(len(centroids))]
        )
        if (shift := float(np.abs(updated - centroids).max())) < tol:
            return updated, labels, iteration
        centroids = updated
    print(f"k-means stopped after {max_iter} iterations (last shift {shift:.2e})")
    return centroids, labels, max_iter


def train(df, training_config=None):
    config = {"k": 3, "max_iter": 100, "tol": 1e-6, "seed": 0, **(training_config or {})}
    X = df[COLUMNS].dropna().to_numpy(dtype=float)
    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale[scale == 0] = 1.0
    Z = (X - mean) / scale
    rng = np.random.default_rng(config["seed"])
    centroids, labels, iterations = _lloyd(Z, _kmeans_plus_plus(Z, config["k"], rng), config["max_iter"], config["tol"])
    inertia = float(((Z - centroids[labels]) ** 2).sum())
    sizes = np.bincount(labels, minlength=config["k"]).tolist()
    return KMeansModel(centroids, mean, scale, inertia, iterations, sizes)


def initialize(model):
    order = np.argsort(model.centroids[:, COLUMNS.index("amount")])
    names = ["low spend", "mid spend", "high spend"]
    model.labels = {int(j): names[min(rank, len(names) - 1)] for rank, j in enumerate(order)}
    return model


def predict(model, query):
    return predict_many(model, [query])[0]


def predict_many(model, queries):
    X = np.array([[float(q[c]) for c in COLUMNS] for q in queries])
    clusters, distances = model.assign(X)
    return [
        {"cluster": int(c), "segment": model.labels.get(int(c), "unknown"), "distance": round(float(d), 4)}
        for c, d in zip(clusters, distances)
    ]
