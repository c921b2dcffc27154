"""The static validator: checks model source without importing or running it, and reports every finding.

Early feedback, not the security boundary (the sandbox is): deny-by-default on syntax, an import
allowlist, refused introspection and dynamic-code constructs, and the user-function contract. See DESIGN
"The validator" and `policy` for what is allowed and why.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

from sandbox.contract import FunctionNames
from sandbox.validate.allowlist import NEVER_ALLOWED
from sandbox.validate.functions import check_functions
from sandbox.validate.imports import ModuleAliases
from sandbox.validate.policy import DEFAULT_ALLOWED_MODULES, REFUSED_MODULE_HINTS
from sandbox.validate.report import Finding, ValidationReport
from sandbox.validate.requirements import RequirementError, parse_requirements, requirement_import_names
from sandbox.validate.scopes import ScopeMap
from sandbox.validate.source import parse_source
from sandbox.validate.transformer import PolicyChecker
from sandbox.validate.tree import TreeIndex

__all__ = [
    "DEFAULT_ALLOWED_MODULES",
    "Finding",
    "admissible_extra_modules",
    "RequirementError",
    "ValidationReport",
    "parse_requirements",
    "requirement_import_names",
    "validate_source",
]

_STDLIB = frozenset(sys.stdlib_module_names)


def admissible_extra_modules(names: Iterable[str]) -> frozenset[str]:
    """The import names a model's `packageRequirements` may add to the allowlist. They come from the user, so
    they never admit a standard-library module (a requirement named `os` or `importlib` exists on PyPI), a
    refused module (`cloudpickle`, the runtime's own packages) or a private name. The validator and the
    sandbox's import hook both use this, so they agree."""
    admissible = frozenset(name for name in names if name.isidentifier() and not name.startswith("_"))
    return admissible - _STDLIB - REFUSED_MODULE_HINTS.keys() - NEVER_ALLOWED


def validate_source(
    source: str | bytes,
    *,
    functions: FunctionNames,
    n_tables: int,
    allowed_modules: frozenset[str] | None = None,
    extra_modules: Iterable[str] = (),
) -> ValidationReport:
    """Every finding about `source` as a model with these function names and `n_tables` training tables.

    `allowed_modules` (None: `DEFAULT_ALLOWED_MODULES`) is the operator's allowlist; `extra_modules` are the
    import names of the model's `packageRequirements` (filtered by `admissible_extra_modules`).
    Never raises for bad source: syntax errors, bad encodings and absurd nesting are findings too.
    """
    if n_tables < 0:
        raise ValueError(f"n_tables must be 0 or more (got {n_tables})")
    allowed = DEFAULT_ALLOWED_MODULES if allowed_modules is None else frozenset(allowed_modules)
    allowed |= admissible_extra_modules(extra_modules)
    tree, errors = parse_source(source)
    if tree is None:
        return ValidationReport.of(errors)
    try:
        index = TreeIndex(tree)
        checker = PolicyChecker(
            allowed_modules=allowed, aliases=ModuleAliases.collect(index), scopes=ScopeMap(index), index=index
        )
        errors += checker.check(tree)
        function_errors, warnings = check_functions(tree, functions, n_tables)
    except (RecursionError, MemoryError):  # the passes are iterative; this is a backstop, not a path
        errors.append(Finding(1, 1, "the source is too large or nested too deeply to check"))
        return ValidationReport.of(errors)
    return ValidationReport.of(errors + function_errors, warnings)
