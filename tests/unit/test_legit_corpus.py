"""Zero false positives: every legitimate model in tests/cases/legit (written the way people write models) is
accepted by the validator with no error and no warning.

The functions a file defines are found by a regex on its text, never by importing it; files named `*_2tables.py`
train on two tables. Files holding a construct the validator refuses although it is ordinary code are listed in
KNOWN_FALSE_POSITIVES with the finding: they fail strictly (xfail, strict) until the validator accepts them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sandbox.contract import FunctionNames
from sandbox.validate import validate_source

LEGIT = Path(__file__).resolve().parents[1] / "cases" / "legit"
CORPUS = sorted(LEGIT.glob("*.py"))
MIN_CORPUS = 30

# file name -> the finding it gets today, and why the code is legitimate. Empty: the validator accepts the corpus.
KNOWN_FALSE_POSITIVES: dict[str, str] = {}


def defines(source: str, name: str) -> bool:
    return re.search(rf"^def {name}\(", source, re.MULTILINE) is not None


def function_names(source: str) -> FunctionNames:
    """The configuration a user would set for this file: every role it defines, by its default name."""
    return FunctionNames(
        train="train",
        predict="predict",
        predict_many="predict_many" if defines(source, "predict_many") else None,
        initialize="initialize" if defines(source, "initialize") else None,
    )


def n_tables(path: Path) -> int:
    return 2 if path.stem.endswith("_2tables") else 1


def corpus_param(path: Path) -> object:
    reason = KNOWN_FALSE_POSITIVES.get(path.name)
    marks = [pytest.mark.xfail(strict=True, reason=f"validator false positive: {reason}")] if reason else []
    return pytest.param(path, id=path.stem, marks=marks)


def test_the_corpus_is_large_and_covers_both_table_counts() -> None:
    accepted = [path for path in CORPUS if path.name not in KNOWN_FALSE_POSITIVES]
    assert len(accepted) >= MIN_CORPUS, f"{len(accepted)} legitimate models in {LEGIT}; the corpus needs {MIN_CORPUS}"
    assert any(n_tables(path) == 2 for path in accepted)
    assert set(KNOWN_FALSE_POSITIVES) <= {path.name for path in CORPUS}


@pytest.mark.parametrize("path", [corpus_param(path) for path in CORPUS])
def test_legitimate_model_has_no_finding(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert source.startswith('"""'), "each corpus file starts with a docstring saying what the model does"
    functions = function_names(source)
    assert defines(source, "train")
    assert defines(source, "predict")

    report = validate_source(source, functions=functions, n_tables=n_tables(path))

    assert report.errors == (), "\n".join(map(str, report.errors))
    assert report.warnings == ()


def test_a_module_named_attribute_is_refused_with_the_fix_for_columns() -> None:
    """A policy decision, not a false positive: `obj.os` may be the os module whatever `obj` is, so it is refused
    on any object, and the message says how to read a column of that name."""
    source = "def train(df):\n    return [row.os for row in df.itertuples()]\n\n\ndef predict(m, q):\n    return 0\n"
    report = validate_source(source, functions=FunctionNames(), n_tables=1)
    assert [str(f) for f in report.errors] == [
        "line 2, col 13: attribute 'os' is not allowed: it reaches the module 'os', which model code may not use, "
        "whatever the object; for a column or a field of that name write obj['os'] (itertuples rows: iterate "
        "df.to_dict('records'))"
    ]
