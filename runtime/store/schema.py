"""The metadata tables (SQLAlchemy Core). Rows are immutable once a thing is written, except for statuses."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Float, Integer, MetaData, String, Table, Text

metadata = MetaData()

projects = Table(
    "projects",
    metadata,
    Column("id", String, primary_key=True),
    Column("name", String, nullable=False),
    Column("use_case", String, nullable=False),
    Column("created_at", String, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String, primary_key=True),
    Column("key_hash", String, nullable=False, unique=True),
    Column("name", String),
    Column("created_at", String, nullable=False),
)

deployment_tokens = Table(
    "deployment_tokens",
    metadata,
    Column("token_hash", String, primary_key=True),
    Column("token_prefix", String, nullable=False),
    Column("project_id", String, nullable=False, index=True),
    Column("name", String),
    Column("created_at", String, nullable=False),
)

uploads = Table(
    "uploads",
    metadata,
    Column("id", String, primary_key=True),
    Column("table_name", String, nullable=False),
    Column("file_format", String, nullable=False),
    Column("status", String, nullable=False),  # PENDING → COMPLETE | FAILED
    Column("dataset_id", String),
    Column("dataset_version", String),
    Column("error", Text),
    Column("created_at", String, nullable=False),
)

feature_groups = Table(
    "feature_groups",
    metadata,
    Column("id", String, primary_key=True),
    Column("table_name", String, nullable=False, unique=True),
    Column("dataset_id", String, nullable=False, unique=True),
    Column("description", Text),
    Column("created_at", String, nullable=False),
)

# One immutable version per upload; its Parquet (storage) and Arrow IPC (hand-off) files live in the data dir.
feature_group_versions = Table(
    "feature_group_versions",
    metadata,
    Column("id", String, primary_key=True),
    Column("feature_group_id", String, nullable=False, index=True),
    Column("dataset_version", String, nullable=False, unique=True),
    Column("upload_id", String),
    Column("source", String, nullable=False),  # "upload" or the file name given to `pymodel tables add`
    Column("status", String, nullable=False),
    Column("error", Text),
    Column("row_count", Integer, nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("columns", JSON, nullable=False),  # [{"name", "dataType", "pandasDtype"}]
    Column("parquet_sha256", String, nullable=False),
    Column("arrow_sha256", String, nullable=False),
    Column("created_at", String, nullable=False),
)

models = Table(
    "models",
    metadata,
    Column("id", String, primary_key=True),
    Column("project_id", String, nullable=False, index=True),
    Column("name", String, nullable=False),
    Column("kind", String, nullable=False, default="PYTHON"),  # models of other kinds cannot take Python code
    Column("revision_id", String, nullable=False),  # the current revision
    Column("created_at", String, nullable=False),
)

# Every accepted createModelFromPython / updatePythonModel writes a new revision; the model points at one.
model_revisions = Table(
    "model_revisions",
    metadata,
    Column("id", String, primary_key=True),
    Column("model_id", String, nullable=False, index=True),
    Column("source_code", Text, nullable=False),
    Column("train_function_name", String, nullable=False),
    Column("predict_function_name", String),
    Column("predict_many_function_name", String),
    Column("initialize_function_name", String),
    Column("training_input_tables", JSON, nullable=False),
    Column("cpu_size", String, nullable=False),
    Column("memory", Integer, nullable=False),
    Column("package_requirements", JSON, nullable=False),
    Column("use_gpu", Boolean, nullable=False),
    Column("is_thread_safe", Boolean),
    Column("training_config", JSON),
    Column("warnings", JSON, nullable=False),
    Column("content_hash", String, nullable=False),  # of everything that changes what training produces
    Column("created_at", String, nullable=False),
)

model_versions = Table(
    "model_versions",
    metadata,
    Column("id", String, primary_key=True),
    Column("model_id", String, nullable=False, index=True),
    Column("revision_id", String, nullable=False),
    Column("status", String, nullable=False),  # PENDING → TRAINING → COMPLETE | FAILED
    Column("error", Text),
    Column("exception", JSON),
    Column("feature_group_versions", JSON, nullable=False),
    Column("training_config", JSON),
    Column("requested", JSON, nullable=False),  # {"cpus", "cpuSize", "memoryGb", "timeoutSeconds", "notes"}
    Column("usage", JSON),  # {"peakMemoryBytes", "cpuSeconds", "wallSeconds"}
    Column("artifact_sha256", String),
    Column("artifact_size", Integer),
    Column("runner_pid", Integer),
    Column("runner_started", Float),  # the runner process's create time, to tell a live runner from a reused pid
    Column("created_at", String, nullable=False),
    Column("training_started_at", String),
    Column("training_completed_at", String),
)

deployments = Table(
    "deployments",
    metadata,
    Column("id", String, primary_key=True),
    Column("project_id", String, nullable=False, index=True),
    Column("model_id", String, nullable=False, index=True),
    Column("model_version", String, nullable=False),
    Column("name", String, nullable=False),
    Column("description", Text),
    Column("status", String, nullable=False),  # PENDING → DEPLOYING → ACTIVE | FAILED; STOPPING → STOPPED
    Column("error", Text),
    Column("auto_deploy", Boolean, nullable=False),
    Column("calls_per_second", Integer),
    Column("created_at", String, nullable=False),
    Column("deployed_at", String),
)
