"""Projects: the container of models, deployments and deployment tokens."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from runtime.context import Context
from runtime.errors import ConflictError, DataNotFoundError
from runtime.ids import new_id, utc_now
from runtime.services import fields
from runtime.store import schema as t

USE_CASES_NOTE = "PYTHON_MODEL is the use case of Python models; other use-case names are stored as given"


class ProjectService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def create(self, name: Any, use_case: Any) -> dict[str, Any]:
        project = {
            "id": new_id(),
            "name": fields.as_str("name", fields.required("name", name)),
            "use_case": fields.as_str("useCase", fields.required("useCase", use_case)).strip().upper(),
            "created_at": utc_now(),
        }
        with self.ctx.db.begin() as conn:
            conn.execute(t.projects.insert().values(**project))
        return _view(project)

    def describe(self, project_id: Any) -> dict[str, Any]:
        with self.ctx.db.read() as conn:
            row = conn.execute(select(t.projects).where(t.projects.c.id == project_id)).first()
        if row is None:
            raise DataNotFoundError(f"projectId is not found. No project has the id {project_id!r}.")
        return _view(dict(row._mapping))

    def list_all(self, limit: Any = 100, start_after_id: Any = None) -> list[dict[str, Any]]:
        count = fields.as_int("limit", limit, low=1) if limit is not None else 100
        with self.ctx.db.read() as conn:
            rows = [dict(r._mapping) for r in conn.execute(select(t.projects).order_by(t.projects.c.created_at))]
        if start_after_id:
            ids = [r["id"] for r in rows]
            rows = rows[ids.index(start_after_id) + 1 :] if start_after_id in ids else []
        return [_view(r) for r in rows[:count]]

    def delete(self, project_id: Any, force_delete: Any = None) -> None:
        self.describe(project_id)
        with self.ctx.db.begin() as conn:
            models = conn.execute(select(t.models.c.id).where(t.models.c.project_id == project_id)).all()
            if models:
                raise ConflictError(
                    f"project {project_id} still has {len(models)} model(s); delete them first (deleteModel)"
                )
            conn.execute(t.deployment_tokens.delete().where(t.deployment_tokens.c.project_id == project_id))
            conn.execute(t.projects.delete().where(t.projects.c.id == project_id))


def _view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "projectId": row["id"],
        "name": row["name"],
        "useCase": row["use_case"],
        "problemType": None,
        "createdAt": row["created_at"],
        "tags": [],
    }
