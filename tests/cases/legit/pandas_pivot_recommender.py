"""Item-based collaborative filtering: customer_id x category quantity pivot, cosine similarity with numpy, merged scores."""

from __future__ import annotations

import numpy as np
import pandas as pd


def _cosine(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=0)
    norms[norms == 0] = 1.0
    unit = matrix / norms
    return unit.T @ unit


def train(df, training_config=None):
    pivot = df.pivot_table(index="customer_id", columns="category", values="quantity", aggfunc="sum", fill_value=0)
    similarity = pd.DataFrame(_cosine(pivot.to_numpy(float)), index=pivot.columns, columns=pivot.columns)
    long = (
        similarity.rename_axis(index="item", columns="other")
        .stack()
        .rename("similarity")
        .reset_index()
        .query("item != other")
    )
    popularity = df.groupby("category", as_index=False)["quantity"].sum().rename(columns={"category": "other"})
    scored = long.merge(popularity, on="other", how="left")
    scored["score"] = scored["similarity"] * np.log1p(scored["quantity"])
    return {
        "scores": scored.sort_values(["item", "score"], ascending=[True, False]),
        "history": pivot.gt(0).apply(lambda r: r.index[r].tolist(), axis=1).to_dict(),
    }


def predict(model, query):
    owned = set(model["history"].get(query.get("customer_id"), [])) | {query.get("category")}
    scores = model["scores"]
    candidates = scores[scores["item"].isin(owned) & ~scores["other"].isin(owned)]
    ranked = candidates.groupby("other")["score"].sum().sort_values(ascending=False)
    return [{"category": item, "score": round(float(score), 4)} for item, score in ranked.head(3).items()]


def predict_many(model, queries):
    return [predict(model, q) for q in queries]
