"""Run-time guards for the user module: the builtins it sees, its import hook and its `open`.

Defence in depth behind the static validator; the process or container sandbox is the boundary. Only code
compiled from the user's source sees these builtins: numpy, pandas and every other library keep the real
ones, so their internal imports and file access work as usual.

`open` policy: model code may open files by path inside its working directory (files `train` writes there
are kept with the version) and inside the job's private temp dir; absolute or relative paths that resolve
(symlinks included) anywhere else are refused, and so are file descriptors and custom openers, since an fd
number could name the worker's result channel. The host's /tmp is refused on purpose: it is shared with
other jobs and with the host.
"""

from __future__ import annotations

import builtins
import os
import types
from collections.abc import Iterable
from typing import IO, Any

BLOCKED_BUILTINS: frozenset[str] = frozenset(
    {
        "eval",  # runs code built at run time, out of the validator's sight
        "exec",  # same
        "compile",  # turns strings into code objects
        "breakpoint",  # starts pdb, which runs arbitrary statements
        "globals",  # hands out the module dict, including __builtins__
        "vars",  # vars() is locals(); vars(obj) reaches any object's __dict__
        "locals",  # frame introspection
        "help",  # site's interactive helper: imports pydoc, may start a pager process
        "exit",  # site's interactive helpers; SystemExit stays reachable as an exception
        "quit",
        "copyright",
        "credits",
        "license",
        "__loader__",  # the builtins module's loader (BuiltinImporter)
        "__spec__",
    }
)


# Modules model code gets only a few attributes of, through a stand-in: the same lists as the validator's
# PARTIAL_MODULES (the worker cannot import the validator; a unit test keeps the two equal).
PARTIAL_MODULES: dict[str, frozenset[str]] = {
    "sys": frozenset(
        {
            "stdout",
            "stderr",
            "version",
            "version_info",
            "hexversion",
            "maxsize",
            "float_info",
            "int_info",
            "byteorder",
            "platform",
        }
    ),
}


class PartialModule(types.ModuleType):
    """A module that forwards the admitted attribute names to the real module and refuses the rest."""

    def __init__(self, real: types.ModuleType, admitted: frozenset[str]) -> None:
        super().__init__(real.__name__)
        self._pymodel_real = real
        self._pymodel_admitted = admitted

    def __getattr__(self, name: str) -> Any:
        if name in self._pymodel_admitted:
            return getattr(self._pymodel_real, name)
        raise AttributeError(f"model code may not use {self.__name__}.{name}")


class ImportGuard:
    """`__import__` for the user module: admits only allowlisted top-level packages (None: any)."""

    def __init__(self, allowed_modules: frozenset[str] | None) -> None:
        self._allowed = allowed_modules
        self._import = builtins.__import__

    def __call__(
        self,
        name: str,
        globals: dict[str, Any] | None = None,  # shadows a builtin: the signature of __import__
        locals: dict[str, Any] | None = None,
        fromlist: tuple[str, ...] | list[str] | None = (),
        level: int = 0,
    ) -> Any:
        if level != 0:
            raise ImportError("relative imports are not allowed in model code")
        top = name.partition(".")[0]
        if self._allowed is not None and top not in self._allowed:
            raise ImportError(f"import of module '{top}' is not allowed", name=top)
        if top in PARTIAL_MODULES:
            if name != top:
                raise ImportError(f"import of module '{name}' is not allowed", name=name)
            real = self._import(name, globals, locals, (), 0)
            return PartialModule(real, PARTIAL_MODULES[top])
        return self._import(name, globals, locals, fromlist or (), level)


class OpenGuard:
    """`open` for the user module: paths inside the given roots only (see the module docstring)."""

    def __init__(self, roots: Iterable[str]) -> None:
        self._roots = tuple(os.path.realpath(root) for root in roots)

    def __call__(self, file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> IO[Any]:
        if not isinstance(file, (str, bytes, os.PathLike)):
            raise PermissionError("open() in model code takes a file path, not a file descriptor")
        if kwargs.get("opener") is not None or len(args) >= 6:
            raise PermissionError("open() in model code does not accept a custom opener")
        path = os.path.realpath(os.fsdecode(os.fspath(file)))
        if not any(path == root or path.startswith(root + os.sep) for root in self._roots):
            raise PermissionError(
                f"open() in model code is limited to the working directory; {os.fsdecode(file)!r} is outside it"
            )
        # The resolved path is opened, so a symlink swapped in after the check is not followed elsewhere.
        return builtins.open(path, mode, *args, **kwargs)  # noqa: SIM115 - the caller owns the file


def restricted_builtins(allowed_modules: frozenset[str] | None, open_roots: Iterable[str]) -> dict[str, Any]:
    """The `__builtins__` mapping of the user module (and of user functions unpickled later)."""
    namespace = {name: value for name, value in vars(builtins).items() if name not in BLOCKED_BUILTINS}
    namespace["__import__"] = ImportGuard(allowed_modules)
    namespace["open"] = OpenGuard(open_roots)
    return namespace
