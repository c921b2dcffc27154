"""packageRequirements: PEP 508 requirements only, with messages that name the entry and what is accepted;
and the import names a requirement makes available to the validator's allowlist."""

from __future__ import annotations

import pytest

from sandbox.contract import FunctionNames
from sandbox.validate import RequirementError, parse_requirements, requirement_import_names, validate_source


def test_pep508_requirements_are_parsed() -> None:
    reqs = parse_requirements(
        ["scikit-learn>=1.4", " numpy ", "pandas[performance]==2.2; python_version >= '3.8'", "xgboost~=2.0"]
    )
    assert [r.name for r in reqs] == ["scikit-learn", "numpy", "pandas", "xgboost"]
    assert str(reqs[0].specifier) == ">=1.4"
    assert reqs[2].extras == {"performance"}


@pytest.mark.parametrize("entries", [[], None])
def test_no_requirements_is_fine(entries: list[str] | None) -> None:
    assert parse_requirements(entries) == []


@pytest.mark.parametrize(
    ("entry", "fragment"),
    [
        ("pkg @ https://example.com/pkg-1.0.whl", "URLs, paths and pip options are refused"),
        ("git+https://x/y.git", "URLs, paths and pip options are refused"),
        ("https://example.com/pkg.tar.gz", "URLs, paths and pip options are refused"),
        ("./local-pkg", "URLs, paths and pip options are refused"),
        ("../pkg", "URLs, paths and pip options are refused"),
        ("/abs/pkg", "URLs, paths and pip options are refused"),
        ("~/pkg", "URLs, paths and pip options are refused"),
        ("file:///tmp/pkg", "URLs, paths and pip options are refused"),
        ("C:\\pkgs\\x.whl", "URLs, paths and pip options are refused"),
        ("dist/pkg-1.0.tar.gz", "URLs, paths and pip options are refused"),
        ("-e .", "pip options are refused"),
        ("--index-url https://evil.example/simple", "pip options are refused"),
        ("-r requirements.txt", "pip options are refused"),
        ("--extra-index-url=https://x", "pip options are refused"),
        ("", "it is empty"),
        ("   ", "it is empty"),
        ("numpy\n--index-url https://evil.example", "one requirement per entry"),
        ("numpy==", "it is not a valid requirement"),
        ("numpy pandas", "it is not a valid requirement"),
        ("numpy --hash=sha256:abc", "it is not a valid requirement"),
        ("numpy; python_version < '3.0'", "does not match this runtime (Python 3."),
        ("numpy; sys_platform == 'no-such-platform'", "so it would silently not install"),
    ],
)
def test_refused_entries_are_named_with_what_is_accepted(entry: str, fragment: str) -> None:
    with pytest.raises(RequirementError) as caught:
        parse_requirements(["numpy>=1.26", entry])
    message = str(caught.value)
    assert message.startswith(f"packageRequirements entry '{entry}' is not accepted: ")
    assert fragment in message
    assert len(caught.value.problems) == 1


def test_the_accepted_form_is_spelled_out() -> None:
    with pytest.raises(RequirementError) as caught:
        parse_requirements(["git+https://x/y.git"])
    assert str(caught.value) == (
        "packageRequirements entry 'git+https://x/y.git' is not accepted: give a PEP 508 requirement such as "
        "'scikit-learn>=1.4' (URLs, paths and pip options are refused)"
    )


def test_a_non_string_entry_is_refused() -> None:
    with pytest.raises(RequirementError, match="it must be a string"):
        parse_requirements([3])  # type: ignore[list-item]


def test_duplicate_distributions_are_refused_naming_both_entries() -> None:
    with pytest.raises(RequirementError) as caught:
        parse_requirements(["numpy>=1.26", "NumPy<3"])
    assert str(caught.value) == (
        "packageRequirements entries 'numpy>=1.26' and 'NumPy<3' name the same distribution: "
        "combine them into one requirement"
    )
    with pytest.raises(RequirementError, match="same distribution"):
        parse_requirements(["scikit_learn", "scikit-learn>=1.4"])


def test_every_bad_entry_is_reported_at_once() -> None:
    with pytest.raises(RequirementError) as caught:
        parse_requirements(["-e .", "numpy", "./x", ""])
    assert len(caught.value.problems) == 3
    assert str(caught.value).count("\n") == 2


@pytest.mark.parametrize(
    ("requirement", "names"),
    [
        ("scikit-learn>=1.4", {"sklearn"}),  # installed: read from its metadata
        ("pillow", {"PIL"}),  # not installed: the table of well-known names
        ("PyYAML", {"yaml"}),
        ("opencv-python-headless", {"cv2"}),
        ("my-cool.pkg", {"my_cool_pkg"}),  # unknown: the normalised name
        ("threadpoolctl", {"threadpoolctl"}),
    ],
)
def test_requirements_map_to_their_import_names(requirement: str, names: set[str]) -> None:
    assert requirement_import_names(parse_requirements([requirement])) == names


def test_private_import_names_are_never_admitted() -> None:
    names = requirement_import_names(parse_requirements(["setuptools", "pytest"]))
    assert names
    assert not any(name.startswith("_") for name in names)


def test_requirement_names_extend_the_validator_allowlist_but_not_the_standard_library() -> None:
    source = "import yaml\nimport importlib\n\ndef train(df):\n    pass\n\ndef predict(model, query):\n    pass\n"
    extra = requirement_import_names(parse_requirements(["PyYAML", "importlib"]))
    assert extra == {"yaml", "importlib"}
    report = validate_source(source, functions=FunctionNames(), n_tables=1, extra_modules=extra)
    assert [(f.line, f.message.split(":")[0]) for f in report.errors] == [(2, "import of 'importlib' is not allowed")]


def test_requirements_never_admit_the_standard_library_or_private_names() -> None:
    from runtime.services.models import requirement_modules
    from sandbox.validate import admissible_extra_modules

    assert admissible_extra_modules(["os", "importlib", "_secret", "requests", "sklearn"]) == {"requests", "sklearn"}
    # the sandbox's import hook gets the same set as the validator
    rev = {"package_requirements": ["os", "importlib-metadata", "requests>=2"]}
    assert requirement_modules(rev) == admissible_extra_modules(["os", "importlib_metadata", "requests"])
    assert "os" not in requirement_modules(rev)
