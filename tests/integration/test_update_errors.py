"""Every row of DESIGN's updatePythonModel error table, through the SDK: the exception class, the message,
and the model exactly as it was after each failed call."""

from __future__ import annotations

import json
import sqlite3
import threading
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from abacusai.client import (
    ApiException,
    DataNotFoundError,
    InvalidEnumParameterError,
    InvalidParameterError,
    InvalidRequest,
    MissingParameterError,
)

from runtime.sdk_client import sdk_frame, wait_version
from tests.conftest import TEST_KEY, Server

SOURCE = """
import numpy as np

def train(df, training_config=None):
    return {"mean": float(np.mean(df["x"]))}

def predict(model, query):
    return model["mean"] * query.get("k", 1)

def predict_many(model, queries):
    return [predict(model, q) for q in queries]
"""


@pytest.fixture(scope="module")
def model(client: Any) -> Any:
    import pandas as pd

    client.create_feature_group_from_pandas_df("numbers", sdk_frame(pd.DataFrame({"x": [1.0, 2.0, 3.0]})))
    client.create_feature_group_from_pandas_df("other", sdk_frame(pd.DataFrame({"y": [1, 2]})))
    project = client.create_project("errors", "PYTHON_MODEL")
    created = client.create_model_from_python(
        project_id=project.project_id,
        function_source_code=SOURCE,
        train_function_name="train",
        training_input_tables=["numbers"],
        predict_function_name="predict",
        predict_many_function_name="predict_many",
        cpu_size="small",
        memory=1,
    )
    wait_version(client, created.latest_model_version.model_version)
    return created


def _snapshot(client: Any, model_id: str) -> dict[str, Any]:
    return client.describe_model(model_id).to_dict()


CASES: list[tuple[str, dict[str, Any], type[ApiException], str]] = [
    (
        "cpuSize not an enum value",
        {"cpu_size": "huge"},
        InvalidEnumParameterError,
        "An invalid value is passed for cpuSize.",
    ),
    (
        "cpuSize wrong type",
        {"cpu_size": 4},
        InvalidEnumParameterError,
        "An invalid value is passed for cpuSize.",
    ),
    (
        "syntax error",
        {"function_source_code": "def train(df:\n"},
        InvalidParameterError,
        "The source code is invalid.",
    ),
    (
        "forbidden import",
        {"function_source_code": SOURCE + "\nimport os\n"},
        InvalidParameterError,
        "The source code is invalid.",
    ),
    (
        "eval",
        {"function_source_code": SOURCE + "\nX = eval('1')\n"},
        InvalidParameterError,
        "The source code is invalid.",
    ),
    (
        "predict name the source lacks",
        {"predict_function_name": "score"},
        InvalidParameterError,
        "The source code is invalid.",
    ),
    (
        "new source lacks a stored name",
        {"function_source_code": "def train(df):\n    return 1\n"},
        InvalidParameterError,
        "The source code is invalid.",
    ),
    (
        "train arity vs two tables",
        {"training_input_tables": ["numbers", "other"]},
        InvalidParameterError,
        "The source code is invalid.",
    ),
    (
        "memory zero",
        {"memory": 0},
        InvalidParameterError,
        "memory must be a whole number of GB between 1 and",
    ),
    (
        "memory above the node",
        {"memory": 100_000},
        InvalidParameterError,
        "memory must be a whole number of GB",
    ),
    ("memory fractional", {"memory": 1.5}, InvalidParameterError, "memory must be a whole number of GB"),
    ("memory text", {"memory": "lots"}, InvalidParameterError, "memory must be a whole number of GB"),
    (
        "requirement URL",
        {"package_requirements": ["pkg @ https://example.invalid/pkg.whl"]},
        InvalidParameterError,
        "packageRequirements",
    ),
    (
        "requirement pip option",
        {"package_requirements": ["--index-url=http://127.0.0.1/simple"]},
        InvalidParameterError,
        "packageRequirements",
    ),
    (
        "requirements not a list",
        {"package_requirements": "numpy"},
        InvalidParameterError,
        "packageRequirements",
    ),
    (
        "unknown input table",
        {"training_input_tables": ["no_such_table"]},
        InvalidParameterError,
        "trainingInputTables names a table that does not exist: 'no_such_table'",
    ),
    (
        "tables not a list",
        {"training_input_tables": "numbers"},
        InvalidParameterError,
        "trainingInputTables must be a list of strings",
    ),
    ("useGpu not a bool", {"use_gpu": "maybe"}, InvalidParameterError, "useGpu must be true or false"),
    (
        "trainingConfig not an object",
        {"training_config": [1, 2]},
        InvalidParameterError,
        "trainingConfig must be a JSON object",
    ),
    (
        "function name not an identifier",
        {"train_function_name": "not a name"},
        InvalidParameterError,
        "trainFunctionName must be a Python function name",
    ),
]


@pytest.mark.parametrize(("changes", "error", "prefix"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_failed_update_changes_nothing(
    client: Any, model: Any, changes: dict[str, Any], error: type[ApiException], prefix: str
) -> None:
    before = _snapshot(client, model.model_id)
    with pytest.raises(error) as caught:
        client.update_python_model(model.model_id, **changes)
    assert type(caught.value) is error
    assert caught.value.message.startswith(prefix), caught.value.message
    assert caught.value.http_status == 400
    assert _snapshot(client, model.model_id) == before


def test_source_findings_name_line_and_column(client: Any, model: Any) -> None:
    bad = (
        "import os\n\ndef train(df, training_config=None):\n    return eval('1')\n\n"
        "def predict(model, query):\n    return 1\n"
    )
    with pytest.raises(InvalidParameterError) as caught:
        client.update_python_model(model.model_id, function_source_code=bad, predict_many_function_name="predict")
    message = caught.value.message
    assert message.startswith("The source code is invalid.")
    assert "line 1, col 1:" in message
    assert "line 4, col 12:" in message
    assert "'os'" in message
    assert "eval" in message


def test_unknown_model_id(client: Any) -> None:
    with pytest.raises(DataNotFoundError) as caught:
        client.update_python_model("0000000000", memory=2)
    assert caught.value.http_status == 404
    assert caught.value.message.startswith("modelId is not found.")


def test_missing_model_id_is_not_found(client: Any) -> None:
    with pytest.raises(DataNotFoundError, match="modelId is not found"):
        client.update_python_model(None, memory=2)


def test_non_python_model(server: Server, client: Any, model: Any) -> None:
    # A model of another kind in the same control plane (written by another client of this store).
    db = sqlite3.connect(server.data_dir / "pymodel.db")
    with db:
        row = db.execute(
            "SELECT project_id, revision_id, created_at FROM models WHERE id = ?", (model.model_id,)
        ).fetchone()
        db.execute(
            "INSERT INTO models (id, project_id, name, kind, revision_id, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            ("a0a0a0a0a0", row[0], "automl", "AUTOML", row[1], row[2]),
        )
    db.close()
    with pytest.raises(InvalidRequest) as caught:
        client.update_python_model("a0a0a0a0a0", memory=2)
    assert caught.value.message.startswith("The model ID refers to a non-Python model.")
    assert client.describe_model("a0a0a0a0a0").is_python_model is False


def test_successful_update_changes_only_given_fields(client: Any, model: Any) -> None:
    before = _snapshot(client, model.model_id)
    after = client.update_python_model(model.model_id, memory=2, cpu_size="MEDIUM", training_config={"k": 1})
    assert after.memory == 2
    assert after.cpu_size == "medium"
    assert after.training_required is True
    assert after.source_code == before["source_code"]
    assert after.training_input_tables == before["training_input_tables"]
    assert after.predict_many_function_name == "predict_many"
    full = after.to_dict()
    for key in ("code_source", "latest_model_version", "training_required", "memory", "cpu_size", "use_gpu"):
        assert key in full
    assert full["code_source"]["source_type"] == "TEXT"
    assert full["code_source"]["package_requirements"] == []
    # An update never trains: the latest version is unchanged.
    assert after.latest_model_version.model_version == before["latest_model_version"]["model_version"]


def test_create_requires_fields(client: Any) -> None:
    project = client.create_project("create-errors", "PYTHON_MODEL")
    with pytest.raises(MissingParameterError, match="functionSourceCode is required"):
        client.create_model_from_python(project.project_id, None, "train", ["numbers"])
    with pytest.raises(InvalidParameterError, match="The source code is invalid"):
        client.create_model_from_python(project.project_id, "import socket\n" + SOURCE, "train", ["numbers"])
    with pytest.raises(DataNotFoundError, match="projectId is not found"):
        client.create_model_from_python("nope", SOURCE, "train", ["numbers"])
    assert client.list_models(project.project_id) == []


def test_concurrent_updates_of_different_fields_all_land(server: Server, client: Any, model: Any) -> None:
    for round_number in range(3):
        changes: list[dict[str, Any]] = [
            {"memory": 2 + round_number % 2},
            {"cpu_size": ["medium", "large", "small"][round_number]},
            {"training_config": {"round": round_number}},
            {"package_requirements": [f"requests>={round_number + 1}"]},
            {"is_thread_safe": round_number % 2 == 0},
            {"function_source_code": SOURCE + f"\n# round {round_number}\n"},
        ]
        barrier = threading.Barrier(len(changes))

        def update(change: dict[str, Any], barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            client.update_python_model(model.model_id, **change)

        with ThreadPoolExecutor(len(changes)) as pool:
            for future in [pool.submit(update, change) for change in changes]:
                future.result(60)  # re-raises a failed update
        after = _raw_model(server, model.model_id)
        assert after["memory"] == 2 + round_number % 2
        assert after["cpuSize"] == ["medium", "large", "small"][round_number]
        assert after["trainingConfig"] == {"round": round_number}
        assert after["codeSource"]["packageRequirements"] == [f"requests>={round_number + 1}"]
        assert after["isThreadSafe"] == (round_number % 2 == 0)
        assert after["codeSource"]["sourceCode"].endswith(f"# round {round_number}\n")


def _raw_model(server: Server, model_id: str) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{server.url}/api/v0/describeModel?modelId={model_id}", headers={"apiKey": TEST_KEY}
    )
    with urllib.request.urlopen(request) as response:
        result: dict[str, Any] = json.loads(response.read())["result"]
    return result
