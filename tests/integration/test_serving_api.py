"""Serving and job-level behaviour through the server and the SDK: user errors in predict, timeouts, GPU
requests on a node without one, packageRequirements at run time, and the first-run API key."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from abacusai.client import InvalidParameterError, RequestTimeoutError

from runtime.sdk_client import sdk_frame, wait_deployment, wait_version
from runtime.server_process import free_port
from tests.conftest import CASES, REPO, SHARED_CASES, Server, create_model

MODELS = CASES / "models"
PREDICT_TIMEOUT = 2


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("serving")
    (root / "cwd").mkdir()
    srv = Server(root / "data", root / "cwd", "--predict-timeout", str(PREDICT_TIMEOUT), "--train-timeout", "120")
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def project(client: Any) -> Any:
    client.create_feature_group_from_pandas_df("rows", sdk_frame(pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]})))
    return client.create_project("serving", "PYTHON_MODEL")


def _train(client: Any, project: Any, model_file: str, **kwargs: Any) -> Any:
    model = create_model(
        client,
        project.project_id,
        (MODELS / model_file).read_text(),
        ["rows"],
        **kwargs,
    )
    return wait_version(client, model.latest_model_version.model_version)


@pytest.fixture(scope="module")
def deployed(client: Any, project: Any) -> tuple[str, str]:
    version = _train(client, project, "serving_model.py", initialize_function_name="initialize")
    assert version.status == "COMPLETE", version.error
    deployment = client.create_deployment(model_id=version.model_id, model_version=version.model_version)
    deployment = wait_deployment(client, deployment.deployment_id)
    assert deployment.status == "ACTIVE", deployment.error
    return client.create_deployment_token(project.project_id).deployment_token, deployment.deployment_id


def test_predict_exception_is_a_400_with_type_and_message_and_the_worker_keeps_serving(
    server: Server, client: Any, deployed: tuple[str, str]
) -> None:
    token, deployment_id = deployed
    first = client.predict(token, deployment_id, {"value": 1})
    assert first["rows"] == 4
    assert first["echo"] == 1
    with pytest.raises(InvalidParameterError) as caught:
        client.predict(token, deployment_id, {"action": "raise", "name": "speed"})
    assert "KeyError" in str(caught.value)
    assert "no such feature: speed" in str(caught.value)
    after = client.predict(token, deployment_id, {"value": 2})
    assert after["echo"] == 2
    assert after["started"] == first["started"], "a user exception must not restart the warm worker"
    assert server.alive()


def test_unconvertible_output_fails_that_request_only(client: Any, deployed: tuple[str, str]) -> None:
    token, deployment_id = deployed
    with pytest.raises(InvalidParameterError, match="JSON"):
        client.predict(token, deployment_id, {"action": "unconvertible"})
    assert client.predict(token, deployment_id, {"value": 3})["echo"] == 3


def test_predict_timeout_is_a_408_and_the_worker_is_restarted(
    server: Server, client: Any, deployed: tuple[str, str]
) -> None:
    token, deployment_id = deployed
    before = client.predict(token, deployment_id, {"value": "before"})
    started = time.monotonic()
    with pytest.raises(RequestTimeoutError) as caught:
        client.predict(token, deployment_id, {"action": "sleep", "seconds": 30})
    assert time.monotonic() - started < PREDICT_TIMEOUT + 10
    assert f"timed out after {PREDICT_TIMEOUT} s" in str(caught.value)
    assert caught.value.message == f"predict timed out after {PREDICT_TIMEOUT} s; the worker was restarted"
    after = client.predict(token, deployment_id, {"value": "after"})
    assert after["echo"] == "after"
    assert after["started"] > before["started"], "a timed-out worker is replaced and initialize runs again"
    assert client.describe_deployment(deployment_id).status == "ACTIVE"
    assert server.alive()


def test_training_logs_have_the_function_logs_shape(client: Any, project: Any) -> None:
    version = _train(client, project, "raises_model.py")
    assert version.status == "FAILED"
    logs = client.get_training_logs(version.model_version)
    assert "about to fail" in logs.stdout
    assert logs.exception.type == "ValueError"
    assert logs.exception.value.startswith("boom")
    assert "Traceback" in logs.exception.traceback
    assert logs.stats is not None


def test_use_gpu_without_a_gpu_fails_at_once_with_a_clear_reason(client: Any, project: Any) -> None:
    if Path("/dev/nvidia0").exists():
        pytest.skip("this node has a GPU: the no-GPU path cannot be exercised here")
    started = time.monotonic()
    version = _train(client, project, "gpu_model.py", use_gpu=True)
    assert version.status == "FAILED"
    assert version.error.startswith("useGpu is set but this node has no GPU")
    assert time.monotonic() - started < 30
    model = client.describe_model(version.model_id)
    assert model.use_gpu is True


def test_package_requirements_admit_their_import_names_at_run_time(
    client: Any, project: Any, deployed: tuple[str, str]
) -> None:
    import requests

    # without the requirement the validator refuses the import before anything runs
    with pytest.raises(InvalidParameterError, match="requests"):
        _train(client, project, "requirements_model.py")
    version = _train(client, project, "requirements_model.py", package_requirements=["requests>=2"])
    assert version.status == "COMPLETE", version.error
    deployment = client.create_deployment(model_id=version.model_id, model_version=version.model_version)
    assert wait_deployment(client, deployment.deployment_id).status == "ACTIVE"
    token, _ = deployed
    answer = client.predict(token, deployment.deployment_id, {})
    assert answer == {"requests": requests.__version__, "status_ok": 200}
    client.stop_deployment(deployment.deployment_id)


def test_serve_without_a_key_writes_one_readable_by_the_owner_only(tmp_path: Path) -> None:
    port = free_port()
    data_dir = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if k != "PYMODEL_API_KEY"} | {"PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "runtime.cli", "serve", "--port", str(port), "--data-dir", str(data_dir)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        key_file = data_dir / "api-key"
        deadline = time.monotonic() + 30
        while not _healthy(port):
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        from abacusai import ApiClient

        key = key_file.read_text().strip()
        assert len(key) >= 32
        client = ApiClient(api_key=key, server=f"http://127.0.0.1:{port}")
        assert client.list_projects() == []
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=15)
    assert f"created an API key for this data dir: {key_file} (readable by you only)" in output


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def test_a_stopped_server_leaves_no_claim_on_its_data_dir(tmp_path: Path) -> None:
    server = Server(tmp_path / "data", tmp_path)
    server.start()
    assert (tmp_path / "data" / "server.json").exists()
    server.stop()  # SIGTERM, as a service manager sends it
    assert server.proc is not None
    assert server.proc.returncode is not None
    assert not (tmp_path / "data" / "server.json").exists()


@pytest.mark.parametrize(("cpu_size", "asked"), [("small", 1), ("medium", 2)])
def test_b41_libraries_see_the_cpus_asked_for(
    client: Any, project: Any, deployed: tuple[str, str], cpu_size: str, asked: int
) -> None:
    expected = min(asked, os.cpu_count() or 1)
    source = (SHARED_CASES / "bugs" / "B41_cpu_count_model.py").read_text()
    model = create_model(
        client,
        project.project_id,
        source,
        ["rows"],
        package_requirements=["threadpoolctl"],
        cpu_size=cpu_size,
    )
    version = wait_version(client, model.latest_model_version.model_version)
    assert version.status == "COMPLETE", version.error
    deployment = client.create_deployment(model_id=model.model_id, model_version=version.model_version)
    assert wait_deployment(client, deployment.deployment_id).status == "ACTIVE"
    token, _ = deployed
    seen = client.predict(token, deployment.deployment_id, {})
    client.stop_deployment(deployment.deployment_id)
    assert seen["joblib_cpu_count"] == expected
    assert seen["effective_n_jobs"] == expected
    assert seen["pools"], "BLAS is loaded"
    assert {pool["threads"] for pool in seen["pools"]} == {expected}
