"""The validator's result types: one finding per problem, collected into a report."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

INVALID_SOURCE_HEADLINE = "The source code is invalid."


@dataclass(frozen=True, order=True)
class Finding:
    """One problem at a place in the source: `line` and `col` are 1-based.

    Line 0, col 0 means the source as a whole (a configured function that is missing has no line).
    """

    line: int
    col: int
    message: str

    @property
    def whole_source(self) -> bool:
        return self.line == 0

    def __str__(self) -> str:
        if self.whole_source:
            return self.message
        return f"line {self.line}, col {self.col}: {self.message}"


@dataclass(frozen=True)
class ValidationReport:
    """Every error (the source is invalid when there is one) and every warning, each sorted by position."""

    errors: tuple[Finding, ...]
    warnings: tuple[Finding, ...] = ()

    @classmethod
    def of(cls, errors: Iterable[Finding], warnings: Iterable[Finding] = ()) -> ValidationReport:
        """A report with findings deduplicated and sorted by (line, col, message)."""
        return cls(errors=tuple(sorted(set(errors))), warnings=tuple(sorted(set(warnings))))

    @property
    def ok(self) -> bool:
        return not self.errors

    def message(self) -> str:
        """The API's error text: the headline, then one `line L, col C: message` per error; "" when ok."""
        if self.ok:
            return ""
        return "\n".join([INVALID_SOURCE_HEADLINE, *(str(finding) for finding in self.errors)])
