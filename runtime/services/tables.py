"""Tables (feature groups): uploads in parts, files added from the CLI, immutable versions, lookups.

Each accepted upload becomes one feature group version, stored as Parquet (storage) and an Arrow IPC file
(the hand-off the sandbox memory-maps), both written atomically with their sha256 recorded.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy import Connection, literal_column, select

from runtime import tabular
from runtime.context import Context
from runtime.errors import AlreadyExistsError, DataNotFoundError, InvalidParameterError
from runtime.ids import new_id, utc_now
from runtime.store import schema as t
from runtime.store.artifacts import commit_file, temp_path_beside

_TABLE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,119}$")
_MAX_PARTS = 10_000


def check_table_name(name: Any, field: str = "tableName") -> str:
    if not isinstance(name, str) or not _TABLE_NAME.match(name):
        raise InvalidParameterError(
            f"{field} must start with a letter and contain only letters, digits and underscores, "
            f"at most 120 characters (got {name!r})"
        )
    return name


class TableService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # -- uploads (the SDK's create_feature_group_from_pandas_df flow) --------------------------------------

    def create_upload(self, table_name: Any, file_format: Any, dataset_id: str | None = None) -> dict[str, Any]:
        fmt = tabular.normalize_format(file_format) if file_format else "AUTO"
        with self.ctx.db.begin() as conn:
            if dataset_id is None:
                name = check_table_name(table_name)
                if self._fg_by_name(conn, name) is not None:
                    raise AlreadyExistsError(
                        f"a feature group with tableName {name!r} already exists; upload a new version of it "
                        "with update_feature_group_from_pandas_df (createDatasetVersionFromUpload)"
                    )
            else:
                fg = conn.execute(select(t.feature_groups).where(t.feature_groups.c.dataset_id == dataset_id)).first()
                if fg is None:
                    raise DataNotFoundError(f"datasetId {dataset_id!r} is not found.")
                name = fg.table_name
            upload_id = new_id()
            conn.execute(
                t.uploads.insert().values(
                    id=upload_id,
                    table_name=name,
                    file_format=fmt,
                    status="PENDING",
                    dataset_id=dataset_id,
                    created_at=utc_now(),
                )
            )
        self.ctx.layout.upload_dir(upload_id).mkdir(parents=True, exist_ok=True)
        return self.describe_upload(upload_id)

    def upload_part(self, upload_id: Any, part_number: Any, data: bytes) -> dict[str, Any]:
        upload = self._upload(upload_id)
        if upload["status"] != "PENDING":
            raise InvalidParameterError(
                f"upload {upload_id!r} is {upload['status']}; parts can only be added while it is PENDING"
            )
        try:
            number = int(part_number)
        except (TypeError, ValueError):
            number = 0
        if not 1 <= number <= _MAX_PARTS:
            raise InvalidParameterError(
                f"partNumber must be a whole number from 1 to {_MAX_PARTS} (got {part_number!r})"
            )
        final = self.ctx.layout.upload_dir(upload["uploadId"]) / f"part-{number:05d}"
        tmp = temp_path_beside(final)
        tmp.write_bytes(data)
        digest = commit_file(tmp, final)
        return {"etag": digest, "md5": None}

    def complete_upload(self, upload_id: Any) -> dict[str, Any]:
        upload = self._upload(upload_id)
        if upload["status"] == "COMPLETE":
            return upload
        folder = self.ctx.layout.upload_dir(upload["uploadId"])
        parts = sorted(folder.glob("part-*"))
        if not parts:
            raise InvalidParameterError(f"upload {upload_id!r} has no parts; send parts with uploadPart first")
        joined = folder / "joined"
        with joined.open("wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    shutil.copyfileobj(src, out)
        fmt = upload["fileFormat"] if upload["fileFormat"] != "AUTO" else tabular.normalize_format(None, joined)
        try:
            table = tabular.read_table(joined, fmt)
        except InvalidParameterError as exc:
            with self.ctx.db.begin() as conn:
                conn.execute(
                    t.uploads.update()
                    .where(t.uploads.c.id == upload["uploadId"])
                    .values(status="FAILED", error=exc.message)
                )
            raise
        version = self._store_version(upload["datasetName"], table, source="upload", upload_id=upload["uploadId"])
        with self.ctx.db.begin() as conn:
            conn.execute(
                t.uploads.update()
                .where(t.uploads.c.id == upload["uploadId"])
                .values(
                    status="COMPLETE",
                    dataset_id=version["datasetId"],
                    dataset_version=version["datasetVersion"],
                )
            )
        shutil.rmtree(folder, ignore_errors=True)
        return self.describe_upload(upload["uploadId"])

    def describe_upload(self, upload_id: Any) -> dict[str, Any]:
        return self._upload(upload_id)

    # -- files from the CLI ----------------------------------------------------------------------------

    def add_file(self, table_name: str, path: Path, file_format: str | None = None) -> dict[str, Any]:
        name = check_table_name(table_name, "table name")
        if not path.is_file():
            raise InvalidParameterError(f"file {str(path)!r} does not exist or is not a file")
        fmt = tabular.normalize_format(file_format, path)
        table = tabular.read_table(path, fmt)
        self._store_version(name, table, source=path.name, upload_id=None)
        return self.describe_by_table_name(name)

    # -- lookups -----------------------------------------------------------------------------------------

    def describe(self, feature_group_id: Any) -> dict[str, Any]:
        with self.ctx.db.read() as conn:
            fg = conn.execute(select(t.feature_groups).where(t.feature_groups.c.id == feature_group_id)).first()
            if fg is None:
                raise DataNotFoundError(f"featureGroupId {feature_group_id!r} is not found.")
            return self._feature_group_view(conn, fg._mapping)

    def describe_by_table_name(self, table_name: Any) -> dict[str, Any]:
        with self.ctx.db.read() as conn:
            fg = self._fg_by_name(conn, table_name)
            if fg is None:
                raise DataNotFoundError(f"A feature group with tableName {table_name!r} is not found.")
            return self._feature_group_view(conn, fg)

    def list_all(self, limit: int = 100, start_after_id: str | None = None) -> list[dict[str, Any]]:
        with self.ctx.db.read() as conn:
            rows = conn.execute(
                select(t.feature_groups).order_by(t.feature_groups.c.created_at, t.feature_groups.c.id)
            ).all()
            views = [self._feature_group_view(conn, row._mapping) for row in rows]
        if start_after_id:
            ids = [v["featureGroupId"] for v in views]
            views = views[ids.index(start_after_id) + 1 :] if start_after_id in ids else []
        return views[: max(0, limit)]

    def describe_version(self, fg_version: Any) -> dict[str, Any]:
        with self.ctx.db.read() as conn:
            row = conn.execute(
                select(t.feature_group_versions).where(t.feature_group_versions.c.id == fg_version)
            ).first()
            if row is None:
                raise DataNotFoundError(f"featureGroupVersion {fg_version!r} is not found.")
            return _version_view(row._mapping)

    def list_versions(self, feature_group_id: Any) -> list[dict[str, Any]]:
        self.describe(feature_group_id)
        with self.ctx.db.read() as conn:
            rows = conn.execute(
                select(t.feature_group_versions)
                .where(t.feature_group_versions.c.feature_group_id == feature_group_id)
                .order_by(t.feature_group_versions.c.created_at.desc())
            ).all()
        return [_version_view(r._mapping) for r in rows]

    def describe_dataset(self, dataset_id: Any) -> dict[str, Any]:
        with self.ctx.db.read() as conn:
            fg = conn.execute(select(t.feature_groups).where(t.feature_groups.c.dataset_id == dataset_id)).first()
            if fg is None:
                raise DataNotFoundError(f"datasetId {dataset_id!r} is not found.")
            latest = self._latest_version(conn, fg.id)
        return _dataset_view(dict(fg._mapping), latest)

    def latest_versions(self, conn: Connection, table_names: list[str]) -> list[dict[str, Any]]:
        """The current version of each named table, in order; unknown names raise InvalidParameterError."""
        out = []
        for name in table_names:
            fg = self._fg_by_name(conn, name)
            latest = self._latest_version(conn, fg["id"]) if fg else None
            if fg is None or latest is None:
                raise InvalidParameterError(
                    f"trainingInputTables names a table that does not exist: {name!r}; "
                    f"upload it first (known tables: {', '.join(self._all_names(conn)) or 'none'})"
                )
            out.append(latest)
        return out

    def unknown_tables(self, conn: Connection, table_names: list[str]) -> list[str]:
        return [name for name in table_names if self._fg_by_name(conn, name) is None]

    def known_table_names(self, conn: Connection) -> list[str]:
        return self._all_names(conn)

    def handoff_path(self, fg_version: str) -> Path:
        return self.ctx.layout.table_arrow(fg_version)

    # -- internals ---------------------------------------------------------------------------------------

    def _store_version(self, table_name: str, table: pa.Table, *, source: str, upload_id: str | None) -> dict[str, Any]:
        fg_version = new_id()
        parquet_final = self.ctx.layout.table_parquet(fg_version)
        arrow_final = self.ctx.layout.table_arrow(fg_version)
        parquet_tmp = temp_path_beside(parquet_final)
        tabular.write_parquet(table, parquet_tmp)
        parquet_sha = commit_file(parquet_tmp, parquet_final)
        arrow_tmp = temp_path_beside(arrow_final)
        tabular.write_arrow_ipc(table, arrow_tmp)
        arrow_sha = commit_file(arrow_tmp, arrow_final)
        now = utc_now()
        with self.ctx.db.begin() as conn:
            fg = self._fg_by_name(conn, table_name)
            if fg is None:
                fg_id, dataset_id = new_id(), new_id()
                conn.execute(
                    t.feature_groups.insert().values(
                        id=fg_id, table_name=table_name, dataset_id=dataset_id, created_at=now
                    )
                )
            else:
                fg_id, dataset_id = fg["id"], fg["dataset_id"]
            conn.execute(
                t.feature_group_versions.insert().values(
                    id=fg_version,
                    feature_group_id=fg_id,
                    dataset_version=new_id(),
                    upload_id=upload_id,
                    source=source,
                    status="COMPLETE",
                    row_count=table.num_rows,
                    size_bytes=parquet_final.stat().st_size,
                    columns=tabular.describe_columns(table),
                    parquet_sha256=parquet_sha,
                    arrow_sha256=arrow_sha,
                    created_at=now,
                )
            )
            row = conn.execute(
                select(t.feature_group_versions).where(t.feature_group_versions.c.id == fg_version)
            ).one()
        view = _version_view(row._mapping)
        view["datasetId"] = dataset_id
        return view

    def _upload(self, upload_id: Any) -> dict[str, Any]:
        with self.ctx.db.read() as conn:
            row = conn.execute(select(t.uploads).where(t.uploads.c.id == upload_id)).first()
        if row is None:
            raise DataNotFoundError(f"uploadId {upload_id!r} is not found.")
        return {
            "uploadId": row.id,
            "datasetUploadId": row.id,
            "status": row.status,
            "datasetId": row.dataset_id,
            "datasetVersion": row.dataset_version,
            "modelId": None,
            "modelVersion": None,
            "batchPredictionId": None,
            "parts": None,
            "createdAt": row.created_at,
            "error": row.error,
            "fileFormat": row.file_format,
            "datasetName": row.table_name,
        }

    def _fg_by_name(self, conn: Connection, name: Any) -> dict[str, Any] | None:
        row = conn.execute(select(t.feature_groups).where(t.feature_groups.c.table_name == name)).first()
        return dict(row._mapping) if row else None

    def _all_names(self, conn: Connection) -> list[str]:
        return [r.table_name for r in conn.execute(select(t.feature_groups.c.table_name).order_by("table_name"))]

    def _latest_version(self, conn: Connection, fg_id: str) -> dict[str, Any] | None:
        row = conn.execute(
            select(t.feature_group_versions)
            .where(t.feature_group_versions.c.feature_group_id == fg_id)
            .order_by(t.feature_group_versions.c.created_at.desc(), literal_column("rowid").desc())
            .limit(1)
        ).first()
        return dict(row._mapping) if row else None

    def _feature_group_view(self, conn: Connection, fg: Any) -> dict[str, Any]:
        latest = self._latest_version(conn, fg["id"])
        return feature_group_view(dict(fg), latest)


def _features(columns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "name": c["name"],
            "selectClause": None,
            "featureMapping": None,
            "sourceTable": None,
            "originalName": c["name"],
            "usingClause": None,
            "orderClause": None,
            "whereClause": None,
            "featureType": None,
            "dataType": c["dataType"],
            "detectedFeatureType": None,
            "detectedDataType": c["dataType"],
            "columns": None,
            "pointInTimeInfo": None,
            "pandasDtype": c.get("pandasDtype"),
            "arrowType": c.get("arrowType"),
        }
        for c in columns
    ]


def _version_view(v: Any) -> dict[str, Any]:
    return {
        "featureGroupVersion": v["id"],
        "featureGroupId": v["feature_group_id"],
        "sql": None,
        "sourceTables": [],
        "sourceDatasetVersions": [v["dataset_version"]],
        "createdAt": v["created_at"],
        "status": v["status"],
        "error": v["error"],
        "deployable": True,
        "cpuSize": None,
        "memory": None,
        "useOriginalCsvNames": False,
        "pythonFunctionBindings": None,
        "indexingConfigWarningMsg": None,
        "materializationStartedAt": v["created_at"],
        "materializationCompletedAt": v["created_at"],
        "columns": _features(v["columns"]),
        "templateBindings": None,
        "features": _features(v["columns"]),
        "pointInTimeGroups": None,
        "codeSource": None,
        "annotationConfig": None,
        "indexingConfig": None,
        "rowCount": v["row_count"],
        "sizeBytes": v["size_bytes"],
        "parquetSha256": v["parquet_sha256"],
        "arrowSha256": v["arrow_sha256"],
        "source": v["source"],
        "datasetVersion": v["dataset_version"],
    }


def feature_group_view(fg: dict[str, Any], latest: dict[str, Any] | None) -> dict[str, Any]:
    """The FeatureGroup object of the reference page, every key present."""
    columns = latest["columns"] if latest else []
    return {
        "featureGroupId": fg["id"],
        "modificationLock": False,
        "name": fg["table_name"],
        "featureGroupSourceType": "DATASET",
        "tableName": fg["table_name"],
        "sql": None,
        "datasetId": fg["dataset_id"],
        "functionSourceCode": None,
        "functionName": None,
        "sourceTables": [],
        "createdAt": fg["created_at"],
        "description": fg.get("description"),
        "sqlError": None,
        "latestVersionOutdated": False,
        "referencedFeatureGroups": [],
        "tags": [],
        "primaryKey": None,
        "updateTimestampKey": None,
        "lookupKeys": None,
        "streamingEnabled": False,
        "incremental": False,
        "mergeConfig": None,
        "samplingConfig": None,
        "cpuSize": None,
        "memory": None,
        "streamingReady": False,
        "featureTags": None,
        "moduleName": None,
        "templateBindings": None,
        "featureExpression": None,
        "useOriginalCsvNames": False,
        "pythonFunctionBindings": None,
        "pythonFunctionName": None,
        "useGpu": False,
        "versionLimit": None,
        "exportOnMaterialization": False,
        "features": _features(columns),
        "duplicateFeatures": None,
        "pointInTimeGroups": None,
        "annotationConfig": None,
        "concatenationConfig": None,
        "indexingConfig": None,
        "codeSource": None,
        "featureGroupTemplate": None,
        "explanation": None,
        "refreshSchedules": [],
        "exportConnectorConfig": None,
        "latestFeatureGroupVersion": _version_view(latest) if latest else None,
        "operatorConfig": None,
        "rowCount": latest["row_count"] if latest else None,
    }


def _dataset_view(fg: dict[str, Any], latest: dict[str, Any] | None) -> dict[str, Any]:
    version = None
    if latest is not None:
        version = {
            "datasetVersion": latest["dataset_version"],
            "status": "COMPLETE",
            "datasetId": fg["dataset_id"],
            "size": latest["size_bytes"],
            "rowCount": latest["row_count"],
            "fileInspectMetadata": None,
            "createdAt": latest["created_at"],
            "error": None,
            "incrementalQueriedAt": None,
            "uploadId": latest["upload_id"],
            "mergeFileSchemas": False,
            "databaseConnectorConfig": None,
            "applicationConnectorConfig": None,
            "invalidRecords": None,
        }
    return {
        "datasetId": fg["dataset_id"],
        "sourceType": "UPLOAD",
        "dataSource": None,
        "createdAt": fg["created_at"],
        "ignoreBefore": None,
        "ephemeral": False,
        "lookbackDays": None,
        "databaseConnectorId": None,
        "databaseConnectorConfig": None,
        "connectorType": None,
        "featureGroupTableName": fg["table_name"],
        "applicationConnectorId": None,
        "applicationConnectorConfig": None,
        "incremental": False,
        "isDocumentset": False,
        "extractBoundingBoxes": False,
        "mergeFileSchemas": False,
        "referenceOnlyDocumentset": False,
        "versionLimit": None,
        "disableRealtimeContentProcessing": False,
        "forceFullResync": False,
        "realtimeContentStoreConfig": None,
        "schema": [{"name": c["name"], "dataType": c["dataType"]} for c in (latest["columns"] if latest else [])],
        "refreshSchedules": [],
        "latestDatasetVersion": version,
        "parsingConfig": None,
        "documentProcessingConfig": None,
        "attachmentParsingConfig": None,
    }
