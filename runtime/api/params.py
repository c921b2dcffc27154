"""Request parameters as the SDK sends them: query strings (GET/DELETE, and ids on some POSTs) plus a JSON body.

GET booleans arrive as `True`/`False` and lists/dicts as JSON text; they are decoded here so that services
see Python values whatever the transport.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from runtime.errors import InvalidParameterError


def decode_query_value(value: str) -> Any:
    if value in ("True", "true"):
        return True
    if value in ("False", "false"):
        return False
    if value[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def merge(query: Mapping[str, str], body: Any) -> dict[str, Any]:
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise InvalidParameterError(f"the request body must be a JSON object (got {type(body).__name__})")
    params = {key: decode_query_value(value) for key, value in query.items()}
    params.update({key: value for key, value in body.items() if value is not None or key not in params})
    return params


# Parameters that are text whatever their name says (ids are recognised by their Id/Token suffix).
_TEXT_KEYS = frozenset(
    {"modelVersion", "featureGroupVersion", "startAfterVersion", "tableName", "fileFormat", "name", "useCase"}
)
_COUNT_KEYS = frozenset({"limit"})


def _count(key: str, value: Any) -> int:
    """A whole number of at least 1, from JSON or from a query string."""
    text = str(value).strip()
    if isinstance(value, bool) or not (isinstance(value, int) or text.isdecimal()) or int(text) < 1:
        raise InvalidParameterError(f"{key} must be a whole number of at least 1 (got {json.dumps(value)[:80]})")
    return int(text)


class Params:
    """Read-only view of one request's parameters; absent and null are the same thing."""

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values

    def __getitem__(self, key: str) -> Any:
        value = self._values.get(key)
        if value is None:
            return None
        if key in _TEXT_KEYS or key.endswith(("Id", "Token")):
            if isinstance(value, bool) or not isinstance(value, (str, int)):
                raise InvalidParameterError(f"{key} must be a string (got {json.dumps(value)[:80]})")
            return str(value)
        if key in _COUNT_KEYS:
            return _count(key, value)
        return value

    def pick(self, *keys: str) -> dict[str, Any]:
        return {key: self._values.get(key) for key in keys}
