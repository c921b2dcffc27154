"""Checking the fields callers send: each failure names the field, the value and what is accepted."""

from __future__ import annotations

import json
import re
from typing import Any

from runtime.errors import InvalidParameterError, MissingParameterError

_WHOLE_NUMBER = re.compile(r"-?[0-9]+")  # ASCII digits only: int() refuses '²', str.isdigit() does not


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def required(field: str, value: Any) -> Any:
    if value is None:
        raise MissingParameterError(f"{field} is required.")
    return value


def as_str(field: str, value: Any, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise InvalidParameterError(f"{field} must be a string (got {_show(value)})")
    if not allow_empty and not value.strip():
        raise InvalidParameterError(f"{field} must be a non-empty string (got {_show(value)})")
    return value


def as_identifier(field: str, value: Any) -> str:
    text = as_str(field, value)
    if not text.isidentifier():
        raise InvalidParameterError(f"{field} must be a Python function name (got {_show(value)})")
    return text


def as_bool(field: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):  # isThreadSafe is an int on the wire
        return bool(value)
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise InvalidParameterError(f"{field} must be true or false (got {_show(value)})")


def as_int(
    field: str,
    value: Any,
    *,
    low: int | None = None,
    high: int | None = None,
    noun: str = "whole number",
    note: str = "",
) -> int:
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and _WHOLE_NUMBER.fullmatch(value.strip()):
        number = int(value.strip())
    bounds = ""
    if low is not None and high is not None:
        bounds = f" between {low} and {high}"
    elif low is not None:
        bounds = f" of at least {low}"
    if number is None or (low is not None and number < low) or (high is not None and number > high):
        raise InvalidParameterError(f"{field} must be a {noun}{bounds}{note} (got {_show(value)})")
    return number


def as_str_list(field: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidParameterError(f"{field} must be a list of strings (got {_show(value)})")
    return list(value)


def as_dict(field: str, value: Any) -> dict[str, Any]:
    """A JSON object that is strict JSON all the way down (no NaN or infinities, which no client can read)."""
    if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
        raise InvalidParameterError(f"{field} must be a JSON object with string keys (got {_show(value)})")
    try:
        json.dumps(value, allow_nan=False)
    except ValueError as exc:
        raise InvalidParameterError(
            f"{field} must hold JSON values only: NaN and infinities are not JSON (got {_show(value)})"
        ) from exc
    except (TypeError, RecursionError) as exc:
        raise InvalidParameterError(f"{field} must hold JSON values only (got {_show(value)})") from exc
    return dict(value)
