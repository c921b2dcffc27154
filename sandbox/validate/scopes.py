"""Python's scoping rules, statically: does a name refer to a user binding or (possibly) to a builtin?

`input`, `type` or `open` as a parameter or local variable is ordinary code; the same name read at module
level, in a class body, or in a function that never binds it may reach the builtin. Only bindings in
function scopes (functions, lambdas, comprehensions) count as user bindings: a module-level assignment may
not have run yet when the name is read (`if False: eval = None`), so module names are never trusted.
The walk is iterative: deeply nested code cannot exhaust the validator's stack.
"""

from __future__ import annotations

import ast
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from sandbox.validate.tree import TreeIndex

_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


@dataclass(eq=False)
class _Scope:
    kind: Literal["module", "class", "function", "comprehension"]
    parent: _Scope | None
    bound: set[str] = field(default_factory=set)
    declared_global: set[str] = field(default_factory=set)
    declared_nonlocal: set[str] = field(default_factory=set)


# Node types `_visit` looks at; every other node binds nothing and opens no scope (the walk's fast path).
_BINDING_NODES: frozenset[type[ast.AST]] = frozenset(
    {
        ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef,
        ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.NamedExpr,
        ast.Name, ast.Global, ast.Nonlocal, ast.Import, ast.ImportFrom,
        ast.ExceptHandler, ast.MatchAs, ast.MatchStar, ast.MatchMapping, ast.Assign, ast.AnnAssign,
    }
)  # fmt: skip


class ScopeMap:
    """The scope of every `ast.Name` in a module, and what each scope binds."""

    def __init__(self, index: TreeIndex) -> None:
        self._index = index
        self._module = _Scope("module", None)
        self._scope_of: dict[int, _Scope] = {}
        self._module_bindings: Counter[str] = Counter()
        self._module_strings: dict[str, str] = {}
        self._globals_anywhere: set[str] = set()
        self._walk(index.tree)

    def is_user_bound(self, node: ast.Name) -> bool:
        """True when `node` resolves to a function-scope binding (a local, a parameter or a closure cell)."""
        start = self._scope_of.get(id(node), self._module)
        scope: _Scope | None = start
        while scope is not None:
            if scope.kind == "module" or (scope.kind == "class" and scope is start):
                return False  # a global: may fall through to the builtins
            if scope.kind != "class":  # class bodies are invisible to the functions nested in them
                if node.id in scope.declared_global:
                    return False
                if node.id in scope.bound or node.id in scope.declared_nonlocal:
                    return True
            scope = scope.parent
        return False  # pragma: no cover - the chain always ends at the module

    def module_string(self, node: ast.Name) -> str | None:
        """The value of a module constant bound exactly once to a string literal (`TEMPLATE = "..."`), if
        `node` reads it; None otherwise."""
        scope = self._scope_of.get(id(node), self._module)
        if self.is_user_bound(node) or (scope.kind == "class" and node.id in scope.bound):
            return None
        if self._module_bindings[node.id] != 1 or node.id in self._globals_anywhere:
            return None
        return self._module_strings.get(node.id)

    # -- the walk ---------------------------------------------------------------------------------------

    def _walk(self, tree: ast.Module) -> None:
        stack: list[tuple[ast.AST, _Scope]] = [(tree, self._module)]
        children = self._index.children
        while stack:
            node, scope = stack.pop()
            if type(node) in _BINDING_NODES:
                stack.extend(self._visit(node, scope))
            else:  # most nodes bind nothing and open no scope: their children share it
                stack.extend([(child, scope) for child in children(node)])

    def _visit(self, node: ast.AST, scope: _Scope) -> list[tuple[ast.AST, _Scope]]:
        """Record what `node` binds; return its children, each paired with the scope it is evaluated in."""
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            return self._visit_function(node, scope)
        if isinstance(node, ast.ClassDef):
            self._bind(scope, node.name)
            inner = _Scope("class", scope)
            outer: list[ast.AST] = [*node.bases, *node.keywords, *node.decorator_list]
            return [(child, scope) for child in outer] + [(child, inner) for child in node.body]
        if isinstance(node, _COMPREHENSIONS):
            return self._visit_comprehension(node, scope)
        if isinstance(node, ast.NamedExpr):  # binds in the nearest enclosing non-comprehension scope
            target_scope = scope
            while target_scope.kind == "comprehension" and target_scope.parent is not None:
                target_scope = target_scope.parent
            self._scope_of[id(node.target)] = target_scope
            self._bind(target_scope, node.target.id)
            return [(node.value, scope)]
        if isinstance(node, ast.Name):
            self._scope_of[id(node)] = scope
            if not isinstance(node.ctx, ast.Load):
                self._bind(scope, node.id)
        elif isinstance(node, ast.Global):
            scope.declared_global.update(node.names)
            self._globals_anywhere.update(node.names)
        elif isinstance(node, ast.Nonlocal):
            scope.declared_nonlocal.update(node.names)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name != "*":
                    self._bind(scope, alias.asname or alias.name.partition(".")[0])
        elif isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) and node.name:
            self._bind(scope, node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            self._bind(scope, node.rest)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and scope is self._module:
            self._note_module_string(node)
        return [(child, scope) for child in self._index.children(node)]

    def _visit_function(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, scope: _Scope
    ) -> list[tuple[ast.AST, _Scope]]:
        args = node.args
        inner = _Scope("function", scope)
        params = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
        inner.bound.update(param.arg for param in params if param is not None)
        # Defaults, decorators and annotations are evaluated where the function is defined.
        outer: list[ast.AST] = [*args.defaults, *(d for d in args.kw_defaults if d is not None)]
        outer += [param.annotation for param in params if param is not None and param.annotation is not None]
        if isinstance(node, ast.Lambda):
            return [(child, scope) for child in outer] + [(node.body, inner)]
        self._bind(scope, node.name)
        outer += [*node.decorator_list, *([node.returns] if node.returns else [])]
        return [(child, scope) for child in outer] + [(child, inner) for child in node.body]

    def _visit_comprehension(
        self, node: ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp, scope: _Scope
    ) -> list[tuple[ast.AST, _Scope]]:
        inner = _Scope("comprehension", scope)
        children: list[tuple[ast.AST, _Scope]] = []
        for index, generator in enumerate(node.generators):
            # The first iterable is evaluated in the enclosing scope, everything else in the comprehension's.
            children.append((generator.iter, scope if index == 0 else inner))
            children.append((generator.target, inner))
            children.extend((condition, inner) for condition in generator.ifs)
        parts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
        return children + [(part, inner) for part in parts]

    def _bind(self, scope: _Scope, name: str) -> None:
        scope.bound.add(name)
        if scope is self._module:
            self._module_bindings[name] += 1

    def _note_module_string(self, node: ast.Assign | ast.AnnAssign) -> None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        value = node.value
        if (
            len(targets) == 1
            and isinstance(targets[0], ast.Name)
            and isinstance(value, ast.Constant)
            and isinstance(value.value, str)
        ):
            self._module_strings[targets[0].id] = value.value
