"""How `pymodel check` prints findings: compiler-style text, JSON for tools, GitHub workflow annotations."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sandbox.validate import Finding, ValidationReport


class CheckFormat(StrEnum):
    text = "text"
    json = "json"
    github = "github"


@dataclass(frozen=True)
class FileReport:
    path: str
    report: ValidationReport


def render(results: Sequence[FileReport], fmt: CheckFormat) -> str:
    if fmt is CheckFormat.json:
        return json.dumps([_as_json(result) for result in results], indent=2)
    lines: list[str] = []
    for result in results:
        if fmt is CheckFormat.github:
            lines += [_annotation("error", result.path, f) for f in result.report.errors]
            lines += [_annotation("warning", result.path, f) for f in result.report.warnings]
        else:
            lines += [f"{_place(result.path, f)}: {f.message}" for f in result.report.errors]
            lines += [f"{_place(result.path, f)}: warning: {f.message}" for f in result.report.warnings]
            if result.report.ok:
                lines.append(f"{result.path}: ok")
    return "\n".join(lines)


def _place(path: str, finding: Finding) -> str:
    """`FILE:LINE:COL` as compilers print it; just `FILE` for a finding about the source as a whole."""
    return path if finding.whole_source else f"{path}:{finding.line}:{finding.col}"


def _annotation(level: str, path: str, finding: Finding) -> str:
    """A workflow command: `::error file=F,line=L,col=C::message`, escaped as GitHub's runner expects."""
    where = f"file={_escape_property(path)}"
    if not finding.whole_source:
        where += f",line={finding.line},col={finding.col}"
    return f"::{level} {where}::{_escape_data(finding.message)}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _as_json(result: FileReport) -> dict[str, object]:
    def items(findings: tuple[Finding, ...]) -> list[dict[str, object]]:
        return [{"line": f.line, "col": f.col, "message": f.message} for f in findings]

    return {
        "file": result.path,
        "ok": result.report.ok,
        "errors": items(result.report.errors),
        "warnings": items(result.report.warnings),
    }
