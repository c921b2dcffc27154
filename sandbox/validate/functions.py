"""The user-function contract, checked on the AST: each configured name is a top-level `def` whose
parameters accept what the runtime passes (DESIGN "The user function contract")."""

from __future__ import annotations

import ast
import keyword

from sandbox.contract import FunctionNames
from sandbox.validate.report import Finding

# The API field that configures each role: messages name what the user set.
API_FIELDS: dict[str, str] = {
    "train": "trainFunctionName",
    "predict": "predictFunctionName",
    "predict_many": "predictManyFunctionName",
    "initialize": "initializeFunctionName",
}

# Positional arguments the runtime passes to each serving role.
_SERVING_ARGS: dict[str, tuple[str, ...]] = {
    "predict": ("model", "query"),
    "predict_many": ("model", "queries"),
    "initialize": ("model",),
}

TRAINING_CONFIG = "training_config"  # passed by keyword, only when train has a parameter of that name

_Def = ast.FunctionDef | ast.AsyncFunctionDef


def check_functions(tree: ast.Module, functions: FunctionNames, n_tables: int) -> tuple[list[Finding], list[Finding]]:
    """(errors, warnings) about the configured functions."""
    bindings = _last_top_level_bindings(tree)
    errors: list[Finding] = []
    for role, name in functions.named().items():
        field = API_FIELDS[role]
        if not name.isidentifier() or keyword.iskeyword(name):
            errors.append(Finding(0, 0, f"{field} '{name}' is not a valid Python function name"))
            continue
        stmt = bindings.get(name)
        if stmt is None:
            errors.append(
                Finding(0, 0, f"{field} '{name}' is not defined as a top-level function{_nested_hint(tree, name)}")
            )
        elif not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            message = (
                f"{field} '{name}' must be a top-level def, but this {_kind(stmt)} binds the name last; "
                f"write def {name}(...) at the top level"
            )
            errors.append(Finding(stmt.lineno, stmt.col_offset + 1, message))
        elif isinstance(stmt, ast.AsyncFunctionDef):
            message = (
                f"{field} '{name}' is an async def: the runtime calls model functions synchronously; "
                f"write def {name}(...) (async helpers are fine)"
            )
            errors.append(Finding(stmt.lineno, stmt.col_offset + 1, message))
        else:
            problem = _arity_problem(role, stmt, n_tables)
            if problem:
                errors.append(Finding(stmt.lineno, stmt.col_offset + 1, f"{field} '{name}' {problem}"))
    return errors, _warnings(functions, bindings)


def _warnings(functions: FunctionNames, bindings: dict[str, ast.stmt]) -> list[Finding]:
    """A function the source defines under a role's usual name but the model does not use (a model without
    predict_many is fine: batches map predict)."""
    warnings: list[Finding] = []
    for role, field, configured, effect in (
        (
            "predict_many",
            "predictManyFunctionName",
            functions.predict_many,
            "batch predictions call predict once per query",
        ),
        ("initialize", "initializeFunctionName", functions.initialize, "the trained object is served as it is"),
    ):
        candidate = bindings.get(role)
        if configured is None and isinstance(candidate, ast.FunctionDef):
            message = f"the source defines '{role}' but {field} is not set, so it is never called ({effect}): set it"
            warnings.append(Finding(candidate.lineno, candidate.col_offset + 1, message))
    return warnings


def _arity_problem(role: str, fn: ast.FunctionDef, n_tables: int) -> str | None:
    """Why the runtime's call would not bind to `fn`'s parameters, or None."""
    args = fn.args
    params = [*args.posonlyargs, *args.args]
    names = [param.arg for param in params]
    keyword_name = TRAINING_CONFIG if role == "train" else None
    if role == "train":
        n = n_tables
        wanted = f"{n} positional argument{'s' if n != 1 else ''} (one DataFrame per training input table)"
    else:
        n = len(_SERVING_ARGS[role])
        wanted = f"{n} positional argument{'s' if n != 1 else ''} ({', '.join(_SERVING_ARGS[role])})"
    if keyword_name in [param.arg for param in args.posonlyargs]:
        return f"must take {keyword_name} as an ordinary parameter: the runtime passes it by keyword"
    if keyword_name in names[:n]:
        position = names.index(keyword_name) + 1
        return f"must accept {wanted} before {keyword_name}, but {keyword_name} is parameter {position}"
    if len(params) < n and args.vararg is None:
        return f"must accept {wanted}, but it takes {len(params)} ({', '.join(names) or 'none'})"
    n_required = len(params) - len(args.defaults)
    missing = [name for index, name in enumerate(names) if index >= n and index < n_required and name != keyword_name]
    if missing:
        return f"must accept {wanted}, but it also requires {', '.join(missing)}, which the runtime never passes"
    required_kwonly = [
        param.arg
        for param, default in zip(args.kwonlyargs, args.kw_defaults, strict=True)
        if default is None and param.arg != keyword_name
    ]
    if required_kwonly:
        listed = ", ".join(required_kwonly)
        return f"has keyword-only parameters without defaults ({listed}), which the runtime never passes"
    return None


def _last_top_level_bindings(tree: ast.Module) -> dict[str, ast.stmt]:
    """Name -> the last unconditional top-level statement binding it: that is what the runtime looks up."""
    last: dict[str, ast.stmt] = {}
    for stmt in tree.body:
        for name in _bound_names(stmt):
            last[name] = stmt
    return last


def _bound_names(stmt: ast.stmt) -> list[str]:
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [stmt.name]
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return [alias.asname or alias.name.partition(".")[0] for alias in stmt.names if alias.name != "*"]
    targets: list[ast.expr] = []
    if isinstance(stmt, ast.Assign):
        targets = list(stmt.targets)
    elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign)) and (not isinstance(stmt, ast.AnnAssign) or stmt.value):
        targets = [stmt.target]
    names = []
    while targets:
        target = targets.pop()
        if isinstance(target, ast.Name):
            names.append(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            targets.extend(target.elts)
        elif isinstance(target, ast.Starred):
            targets.append(target.value)
    return names


def _kind(stmt: ast.stmt) -> str:
    return {
        "ClassDef": "class statement",
        "Import": "import",
        "ImportFrom": "import",
    }.get(type(stmt).__name__, "assignment")


def _nested_hint(tree: ast.Module, name: str) -> str:
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            return f" (a def at line {node.lineno} is nested inside another statement; move it to the top level)"
    return ""
