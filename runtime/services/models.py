"""Python models: create, update (atomic, never runs code), describe, retrain, versions, logs, delete.

Every accepted create or update writes a new immutable revision; a training snapshots the revision and the
current version of each input table into a model version.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from runtime.context import Context
from runtime.errors import (
    ConflictError,
    DataNotFoundError,
    InvalidEnumParameterError,
    InvalidParameterError,
    InvalidRequest,
    ValidatorFailedError,
)
from runtime.ids import new_id, utc_now
from runtime.services import fields
from runtime.services.model_views import logs_view, model_view, version_view
from runtime.services.tables import TableService
from runtime.store import schema as t
from runtime.store.artifacts import remove_tree
from sandbox.contract import FunctionNames
from sandbox.validate import (
    RequirementError,
    admissible_extra_modules,
    parse_requirements,
    requirement_import_names,
)
from sandbox.validate.isolated import ValidatorUnavailable

CPU_SIZES = ("small", "medium", "large")

# API field → revision column. Only these may change through updatePythonModel.
REVISION_FIELDS: dict[str, str] = {
    "functionSourceCode": "source_code",
    "trainFunctionName": "train_function_name",
    "predictFunctionName": "predict_function_name",
    "predictManyFunctionName": "predict_many_function_name",
    "initializeFunctionName": "initialize_function_name",
    "trainingInputTables": "training_input_tables",
    "cpuSize": "cpu_size",
    "memory": "memory",
    "packageRequirements": "package_requirements",
    "useGpu": "use_gpu",
    "isThreadSafe": "is_thread_safe",
    "trainingConfig": "training_config",
}

# What changes the trained artifact; a change to anything else (predict names, isThreadSafe) needs no retrain.
_TRAINING_COLUMNS = (
    "source_code",
    "train_function_name",
    "training_input_tables",
    "cpu_size",
    "memory",
    "package_requirements",
    "use_gpu",
    "training_config",
)


def content_hash(rev: dict[str, Any]) -> str:
    payload = json.dumps({col: rev.get(col) for col in _TRAINING_COLUMNS}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def function_names(rev: dict[str, Any]) -> FunctionNames:
    return FunctionNames(
        train=rev["train_function_name"],
        predict=rev["predict_function_name"],
        predict_many=rev["predict_many_function_name"],
        initialize=rev["initialize_function_name"],
    )


def requirement_modules(rev: dict[str, Any]) -> frozenset[str]:
    """Import names the revision's packageRequirements add to the allowlist, for the sandbox's import hook
    (the validator admitted the same names when the revision was stored)."""
    return admissible_extra_modules(requirement_import_names(parse_requirements(rev["package_requirements"] or [])))


_UPDATE_ATTEMPTS = 50  # each lost race means another update landed, so this many only under a storm


class _RevisionMoved(Exception):
    """Another update changed the model between this one's read and its write."""


class ModelService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.tables = TableService(ctx)

    # -- create / update ---------------------------------------------------------------------------------

    def create_from_python(self, project_id: Any, name: Any = None, **api_fields: Any) -> dict[str, Any]:
        fields.required("projectId", project_id)
        fields.required("functionSourceCode", api_fields.get("functionSourceCode"))
        fields.required("trainFunctionName", api_fields.get("trainFunctionName"))
        fields.required("trainingInputTables", api_fields.get("trainingInputTables"))
        model_name = fields.as_str("name", name) if name is not None else None
        with self.ctx.db.begin() as conn:
            if conn.execute(select(t.projects.c.id).where(t.projects.c.id == project_id)).first() is None:
                raise DataNotFoundError("projectId is not found.")
            defaults: dict[str, Any] = {
                "predict_function_name": None,
                "predict_many_function_name": None,
                "initialize_function_name": None,
                "cpu_size": "small",
                "memory": min(self.ctx.settings.default_memory_gb, self.ctx.settings.node_memory_gb),
                "package_requirements": [],
                "use_gpu": False,
                "is_thread_safe": None,
                "training_config": None,
            }
            rev = self._checked_revision(conn, defaults, api_fields)
            model_id = new_id()
            rev.update(id=new_id(), model_id=model_id, created_at=utc_now())
            conn.execute(t.model_revisions.insert().values(**rev))
            conn.execute(
                t.models.insert().values(
                    id=model_id,
                    project_id=project_id,
                    name=model_name or f"Python model {model_id}",
                    kind="PYTHON",
                    revision_id=rev["id"],
                    created_at=rev["created_at"],
                )
            )
            version_id = self._new_version(conn, model_id, rev)
        self._submit(version_id)
        return self.describe(model_id)

    def update_python_model(self, model_id: Any, **api_fields: Any) -> dict[str, Any]:
        """Atomic: every given field changes, or on any error nothing does. Never runs user code.

        Two updates at once each apply to what the other left (compare-and-set on the model's revision, then
        a fresh merge), so neither change is lost.
        """
        for _ in range(_UPDATE_ATTEMPTS):
            try:
                return self._update_once(model_id, api_fields)
            except _RevisionMoved:
                time.sleep(random.uniform(0, 0.005))  # spread the retries of updates that collided together
        raise ConflictError(f"model {model_id} kept changing under this update; nothing was changed: try again")

    def _update_once(self, model_id: Any, api_fields: dict[str, Any]) -> dict[str, Any]:
        with self.ctx.db.begin() as conn:
            model = self._model(conn, model_id)
            if model["kind"] != "PYTHON":
                raise InvalidRequest("The model ID refers to a non-Python model.")
            current = self._revision(conn, model["revision_id"])
            rev = self._checked_revision(conn, current, api_fields)
            rev.update(id=new_id(), model_id=model["id"], created_at=utc_now())
            conn.execute(t.model_revisions.insert().values(**rev))
            moved = conn.execute(
                t.models.update()
                .where(t.models.c.id == model["id"], t.models.c.revision_id == current["id"])
                .values(revision_id=rev["id"])
            )
            if moved.rowcount != 1:
                raise _RevisionMoved  # rolls this transaction back; the caller merges again
        return self.describe(model["id"])

    def _checked_revision(self, conn: Connection, base: dict[str, Any], api_fields: dict[str, Any]) -> dict[str, Any]:
        """The revision as it would be after the change (stored fields merged with the given ones), checked."""
        unknown = sorted(set(api_fields) - set(REVISION_FIELDS))
        if unknown:
            raise InvalidParameterError(
                f"unknown field {unknown[0]!r}; accepted fields: {', '.join(sorted(REVISION_FIELDS))}"
            )
        changes = {REVISION_FIELDS[k]: self._coerce(k, v) for k, v in api_fields.items() if v is not None}
        merged: dict[str, Any] = {col: base.get(col) for col in REVISION_FIELDS.values()}
        merged.update(changes)
        missing = self.tables.unknown_tables(conn, merged["training_input_tables"])
        if missing:
            known = ", ".join(self.tables.known_table_names(conn)) or "none yet"
            raise InvalidParameterError(
                f"trainingInputTables names a table that does not exist: {missing[0]!r} (known tables: {known})"
            )
        requirements = parse_requirements(merged["package_requirements"])
        try:
            report = self.ctx.validator.validate(
                merged["source_code"],
                functions=function_names(merged),
                n_tables=len(merged["training_input_tables"]),
                allowed_modules=self.ctx.settings.allowed_modules,
                extra_modules=requirement_import_names(requirements),
            )
        except ValidatorUnavailable as exc:
            raise ValidatorFailedError(f"the source could not be checked, nothing was changed: {exc}") from exc
        if not report.ok:
            raise InvalidParameterError(report.message())
        warnings = [str(w) for w in report.warnings]
        cpus = self.ctx.settings.cpu_sizes[merged["cpu_size"]]
        if cpus > self.ctx.settings.node_cpus:
            warnings.append(
                f"cpuSize {merged['cpu_size']} asks for {cpus:g} CPUs; this node has "
                f"{self.ctx.settings.node_cpus}, so training gets {self.ctx.settings.node_cpus}"
            )
        if merged["use_gpu"] and not gpu_available():
            warnings.append("useGpu is set but this node has no GPU: training here will fail until one is added")
        merged["warnings"] = warnings
        merged["content_hash"] = content_hash(merged)
        return merged

    def _coerce(self, api_field: str, value: Any) -> Any:
        node_memory = self.ctx.settings.node_memory_gb
        match api_field:
            case "functionSourceCode":
                return fields.as_str(api_field, value)
            case "trainFunctionName" | "predictFunctionName" | "predictManyFunctionName" | "initializeFunctionName":
                return fields.as_identifier(api_field, value)
            case "trainingInputTables":
                return fields.as_str_list(api_field, value)
            case "cpuSize":
                if not isinstance(value, str) or value.strip().lower() not in CPU_SIZES:
                    raise InvalidEnumParameterError(
                        f"An invalid value is passed for cpuSize. cpuSize must be one of "
                        f"{', '.join(CPU_SIZES)} (any case) (got {value!r})"
                    )
                return value.strip().lower()
            case "memory":
                return fields.as_int(
                    api_field,
                    value,
                    low=1,
                    high=node_memory,
                    noun="whole number of GB",
                    note=", this node's memory",
                )
            case "packageRequirements":
                entries = fields.as_str_list(api_field, value)
                try:
                    parse_requirements(entries)
                except RequirementError as exc:
                    raise InvalidParameterError(str(exc)) from exc
                return entries
            case "useGpu" | "isThreadSafe":
                return fields.as_bool(api_field, value)
            case "trainingConfig":
                return fields.as_dict(api_field, value)
        raise InvalidParameterError(f"unknown field {api_field!r}")  # unreachable: fields are checked first

    # -- training ----------------------------------------------------------------------------------------

    def retrain(self, model_id: Any, **options: Any) -> dict[str, Any]:
        unsupported = [
            k for k, v in options.items() if v is not None and k not in ("cpuSize", "memory", "trainingConfig")
        ]
        if unsupported:
            raise InvalidParameterError(
                f"retrainModel does not support {unsupported[0]} in pymodel; accepted: cpuSize, memory, trainingConfig"
            )
        overrides = {k: v for k, v in options.items() if v is not None}
        if overrides:
            self.update_python_model(model_id, **overrides)
        with self.ctx.db.begin() as conn:
            model = self._model(conn, model_id)
            rev = self._revision(conn, model["revision_id"])
            version_id = self._new_version(conn, model["id"], rev)
        self._submit(version_id)
        return self.describe(model["id"])

    def _new_version(self, conn: Connection, model_id: str, rev: dict[str, Any]) -> str:
        table_versions = self.tables.latest_versions(conn, rev["training_input_tables"])
        settings = self.ctx.settings
        asked = settings.cpu_sizes[rev["cpu_size"]]
        requested = {
            "cpuSize": rev["cpu_size"],
            "cpus": min(asked, float(settings.node_cpus)),
            "cpusAsked": asked,
            "memoryGb": rev["memory"],
            "timeoutSeconds": settings.train_timeout,
            "useGpu": bool(rev["use_gpu"]),
            "featureGroupIds": [v["feature_group_id"] for v in table_versions],
        }
        version_id = new_id()
        conn.execute(
            t.model_versions.insert().values(
                id=version_id,
                model_id=model_id,
                revision_id=rev["id"],
                status="PENDING",
                feature_group_versions=[v["id"] for v in table_versions],
                training_config=rev["training_config"],
                requested=requested,
                created_at=utc_now(),
            )
        )
        return version_id

    def _submit(self, version_id: str) -> None:
        if self.ctx.scheduler is not None:
            self.ctx.scheduler.submit(version_id)

    # -- reads -------------------------------------------------------------------------------------------

    def describe(self, model_id: Any) -> dict[str, Any]:
        with self.ctx.db.read() as conn:
            return self._model_view(conn, self._model(conn, model_id))

    def list_all(self, project_id: Any) -> list[dict[str, Any]]:
        fields.required("projectId", project_id)
        with self.ctx.db.read() as conn:
            if conn.execute(select(t.projects.c.id).where(t.projects.c.id == project_id)).first() is None:
                raise DataNotFoundError("projectId is not found.")
            rows = conn.execute(
                select(t.models).where(t.models.c.project_id == project_id).order_by(t.models.c.created_at)
            ).all()
            return [self._model_view(conn, dict(r._mapping)) for r in rows]

    def list_versions(self, model_id: Any, limit: Any = 100, start_after_version: Any = None) -> list[dict[str, Any]]:
        count = fields.as_int("limit", limit, low=1, high=10_000) if limit is not None else 100
        with self.ctx.db.read() as conn:
            model = self._model(conn, model_id)
            rows = conn.execute(
                select(t.model_versions)
                .where(t.model_versions.c.model_id == model["id"])
                .order_by(t.model_versions.c.created_at.desc())
            ).all()
            versions = [dict(r._mapping) for r in rows]
            if start_after_version:
                ids = [v["id"] for v in versions]
                versions = versions[ids.index(start_after_version) + 1 :] if start_after_version in ids else []
            return [self._version_view(conn, v) for v in versions[:count]]

    def describe_version(self, model_version: Any) -> dict[str, Any]:
        with self.ctx.db.read() as conn:
            return self._version_view(conn, self._version(conn, model_version))

    def training_logs(self, model_version: Any, stdout: Any = None, stderr: Any = None) -> dict[str, Any]:
        want_out = fields.as_bool("stdout", stdout) if stdout is not None else False
        want_err = fields.as_bool("stderr", stderr) if stderr is not None else False
        if not want_out and not want_err:  # neither asked for: give both
            want_out = want_err = True
        with self.ctx.db.read() as conn:
            version = self._version(conn, model_version)
        layout = self.ctx.layout
        out = _read_text(layout.version_log(version["id"], "stdout")) if want_out else None
        err = _read_text(layout.version_log(version["id"], "stderr")) if want_err else None
        return logs_view(out, err, version)

    def revision_for_version(self, model_version: str) -> tuple[dict[str, Any], dict[str, Any]]:
        with self.ctx.db.read() as conn:
            version = self._version(conn, model_version)
            return version, self._revision(conn, version["revision_id"])

    # -- deletes -----------------------------------------------------------------------------------------

    def delete(self, model_id: Any) -> None:
        with self.ctx.db.begin() as conn:
            model = self._model(conn, model_id)
            users = self._deployments(conn, model_id=model["id"])
            if users:
                raise ConflictError(
                    f"model {model['id']} is used by deployment(s) {', '.join(d['id'] for d in users)}; "
                    "delete those deployments first (deleteDeployment)"
                )
            versions = [
                r.id
                for r in conn.execute(select(t.model_versions.c.id).where(t.model_versions.c.model_id == model["id"]))
            ]
            running = [
                r.id
                for r in conn.execute(
                    select(t.model_versions.c.id).where(
                        t.model_versions.c.model_id == model["id"],
                        t.model_versions.c.status.in_(["PENDING", "TRAINING"]),
                    )
                )
            ]
            if running:
                raise ConflictError(
                    f"model {model['id']} has version(s) still training: {', '.join(running)}; wait for them to finish"
                )
            conn.execute(t.model_versions.delete().where(t.model_versions.c.model_id == model["id"]))
            conn.execute(t.model_revisions.delete().where(t.model_revisions.c.model_id == model["id"]))
            conn.execute(t.models.delete().where(t.models.c.id == model["id"]))
        for version_id in versions:
            remove_tree(self.ctx.layout.version_dir(version_id))

    def delete_version(self, model_version: Any) -> None:
        with self.ctx.db.begin() as conn:
            version = self._version(conn, model_version)
            users = self._deployments(conn, model_version=version["id"])
            if users:
                raise ConflictError(
                    f"model version {version['id']} is used by deployment(s) {', '.join(d['id'] for d in users)}; "
                    "delete them or deploy another version first"
                )
            if version["status"] in ("PENDING", "TRAINING"):
                raise ConflictError(f"model version {version['id']} is {version['status']}; wait for it to finish")
            conn.execute(t.model_versions.delete().where(t.model_versions.c.id == version["id"]))
        remove_tree(self.ctx.layout.version_dir(version["id"]))

    # -- internals ---------------------------------------------------------------------------------------

    def _model(self, conn: Connection, model_id: Any) -> dict[str, Any]:
        if model_id is None:
            raise DataNotFoundError("modelId is not found.")
        row = conn.execute(select(t.models).where(t.models.c.id == model_id)).first()
        if row is None:
            raise DataNotFoundError(f"modelId is not found. No model has the id {model_id!r}.")
        return dict(row._mapping)

    def _revision(self, conn: Connection, revision_id: str) -> dict[str, Any]:
        return dict(conn.execute(select(t.model_revisions).where(t.model_revisions.c.id == revision_id)).one()._mapping)

    def _version(self, conn: Connection, model_version: Any) -> dict[str, Any]:
        row = conn.execute(select(t.model_versions).where(t.model_versions.c.id == model_version)).first()
        if row is None:
            raise DataNotFoundError(f"modelVersion is not found. No model version has the id {model_version!r}.")
        return dict(row._mapping)

    def _deployments(self, conn: Connection, **where: str) -> list[dict[str, Any]]:
        query = select(t.deployments)
        for column, value in where.items():
            query = query.where(t.deployments.c[column] == value)
        return [dict(r._mapping) for r in conn.execute(query)]

    def _version_view(self, conn: Connection, version: dict[str, Any]) -> dict[str, Any]:
        rev = self._revision(conn, version["revision_id"])
        return version_view(version, rev, self._deployments(conn, model_version=version["id"]))

    def _model_view(self, conn: Connection, model: dict[str, Any]) -> dict[str, Any]:
        rev = self._revision(conn, model["revision_id"])
        latest_row = conn.execute(
            select(t.model_versions)
            .where(t.model_versions.c.model_id == model["id"])
            .order_by(t.model_versions.c.created_at.desc())
            .limit(1)
        ).first()
        latest = self._version_view(conn, dict(latest_row._mapping)) if latest_row else None
        trained = conn.execute(
            select(t.model_versions.c.id)
            .join(t.model_revisions, t.model_revisions.c.id == t.model_versions.c.revision_id)
            .where(
                t.model_versions.c.model_id == model["id"],
                t.model_versions.c.status == "COMPLETE",
                t.model_revisions.c.content_hash == rev["content_hash"],
            )
            .limit(1)
        ).first()
        fg_ids = [
            r.id
            for r in conn.execute(
                select(t.feature_groups.c.id).where(t.feature_groups.c.table_name.in_(rev["training_input_tables"]))
            )
        ]
        return model_view(model, rev, latest, training_required=trained is None, feature_group_ids=fg_ids)


def gpu_available() -> bool:
    """A GPU this node can hand to a job: an NVIDIA device node is the signal every runtime uses."""
    return Path("/dev/nvidia0").exists() or Path("/dev/nvidiactl").exists()


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""
