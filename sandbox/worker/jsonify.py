"""Strict RFC 8259 JSON text from whatever user code returns, made inside the sandbox.

The host never sees a Python object of the user's: it receives this text. The conversions are the contract:

- None, pandas.NA, NaT, numpy NaT → null; bool, numpy.bool_ → true/false
- int, numpy integers → integer; float, numpy floats → number in shortest form; NaN, +inf, -inf → null
- Decimal → a number with the decimal's exact digits (Decimal("1.10") → 1.10); NaN/inf decimals → null
- str → string; bytes, bytearray, memoryview → base64 string (standard alphabet, padded)
- datetime, pandas.Timestamp, numpy.datetime64 → ISO-8601 string, with the UTC offset when tz-aware
- date, time → ISO-8601 string; timedelta, pandas.Timedelta, numpy.timedelta64 → ISO-8601 duration
  (pandas.Timedelta.isoformat, e.g. "P0DT0H0M1S"); pandas.Period, UUID → string
- ndarray, Index, Categorical and other pandas arrays → array of the converted values (a categorical
  gives its values, not its codes)
- pandas.Series → object {label: value}; pandas.DataFrame → array of row objects {column: value}, the
  index dropped. (At the top of a predict_many result a Series gives its values as the batch array.)
- dict and other mappings → object. Keys become strings: str as is, None → "null", bools → "true"/"false",
  numbers and datetimes as their JSON text, anything else str(key)
- list, tuple, set, frozenset → array (sets in iteration order)
- objects with a tolist() method (tensors of other libraries) → what tolist() returns, converted

Anything else (complex, generators, arbitrary objects) raises `NotSerialisable` with the path to the
offending value. Strings are ASCII-escaped, so the text is valid even for lone surrogates.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 200  # deep enough for any real result; a self-referencing list stops here instead of crashing


class NotSerialisable(ValueError):
    """The value has no JSON form (or is too large / too deep); the message says where and why."""


def to_json(value: object, *, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """The strict JSON text of one result."""
    return _Encoder(value, max_bytes).run(value)


def to_json_batch(value: object, expected: int, *, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """The JSON array for a predict_many result, which must hold exactly `expected` items.

    Lists, tuples, arrays, Series (their values) and DataFrames (their rows) are accepted; an iterator or
    generator is refused without consuming it, since an endless one would never finish.
    """
    items = _batch_items(value)
    if items is None:
        raise NotSerialisable(f"predict_many must return a list of {expected} results (got {_type_name(value)})")
    if len(items) != expected:
        raise NotSerialisable(f"predict_many returned {len(items)} results for {expected} queries")
    return _Encoder(value, max_bytes).run(items)


def _batch_items(value: object) -> list[Any] | None:
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, pd.DataFrame):
        return _records(value)
    if isinstance(value, pd.Series):
        return list(value.array)
    if isinstance(value, np.ndarray) and value.ndim >= 1:
        return list(value)
    if isinstance(value, (pd.Index, pd.api.extensions.ExtensionArray)):
        return list(value)
    return None


def _records(frame: pd.DataFrame) -> list[Any]:
    columns = list(frame.columns)
    return [dict(zip(columns, row, strict=True)) for row in frame.itertuples(index=False, name=None)]


class _Encoder:
    def __init__(self, root: object, max_bytes: int) -> None:
        self._root_type = _type_name(root)
        self._max_bytes = max_bytes
        self._parts: list[str] = []
        self._size = 0
        self._path: list[str] = []

    def run(self, value: object) -> str:
        self._value(value, 0)
        return "".join(self._parts)

    # --- output ---

    def _emit(self, text: str) -> None:
        self._size += len(text)
        if self._size > self._max_bytes:
            raise NotSerialisable(f"result of type {self._root_type} is larger than the {self._max_bytes} byte limit")
        self._parts.append(text)

    def _refuse(self, value: object, why: str | None = None) -> NotSerialisable:
        where = "the value at " + "".join(self._path) if self._path else "the result itself"
        detail = why or f"{where} has type {_type_name(value)}, which has no JSON form"
        return NotSerialisable(f"result of type {self._root_type} is not JSON-serialisable: {detail}")

    # --- dispatch ---

    def _value(self, value: Any, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise self._refuse(value, f"it is nested deeper than {MAX_DEPTH} levels (a cycle?)")
        scalar = _scalar(value)
        if scalar is not None:
            self._emit(scalar)
            return
        if isinstance(value, Mapping):
            self._object(value.items(), depth)
        elif isinstance(value, pd.DataFrame):
            self._array(_records(value), depth)
        elif isinstance(value, pd.Series):
            self._object(value.items(), depth)
        elif isinstance(value, np.ndarray) and value.ndim == 0:
            self._value(value[()], depth + 1)
        elif isinstance(value, np.ndarray):
            # tolist() is fast and exact for plain numbers; datetime arrays would become raw integers
            # through it, and object arrays need per-element conversion anyway.
            self._array(value.tolist() if value.dtype.kind in "biufUS" else list(value), depth)
        elif isinstance(value, (list, tuple, set, frozenset, pd.Index, pd.api.extensions.ExtensionArray)):
            self._array(value, depth)
        elif callable(getattr(value, "tolist", None)) and not isinstance(value, type):
            self._value(value.tolist(), depth + 1)
        else:
            raise self._refuse(value)

    def _array(self, items: Any, depth: int) -> None:
        self._emit("[")
        for index, item in enumerate(items):
            if index:
                self._emit(",")
            self._path.append(f"[{index}]")
            self._value(item, depth + 1)
            self._path.pop()
        self._emit("]")

    def _object(self, items: Any, depth: int) -> None:
        self._emit("{")
        for index, (key, item) in enumerate(items):
            if index:
                self._emit(",")
            name = _key(key)
            self._emit(json.dumps(name))
            self._emit(":")
            self._path.append(f"[{name!r}]")
            self._value(item, depth + 1)
            self._path.pop()
        self._emit("}")


def _scalar(value: Any) -> str | None:
    """The JSON text of a scalar, or None when `value` is not a scalar this module knows."""
    if value is None or value is pd.NA or value is pd.NaT:
        return "null"
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, np.timedelta64):  # a numpy integer subclass: before the integers
        return "null" if np.isnat(value) else json.dumps(pd.Timedelta(value).isoformat())
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return _number(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, Decimal):
        return str(value) if value.is_finite() else "null"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return json.dumps(base64.b64encode(bytes(value)).decode("ascii"))
    text = _temporal(value)
    if text is not None:
        return json.dumps(text) if text != "null" else "null"
    if isinstance(value, (pd.Period, uuid.UUID)):
        return json.dumps(str(value))
    return None


def _number(value: float | np.floating[Any]) -> str:
    number = float(value)
    if not math.isfinite(number):
        return "null"
    if isinstance(value, np.floating) and not isinstance(value, np.float64):
        # str() of a float32/float16 is its own shortest form (0.1, not 0.10000000149011612).
        return repr(float(str(value)))
    return repr(number)


def _temporal(value: Any) -> str | None:
    """ISO-8601 text for dates, times and durations; "null" for NaT; None when not temporal."""
    if isinstance(value, np.datetime64):
        return "null" if np.isnat(value) else pd.Timestamp(value).isoformat()
    if isinstance(value, pd.Timedelta):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return pd.Timedelta(value).isoformat()
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    return None


def _key(key: Any) -> str:
    if isinstance(key, str):
        return key
    scalar = _scalar(key)
    if scalar is None:
        return str(key)
    if scalar.startswith('"'):
        decoded: str = json.loads(scalar)
        return decoded
    return scalar


def _type_name(value: object) -> str:
    kind = type(value)
    module = kind.__module__
    if module in ("builtins", "model"):
        return kind.__qualname__
    return f"{module.split('.')[0]}.{kind.__qualname__}"
