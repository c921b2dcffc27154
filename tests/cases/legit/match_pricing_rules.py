"""Price suggestion from learned category/region median prices adjusted by structural pattern-matching rules on the query."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, auto


class Tier(Enum):
    STANDARD = auto()
    BULK = auto()
    CLEARANCE = auto()


@dataclass(frozen=True)
class Quote:
    base: float
    tier: Tier
    multiplier: float

    @property
    def price(self) -> float:
        return round(self.base * self.multiplier, 2)


def _tier(query: dict) -> tuple[Tier, float]:
    match query:
        case {"quantity": int(q) | float(q)} if q >= 10:
            return Tier.BULK, 0.85
        case {"category": "red" | "blue", "region": "south"}:
            return Tier.CLEARANCE, 0.7
        case {"coupon": str(code)} if code.upper().startswith("VIP"):
            return Tier.STANDARD, 0.9
        case {"quantity": 0} | {"quantity": None}:
            raise ValueError("quantity must be positive")
        case _:
            return Tier.STANDARD, 1.0


def train(df, training_config=None):
    medians = df.groupby(["category", "region"])["price"].median()
    return {
        "by_pair": {f"{c}/{r}": float(v) for (c, r), v in medians.items()},
        "by_category": df.groupby("category")["price"].median().astype(float).to_dict(),
        "overall": float(df["price"].median()),
    }


def predict(model, query):
    base = model["by_pair"].get(
        f"{query.get('category')}/{query.get('region')}",
        model["by_category"].get(query.get("category"), model["overall"]),
    )
    tier, multiplier = _tier(query)
    quote = Quote(base, tier, multiplier)
    match quote:
        case Quote(tier=Tier.CLEARANCE, price=p) if p < 1:
            return {"price": 1.0, "tier": quote.tier.name.lower(), "floored": True}
        case Quote(price=p, tier=t):
            return {"price": p, "tier": t.name.lower(), "floored": False}
