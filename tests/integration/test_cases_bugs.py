"""The handed cases ../shared/cases/bugs B07, B08, B14, B15, B17, B19, B22, B25 through the real path:
SDK or HTTP upload → validator → store → sandboxed training → deployment → predict."""

from __future__ import annotations

import importlib.util
import io
import json
import math
import urllib.request
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from runtime.sdk_client import sdk_frame, wait_deployment, wait_version
from tests.conftest import CASES, REPO, SHARED_CASES, TEST_KEY, Server

BUGS = SHARED_CASES / "bugs"
DESCRIBE = (CASES / "models" / "describe_frames_model.py").read_text()


def _recipe(name: str) -> Any:
    """Load a data recipe (B15/B17/B19 build DataFrames; they are data, not model code)."""
    spec = importlib.util.spec_from_file_location(name, BUGS / name)
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _http_upload(server: Server, table_name: str, df: pd.DataFrame) -> None:
    """The SDK's upload calls, made directly: the SDK refuses tz-aware dtypes before sending, the API does not."""
    buffer = io.BytesIO()
    df.to_parquet(buffer, index=not isinstance(df.index, pd.RangeIndex))
    upload = _call(server, "createDatasetFromUpload", {"tableName": table_name, "fileFormat": "PARQUET"})
    boundary = "pymodeltestboundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="uploadId"\r\n\r\n{upload["uploadId"]}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="partNumber"\r\n\r\n1\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="partData"; filename="part"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + buffer.getvalue()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        f"{server.url}/api/uploadPart",
        data=body,
        method="POST",
        headers={"APIKEY": TEST_KEY, "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    with urllib.request.urlopen(request) as response:
        assert json.loads(response.read())["success"] is True
    done = _call(server, "markUploadComplete", {"uploadId": upload["uploadId"]})
    assert done["status"] == "COMPLETE"


def _call(server: Server, method: str, body: dict[str, Any], query: str = "") -> Any:
    request = urllib.request.Request(
        f"{server.url}/api/v0/{method}{'?' + query if query else ''}",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"apiKey": TEST_KEY, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        payload = json.loads(response.read())
    assert payload["success"] is True, payload
    return payload["result"]


@pytest.fixture(scope="module")
def project(client: Any) -> Any:
    return client.create_project("cases", "PYTHON_MODEL")


def _train(client: Any, project: Any, source: str, table: str, **kwargs: Any) -> Any:
    model = client.create_model_from_python(
        project_id=project.project_id,
        function_source_code=source,
        train_function_name="train",
        training_input_tables=[table],
        predict_function_name="predict",
        **kwargs,
    )
    version = wait_version(client, model.latest_model_version.model_version)
    assert version.status == "COMPLETE", version.error
    return model


def _deploy(client: Any, project: Any, model: Any) -> tuple[str, str]:
    deployment = client.create_deployment(model_id=model.model_id)
    deployment = wait_deployment(client, deployment.deployment_id)
    assert deployment.status == "ACTIVE", deployment.error
    token = client.create_deployment_token(project.project_id).deployment_token
    return token, deployment.deployment_id


def _described(client: Any, project: Any, table: str) -> dict[str, Any]:
    model = _train(client, project, DESCRIBE, table, predict_many_function_name="predict_many")
    token, deployment_id = _deploy(client, project, model)
    report: dict[str, Any] = client.predict(token, deployment_id, {})
    return report


# -- B07, B08: ordinary modern syntax and helper scope -------------------------------------------------------


def test_b07_modern_syntax_trains_and_predicts(client: Any, project: Any) -> None:
    client.create_feature_group_from_pandas_df("b07", sdk_frame(pd.DataFrame({"y": [1.0, 2.0, 3.0, 6.0]})))
    model = _train(
        client,
        project,
        (BUGS / "B07_modern_syntax_model.py").read_text(),
        "b07",
        predict_many_function_name="predict_many",
    )
    token, deployment_id = _deploy(client, project, model)
    assert client.predict(token, deployment_id, {"mode": "zero"}) == 0.0
    assert client.predict(token, deployment_id, {"scale": 2}) == pytest.approx(6.0)
    assert client.predict(token, deployment_id, {}) == pytest.approx(3.0)
    assert client.predict_multiple(token, deployment_id, [{"mode": "zero"}, {"scale": 0.5}]) == [0.0, 1.5]


def test_b08_helpers_and_recursion_are_visible(client: Any, project: Any) -> None:
    client.create_feature_group_from_pandas_df("b08", sdk_frame(pd.DataFrame({"k": [1]})))
    model = _train(client, project, (BUGS / "B08_helper_scope_model.py").read_text(), "b08")
    token, deployment_id = _deploy(client, project, model)
    assert client.predict(token, deployment_id, {"k": 5}) == 120


# -- B14: a job that exits right after logging keeps every line ----------------------------------------------


def test_b14_fast_exit_keeps_all_log_lines(client: Any, project: Any) -> None:
    client.create_feature_group_from_pandas_df("b14", sdk_frame(pd.DataFrame({"x": [1]})))
    model = _train(client, project, (BUGS / "B14_fast_exit_logging_model.py").read_text(), "b14")
    versions = [model.latest_model_version.model_version]
    for _ in range(4):
        versions.append(client.retrain_model(model.model_id).latest_model_version.model_version)
        assert wait_version(client, versions[-1]).status == "COMPLETE"
    for version in versions:
        logs = client.get_training_logs(version)
        assert logs.stdout.splitlines() == ["line-1", "line-2", "last-line-no-newline"]
        assert logs.stderr.splitlines() == ["err-line"]


# -- B15, B17, B19: values and dtypes survive upload → storage → hand-off → train ----------------------------


def test_b15_nullable_ints_and_decimals(client: Any, project: Any) -> None:
    frames = _recipe("B15_nullable_int_decimal.py").make_frames()
    client.create_feature_group_from_pandas_df("b15", frames["nullable"])
    seen = _described(client, project, "b15")
    assert seen["dtypes"]["big"] == "Int64"
    assert seen["values"]["big"] == ["9223372036854775807", "<NA>", "-9223372036854775808"]
    assert seen["dtypes"]["tiny"] == "Int8"
    assert seen["values"]["tiny"] == ["1", "<NA>", "-1"]
    assert seen["dtypes"]["flag"] == "boolean"
    assert seen["values"]["flag"] == ["True", "<NA>", "False"]
    assert seen["values"]["price"] == [repr(Decimal("123.45")), "None", repr(Decimal("0.10"))]
    assert seen["dtypes"]["plain_int_with_nan"] == "float64"
    assert seen["values"]["plain_int_with_nan"] == ["1.0", "nan", "3.0"]


def test_b17_timezones(server: Server, client: Any, project: Any) -> None:
    frames = _recipe("B17_tz_aware.py").make_frames()
    _http_upload(server, "b17_columns", frames["tz_columns"])
    _http_upload(server, "b17_index", frames["tz_index"])
    cols = _described(client, project, "b17_columns")
    source = frames["tz_columns"]
    assert cols["dtypes"]["ny"].endswith(", America/New_York]")
    assert cols["values"]["ny"] == [repr(v) for v in source["ny"].tolist()]  # same instants, DST hour intact
    assert cols["dtypes"]["fixed"].endswith(", UTC+05:30]")
    assert cols["values"]["fixed"] == [repr(v) for v in source["fixed"].tolist()]
    assert "," not in cols["dtypes"]["naive"]  # stays naive
    assert cols["values"]["naive"] == [repr(v) for v in source["naive"].tolist()]
    indexed = _described(client, project, "b17_index")
    assert indexed["index_name"] == "ny"
    assert indexed["index_dtype"].endswith(", America/New_York]")
    assert indexed["index_values"] == [repr(v) for v in frames["tz_index"].index.tolist()]


def test_b19_empty_and_all_null_frames(client: Any, project: Any) -> None:
    frames = _recipe("B19_empty_and_null_batches.py").make_frames()
    for name, df in frames.items():
        client.create_feature_group_from_pandas_df(f"b19_{name}", sdk_frame(df))
    full = _described(client, project, "b19_full")
    empty = _described(client, project, "b19_empty")
    nulls = _described(client, project, "b19_all_null_batch")
    assert empty["rows"] == 0
    assert empty["columns"] == ["city", "x"]
    assert empty["dtypes"]["x"] == "float64"
    assert nulls["values"]["city"] == ["None", "None"]
    assert full["dtypes"]["city"] == empty["dtypes"]["city"] == nulls["dtypes"]["city"]
    assert full["dtypes"]["city"] == "object"  # what the uploader had, not pandas 3's str
    assert full["values"]["city"] == ["'a'", "None", "None", "'b'"]
    model = _train(client, project, DESCRIBE, "b19_empty", predict_many_function_name="predict_many")
    token, deployment_id = _deploy(client, project, model)
    assert client.predict_multiple(token, deployment_id, []) == []


# -- B22: predictions that plain json cannot encode -----------------------------------------------------------


def _strict_json(text: str) -> Any:
    def refuse(constant: str) -> Any:
        raise ValueError(f"non-RFC-8259 constant {constant}")

    return json.loads(text, parse_constant=refuse)


def test_b22_every_output_kind_is_strict_json(server: Server, client: Any, project: Any) -> None:
    client.create_feature_group_from_pandas_df("b22", sdk_frame(pd.DataFrame({"x": [1]})))
    model = _train(
        client,
        project,
        (BUGS / "B22_weird_outputs_model.py").read_text(),
        "b22",
        predict_many_function_name="predict_many",
    )
    token, deployment_id = _deploy(client, project, model)
    kinds = [
        "int64",
        "float32",
        "bool_",
        "ndarray",
        "nan",
        "inf",
        "timestamp",
        "nat",
        "date",
        "decimal",
        "categorical",
        "series",
        "bytes",
    ]
    results = {}
    for kind in kinds:
        request = urllib.request.Request(
            f"{server.url}/api/v0/predict?deploymentToken={token}&deploymentId={deployment_id}",
            data=json.dumps({"queryData": {"kind": kind}}).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request) as response:
            assert response.status == 200
            results[kind] = _strict_json(response.read().decode())["result"]
    assert results["int64"] == 7
    assert results["float32"] == 0.5
    assert results["bool_"] is True
    assert results["ndarray"] == [0, 1, 2]
    assert results["nan"] is None
    assert results["inf"] is None
    assert results["timestamp"] == "2024-05-01T12:00:00+02:00"
    assert results["nat"] is None
    assert results["date"] == "2024-05-01"
    assert results["categorical"] == ["a", "b"]
    assert results["series"] in ({"x": 1, "y": 2}, [1, 2])
    assert Decimal(str(results["decimal"])) == Decimal("1.10")
    assert isinstance(results["bytes"], str)
    many = client.predict_multiple(token, deployment_id, [{}, {}, {}])
    assert len(many) == 3
    assert many[0]["score"] is None
    assert many[1]["score"] == 1.0
    assert many[2]["score"] is None
    assert many[0]["when"] is None
    assert many[1]["when"].startswith("2024-01-01T00:00:00")


# -- B25: a user class, pickled by value, served by a fresh process after a restart -------------------------


def test_b25_user_class_survives_a_restart(tmp_path: Path) -> None:
    (tmp_path / "cwd").mkdir()
    server = Server(tmp_path / "data", tmp_path / "cwd")
    server.start()
    try:
        client = server.client()
        client.create_feature_group_from_pandas_df("b25", sdk_frame(pd.DataFrame({"x": [1.0, 2.0, 3.0]})))
        project = client.create_project("b25", "PYTHON_MODEL")
        model = _train(client, project, (BUGS / "B25_user_class_model.py").read_text(), "b25")
        server.stop()
        server.start()
        client = server.client()
        token, deployment_id = _deploy(client, project, model)
        result = client.predict(token, deployment_id, {"x": 3})
        assert math.isclose(result, 1.2247, abs_tol=1e-3)
    finally:
        server.stop()


def test_case_files_are_present() -> None:
    names = {p.name for p in Path(BUGS).glob("B*.py")}
    for wanted in ("B07_modern_syntax_model.py", "B15_nullable_int_decimal.py", "B25_user_class_model.py"):
        assert wanted in names


def test_the_kept_copy_of_the_handed_cases_is_current() -> None:
    shared = REPO.parent / "shared" / "cases"
    if not shared.is_dir():
        pytest.skip(f"no handed cases at {shared} to compare with (a clone outside the workspace)")
    handed = {p.relative_to(shared): p.read_bytes() for p in shared.rglob("*") if p.is_file()}
    kept = {p.relative_to(SHARED_CASES): p.read_bytes() for p in SHARED_CASES.rglob("*") if p.is_file()}
    assert kept == handed, "tests/cases/handed differs from ../shared/cases: copy the cases again"
