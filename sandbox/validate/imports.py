"""The import allowlist and the module paths model code reaches through imported names.

`import a.b as c`, `from a.b import c`, and attribute chains rooted at an imported name (`pd.io.common.os`)
are all resolved to full dotted paths, which are checked against the allowlist (top-level module) and the
refused paths of `policy` (prefix match on the full path: R25).
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from dataclasses import dataclass

from sandbox.validate.names import attribute_problem, is_dunder, is_private
from sandbox.validate.policy import PARTIAL_MODULES, REFUSED_MODULE_HINTS, REFUSED_MODULE_PATHS
from sandbox.validate.tree import TreeIndex

_STDLIB = frozenset(sys.stdlib_module_names)
_MAX_COPY_HOPS = 8


@dataclass(frozen=True)
class ModuleAliases:
    """What local names stand for: `pd` -> {"pandas"}, `load` -> {"joblib.load"}.

    Collected from every import in the file (any scope) and from plain copies such as `xp = np`. It is
    deliberately scope-blind: a name that stands for a module anywhere is treated as that module everywhere.
    """

    paths: dict[str, frozenset[str]]
    modules: frozenset[str]  # names bound by `import x` / `import x as y`: certainly modules

    @classmethod
    def collect(cls, index: TreeIndex) -> ModuleAliases:
        paths: defaultdict[str, set[str]] = defaultdict(set)
        modules: set[str] = set()
        copies: list[tuple[str, ast.expr]] = []
        for node in index.nodes:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    local = alias.asname or alias.name.partition(".")[0]
                    paths[local].add(alias.name if alias.asname else local)
                    modules.add(local)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    if alias.name != "*":
                        paths[alias.asname or alias.name].add(f"{node.module}.{alias.name}")
            elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                copies.append((node.targets[0].id, node.value))
        # Propagate copies (`xp = np`, `lin = np.linalg`). A self-referencing copy (`x = x.child`) grows
        # without end, so the number of hops followed is bounded; the attribute-name rules still apply.
        for _ in range(_MAX_COPY_HOPS):
            aliases = cls(paths={k: frozenset(v) for k, v in paths.items()}, modules=frozenset(modules))
            changed = False
            for target, value in copies:
                new = set(aliases.paths_of(value)) - paths[target]
                if new:
                    paths[target] |= new
                    changed = True
            if not changed:
                break
        return cls(paths={k: frozenset(v) for k, v in paths.items()}, modules=frozenset(modules))

    def paths_of(self, expr: ast.expr) -> list[str]:
        """The dotted paths `expr` may stand for: `pd.io.common` -> ["pandas.io.common"]; [] if unknown."""
        attrs: list[str] = []
        while isinstance(expr, ast.Attribute):
            attrs.append(expr.attr)
            expr = expr.value
        if not isinstance(expr, ast.Name):
            return []
        suffix = "".join(f".{attr}" for attr in reversed(attrs))
        return sorted(f"{base}{suffix}" for base in self.paths.get(expr.id, ()))

    def is_module(self, expr: ast.expr) -> bool:
        return isinstance(expr, ast.Name) and expr.id in self.modules


def path_problem(path: str, *, imported: bool) -> tuple[str, str] | None:
    """The refused part of a dotted path inside an allowed package and why, or None.

    Private components (`pandas._libs`, `random._os`) are internals. For attribute chains the rule applies
    only while the chain still looks like modules (lowercase components), so a class's private attribute
    (`BaseEstimator._get_param_names`) is not mistaken for a module's.
    """
    parts = path.split(".")
    partial = PARTIAL_MODULES.get(parts[0])
    if partial is not None and len(parts) > 1 and parts[1] not in partial:
        available = ", ".join(f"{parts[0]}.{a}" for a in sorted(partial))
        return f"{parts[0]}.{parts[1]}", f"only {available} are available to models"
    for end in range(1, len(parts) + 1):
        prefix = ".".join(parts[:end])
        if prefix in REFUSED_MODULE_PATHS:
            return prefix, REFUSED_MODULE_PATHS[prefix]
    for index, part in enumerate(parts[1:], start=1):
        if not imported and not all(p.islower() or p.isdigit() for p in parts[:index]):
            break
        if is_private(part):
            return ".".join(parts[: index + 1]), "private members of modules are internals"
    return None


def import_problems(node: ast.Import | ast.ImportFrom, allowed: frozenset[str]) -> list[str]:
    """Why an import statement is refused (one message per refused name), or []."""
    if isinstance(node, ast.ImportFrom):
        return _import_from_problems(node, allowed)
    problems = []
    for alias in node.names:
        problem = _module_problem(alias.name, allowed)
        if problem:
            problems.append(problem)
    return problems


def _import_from_problems(node: ast.ImportFrom, allowed: frozenset[str]) -> list[str]:
    if node.level:
        written = "." * node.level + (node.module or "")
        return [
            f"relative import 'from {written} import ...' is not allowed: the model is a single file; import "
            "installed modules by their full name"
        ]
    module = node.module or ""
    problem = _module_problem(module, allowed)
    if problem:
        return [problem]
    problems = []
    for alias in node.names:
        if alias.name == "*":
            problems.append(f"'from {module} import *' is not allowed: import the names you use")
            continue
        refused = path_problem(f"{module}.{alias.name}", imported=True)
        reason = refused[1] if refused else attribute_problem(alias.name)
        if reason is None and is_dunder(alias.name) and module != "__future__":
            reason = "dunder names reach the interpreter's internals"
        if reason:
            name = refused[0] if refused else f"{module}.{alias.name}"
            problems.append(f"import of '{name}' is not allowed: {reason}")
    return problems


def _module_problem(name: str, allowed: frozenset[str]) -> str | None:
    top = name.partition(".")[0]
    if top not in allowed:
        if top in REFUSED_MODULE_HINTS:
            why = REFUSED_MODULE_HINTS[top]
        elif top in _STDLIB:
            why = "it is outside the standard-library subset available to models"
        else:
            why = "add the package that provides it to packageRequirements"
        return f"import of '{top}' is not allowed: {why}"
    if top == "__future__":
        return None
    refused = path_problem(name, imported=True)
    return f"import of '{refused[0]}' is not allowed: {refused[1]}" if refused else None
