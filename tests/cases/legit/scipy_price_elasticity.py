"""Price elasticity per category: fits quantity = a * price**b with scipy.optimize.curve_fit."""

from __future__ import annotations

import warnings

import numpy as np
from scipy.optimize import OptimizeWarning, curve_fit


def demand(price, scale, elasticity):
    return scale * np.power(price, elasticity)


def _fit(prices: np.ndarray, quantities: np.ndarray) -> tuple[float, float]:
    # A log-log regression gives the starting point; curve_fit refines it on the original scale.
    slope, intercept = np.polyfit(np.log(prices), np.log(np.maximum(quantities, 0.5)), 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OptimizeWarning)
        (scale, elasticity), _ = curve_fit(demand, prices, quantities, p0=[np.exp(intercept), slope], maxfev=5000)
    return float(scale), float(elasticity)


def train(df, training_config=None):
    data = df[(df["price"] > 0) & (df["quantity"] > 0)]
    curves = {}
    for category, group in data.groupby("category"):
        try:
            curves[str(category)] = _fit(group["price"].to_numpy(float), group["quantity"].to_numpy(float))
        except RuntimeError as exc:  # curve_fit did not converge
            print(f"{category}: {exc}")
    curves["*"] = _fit(data["price"].to_numpy(float), data["quantity"].to_numpy(float))
    return curves


def predict(model, query):
    scale, elasticity = model.get(str(query.get("category")), model["*"])
    price = float(query["price"])
    return {
        "quantity": scale * price**elasticity,
        "elasticity": elasticity,
        "revenue": scale * price ** (elasticity + 1),
    }


def predict_many(model, queries):
    return [predict(model, q) for q in queries]
