"""Hostile or sloppy input on the wire: every bad value is a 4xx naming the field and the value, nothing is
stored, and nothing is read or parsed for a caller without credentials."""

from __future__ import annotations

import http.client
import json
import urllib.parse
from typing import Any

import pandas as pd
import pytest

from runtime.sdk_client import sdk_frame, wait_version
from tests.conftest import TEST_KEY, Server, create_model

SOURCE = "def train(df, training_config=None):\n    return 1\n\n\ndef predict(model, query):\n    return model\n"


def call(
    server: Server,
    method: str,
    verb: str = "GET",
    body: bytes | None = None,
    query: dict[str, str] | None = None,
    key: str | None = TEST_KEY,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    path = f"/api/v0/{method}" + (f"?{urllib.parse.urlencode(query)}" if query else "")
    all_headers = {"Content-Type": "application/json", **({"apiKey": key} if key else {}), **(headers or {})}
    connection.request(verb, path, body=body, headers=all_headers)
    response = connection.getresponse()
    payload = json.loads(response.read())
    connection.close()
    return response.status, payload


@pytest.fixture(scope="module")
def model_id(client: Any) -> str:
    client.create_feature_group_from_pandas_df("wire", sdk_frame(pd.DataFrame({"x": [1.0]})))
    project = client.create_project("wire", "PYTHON_MODEL")
    model = create_model(
        client,
        project.project_id,
        SOURCE,
        ["wire"],
    )
    wait_version(client, model.latest_model_version.model_version)
    return str(model.model_id)


@pytest.mark.parametrize(
    ("method", "verb", "body", "query", "message"),
    [
        ("describeModel", "GET", None, {"modelId": "[1]"}, "modelId must be a string (got [1])"),
        ("describeModel", "GET", None, {"modelId": '{"a": 1}'}, 'modelId must be a string (got {"a": 1})'),
        ("deleteModel", "DELETE", None, {"modelId": "[1]"}, "modelId must be a string"),
        ("listFeatureGroups", "GET", None, {"limit": "1.5"}, 'limit must be a whole number of at least 1 (got "1.5")'),
        ("listFeatureGroups", "GET", None, {"limit": "x"}, 'limit must be a whole number of at least 1 (got "x")'),
        ("listProjects", "GET", None, {"limit": "0"}, 'limit must be a whole number of at least 1 (got "0")'),
        ("createDatasetFromUpload", "POST", b'{"tableName": "t", "fileFormat": 1}', None, "fileFormat must be one of"),
        ("createProject", "POST", b'{"name": ["x"], "useCase": "PYTHON_MODEL"}', None, "name must be a string"),
        ("createProject", "POST", b"[" * 100_000, None, "the request body is not valid JSON: it is nested too deeply"),
        ("createProject", "POST", b'{"name": NaN}', None, "the request body is not valid JSON: NaN is not a JSON"),
    ],
)
def test_bad_values_are_400s_naming_the_field(
    server: Server, method: str, verb: str, body: bytes | None, query: dict[str, str] | None, message: str
) -> None:
    status, payload = call(server, method, verb, body, query)
    assert status == 400, payload
    assert payload["success"] is False
    assert payload["errorType"] == "InvalidParameterError"
    assert message in payload["error"]
    assert server.alive()


@pytest.mark.parametrize("memory", ["--4", "²", "4.5", "", "1e3"])
def test_bad_memory_values_change_nothing(server: Server, model_id: str, memory: str) -> None:
    _, before = call(server, "describeModel", query={"modelId": model_id})
    body = json.dumps({"modelId": model_id, "memory": memory}).encode()
    status, payload = call(server, "updatePythonModel", "POST", body)
    assert status == 400, payload
    assert payload["error"].startswith("memory must be a whole number of GB between 1 and")
    assert call(server, "describeModel", query={"modelId": model_id})[1] == before


def test_nan_in_training_config_is_refused_and_the_model_stays_readable(server: Server, model_id: str) -> None:
    _, before = call(server, "describeModel", query={"modelId": model_id})
    for raw in (
        b'{"modelId": "%s", "trainingConfig": {"a": NaN}}',
        b'{"modelId": "%s", "trainingConfig": {"a": -Infinity}}',
    ):
        status, payload = call(server, "updatePythonModel", "POST", raw % model_id.encode())
        assert status == 400
        assert "is not a JSON value" in payload["error"]
    assert call(server, "describeModel", query={"modelId": model_id})[1] == before
    assert call(server, "listModels", query={"projectId": before["result"]["projectId"]})[0] == 200


def test_nothing_is_parsed_for_a_caller_without_a_key(server: Server) -> None:
    status, payload = call(server, "createProject", "POST", b"[" * 100_000, key=None)
    assert status == 401
    assert payload["errorType"] == "PermissionDeniedError"
    status, payload = call(server, "createProject", "POST", b"{}", key=None, headers={"Content-Length": "2"})
    assert status == 401


def test_a_body_over_the_limit_is_refused_by_its_declared_size(server: Server) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.putrequest("POST", "/api/v0/createProject")
    connection.putheader("apiKey", TEST_KEY)
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Content-Length", str(1 << 30))
    connection.endheaders()
    connection.send(b"{}")
    response = connection.getresponse()
    payload = json.loads(response.read())
    connection.close()
    assert response.status == 400
    assert payload["error"] == f"the request body is {1 << 30} bytes; the limit is {64 << 20} bytes"
    assert server.alive()
