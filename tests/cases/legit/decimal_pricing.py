"""Unit price quotes in exact decimal money: median price per category plus a learned markup, rounded half-up to cents."""

from __future__ import annotations

import statistics
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

CENT = Decimal("0.01")


def money(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def train(df, training_config=None):
    target_margin = Fraction((training_config or {}).get("margin", "1/4"))
    medians = {str(cat): money(statistics.median(group.tolist())) for cat, group in df.groupby("category")["price"]}
    spread = {
        str(cat): money(statistics.pstdev(group.tolist())) for cat, group in df.groupby("category")["price"]
    }
    return {"medians": medians, "spread": spread, "margin": target_margin}


def predict(model, query):
    category = str(query.get("category"))
    base = model["medians"].get(category)
    if base is None:
        raise KeyError(f"unknown category {category!r}; known: {', '.join(sorted(model['medians']))}")
    with localcontext() as ctx:
        ctx.prec = 12
        margin = Decimal(model["margin"].numerator) / Decimal(model["margin"].denominator)
        quantity = int(query.get("quantity", 1))
        unit = money(base * (1 + margin))
        total = money(unit * quantity)
    return {"unit_price": unit, "total": total, "currency": "USD", "band": str(model["spread"][category])}
