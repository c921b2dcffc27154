"""Ordinary least squares of y on x1, x2, x3 with an intercept, written with numpy only."""

from __future__ import annotations

import math

import numpy as np

FEATURES = ("x1", "x2", "x3")


class LinearModel:
    """Coefficients of a fitted linear model; `_coef[0]` is the intercept."""

    def __init__(self, coef: np.ndarray, residual_std: float, features: tuple[str, ...] = FEATURES) -> None:
        self._coef = coef
        self._residual_std = residual_std
        self.features = features

    def __repr__(self) -> str:
        terms = " + ".join(f"{c:.3f}*{name}" for c, name in zip(self._coef[1:], self.features))
        return f"LinearModel(y = {self._coef[0]:.3f} + {terms}, sigma={self._residual_std:.3f})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LinearModel):
            return NotImplemented
        return self.features == other.features and np.allclose(self._coef, other._coef)

    def design(self, rows: np.ndarray) -> np.ndarray:
        return np.column_stack([np.ones(len(rows)), rows])

    def predict(self, rows: np.ndarray) -> np.ndarray:
        return self.design(rows) @ self._coef

    def interval(self, value: float, z: float = 1.96) -> tuple[float, float]:
        half = z * self._residual_std
        return value - half, value + half


def _clean(df):
    frame = df.loc[:, [*FEATURES, "y"]].astype(float)
    return frame[np.isfinite(frame.to_numpy()).all(axis=1)]


def _row(query: dict) -> list[float]:
    return [float(query.get(name, 0.0)) for name in FEATURES]


def train(df, training_config=None):
    frame = _clean(df)
    X = frame[list(FEATURES)].to_numpy()
    y = frame["y"].to_numpy()
    design = np.column_stack([np.ones(len(X)), X])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    residuals = y - design @ coef
    dof = max(len(y) - design.shape[1], 1)
    sigma = math.sqrt(float(residuals @ residuals) / dof)
    model = LinearModel(coef, sigma)
    print(f"fitted {model!r} on {len(y):,} rows")
    return model


def _answer(model: LinearModel, value: float) -> dict[str, float]:
    low, high = model.interval(value)
    return {"y": round(value, 6), "low": round(low, 6), "high": round(high, 6)}


def predict(model, query):
    return _answer(model, float(model.predict(np.array([_row(query)]))[0]))


def predict_many(model, queries):
    values = model.predict(np.array([_row(q) for q in queries]))
    return [_answer(model, value) for value in values.tolist()]
