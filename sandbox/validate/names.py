"""Rules for identifiers: which names model code may bind or read, and which attributes it may touch.

Shared by every spelling that reaches an attribute: `obj.attr`, `getattr(obj, "attr")`,
`operator.attrgetter("a.b")`, `from mod import attr`, `case Cls(attr=...)` and str.format fields.
Identifiers arrive NFKC-normalised from `ast` (PEP 3131), so `ｏｓ` is checked as `os` (R17).
"""

from __future__ import annotations

import re

from sandbox.validate.policy import (
    ALLOWED_DUNDER_NAMES,
    DEFINABLE_DUNDER_METHODS,
    FRAME_ATTRIBUTES,
    MODULE_ATTRIBUTE_NAMES,
    READABLE_DUNDER_ATTRIBUTES,
    REFUSED_ATTRIBUTE_NAMES,
    REFUSED_DUNDER_METHODS,
)

# `_name_`: the shape of RestrictedPython-style guard hooks (`_write_`, `_getattr_`, `_getiter_`, ...).
# Binding such a name would shadow the guard the restricted runtime injects (R45).
_GUARD_NAME = re.compile(r"^_[A-Za-z0-9][A-Za-z0-9_]*_$")

# Data-model names that are also module-level hooks (PEP 562): bound at module level they change how the
# runtime sees the module, so they are not admitted as plain names.
_MODULE_HOOKS = frozenset({"__getattr__", "__dir__"})


def is_dunder(name: str) -> bool:
    return len(name) > 4 and name.startswith("__") and name.endswith("__")


def is_private(name: str) -> bool:
    """`_x` or `__x` but not a dunder and not `_` itself."""
    return name.startswith("_") and name != "_" and not is_dunder(name)


def name_problem(name: str) -> str | None:
    """Why a plain name (bound or read) is refused, or None. Dunder *method* definitions are checked apart."""
    if is_dunder(name):
        if name in ALLOWED_DUNDER_NAMES or name in DEFINABLE_DUNDER_METHODS - _MODULE_HOOKS:
            return None  # `__repr__ = __str__` in a class body aliases a data-model method
        return "dunder names reach the interpreter's internals"
    if _GUARD_NAME.match(name):
        return "names of the form _name_ are reserved for the sandbox's guards"
    return None


def method_name_problem(name: str) -> str | None:
    """Why a `def` of this name inside a class body is refused, or None."""
    if name in REFUSED_DUNDER_METHODS:
        return REFUSED_DUNDER_METHODS[name]
    if is_dunder(name) and name not in DEFINABLE_DUNDER_METHODS:
        return "it is not one of the data-model methods a model class may define"
    return name_problem(name) if not is_dunder(name) else None


def attribute_problem(attr: str) -> str | None:
    """Why reading or writing `obj.<attr>` is refused on any object, or None."""
    if is_dunder(attr):
        if attr in REFUSED_DUNDER_METHODS:
            return REFUSED_DUNDER_METHODS[attr]
        if attr in READABLE_DUNDER_ATTRIBUTES or attr in DEFINABLE_DUNDER_METHODS:
            return None
        return "dunder attributes reach the interpreter's internals"
    if attr in FRAME_ATTRIBUTES:
        return "frame, code and generator internals lead to the runtime's globals"
    module = attr.lstrip("_").lower()
    if module in MODULE_ATTRIBUTE_NAMES:
        return (
            f"it reaches the module '{module}', which model code may not use, whatever the object; for a column "
            f"or a field of that name write obj['{attr}'] (itertuples rows: iterate df.to_dict('records'))"
        )
    return REFUSED_ATTRIBUTE_NAMES.get(attr)
