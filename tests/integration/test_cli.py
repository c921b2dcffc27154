"""The `pymodel` command line as a user runs it: real subprocesses on a real data dir, and a real server
for the commands that need warm workers."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather
import pytest

from tests.conftest import CASES, REPO, Server

MODELS = CASES / "models"


class Cli:
    """Runs `python -m runtime.cli` on one data dir, as `pymodel` would."""

    def __init__(self, data_dir: Path, cwd: Path) -> None:
        self.data_dir = data_dir
        self.cwd = cwd

    def __call__(self, *args: str, expect: int = 0) -> subprocess.CompletedProcess[str]:
        # no PYMODEL_API_KEY: the CLI uses the key `pymodel serve` keeps in the data dir
        env = {k: v for k, v in os.environ.items() if k != "PYMODEL_API_KEY"}
        env |= {"PYTHONPATH": str(REPO), "PYMODEL_DATA_DIR": str(self.data_dir)}
        done = subprocess.run(
            [sys.executable, "-m", "runtime.cli", *args],
            cwd=self.cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == expect, f"exit {done.returncode}, wanted {expect}\n{done.stdout}\n{done.stderr}"
        return done


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli")
    frame = pd.DataFrame({"x": [1, 2, 3, 4], "y": [2.0, 4.0, 6.0, 8.0], "name": ["a", "b", "c", "d"]})
    frame.to_csv(root / "rows.csv", index=False)
    frame.head(2).to_parquet(root / "rows.parquet")
    feather.write_feather(pa.Table.from_pandas(frame.head(3), preserve_index=False), str(root / "rows.arrow"))
    (root / "broken.csv").write_bytes(b"x,y\n1,2,3,4\n\x00\x01")
    return root


@pytest.fixture(scope="module")
def cli(workspace: Path) -> Cli:
    return Cli(workspace / "data", workspace)


def test_check_prints_file_line_col_per_finding_and_exits_1(cli: Cli) -> None:
    done = cli("check", str(MODELS / "invalid_model.py"), expect=1)
    lines = done.stdout.splitlines()
    assert any(re.match(rf"{re.escape(str(MODELS / 'invalid_model.py'))}:3:\d+: .*'os'", line) for line in lines), lines
    assert any(re.match(r".*invalid_model\.py:7:\d+: .*eval", line) for line in lines), lines


def test_check_accepts_a_valid_model_and_finds_its_optional_functions(cli: Cli, workspace: Path) -> None:
    path = MODELS / "mean_model.py"
    assert cli("check", str(path)).stdout.splitlines() == [f"{path}: ok"]
    # initialize/predict_many defined at top level are checked as those roles: a wrong arity is an error
    model = workspace / "roles.py"
    model.write_text((MODELS / "mean_model.py").read_text() + "\n\ndef initialize(model, extra):\n    return model\n")
    done = cli("check", str(model), expect=1)
    assert f"{model}:14:1: initializeFunctionName 'initialize'" in done.stdout
    named = cli("check", str(model), "--initialize-function", "predict", expect=1)
    assert "initializeFunctionName 'predict'" in named.stdout


def test_check_counts_tables_and_unreadable_files(cli: Cli, workspace: Path) -> None:
    done = cli("check", str(MODELS / "mean_model.py"), "--tables", "2", expect=1)
    assert "train" in done.stdout
    assert "2" in done.stdout
    missing = cli("check", str(workspace / "nope.py"), expect=2)
    assert "nope.py: no such file or directory" in missing.stderr


def test_tables_add_csv_parquet_and_arrow_then_list(cli: Cli, workspace: Path) -> None:
    added = cli("tables", "add", "rows", str(workspace / "rows.csv"))
    assert re.search(r"table rows version \w+: 4 rows, 3 columns", added.stdout), added.stdout
    assert "2 rows, 3 columns" in cli("tables", "add", "rows_pq", str(workspace / "rows.parquet")).stdout
    assert "3 rows, 3 columns" in cli("tables", "add", "rows_arrow", str(workspace / "rows.arrow")).stdout
    listing = cli("tables", "list").stdout
    rows = {line.split("│")[1].strip(): line for line in listing.splitlines() if line.startswith("│")}
    assert {"rows", "rows_pq", "rows_arrow"} <= set(rows)
    assert "│ 4 " in rows["rows"]
    assert "│ 2 " in rows["rows_pq"]


def test_tables_add_refuses_bad_input_with_exit_1_and_changes_nothing(cli: Cli, workspace: Path) -> None:
    before = cli("tables", "list").stdout
    bad_name = cli("tables", "add", "no spaces", str(workspace / "rows.csv"), expect=1)
    assert "no spaces" in bad_name.stderr
    unknown = cli("tables", "add", "t2", str(workspace / "rows.csv"), "--format", "XLSX", expect=1)
    assert "XLSX" in unknown.stderr
    assert "CSV" in unknown.stderr
    missing = cli("tables", "add", "t3", str(workspace / "missing.csv"), expect=1)
    assert "missing.csv" in missing.stderr
    assert cli("tables", "list").stdout == before


def test_models_create_trains_and_show_logs_update_train(cli: Cli, workspace: Path) -> None:
    created = cli("models", "create", str(MODELS / "mean_model.py"), "-t", "rows", "--name", "mean", "--memory", "1")
    model_id = re.search(r"model (\w+) created", created.stdout)
    assert model_id, created.stdout
    assert re.search(r"model version \w+: COMPLETE", created.stdout)
    assert "asked for: 1 CPU (small), 1 GB memory" in created.stdout
    assert re.search(r"used: peak memory \d+ MiB, [\d.]+ CPU s, [\d.]+ s wall", created.stdout)
    version = re.search(r"model version (\w+): COMPLETE", created.stdout)
    assert version

    logs = cli("models", "logs", version.group(1))
    assert logs.stdout == "training on 4 rows with columns x, y, name\n"

    updated = cli("models", "update", model_id.group(1), "--config", "scale=3")
    assert "training required: True" in updated.stdout
    trained = cli("models", "train", model_id.group(1))
    assert re.search(r"model version \w+: COMPLETE", trained.stdout)

    shown = cli("models", "show", model_id.group(1)).stdout
    assert shown.startswith(f"mean ({model_id.group(1)})")
    assert "training required: False" in shown
    assert len(re.findall(r"model version \w+: COMPLETE", shown)) == 2
    listing = cli("models", "list").stdout
    assert model_id.group(1) in listing
    assert "COMPLETE" in listing

    bad = cli("models", "update", model_id.group(1), "--memory", "0", expect=1)
    assert "memory must be a whole number of GB between 1 and" in bad.stderr
    assert "(got 0)" in bad.stderr


def test_models_create_of_a_failing_model_exits_1_with_the_reason(cli: Cli) -> None:
    done = cli("models", "create", str(MODELS / "raises_model.py"), "-t", "rows", expect=1)
    assert re.search(r"model version \w+: FAILED", done.stdout)
    assert "ValueError: boom: 4 rows is not enough" in done.stdout


def test_models_create_of_invalid_source_stores_nothing(cli: Cli) -> None:
    before = cli("models", "list").stdout
    done = cli("models", "create", str(MODELS / "invalid_model.py"), "-t", "rows", expect=1)
    assert "The source code is invalid." in done.stderr
    assert "line 3" in done.stderr
    assert cli("models", "list").stdout == before


def test_unknown_ids_exit_1_naming_the_id(cli: Cli) -> None:
    for args in (("models", "show", "nosuchmodel"), ("models", "train", "nosuchmodel"), ("models", "logs", "nov")):
        done = cli(*args, expect=1)
        assert "DataNotFoundError" in done.stderr
        assert args[-1] in done.stderr


def test_a_capped_cpu_request_and_a_queued_version_are_explained(cli: Cli) -> None:
    done = cli("models", "create", str(MODELS / "mean_model.py"), "-t", "rows", "--cpu-size", "large")
    cores = len(os.sched_getaffinity(0))
    if cores < 4:
        assert f"asked for: {cores} CPU (large, 4 asked: this node has {cores})" in done.stdout
    else:
        assert "asked for: 4 CPU (large)" in done.stdout
    queued = cli("models", "create", str(MODELS / "mean_model.py"), "-t", "rows", "--no-wait")
    assert "no server runs on this data dir: the first training starts with `pymodel serve`" in queued.stderr


@pytest.fixture(scope="module")
def served(cli: Cli, workspace: Path) -> Iterator[Server]:
    server = Server(cli.data_dir, workspace)
    server.start()
    yield server
    server.stop()


def test_deploy_and_predict_through_the_running_server(cli: Cli, served: Server) -> None:
    created = cli("models", "create", str(MODELS / "mean_model.py"), "-t", "rows", "--config", "scale=2")
    model_id = re.search(r"model (\w+) created", created.stdout)
    assert model_id, created.stdout
    assert re.search(r"model version \w+: COMPLETE", created.stdout), "training through the server completes"
    deployed = cli("deploy", model_id.group(1))
    match = re.search(r"deployment (\w+) of version \w+: ACTIVE", deployed.stdout)
    assert match, deployed.stdout + deployed.stderr
    assert re.search(r"deployment token: \w{16,}", deployed.stdout)
    deployment_id = match.group(1)

    one = cli("predict", deployment_id, '{"factor": 10}')
    assert json.loads(one.stdout) == {"y": 100.0}  # mean 5 × scale 2 × factor 10
    many = cli("predict", deployment_id, '[{"factor": 1}, {}]')
    assert json.loads(many.stdout) == [{"y": 10.0}, {"y": 10.0}]

    unknown = cli("predict", "nosuchdeployment", "{}", expect=1)
    assert "deploymentId is not found" in unknown.stderr
    not_json = cli("predict", deployment_id, "{factor", expect=2)
    assert "the query must be JSON" in not_json.stderr


def test_keys_create_makes_a_key_the_server_accepts(cli: Cli, served: Server) -> None:
    from abacusai import ApiClient

    key = cli("keys", "create", "--name", "ci").stdout.strip()
    assert re.fullmatch(r"\S{32,}", key), key
    projects = ApiClient(api_key=key, server=served.url).list_projects()
    assert [p.name for p in projects] == ["default"]


def test_a_second_server_on_the_same_data_dir_refuses_to_start(cli: Cli, served: Server) -> None:
    done = cli("serve", "--port", "1", expect=2)
    assert f"{cli.data_dir} is already served at {served.url} (pid {served.proc.pid if served.proc else 0})" in (
        done.stderr
    )
    assert served.healthy()
    assert (cli.data_dir / "server.json").exists()


def test_models_create_uses_top_level_initialize_and_predict_many(cli: Cli, workspace: Path) -> None:
    model = workspace / "roles_model.py"
    model.write_text(
        (MODELS / "mean_model.py").read_text()
        + "\n\ndef initialize(model):\n    return model\n\n\ndef predict_many(model, queries):\n"
        + "    return [predict(model, q) for q in queries]\n"
    )
    cli("tables", "add", "roles_rows", str(workspace / "rows.csv"))
    done = cli("models", "create", str(model), "-t", "roles_rows", "--no-wait")
    assert f"using predict_many() from {model} as predict_many" in done.stderr
    assert f"using initialize() from {model} as initialize" in done.stderr
    model_id = re.search(r"model (\w+) created", done.stdout)
    assert model_id
    shown = cli("models", "show", model_id.group(1)).stdout
    assert "warning" not in shown
