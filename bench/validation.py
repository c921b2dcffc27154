"""The static gate's speed: validating a 2,000-line model source against `ast.parse` of the same text (in this
process, side by side), the cost of the isolated checker (warm fork, and its cold start, reported apart), and
the whole `updatePythonModel` call for that source on a running server."""

from __future__ import annotations

import ast
import gc
from typing import Any

from bench.measure import Comparison, Measurement, Ratio, timed
from sandbox.contract import FunctionNames
from sandbox.validate import validate_source
from sandbox.validate.isolated import IsolatedValidator

TARGET_LINES = 2000
FUNCTIONS = FunctionNames(train="train", predict="predict", predict_many="predict_many")

# One block of ordinary model code (a class with private state, a dataclass, comprehensions, f-strings,
# pandas and numpy calls); repeated with fresh names until the source has TARGET_LINES lines.
_BLOCK = '''

@dataclass(frozen=True)
class Settings{n}:
    window: int = 7
    threshold: float = 0.5
    columns: tuple[str, ...] = ("a", "b", "c")


class Scaler{n}:
    """Standardises the numeric columns it was fitted on."""

    def __init__(self, settings: Settings{n}) -> None:
        self._settings = settings
        self._means: dict[str, float] = {{}}
        self._stds: dict[str, float] = {{}}

    def fit(self, frame: pd.DataFrame) -> "Scaler{n}":
        for name in self._settings.columns:
            if name in frame:
                self._means[name] = float(frame[name].mean())
                self._stds[name] = float(frame[name].std() or 1.0)
        return self

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.copy()
        for name, mean in self._means.items():
            out[name] = (out[name] - mean) / self._stds[name]
        return out

    def __repr__(self) -> str:
        return f"Scaler{n}(columns={{len(self._means)}}, threshold={{self._settings.threshold:.2f}})"


def _rolling_features_{n}(frame: pd.DataFrame, settings: Settings{n}) -> pd.DataFrame:
    numeric = [c for c in frame.columns if c in settings.columns]
    rolled = {{f"{{c}}_mean": frame[c].rolling(settings.window, min_periods=1).mean() for c in numeric}}
    return frame.assign(**rolled)


def _score_{n}(values: np.ndarray, weights: Optional[np.ndarray] = None) -> float:
    if weights is None:
        weights = np.ones_like(values)
    total = float(np.sum(weights))
    return float(np.dot(values, weights) / total) if total else math.nan


def _bucket_{n}(value: float) -> str:
    match value:
        case v if v < 0:
            return "low"
        case 0:
            return "zero"
        case _:
            return "high"
'''

_HEADER = '''"""A long model: many helper classes and functions, as grown models are."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import numpy as np
import pandas as pd
'''

_FOOTER = """

def train(df, training_config=None):
    scaler = Scaler0(Settings0()).fit(df)
    return {"scaler": scaler, "rows": len(df)}


def predict(model, query):
    return {"rows": model["rows"], "bucket": _bucket_0(float(query.get("value", 0)))}


def predict_many(model, queries):
    return [predict(model, q) for q in queries]
"""


def long_model_source(lines: int = TARGET_LINES) -> str:
    """A valid model source of at least `lines` lines."""
    parts = [_HEADER]
    n = 0
    while sum(part.count("\n") for part in parts) + _FOOTER.count("\n") < lines:
        parts.append(_BLOCK.format(n=n))
        n += 1
    return "".join(parts) + _FOOTER


def measure_validation(repeats: int) -> Comparison:
    source = long_model_source()
    assert validate_source(source, functions=FUNCTIONS, n_tables=1).ok, "the bench source must be valid"
    parse = Measurement("ast.parse of the source", "ms")
    check = Measurement("validate_source, in process", "ms")
    isolated = Measurement("isolated check (warm validator process, one fork)", "ms")
    cold = Measurement("validator process start (once per server)", "ms")
    for _ in range(max(3, repeats // 3)):
        validator = IsolatedValidator()
        seconds, _ = timed(lambda v=validator: v.validate("x = 1\n", functions=FUNCTIONS, n_tables=1))
        cold.add(seconds)
        validator.close()
    validator = IsolatedValidator()
    try:
        validator.validate(source, functions=FUNCTIONS, n_tables=1)  # warm up
        for _ in range(repeats * 2):
            gc.collect()
            parse.add(timed(lambda: ast.parse(source))[0])
            check.add(timed(lambda: validate_source(source, functions=FUNCTIONS, n_tables=1))[0])
            isolated.add(timed(lambda: validator.validate(source, functions=FUNCTIONS, n_tables=1))[0])
    finally:
        validator.close()
    return Comparison(
        key="validation",
        title=f"Validation of a {source.count(chr(10)):,}-line model source",
        measurements=[parse, check, isolated, cold],
        ratios=[
            Ratio("validate_source / ast.parse (target ≤ 5×)", check, parse),
            Ratio("isolated check / ast.parse", isolated, parse),
        ],
        notes=["the validator process starts once per server (or `pymodel check` run); each check then forks"],
    )


def measure_update_call(client: Any, model_id: str, repeats: int) -> Measurement:
    """Whole updatePythonModel calls through the SDK with the long source (alternating two versions of it, so
    every call stores a new revision)."""
    sources = [long_model_source(), long_model_source() + "\n# edited\n"]
    update = Measurement("updatePythonModel with the long source (SDK, HTTP)", "ms")
    client.update_python_model(model_id, function_source_code=sources[1], predict_many_function_name="predict_many")
    for i in range(repeats * 2):
        update.add(timed(lambda i=i: client.update_python_model(model_id, function_source_code=sources[i % 2]))[0])
    return update
