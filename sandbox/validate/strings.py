"""Checks on string literals: introspection names hidden in strings, and str.format fields.

Strings reach attributes without an `ast.Attribute` node: `"{0.__class__}".format(x)` (R19),
`operator.attrgetter("__class__")` (R43), `typing` annotations, pandas `query`. A literal is checked where
it stands; a string built at run time is refused where it would be used that way (see the checker).
"""

from __future__ import annotations

import re
import string

from sandbox.validate.names import attribute_problem
from sandbox.validate.policy import STRING_DUNDER_PATTERN, STRING_FRAME_PATTERN

# The parts after the first name in a format field: `.attr` or `[key]`.
_FIELD_PART = re.compile(r"\.([^.\[]*)|\[([^\]]*)\]")
_FORMATTER = string.Formatter()


def introspection_name(text: str) -> str | None:
    """The first introspection name a string mentions (`__class__`, `.f_globals`), or None."""
    match = STRING_DUNDER_PATTERN.search(text) or STRING_FRAME_PATTERN.search(text)
    return None if match is None else match.group(0).lstrip(". \t")


def literal_problem(text: str) -> str | None:
    """Why a string literal is refused (it names an introspection attribute), or None."""
    found = introspection_name(text)
    if found is None:
        return None
    return (
        f"string literal mentions '{found}': introspection names in strings reach attributes through "
        "str.format, operator.attrgetter, eval-like library calls and the like"
    )


def format_field_problems(fmt: str) -> list[str]:
    """Why a str.format/format_map template is refused: fields reaching refused attributes (R19)."""
    problems: list[str] = []
    pending = [fmt]
    while pending:  # nested fields live in format specs: "{0:{1.__class__}}"
        text = pending.pop()
        try:
            parsed = list(_FORMATTER.parse(text))
        except ValueError:  # malformed: str.format itself raises before any lookup
            continue
        for _literal, field, spec, _conversion in parsed:
            if spec:
                pending.append(spec)
            if not field:
                continue
            for match in _FIELD_PART.finditer(field):
                attr, key = match.group(1), match.group(2)
                if attr is not None:
                    reason = attribute_problem(attr)
                else:
                    found = introspection_name(key or "")
                    reason = f"it names '{found}'" if found else None
                if attr is not None and reason is None and attr.startswith("_"):
                    reason = "private attributes are not reachable from format fields"
                if reason:
                    what = f"attribute '{attr}'" if attr is not None else f"key '{key}'"
                    problems.append(f"format field '{{{field}}}' is not allowed ({what}): {reason}")
                    break
    return problems
