"""The operator's allowlist (policy file and flags) and the output formats of `pymodel check`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runtime.findings_format import CheckFormat, FileReport, render
from sandbox.validate import DEFAULT_ALLOWED_MODULES, Finding, ValidationReport
from sandbox.validate.allowlist import NEVER_ALLOWED, AllowlistError, build_allowlist


def test_flags_change_the_default() -> None:
    modules = build_allowlist(allow=["shapely"], deny=["torch", "not_there"])
    assert modules == (DEFAULT_ALLOWED_MODULES | {"shapely"}) - {"torch"}
    assert build_allowlist() == DEFAULT_ALLOWED_MODULES


def test_policy_file_then_flags(tmp_path: Path) -> None:
    policy = tmp_path / "p.toml"
    policy.write_text('[imports]\nallow = ["networkx", "shapely"]\ndeny = ["xgboost"]\n')
    modules = build_allowlist(policy, allow=["xgboost"], deny=["shapely"])
    assert {"networkx", "xgboost"} <= modules
    assert "shapely" not in modules


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[imports]\nallow = 'numpy'\n", "imports.allow must be a list of module names (got 'numpy')"),
        ("[imports]\nallow = ['os.path']\n", "'os.path' is not a top-level module name"),
        ("[imports]\nextra = []\n", "unknown key imports.extra; accepted keys: allow, deny"),
        ("imports = 3\n", "imports must be a table"),
        ("[imports]\nallow = ['ctypes']\n", "'ctypes' can never be allowed: it calls native code"),
    ],
)
def test_bad_policy_files_name_the_file_key_and_value(tmp_path: Path, text: str, message: str) -> None:
    policy = tmp_path / "p.toml"
    policy.write_text(text)
    with pytest.raises(AllowlistError) as caught:
        build_allowlist(policy)
    assert message in str(caught.value)
    assert str(policy) in str(caught.value)


def test_the_never_allowed_modules_cannot_come_in_by_flag_but_can_be_denied() -> None:
    for name in NEVER_ALLOWED:
        with pytest.raises(AllowlistError, match=f"--allow-module: '{name}' can never be allowed"):
            build_allowlist(allow=[name])
    assert "importlib" not in build_allowlist(deny=["importlib"])


def test_a_missing_policy_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(AllowlistError, match=f"policy file {tmp_path / 'nope.toml'} cannot be read"):
        build_allowlist(tmp_path / "nope.toml")


REPORTS = [
    FileReport(
        "models/a,b.py",
        ValidationReport.of(
            [Finding(3, 5, "import of 'os' is not allowed: 100% refused\nreally")],
            [Finding(0, 0, "predictManyFunctionName is not set")],
        ),
    ),
    FileReport("models/ok.py", ValidationReport.of([])),
]


def test_text_format() -> None:
    assert render(REPORTS, CheckFormat.text).splitlines() == [
        "models/a,b.py:3:5: import of 'os' is not allowed: 100% refused",
        "really",
        "models/a,b.py: warning: predictManyFunctionName is not set",
        "models/ok.py: ok",
    ]


def test_github_format_escapes_data_and_properties() -> None:
    assert render(REPORTS, CheckFormat.github).splitlines() == [
        "::error file=models/a%2Cb.py,line=3,col=5::import of 'os' is not allowed: 100%25 refused%0Areally",
        "::warning file=models/a%2Cb.py::predictManyFunctionName is not set",
    ]


def test_json_format() -> None:
    assert json.loads(render(REPORTS, CheckFormat.json)) == [
        {
            "file": "models/a,b.py",
            "ok": False,
            "errors": [{"line": 3, "col": 5, "message": "import of 'os' is not allowed: 100% refused\nreally"}],
            "warnings": [{"line": 0, "col": 0, "message": "predictManyFunctionName is not set"}],
        },
        {"file": "models/ok.py", "ok": True, "errors": [], "warnings": []},
    ]
