"""Samples, their summary, and the ratios between them: the data every benchmark returns and the report prints."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")

# Units the report knows how to scale samples (kept in seconds) into.
UNIT_SCALE: dict[str, float] = {"s": 1.0, "ms": 1e3, "us": 1e6}


def timed(action: Callable[[], T]) -> tuple[float, T]:
    """Seconds `action` took on the monotonic high-resolution clock, and what it returned."""
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


@dataclass
class Measurement:
    """Repeated samples of one quantity, in seconds; `unit` is only how the report shows them."""

    name: str
    unit: str = "s"
    samples: list[float] = field(default_factory=list)

    def add(self, seconds: float) -> None:
        self.samples.append(seconds)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def min(self) -> float:
        return min(self.samples)

    def to_json(self) -> dict[str, Any]:
        return {
            "unit": "s",
            "display_unit": self.unit,
            "n": len(self.samples),
            "median": self.median,
            "min": self.min,
            "samples": self.samples,
        }


@dataclass(frozen=True)
class Ratio:
    """`numerator / denominator`, of medians (the headline) and of minimums (the least noisy pair)."""

    label: str
    numerator: Measurement
    denominator: Measurement

    @property
    def of_medians(self) -> float:
        return self.numerator.median / self.denominator.median

    @property
    def of_minimums(self) -> float:
        return self.numerator.min / self.denominator.min

    def to_json(self) -> dict[str, Any]:
        return {
            "numerator": self.numerator.name,
            "denominator": self.denominator.name,
            "median": self.of_medians,
            "min": self.of_minimums,
        }


@dataclass(frozen=True)
class Comparison:
    """One benchmark's result: what it measured, the ratios that matter, and notes a reader needs."""

    key: str
    title: str
    measurements: list[Measurement]
    ratios: list[Ratio]
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "measurements": {m.name: m.to_json() for m in self.measurements},
            "ratios": {r.label: r.to_json() for r in self.ratios},
            "notes": self.notes,
        }
