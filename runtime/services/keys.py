"""API keys: stored as sha256 hashes; `PYMODEL_API_KEY` in the server's environment is accepted too."""

from __future__ import annotations

import hashlib
import hmac
import os

from sqlalchemy import select

from runtime.context import Context
from runtime.ids import new_id, new_secret, utc_now
from runtime.store import schema as t

ENV_KEY = "PYMODEL_API_KEY"


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class KeyService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def create(self, name: str | None = None) -> str:
        key = new_secret()
        with self.ctx.db.begin() as conn:
            conn.execute(t.api_keys.insert().values(id=new_id(), key_hash=_hash(key), name=name, created_at=utc_now()))
        return key

    def count(self) -> int:
        with self.ctx.db.read() as conn:
            return len(conn.execute(select(t.api_keys.c.id)).all())

    def is_valid(self, key: str | None) -> bool:
        if not key:
            return False
        env_key = os.environ.get(ENV_KEY)
        if env_key and hmac.compare_digest(env_key, key):
            return True
        with self.ctx.db.read() as conn:
            return conn.execute(select(t.api_keys.c.id).where(t.api_keys.c.key_hash == _hash(key))).first() is not None
