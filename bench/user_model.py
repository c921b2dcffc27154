"""The trivial model file the benchmarks upload through the SDK, also imported directly as the in-process baseline.

`train`'s first line stamps the host clock so the bench can tell when user code started running.
"""

from __future__ import annotations

import time
from typing import Any


def train(table: Any) -> dict[str, Any]:
    print("T0", time.time(), flush=True)
    return {"rows": len(table)}


def predict(model: dict[str, Any], query: dict[str, Any]) -> dict[str, Any]:
    return {"rows": model["rows"], "echo": query.get("value")}
