"""The AST policy: RestrictedPython's reviewed node types plus this project's rules, reported as findings.

`PolicyChecker` subclasses RestrictedPython's `RestrictingNodeTransformer` for its deny-by-default property:
a node type without a `visit_*` method (new syntax such as `except*`, `type X = ...`) is refused until
someone reviews it. RestrictedPython also *rewrites* code for its run-time guards; a static verdict needs
none of that, so the walk here is our own (iterative: deep code cannot exhaust the stack), each node is
visited once with RestrictedPython's recursion switched off, and every rewriting or over-strict visitor is
overridden with a check-only one. Overrides that admit what RestrictedPython refuses say why.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from typing import Any

from RestrictedPython.transformer import RestrictingNodeTransformer

from sandbox.validate.imports import ModuleAliases, import_problems, path_problem
from sandbox.validate.names import attribute_problem, is_dunder, method_name_problem, name_problem
from sandbox.validate.policy import ALLOWED_METACLASSES, CHECKED_BUILTINS, PARTIAL_MODULES, REFUSED_BUILTINS
from sandbox.validate.report import Finding
from sandbox.validate.scopes import ScopeMap
from sandbox.validate.strings import format_field_problems, literal_problem
from sandbox.validate.tree import TreeIndex

# Messages for node types that are refused outright (inherited `not_allowed` visitors and unknown nodes).
_NOT_ALLOWED: dict[str, str] = {
    "TryStar": "try/except* is not allowed: exception groups were a RestrictedPython sandbox escape "
    "(CVE-2025-22153); catch with a plain except",
    "TypeAlias": "the type statement is not allowed yet: it has not been reviewed for model code; use an "
    "annotated assignment (X: TypeAlias = ...)",
}

_VisitResult = ast.AST | None


class PolicyChecker(RestrictingNodeTransformer):
    """Collects every policy finding in a module; `check(tree)` runs it. The tree is not modified."""

    def __init__(
        self, *, allowed_modules: frozenset[str], aliases: ModuleAliases, scopes: ScopeMap, index: TreeIndex
    ) -> None:
        super().__init__()
        self._index = index
        self.findings: list[Finding] = []
        self._allowed = allowed_modules
        self._aliases = aliases
        self._scopes = scopes
        self._where = (1, 0)  # position of the nearest enclosing node that has one
        self._checked: set[int] = set()  # ids of nodes an enclosing node has already checked
        self._partial_misuse: dict[str, list[str]] = {}  # module -> "sys._getframe (line 13)", ...
        self._attribute_bases: set[int] = set()  # ids of names read as `name.attr` (pre-order marks them)
        self._path_checked: set[int] = set()  # ids of attribute links whose module path was checked already
        self._methods: set[int] = set()  # ids of defs that sit directly in a class body
        self._dispatch: dict[type, Callable[[ast.AST], Any]] = {}

    def check(self, tree: ast.Module) -> list[Finding]:
        stack: list[tuple[ast.AST, tuple[int, int]]] = [(tree, (1, 0))]
        children = self._index.children
        while stack:  # pre-order: a node is visited before its children, so it can mark them
            node, where = stack.pop()
            line = getattr(node, "lineno", None)
            where = self._where = (line, getattr(node, "col_offset", 0)) if line is not None else where
            self.visit(node)
            stack.extend([(child, where) for child in reversed(children(node))])
        self._flag_partial_imports()
        return self.findings

    def visit(self, node: ast.AST) -> Any:
        """ast.NodeVisitor.visit with the method lookup done once per node type (it dominated the walk)."""
        kind = type(node)
        method = self._dispatch.get(kind)
        if method is None:
            method = self._dispatch[kind] = getattr(self, "visit_" + kind.__name__, self.generic_visit)
        return method(node)

    def _flag_partial_imports(self) -> None:
        """A refused use of a partly admitted module (`sys._getframe`) is also reported on its import, so the
        finding names the line that brought the module in as well as the line that misused it."""
        if not self._partial_misuse:
            return
        for node in self._index.nodes:
            if isinstance(node, ast.Import):
                modules = [alias.name.partition(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                modules = [(node.module or "").partition(".")[0]]
            else:
                continue
            for module in modules:
                misuses = self._partial_misuse.get(module)
                if misuses:
                    allowed = ", ".join(f"{module}.{a}" for a in sorted(PARTIAL_MODULES[module]))
                    self.error(
                        node,
                        f"import of '{module}' is not allowed for this code: it uses {', '.join(misuses)}; "
                        f"only {allowed} are available to models",
                    )

    # -- RestrictedPython hooks -----------------------------------------------------------------------------

    def error(self, node: ast.AST, info: str) -> None:
        line = getattr(node, "lineno", None)
        line, col = (line, getattr(node, "col_offset", 0)) if line is not None else self._where
        self.findings.append(Finding(line, col + 1, info))

    def warn(self, node: ast.AST, info: str) -> None:
        """RestrictedPython's warnings are about its print rewriting, which is not used here."""

    def not_allowed(self, node: ast.AST) -> None:
        kind = type(node).__name__
        self.error(node, _NOT_ALLOWED.get(kind, f"{kind} is not allowed: it has not been reviewed for model code"))

    def node_contents_visit(self, node: ast.AST) -> ast.AST:  # type: ignore[override]
        """No recursion and no rewriting: `check` walks the children itself."""
        return node

    def guard_iter(self, node: ast.For | ast.comprehension) -> ast.AST:
        """`for` loops and comprehensions need no static check (RestrictedPython wraps them in _getiter_)."""
        return node

    def check_name(self, node: ast.AST, name: str | None, allow_magic_methods: bool = False) -> None:
        """Our naming rule replaces RestrictedPython's, which refuses every `_`-prefixed name (`_helper`,
        `self._x` are ordinary Python; only dunders and guard-shaped `_name_` names are refused)."""
        reason = name_problem(name) if name else None
        if reason:
            self.error(node, f"name '{name}' is not allowed: {reason}")

    def check_function_argument_names(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        """Parameters are checked one by one in `visit_arg`, at their own position (R45: posonlyargs too)."""

    # -- module, statements -------------------------------------------------------------------------------

    def visit_Module(self, node: ast.Module) -> _VisitResult:
        """Admitted (RestrictedPython would inject its print collector here)."""
        return node

    def visit_Expr(self, node: ast.Expr) -> _VisitResult:
        """A bare string statement (docstring) is never used as a value: its text is not checked."""
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, (str, bytes)):
            self._checked.add(id(node.value))
        return node

    def visit_Assign(self, node: ast.Assign) -> _VisitResult:
        """Admitted; targets are checked as names, attributes and subscripts (RestrictedPython rewrites
        tuple unpacking for its guards)."""
        return node

    def visit_AugAssign(self, node: ast.AugAssign) -> _VisitResult:
        """`self.n += 1` and `counts[k] += 1` are ordinary code; RestrictedPython refuses them."""
        return node

    def visit_AnnAssign(self, node: ast.AnnAssign) -> _VisitResult:
        """Annotated assignments (`total: float = 0.0`, B07); RestrictedPython has no visitor for them."""
        return node

    def visit_With(self, node: ast.With) -> _VisitResult:
        """Admitted (RestrictedPython rewrites tuple targets for its guards)."""
        return node

    def visit_Nonlocal(self, node: ast.Nonlocal) -> _VisitResult:
        """Closures over enclosing locals are ordinary code; RestrictedPython refuses `nonlocal`."""
        for name in node.names:
            self.check_name(node, name)
        return node

    def visit_Global(self, node: ast.Global) -> _VisitResult:
        for name in node.names:
            self.check_name(node, name)
        return node

    def visit_Import(self, node: ast.Import) -> _VisitResult:
        self._check_import(node)
        return node

    def visit_ImportFrom(self, node: ast.ImportFrom) -> _VisitResult:
        self._check_import(node)
        return node

    def _check_import(self, node: ast.Import | ast.ImportFrom) -> None:
        for problem in import_problems(node, self._allowed):
            self.error(node, problem)
        for alias in node.names:
            if alias.name != "*" and not (isinstance(node, ast.ImportFrom) and node.module == "__future__"):
                self.check_name(alias, alias.asname or alias.name.partition(".")[0])

    # -- definitions ----------------------------------------------------------------------------------------

    def visit_FunctionDef(self, node: ast.FunctionDef) -> _VisitResult:
        if id(node) in self._methods:
            reason = method_name_problem(node.name)
            if reason:
                self.error(node, f"defining '{node.name}' is not allowed: {reason}")
        elif is_dunder(node.name):
            self.error(
                node,
                f"defining '{node.name}' outside a class is not allowed: module-level dunder functions "
                "change how the runtime sees the module",
            )
        else:
            self.check_name(node, node.name)
        return node

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> _VisitResult:
        """Coroutine helpers are plain code (asyncio itself is not importable, and their frame attributes are
        refused like a generator's); the role functions must be plain defs, which `functions` checks."""
        return self.visit_FunctionDef(node)  # type: ignore[arg-type]

    def visit_Await(self, node: ast.Await) -> _VisitResult:
        return node

    def visit_AsyncFor(self, node: ast.AsyncFor) -> _VisitResult:
        return node

    def visit_AsyncWith(self, node: ast.AsyncWith) -> _VisitResult:
        return node

    def visit_Lambda(self, node: ast.Lambda) -> _VisitResult:
        return node

    def visit_arg(self, node: ast.arg) -> _VisitResult:
        self.check_name(node, node.arg)
        return node

    def visit_ClassDef(self, node: ast.ClassDef) -> _VisitResult:
        self.check_name(node, node.name)
        self._methods.update(
            id(stmt) for stmt in node.body if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))
        )
        for keyword in node.keywords:
            if keyword.arg == "metaclass" and not set(self._aliases.paths_of(keyword.value)) & ALLOWED_METACLASSES:
                self.error(
                    keyword,
                    "metaclass= is not allowed except abc.ABCMeta: a metaclass runs code at class creation "
                    "and can change attribute lookup (inherit from abc.ABC instead)",
                )
        return node

    # -- names, attributes, strings -------------------------------------------------------------------------

    def visit_Name(self, node: ast.Name) -> _VisitResult:
        """Dunder and guard-shaped names are refused; so are refused builtins, unless the user binds the name
        in a function scope (a parameter called `input` is fine)."""
        name = node.id
        if id(node) in self._checked:
            return node
        reason = name_problem(name)
        partial = [p for p in self._aliases.paths.get(name, ()) if p in PARTIAL_MODULES]
        if reason:
            self.error(node, f"name '{name}' is not allowed: {reason}")
        elif partial and isinstance(node.ctx, ast.Load) and id(node) not in self._attribute_bases:
            allowed = ", ".join(f"{name}.{a}" for a in sorted(PARTIAL_MODULES[partial[0]]))
            self.error(node, f"module '{partial[0]}' may only be used as {allowed}, not as a value")
        elif isinstance(node.ctx, ast.Load) and not self._scopes.is_user_bound(node):
            if name in REFUSED_BUILTINS:
                reason = REFUSED_BUILTINS[name]
                self.error(node, f"name '{name}' is not allowed: {reason} (if it is your own variable, rename it)")
            elif name in CHECKED_BUILTINS:
                message = f"'{name}' may only be called directly, with literal arguments the validator can check"
                self.error(node, message)
        return node

    def visit_Attribute(self, node: ast.Attribute) -> _VisitResult:
        self._attribute_bases.add(id(node.value))
        reason = attribute_problem(node.attr)
        if reason:
            self.error(node, f"attribute '{node.attr}' is not allowed: {reason}")
        if id(node) not in self._path_checked:
            self._check_paths(node, self._aliases.paths_of(node))
            inner = node.value
            while isinstance(inner, ast.Attribute):  # one path finding per chain: inner links are prefixes
                self._path_checked.add(id(inner))
                inner = inner.value
        if not isinstance(node.ctx, ast.Load) and self._aliases.is_module(node.value):
            assert isinstance(node.value, ast.Name)  # is_module guarantees it; narrows the type
            self.error(
                node,
                f"assigning to '{node.value.id}.{node.attr}' is not allowed: it would change the module for "
                "all code in the sandbox, including the runtime; keep your own variable instead",
            )
        return node

    def visit_Subscript(self, node: ast.Subscript) -> _VisitResult:
        """Admitted (RestrictedPython routes item access through its _getitem_/_write_ guards)."""
        return node

    def visit_Constant(self, node: ast.Constant) -> _VisitResult:
        value = node.value
        if id(node) in self._checked or not isinstance(value, (str, bytes)):
            return node
        problem = literal_problem(value if isinstance(value, str) else value.decode("latin-1"))
        if problem:
            self.error(node, problem)
        return node

    # -- calls ----------------------------------------------------------------------------------------------

    def visit_Call(self, node: ast.Call) -> _VisitResult:
        """Refused and checked builtins, str.format templates, and calls into allowed modules whose arguments
        decide whether they unpickle (numpy.load, torch.load) or reach attributes by name (operator)."""
        func = node.func
        if isinstance(func, ast.Name) and not self._scopes.is_user_bound(func):
            self._check_builtin_call(node, func)
        if isinstance(func, ast.Attribute) and func.attr in ("format", "format_map"):
            self._check_format_call(node, func)
        if isinstance(func, ast.Attribute) and func.attr in _EXPRESSION_METHODS:
            self._check_expression_call(node, func.attr)
        for path in self._aliases.paths_of(func):
            self._check_module_call(node, path)
        return node

    def _check_builtin_call(self, node: ast.Call, func: ast.Name) -> None:
        name = func.id
        if name in REFUSED_BUILTINS:
            self._checked.add(id(func))
            self.error(node, f"call to '{name}' is not allowed: {REFUSED_BUILTINS[name]}")
        elif name in ("getattr", "hasattr", "setattr", "delattr"):
            self._checked.add(id(func))
            self._check_attr_builtin(node, name)
        elif name == "open":
            self._checked.add(id(func))
            self._check_open(node)
        elif name == "type" and (len(node.args) == 3 or _has_unpacking(node)):
            self.error(node, "type() with three arguments builds a class at run time: write a class statement")

    def _check_attr_builtin(self, node: ast.Call, name: str) -> None:
        if _has_unpacking(node) or len(node.args) < 2:
            self.error(node, f"{name}() must be called with an object and a literal attribute name")
            return
        target, attr_node = node.args[0], node.args[1]
        if not (isinstance(attr_node, ast.Constant) and isinstance(attr_node.value, str)):
            self.error(
                node,
                f"{name}() with an attribute name computed at run time is not allowed: write obj.attr, or "
                "keep the values in a dict",
            )
            return
        self._checked.add(id(attr_node))
        attr = attr_node.value
        reason = attribute_problem(attr)
        if reason:
            self.error(node, f"{name}(..., '{attr}') is not allowed: {reason}")
            return
        self._check_paths(node, [f"{path}.{attr}" for path in self._aliases.paths_of(target)])
        if name in ("setattr", "delattr") and self._aliases.is_module(target):
            message = f"{name}() on a module is not allowed: it would change the module for all code in the sandbox"
            self.error(node, message)

    def _check_open(self, node: ast.Call) -> None:
        """open() of a literal relative path only; the sandbox's open guard enforces the same at run time,
        and a path computed at run time (R35) cannot be judged here."""
        path_node = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "file"), None)
        if any(keyword.arg == "opener" for keyword in node.keywords) or len(node.args) >= 8:
            self.error(node, "call to 'open' with a custom opener is not allowed")
        if path_node is None or _has_unpacking(node):
            if _has_unpacking(node):
                self.error(node, "call to 'open' must name its file as a literal, not through *args/**kwargs")
            return
        # a literal, or a module constant bound once to one (`NOTES = "notes.json"`)
        value = path_node.value if isinstance(path_node, ast.Constant) else self._literal_string(path_node)
        if not isinstance(value, (str, bytes)):
            self.error(
                node,
                "call to 'open' with a path computed at run time is not allowed: open a file name literal "
                "relative to the working directory, such as open('model.json'), or a module constant bound once "
                "to one",
            )
            return
        path = value if isinstance(value, str) else value.decode("latin-1")
        parts = path.replace("\\", "/").split("/")
        if path.startswith(("/", "\\", "~")) or ".." in parts or (len(path) > 1 and path[1] == ":"):
            self.error(
                node,
                f"call to 'open' with the path '{path}' is not allowed: only relative names inside the "
                "working directory",
            )

    def _check_format_call(self, node: ast.Call, func: ast.Attribute) -> None:
        """str.format/format_map perform attribute and index lookups named in the template (R19)."""
        receiver = func.value
        template_node: ast.expr | None = receiver
        if isinstance(receiver, ast.Name) and receiver.id == "str" and not self._scopes.is_user_bound(receiver):
            template_node = node.args[0] if node.args else None  # str.format(template, ...)
        template = self._literal_string(template_node)
        if template is None:
            self.error(
                node,
                f".{func.attr}() on a string built at run time is not allowed: its fields can read "
                f"attributes; use an f-string or call .{func.attr}() on a string literal",
            )
            return
        problems = format_field_problems(template)
        if problems and template_node is not None:
            self._checked.add(id(template_node))
        for problem in problems:
            self.error(node, problem)

    def _check_expression_call(self, node: ast.Call, method: str) -> None:
        """pandas.eval, DataFrame.eval and DataFrame.query evaluate their string as Python (engine="python"
        walks attributes, dunders included): only a literal expression, which the literal rules check, is
        admitted. `model.eval()` with no expression (torch) is not this."""
        expression = _argument(node, 0, "expr")
        if expression is None and not _has_unpacking(node):
            return
        if _has_unpacking(node) or self._literal_string(expression) is None:
            self.error(
                node,
                f".{method}() with an expression built at run time is not allowed: it evaluates the string as "
                "code; write the expression as a string literal, or use ordinary column operations",
            )

    def _literal_string(self, node: ast.expr | None) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            return self._scopes.module_string(node)
        return None

    def _check_module_call(self, node: ast.Call, path: str) -> None:
        if path == "numpy.load":
            flag = _argument(node, 2, "allow_pickle")
            if _has_unpacking(node) or (
                flag is not None and not (isinstance(flag, ast.Constant) and flag.value is False)
            ):
                message = "numpy.load with allow_pickle is not allowed: loading pickled arrays runs arbitrary code"
                self.error(node, message + "; save plain arrays")
        elif path == "torch.load":
            flag = _argument(node, None, "weights_only")
            if not (isinstance(flag, ast.Constant) and flag.value is True):
                message = "torch.load is only allowed with weights_only=True: full unpickling runs arbitrary code"
                self.error(node, message)
        elif path in ("operator.attrgetter", "operator.methodcaller"):
            self._check_operator_call(node, path)
        elif path == "pandas.eval" and not isinstance(node.func, ast.Attribute):  # `ev = pd.eval; ev(text)`
            self._check_expression_call(node, "eval")
        elif path in ("logging.Formatter", "logging.basicConfig"):
            self._check_logging_format(node, path)

    def _check_logging_format(self, node: ast.Call, path: str) -> None:
        """A "{"-style logging format is a str.format template applied to the log record (R19 by another
        door): literal templates only, with the same field rules."""
        is_formatter = path == "logging.Formatter"
        style = _argument(node, 2 if is_formatter else None, "style")
        if style is None or (isinstance(style, ast.Constant) and style.value in ("%", "$")):
            return
        template_node = _argument(node, 0 if is_formatter else None, "fmt" if is_formatter else "format")
        template = "" if template_node is None else self._literal_string(template_node)
        if template is None or not isinstance(style, ast.Constant) or _has_unpacking(node):
            message = f"{path} with a '{{'-style format built at run time is not allowed: write it as a literal"
            self.error(node, message)
            return
        for problem in format_field_problems(template):
            self.error(node, problem)

    def _check_operator_call(self, node: ast.Call, path: str) -> None:
        """attrgetter/methodcaller are getattr by another name (R43): literal, allowed names only."""
        names = node.args if path == "operator.attrgetter" else node.args[:1]
        if _has_unpacking(node) or not names:
            self.error(node, f"{path} must be given literal attribute names")
            return
        for name_node in names:
            if not (isinstance(name_node, ast.Constant) and isinstance(name_node.value, str)):
                message = f"{path} with an attribute name computed at run time is not allowed"
                self.error(node, message + ": use a lambda that reads the attribute")
                continue
            self._checked.add(id(name_node))
            for attr in name_node.value.split("."):
                reason = attribute_problem(attr)
                if reason:
                    self.error(node, f"{path}('{name_node.value}') is not allowed: attribute '{attr}': {reason}")
                    break

    def _check_paths(self, node: ast.AST, paths: Iterable[str]) -> None:
        for path in paths:
            refused = path_problem(path, imported=False)
            if refused:
                self.error(node, f"'{refused[0]}' is not allowed: {refused[1]}")
                root = refused[0].partition(".")[0]
                if root in PARTIAL_MODULES:
                    where = f"{refused[0]} (line {getattr(node, 'lineno', '?')})"
                    self._partial_misuse.setdefault(root, []).append(where)

    # -- match statements (RestrictedPython has no visitors for them) --------------------------------------

    def visit_Match(self, node: ast.Match) -> _VisitResult:
        return node

    def visit_match_case(self, node: ast.match_case) -> _VisitResult:
        return node

    def visit_MatchValue(self, node: ast.MatchValue) -> _VisitResult:
        return node

    def visit_MatchSingleton(self, node: ast.MatchSingleton) -> _VisitResult:
        return node

    def visit_MatchSequence(self, node: ast.MatchSequence) -> _VisitResult:
        return node

    def visit_MatchOr(self, node: ast.MatchOr) -> _VisitResult:
        return node

    def visit_MatchMapping(self, node: ast.MatchMapping) -> _VisitResult:
        self.check_name(node, node.rest)
        return node

    def visit_MatchClass(self, node: ast.MatchClass) -> _VisitResult:
        """`case C(attr=...)` reads `attr` from the subject: the attribute rules apply."""
        for attr in node.kwd_attrs:
            reason = attribute_problem(attr)
            if reason:
                self.error(node, f"attribute '{attr}' is not allowed in a class pattern: {reason}")
        return node

    def visit_MatchStar(self, node: ast.MatchStar) -> _VisitResult:
        self.check_name(node, node.name)
        return node

    def visit_MatchAs(self, node: ast.MatchAs) -> _VisitResult:
        self.check_name(node, node.name)
        return node


def _has_unpacking(node: ast.Call) -> bool:
    return any(isinstance(arg, ast.Starred) for arg in node.args) or any(k.arg is None for k in node.keywords)


_EXPRESSION_METHODS = frozenset({"eval", "query"})  # pandas.eval, DataFrame.eval, DataFrame.query


def _argument(node: ast.Call, position: int | None, keyword: str) -> ast.expr | None:
    """The expression passed for a parameter, by keyword or (when `position` is given) positionally."""
    for item in node.keywords:
        if item.arg == keyword:
            return item.value
    if position is not None and len(node.args) > position:
        return node.args[position]
    return None
