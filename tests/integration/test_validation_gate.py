"""The static gate through the product: every handed `reject` case and the escape bug cases are refused by
createModelFromPython and updatePythonModel on the line the case names, with nothing stored; `pymodel check`
says the same as a CI gate; parser bombs end in findings and the server keeps answering."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from abacusai.client import InvalidParameterError

from runtime.sdk_client import sdk_frame, wait_version
from tests.conftest import REPO, SHARED_CASES, Server, case_header, create_model

HOSTILE = SHARED_CASES / "hostile"
BUGS = SHARED_CASES / "bugs"


REJECTED: dict[str, int] = {
    path.name: int(case_header(path)["offending-line"])
    for path in sorted(HOSTILE.glob("*.py"))
    if case_header(path).get("expect") == "reject"
}
ESCAPE_BUGS: dict[str, int] = {
    "B01_generator_frame_escape_model.py": 33,
    "B03a_getattr_concat_model.py": 17,
    "B05a_import_in_function_model.py": 7,
    "B06b_except_star_model.py": 7,
    "B27_reduce_payload_model.py": 15,
}
REFUSED_FILES = {**{name: (HOSTILE / name, line) for name, line in REJECTED.items()}}
REFUSED_FILES.update({name: (BUGS / name, line) for name, line in ESCAPE_BUGS.items()})

GOOD = "def train(df, training_config=None):\n    return len(df)\n\n\ndef predict(model, query):\n    return model\n"


@pytest.fixture(scope="module")
def project(client: Any) -> Any:
    client.create_feature_group_from_pandas_df("gate", sdk_frame(pd.DataFrame({"x": [1.0, 2.0]})))
    return client.create_project("gate", "PYTHON_MODEL")


@pytest.fixture(scope="module")
def existing(client: Any, project: Any) -> Any:
    model = create_model(
        client,
        project.project_id,
        GOOD,
        ["gate"],
        name="gate keeper",
    )
    # settled first, so that "unchanged" compares a model nothing else is changing
    assert wait_version(client, model.latest_model_version.model_version).status == "COMPLETE"
    return model


def test_the_handed_reject_cases_are_all_here() -> None:
    assert len(REJECTED) >= 20
    assert all(path.is_file() for path, _ in REFUSED_FILES.values())


@pytest.mark.parametrize("name", sorted(REFUSED_FILES))
def test_create_and_update_refuse_on_the_named_line_and_store_nothing(
    server: Server, client: Any, project: Any, existing: Any, name: str
) -> None:
    path, line = REFUSED_FILES[name]
    source = path.read_text(encoding="utf-8")
    models_before = [m.model_id for m in client.list_models(project.project_id)]
    with pytest.raises(InvalidParameterError) as created:
        create_model(
            client,
            project.project_id,
            source,
            ["gate"],
        )
    _assert_refused_on(created.value.message, line)
    assert [m.model_id for m in client.list_models(project.project_id)] == models_before

    before = client.describe_model(existing.model_id).to_dict()
    with pytest.raises(InvalidParameterError) as updated:
        client.update_python_model(existing.model_id, function_source_code=source)
    _assert_refused_on(updated.value.message, line)
    assert client.describe_model(existing.model_id).to_dict() == before
    assert server.alive()


def _assert_refused_on(message: str, line: int) -> None:
    assert message.startswith("The source code is invalid."), message
    assert f"line {line}, col " in message, f"no finding on line {line}:\n{message}"


BOMBS = {
    "deep unary": "x = " + "-" * 300_000 + "1\n",
    "long binop chain": "x = " + "1 + " * 400_000 + "1\n",
    "deep attribute chain": "x = a" + ".b" * 500_000 + "\n",
    "deep brackets": "x = " + "[" * 5000 + "]" * 5000 + "\n",
    "latin-1 cookie": "# -*- coding: latin-1 -*-\n",
    "utf-7 cookie": "# coding: utf-7\n",
}


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_parser_bombs_end_in_a_finding_and_the_server_keeps_answering(
    server: Server, client: Any, existing: Any, name: str
) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        client.update_python_model(existing.model_id, function_source_code=BOMBS[name] + GOOD)
    message = caught.value.message
    assert message.startswith("The source code is invalid.")
    assert any(word in message for word in ("nested too deeply", "coding declaration", "memory", "syntax error"))
    assert server.alive()
    assert client.describe_model(existing.model_id).code_source.source_code == GOOD


def test_a_denied_default_module_is_refused_by_a_server_started_with_deny_module(tmp_path: Path) -> None:
    server = Server(tmp_path / "data", tmp_path, "--deny-module", "numpy", "--allow-module", "shapely")
    server.start()
    try:
        client = server.client()
        client.create_feature_group_from_pandas_df("t", sdk_frame(pd.DataFrame({"x": [1.0]})))
        project = client.create_project("policy", "PYTHON_MODEL")
        with pytest.raises(InvalidParameterError, match="line 1, col 1: import of 'numpy' is not allowed"):
            create_model(
                client,
                project.project_id,
                "import numpy\n" + GOOD,
                ["t"],
            )
        model = create_model(
            client,
            project.project_id,
            "import shapely\n" + GOOD,
            ["t"],
        )
        assert model.code_source.source_code.startswith("import shapely")
    finally:
        server.stop()


# -- pymodel check as a CI gate --------------------------------------------------------------------------------


def _check(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runtime.cli", "check", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_a_folder_of_hostile_files_as_json_names_every_offending_line() -> None:
    done = _check("--format", "json", "--predict-many-function", "predict_many", str(HOSTILE))
    assert done.returncode == 1, done.stderr
    results = {Path(item["file"]).name: item for item in json.loads(done.stdout)}
    assert set(results) == {p.name for p in HOSTILE.glob("*.py")}
    for name, line in REJECTED.items():
        assert results[name]["ok"] is False, name
        assert line in {e["line"] for e in results[name]["errors"]}, (name, results[name]["errors"])


def test_check_github_format_prints_workflow_annotations(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text("import os\n" + GOOD.replace("return model", "return eval('1%2')"))
    (tmp_path / "good.py").write_text(GOOD)
    done = _check("--format", "github", str(tmp_path))
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert f"::error file={tmp_path / 'bad.py'},line=1,col=1::import of 'os' is not allowed" in lines[0]
    assert any(line.startswith(f"::error file={tmp_path / 'bad.py'},line=7,col=12::call to 'eval'") for line in lines)
    assert not any(line.startswith(f"::error file={tmp_path / 'good.py'}") for line in lines)


def test_check_exit_codes_zero_one_two(tmp_path: Path) -> None:
    (tmp_path / "good.py").write_text(GOOD)
    (tmp_path / "bad.py").write_text("import socket\n" + GOOD)
    ok = _check(str(tmp_path / "good.py"))
    assert ok.returncode == 0
    assert ok.stdout.splitlines()[-1] == f"{tmp_path / 'good.py'}: ok"
    assert _check(str(tmp_path / "good.py"), str(tmp_path / "bad.py")).returncode == 1
    missing = _check(str(tmp_path / "missing.py"))
    assert missing.returncode == 2
    assert "missing.py: no such file or directory" in missing.stderr
    (tmp_path / "empty").mkdir()
    assert _check(str(tmp_path / "empty")).returncode == 2
    bad_format = _check("--format", "xml", str(tmp_path / "good.py"))
    assert bad_format.returncode == 2
    assert "xml" in bad_format.stderr


def test_check_policy_file_and_flags(tmp_path: Path) -> None:
    (tmp_path / "model.py").write_text("import shapely\nimport pandas\n" + GOOD)
    assert _check(str(tmp_path / "model.py")).returncode == 1
    policy = tmp_path / "policy.toml"
    policy.write_text('[imports]\nallow = ["shapely"]\ndeny = ["pandas"]\n')
    done = _check("--policy", str(policy), str(tmp_path / "model.py"))
    assert done.returncode == 1
    assert "model.py:2:1: import of 'pandas' is not allowed" in done.stdout
    assert "shapely" not in done.stdout
    assert _check("--policy", str(policy), "--allow-module", "pandas", str(tmp_path / "model.py")).returncode == 0

    policy.write_text('[imports]\nallow = ["importlib"]\n')
    refused = _check("--policy", str(policy), str(tmp_path / "model.py"))
    assert refused.returncode == 2
    assert "'importlib' can never be allowed" in refused.stderr
    policy.write_text("[imports\n")
    assert "is not valid TOML" in _check("--policy", str(policy), str(tmp_path / "model.py")).stderr
    policy.write_text('[import]\nallow = ["x"]\n')
    unknown = _check("--policy", str(policy), str(tmp_path / "model.py"))
    assert unknown.returncode == 2
    assert "unknown table [import]; the accepted table is [imports]" in unknown.stderr


def test_check_requirements_extend_the_allowlist(tmp_path: Path) -> None:
    (tmp_path / "model.py").write_text("import sklearn\nimport requests\n" + GOOD)
    assert _check(str(tmp_path / "model.py")).returncode == 1
    assert _check("--requirements", "requests>=2", str(tmp_path / "model.py")).returncode == 0
    bad = _check("-r", "git+https://example.invalid/x.git", str(tmp_path / "model.py"))
    assert bad.returncode == 1
    assert "git+https://example.invalid/x.git" in bad.stderr
