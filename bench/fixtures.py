"""What the server benchmarks need on a running server: a small table, the trivial model, its deployment."""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import user_model
from bench._server import wait_deployment_fast, wait_version_fast
from runtime.sdk_client import sdk_frame

MODEL_SOURCE = Path(user_model.__file__).read_text(encoding="utf-8")
TABLE_NAME = "bench_small"
TABLE_ROWS = 100


@dataclass(frozen=True)
class TrainedModel:
    project_id: str
    model_id: str
    model_version: str


@dataclass(frozen=True)
class Deployment:
    deployment_id: str
    token: str


def small_table() -> Any:
    import numpy as np
    import pandas as pd

    return pd.DataFrame(
        {
            "id": np.arange(TABLE_ROWS, dtype=np.int64),
            "value": np.linspace(0.0, 1.0, TABLE_ROWS),
            "label": [f"row-{i}" for i in range(TABLE_ROWS)],
        }
    )


def create_trained_model(client: Any) -> TrainedModel:
    """Upload the table, create a PYTHON_MODEL project and the model, and wait for its first training."""
    client.create_feature_group_from_pandas_df(TABLE_NAME, sdk_frame(small_table()))
    project = client.create_project("bench", "PYTHON_MODEL")
    model = client.create_model_from_python(
        project_id=project.project_id,
        function_source_code=MODEL_SOURCE,
        train_function_name="train",
        predict_function_name="predict",
        training_input_tables=[TABLE_NAME],
        name="bench trivial model",
    )
    version = wait_version_fast(client, model.latest_model_version.model_version)
    if version.status != "COMPLETE":
        raise RuntimeError(f"the bench model's first training failed: {version.error}")
    return TrainedModel(project.project_id, model.model_id, version.model_version)


def deploy(client: Any, model: TrainedModel) -> Deployment:
    """Deploy the model's version, wait until it is ACTIVE, and create a deployment token for predict."""
    created = client.create_deployment(model_id=model.model_id, model_version=model.model_version, name="bench")
    deployment = wait_deployment_fast(client, created.deployment_id)
    if deployment.status != "ACTIVE":
        raise RuntimeError(f"the bench deployment is {deployment.status}, not ACTIVE: {deployment.error}")
    token = client.create_deployment_token(model.project_id).deployment_token
    return Deployment(deployment.deployment_id, token)


def in_process_model() -> dict[str, Any]:
    """The model `train` returns, trained here in the bench process (its stamp line is swallowed)."""
    with contextlib.redirect_stdout(io.StringIO()):
        return user_model.train(small_table())
