"""Robust amount anomaly scores per category: median/MAD z-scores with scipy.stats, two-sided p-values."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class Reference:
    median: float
    mad: float
    n: int
    skew: float

    def z(self, value: float) -> float:
        return (value - self.median) / self.mad if self.mad > 0 else 0.0


def _reference(values: np.ndarray) -> Reference:
    mad = float(stats.median_abs_deviation(values, scale="normal"))
    return Reference(float(np.median(values)), mad, int(values.size), float(stats.skew(values)))


def train(df, training_config=None):
    alpha = float((training_config or {}).get("alpha", 0.01))
    amounts = df[["category", "amount"]].dropna()
    log_amount = np.log1p(amounts["amount"].to_numpy(float))
    references = {
        str(cat): _reference(np.log1p(group["amount"].to_numpy(float)))
        for cat, group in amounts.groupby("category")
        if len(group) >= 5
    }
    normal_fit = stats.norm.fit(log_amount)
    print(f"log-amount ~ N({normal_fit[0]:.3f}, {normal_fit[1]:.3f}); {len(references)} categories")
    return {"alpha": alpha, "global": _reference(log_amount), "by_category": references}


def predict(model, query):
    ref = model["by_category"].get(str(query.get("category")), model["global"])
    z = ref.z(math.log1p(float(query["amount"])))
    p_value = float(2 * stats.norm.sf(abs(z)))
    return {"z": round(z, 4), "p_value": p_value, "anomaly": p_value < model["alpha"]}


def predict_many(model, queries):
    return [predict(model, q) for q in queries]
