"""Training through the server: user exceptions, the server never running user code, restarts."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from runtime.sdk_client import sdk_frame, wait_version
from tests.conftest import CASES, REPO, Server, create_model

MODELS = CASES / "models"


@pytest.fixture(scope="module")
def project(client: Any) -> Any:
    import pandas as pd

    client.create_feature_group_from_pandas_df("small", sdk_frame(pd.DataFrame({"x": [1.0, 2.0, 3.0]})))
    return client.create_project("training", "PYTHON_MODEL")


def _create(client: Any, project: Any, source: str, **kwargs: Any) -> Any:
    return create_model(
        client,
        project.project_id,
        source,
        ["small"],
        **kwargs,
    )


def test_train_exception_fails_the_version_with_type_message_and_logs(
    server: Server, client: Any, project: Any
) -> None:
    model = _create(client, project, (MODELS / "raises_model.py").read_text())
    version = wait_version(client, model.latest_model_version.model_version)
    assert version.status == "FAILED"
    assert "ValueError" in version.error
    assert "boom: 3 rows is not enough" in version.error
    logs = client.get_training_logs(version.model_version)
    assert "about to fail" in logs.stdout
    assert "ValueError: boom: 3 rows is not enough" in logs.stderr
    assert logs.exception.type == "ValueError"
    assert "boom: 3 rows" in logs.exception.value
    assert "_check" in logs.exception.traceback
    # the server keeps answering, and the model can still be fixed and retrained
    assert client.describe_model(model.model_id).training_required is True
    fixed = client.update_python_model(model.model_id, function_source_code=(MODELS / "marker_model.py").read_text())
    retrained = client.retrain_model(fixed.model_id)
    assert wait_version(client, retrained.latest_model_version.model_version).status == "COMPLETE"
    assert server.alive()


def test_server_never_imports_user_code(server: Server, client: Any, project: Any, tmp_path: Path) -> None:
    source = (MODELS / "marker_model.py").read_text()
    marker = "pymodel-import-marker.txt"
    # check (CLI), create and update must not execute the module's top level anywhere
    (tmp_path / "model.py").write_text(source)
    checked = subprocess.run(
        [sys.executable, "-m", "runtime.cli", "check", str(tmp_path / "model.py")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    model = create_model(
        client,
        project.project_id,
        source,
        ["small"],
    )
    client.update_python_model(model.model_id, function_source_code=source + "\n# changed\n")
    version = wait_version(client, model.latest_model_version.model_version)
    assert version.status == "COMPLETE", version.error
    found = {p.relative_to(server.data_dir.parent) for p in server.data_dir.parent.rglob(marker)}
    assert not list(tmp_path.rglob(marker))
    assert not list(server.cwd.rglob(marker))
    # only inside kept working directories of trained versions, where training ran the module
    assert Path("data") / "versions" / version.model_version / "work" / marker in found
    assert all(p.parts[:2] == ("data", "versions") and p.parts[3] == "work" for p in found), found


def test_restart_keeps_everything_and_fails_interrupted_training(tmp_path: Path) -> None:
    import pandas as pd

    (tmp_path / "cwd").mkdir()
    server = Server(tmp_path / "data", tmp_path / "cwd")
    server.start()
    try:
        client = server.client()
        client.create_feature_group_from_pandas_df("small", sdk_frame(pd.DataFrame({"x": [1.0, 2.0]})))
        project = client.create_project("restart", "PYTHON_MODEL")
        done = _create(client, project, (MODELS / "marker_model.py").read_text())
        done_version = wait_version(client, done.latest_model_version.model_version)
        assert done_version.status == "COMPLETE"
        slow = _create(client, project, (MODELS / "slow_model.py").read_text(), training_config={"seconds": 120})
        slow_version = slow.latest_model_version.model_version
        deadline = time.monotonic() + 60
        while client.describe_model_version(slow_version).status != "TRAINING":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        time.sleep(1.0)  # let the worker start running user code
        server_pid = server.proc.pid if server.proc else 0
        children = [p.pid for p in psutil.Process(server_pid).children(recursive=True)]
        assert children, "the training job runs in a child process"
        server.kill()
        # the job dies with its server: nothing is left running
        gone, alive = psutil.wait_procs([psutil.Process(pid) for pid in children if psutil.pid_exists(pid)], timeout=10)
        assert not alive, f"processes left behind after the server died: {alive}"

        server.start()
        client = server.client()
        version = client.describe_model_version(slow_version)
        assert version.status == "FAILED"
        assert version.error == "interrupted by a runtime restart"
        assert version.partial_complete is True
        assert client.describe_model_version(done_version.model_version).status == "COMPLETE"
        assert client.describe_feature_group_by_table_name("small").latest_feature_group_version.feature_group_version
        assert {m.model_id for m in client.list_models(project.project_id)} == {done.model_id, slow.model_id}
        assert client.describe_project(project.project_id).name == "restart"
    finally:
        server.stop()
