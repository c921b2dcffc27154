"""The validator's own process: the same answers as in-process validation, limits that end in findings, and a
warm process that survives what a source does to its checker."""

from __future__ import annotations

import time
from collections.abc import Iterator

import psutil
import pytest

from sandbox.contract import FunctionNames
from sandbox.validate import validate_source
from sandbox.validate.isolated import IsolatedValidator

FUNCTIONS = FunctionNames(train="train", predict="predict")
GOOD = "def train(df):\n    return 1\n\n\ndef predict(model, query):\n    return model\n"


@pytest.fixture
def validator() -> Iterator[IsolatedValidator]:
    v = IsolatedValidator(memory_bytes=256 << 20, timeout=5)
    yield v
    v.close()


@pytest.mark.parametrize(
    "source",
    [
        GOOD,
        "import os\n" + GOOD,
        GOOD.encode("utf-8"),
        b"# coding: latin-1\n" + GOOD.encode(),
        b"x = '\xff'\n" + GOOD.encode(),
        "def train(df, other):\n    return eval('1')\n",
    ],
)
def test_answers_equal_in_process_validation(validator: IsolatedValidator, source: str | bytes) -> None:
    expected = validate_source(source, functions=FUNCTIONS, n_tables=1)
    assert validator.validate(source, functions=FUNCTIONS, n_tables=1) == expected


def test_allowlist_and_requirements_travel_to_the_checker(validator: IsolatedValidator) -> None:
    source = "import shapely\nimport requests\n" + GOOD
    report = validator.validate(source, functions=FUNCTIONS, n_tables=1, allowed_modules=frozenset({"shapely"}))
    assert [(f.line, f.message.split(":")[0]) for f in report.errors] == [(2, "import of 'requests' is not allowed")]
    report = validator.validate(
        source, functions=FUNCTIONS, n_tables=1, allowed_modules=frozenset({"shapely"}), extra_modules=["requests"]
    )
    assert report.ok


def test_a_source_that_needs_too_much_memory_ends_in_a_finding(validator: IsolatedValidator) -> None:
    bomb = "x = (" + "1," * 1_500_000 + ")\n" + GOOD
    report = validator.validate(bomb, functions=FUNCTIONS, n_tables=1)
    assert not report.ok
    assert "memory" in report.errors[0].message
    # the warm process is unharmed and answers the next source at once
    started = time.monotonic()
    assert validator.validate(GOOD, functions=FUNCTIONS, n_tables=1).ok
    assert time.monotonic() - started < 2


def test_a_check_over_the_time_limit_is_stopped_with_a_finding() -> None:
    validator = IsolatedValidator(timeout=0.02)
    try:
        slow = "".join(f"def f{i}(a, b):\n    return [a.x{i} for a in b if a]\n" for i in range(20_000)) + GOOD
        report = validator.validate(slow, functions=FUNCTIONS, n_tables=1)
        assert [str(f) for f in report.errors] == [
            "checking the source took longer than 0.02 s and was stopped: "
            "simplify it (very deep nesting or huge expressions are the usual cause)"
        ]
        assert report.message().startswith("The source code is invalid.\nchecking the source took longer")
    finally:
        validator.close()


def test_the_warm_process_is_replaced_when_it_dies(validator: IsolatedValidator) -> None:
    assert validator.validate(GOOD, functions=FUNCTIONS, n_tables=1).ok
    warm = [p for p in psutil.Process().children() if "sandbox.validate.zygote" in " ".join(p.cmdline())]
    assert len(warm) == 1
    warm[0].kill()
    warm[0].wait(5)
    assert validator.validate("import os\n" + GOOD, functions=FUNCTIONS, n_tables=1).errors[0].line == 1


def test_limits_are_checked() -> None:
    with pytest.raises(ValueError, match="memory_bytes must be at least 64 MiB"):
        IsolatedValidator(memory_bytes=1 << 20)
    with pytest.raises(ValueError, match="timeout must be positive"):
        IsolatedValidator(timeout=0)
