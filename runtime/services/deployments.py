"""Deployments and their tokens: create (latest complete or a given version), start, stop, delete, predict."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import Connection, select, update

from runtime.context import Context
from runtime.errors import (
    ConflictError,
    DataNotFoundError,
    InvalidParameterError,
    NotReadyError,
    PermissionDeniedError,
)
from runtime.ids import new_id, new_secret, utc_now
from runtime.services import fields
from runtime.store import schema as t


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class DeploymentService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def create(
        self,
        model_id: Any = None,
        model_version: Any = None,
        name: Any = None,
        description: Any = None,
        project_id: Any = None,
        calls_per_second: Any = None,
        auto_deploy: Any = None,
        start: Any = None,
        **unsupported: Any,
    ) -> dict[str, Any]:
        given = sorted(k for k, v in unsupported.items() if v not in (None, False))
        if given:
            raise InvalidParameterError(
                f"createDeployment does not support {given[0]} in pymodel; deploy a Python model with modelId "
                "and optionally modelVersion"
            )
        if model_id is None and model_version is None:
            raise InvalidParameterError("createDeployment needs modelId (and optionally modelVersion)")
        do_start = fields.as_bool("start", start) if start is not None else True
        with self.ctx.db.begin() as conn:
            version = self._pick_version(conn, model_id, model_version)
            model = conn.execute(select(t.models).where(t.models.c.id == version["model_id"])).one()
            if project_id is not None and project_id != model.project_id:
                raise InvalidParameterError(
                    f"projectId {project_id!r} does not match the model's project {model.project_id!r}"
                )
            deployment_id = new_id()
            conn.execute(
                t.deployments.insert().values(
                    id=deployment_id,
                    project_id=model.project_id,
                    model_id=model.id,
                    model_version=version["id"],
                    name=fields.as_str("name", name) if name is not None else f"{model.name} deployment",
                    description=fields.as_str("description", description, allow_empty=True) if description else None,
                    status="PENDING" if do_start else "STOPPED",
                    auto_deploy=fields.as_bool("autoDeploy", auto_deploy) if auto_deploy is not None else True,
                    calls_per_second=fields.as_int("callsPerSecond", calls_per_second, low=1)
                    if calls_per_second is not None
                    else None,
                    created_at=utc_now(),
                )
            )
        if do_start and self.ctx.serving is not None:
            self.ctx.serving.deploy(deployment_id)
        return self.describe(deployment_id)

    def _pick_version(self, conn: Connection, model_id: Any, model_version: Any) -> dict[str, Any]:
        if model_version is not None:
            row = conn.execute(select(t.model_versions).where(t.model_versions.c.id == model_version)).first()
            if row is None:
                raise DataNotFoundError(f"modelVersion is not found. No model version has the id {model_version!r}.")
            if model_id is not None and row.model_id != model_id:
                raise InvalidParameterError(f"modelVersion {model_version!r} does not belong to modelId {model_id!r}")
            if row.status != "COMPLETE":
                raise ConflictError(
                    f"model version {model_version} is {row.status}; only a COMPLETE version can be deployed"
                )
            return dict(row._mapping)
        if conn.execute(select(t.models.c.id).where(t.models.c.id == model_id)).first() is None:
            raise DataNotFoundError(f"modelId is not found. No model has the id {model_id!r}.")
        row = conn.execute(
            select(t.model_versions)
            .where(t.model_versions.c.model_id == model_id, t.model_versions.c.status == "COMPLETE")
            .order_by(t.model_versions.c.created_at.desc())
            .limit(1)
        ).first()
        if row is None:
            raise NotReadyError(f"model {model_id} has no COMPLETE version to deploy yet; wait for training to finish")
        return dict(row._mapping)

    def describe(self, deployment_id: Any) -> dict[str, Any]:
        with self.ctx.db.read() as conn:
            return _deployment_view(self._row(conn, deployment_id))

    def list_all(self, project_id: Any) -> list[dict[str, Any]]:
        with self.ctx.db.read() as conn:
            if conn.execute(select(t.projects.c.id).where(t.projects.c.id == project_id)).first() is None:
                raise DataNotFoundError("projectId is not found.")
            rows = conn.execute(
                select(t.deployments)
                .where(t.deployments.c.project_id == project_id)
                .order_by(t.deployments.c.created_at)
            ).all()
        return [_deployment_view(dict(r._mapping)) for r in rows]

    def start(self, deployment_id: Any) -> None:
        with self.ctx.db.begin() as conn:
            row = self._row(conn, deployment_id)
            conn.execute(
                update(t.deployments).where(t.deployments.c.id == row["id"]).values(status="PENDING", error=None)
            )
        if self.ctx.serving is not None:
            self.ctx.serving.deploy(row["id"])

    def stop(self, deployment_id: Any) -> None:
        with self.ctx.db.begin() as conn:
            row = self._row(conn, deployment_id)
            conn.execute(update(t.deployments).where(t.deployments.c.id == row["id"]).values(status="STOPPED"))
        if self.ctx.serving is not None:
            self.ctx.serving.stop(row["id"])

    def delete(self, deployment_id: Any) -> None:
        with self.ctx.db.begin() as conn:
            row = self._row(conn, deployment_id)
            conn.execute(t.deployments.delete().where(t.deployments.c.id == row["id"]))
        if self.ctx.serving is not None:
            self.ctx.serving.stop(row["id"])

    def set_model_version(self, deployment_id: Any, model_version: Any) -> None:
        fields.required("modelVersion", model_version)
        with self.ctx.db.begin() as conn:
            row = self._row(conn, deployment_id)
            version = self._pick_version(conn, row["model_id"], model_version)
            conn.execute(
                update(t.deployments).where(t.deployments.c.id == row["id"]).values(model_version=version["id"])
            )
        if self.ctx.serving is not None and row["status"] not in ("STOPPED", "STOPPING"):
            self.ctx.serving.deploy(row["id"])

    # -- tokens and predict ------------------------------------------------------------------------------

    def create_token(self, project_id: Any, name: Any = None) -> dict[str, Any]:
        fields.required("projectId", project_id)
        token = new_secret()
        now = utc_now()
        with self.ctx.db.begin() as conn:
            if conn.execute(select(t.projects.c.id).where(t.projects.c.id == project_id)).first() is None:
                raise DataNotFoundError("projectId is not found.")
            conn.execute(
                t.deployment_tokens.insert().values(
                    token_hash=token_hash(token),
                    token_prefix=token[:6],
                    project_id=project_id,
                    name=fields.as_str("name", name) if name is not None else None,
                    created_at=now,
                )
            )
        return {"deploymentToken": token, "createdAt": now, "name": name}

    def list_tokens(self, project_id: Any) -> list[dict[str, Any]]:
        with self.ctx.db.read() as conn:
            rows = conn.execute(select(t.deployment_tokens).where(t.deployment_tokens.c.project_id == project_id)).all()
        # Only a prefix is stored in the clear: a token is shown once, when it is created.
        return [{"deploymentToken": f"{r.token_prefix}…", "createdAt": r.created_at, "name": r.name} for r in rows]

    def check_token(self, deployment_id: Any, token: Any) -> None:
        """A deployment token opens predict on the deployments of its own project only."""
        if not isinstance(token, str) or not token:
            raise PermissionDeniedError("a valid deploymentToken (or API key) is required to predict")
        with self.ctx.db.read() as conn:
            row = self._row(conn, deployment_id)
            ok = conn.execute(
                select(t.deployment_tokens.c.token_hash).where(
                    t.deployment_tokens.c.token_hash == token_hash(token),
                    t.deployment_tokens.c.project_id == row["project_id"],
                )
            ).first()
        if ok is None:
            raise PermissionDeniedError(f"the deploymentToken is not valid for deployment {deployment_id}")

    def predict(self, deployment_id: Any, query_data: Any, *, many: bool) -> str:
        fields.required("deploymentId", deployment_id)
        with self.ctx.db.read() as conn:
            row = self._row(conn, deployment_id)
        if row["status"] != "ACTIVE":
            hint = f": {row['error']}" if row["error"] else ""
            raise NotReadyError(
                f"deployment {row['id']} is {row['status']}{hint}; predictions need an ACTIVE deployment"
            )
        if many:
            if not isinstance(query_data, list) or not all(isinstance(q, dict) for q in query_data):
                raise InvalidParameterError(
                    f"queryData must be a list of JSON objects for predictMultiple (got {type(query_data).__name__})"
                )
        elif not isinstance(query_data, dict):
            raise InvalidParameterError(
                f"queryData must be a JSON object for predict (got {type(query_data).__name__})"
            )
        if self.ctx.serving is None:
            raise NotReadyError("this process does not serve deployments; run `pymodel serve`")
        return self.ctx.serving.call(row["id"], "predict_many" if many else "predict", query_data)

    def _row(self, conn: Connection, deployment_id: Any) -> dict[str, Any]:
        row = conn.execute(select(t.deployments).where(t.deployments.c.id == deployment_id)).first()
        if row is None:
            raise DataNotFoundError(f"deploymentId is not found. No deployment has the id {deployment_id!r}.")
        return dict(row._mapping)


def _deployment_view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "deploymentId": row["id"],
        "name": row["name"],
        "status": row["status"],
        "description": row["description"],
        "deployedAt": row["deployed_at"],
        "createdAt": row["created_at"],
        "projectId": row["project_id"],
        "modelId": row["model_id"],
        "modelVersion": row["model_version"],
        "featureGroupId": None,
        "featureGroupVersion": None,
        "callsPerSecond": row["calls_per_second"],
        "autoDeploy": row["auto_deploy"],
        "skipMetricsCheck": False,
        "algoName": None,
        "regions": [],
        "error": row["error"],
        "batchStreamingUpdates": False,
        "algorithm": None,
        "pendingModelVersion": None,
        "modelDeploymentConfig": None,
        "predictionOperatorId": None,
        "predictionOperatorVersion": None,
        "pendingPredictionOperatorVersion": None,
        "onlineFeatureGroupId": None,
        "outputOnlineFeatureGroupId": None,
        "realtimeMonitorId": None,
        "runtimeConfigs": None,
        "isSystemCreated": False,
        "refreshSchedules": [],
        "featureGroupExportConfig": None,
        "defaultPredictionArguments": None,
    }
