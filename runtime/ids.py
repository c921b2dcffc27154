"""Identifiers: short random hex strings, the shape the hosted service uses (e.g. `1a2b3c4d5e`)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime


def new_id() -> str:
    return secrets.token_hex(5)


def new_secret() -> str:
    """An API key or deployment token: long enough to be unguessable, printable in a shell."""
    return secrets.token_hex(24)


def utc_now() -> str:
    """ISO-8601 in UTC with a `Z`, the timestamp format of every API response."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
