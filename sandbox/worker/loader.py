"""Loads the user's source as a fresh module with the guarded builtins, and moves models in and out.

The module is named `model` and registered with cloudpickle for pickling BY VALUE: the trained object
(instances of classes defined in model.py, helper functions) must load in a fresh serving process that has
no `model` module to import (cloudpickle #515, case B25). The source is compiled from a real file so that
linecache, `inspect.getsource` and on-disk caches keyed by file (numba `cache=True`) work; tracebacks show
it as `model.py`.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import pickle
import sys
import types
from collections.abc import Callable
from typing import IO, Any

import cloudpickle
from cloudpickle import cloudpickle as _cloudpickle_impl

USER_MODULE_NAME = "model"


def load_user_module(source_path: str, user_builtins: dict[str, Any]) -> types.ModuleType:
    """Compile and run model.py. Whatever its top level raises propagates (a user error at load)."""
    with open(source_path, "rb") as handle:
        source = handle.read()
    code = compile(source, source_path, "exec", dont_inherit=True)
    module = types.ModuleType(USER_MODULE_NAME)
    module.__file__ = source_path
    module.__dict__["__builtins__"] = user_builtins
    # cloudpickle refuses to register a module that is not in sys.modules.
    sys.modules[USER_MODULE_NAME] = module
    cloudpickle.register_pickle_by_value(module)
    exec(code, module.__dict__)  # noqa: S102 - running the user's (validated) module is this file's job
    return module


def user_function(module: types.ModuleType, name: str) -> Callable[..., Any]:
    function = module.__dict__.get(name)
    if not callable(function):
        raise LookupError(f"model.py defines no function named '{name}'")
    return function  # type: ignore[no-any-return]


def accepts_keyword(function: Callable[..., Any], name: str) -> bool:
    """True when `function` has a parameter `name` that can be passed by keyword."""
    try:
        parameter = inspect.signature(function).parameters.get(name)
    except (TypeError, ValueError):
        return False
    return parameter is not None and parameter.kind not in (
        inspect.Parameter.POSITIONAL_ONLY,
        inspect.Parameter.VAR_POSITIONAL,
        inspect.Parameter.VAR_KEYWORD,
    )


class ModelTooLarge(Exception):
    """The pickled model outgrew its limit; raised before the write that would pass it."""

    def __init__(self, written: int, limit: int) -> None:
        super().__init__(f"{written} bytes written, limit {limit}")
        self.written = written
        self.limit = limit


class _CappedWriter:
    """A file's write() that refuses to pass `limit` bytes in total (a 10 GB array is refused at its first
    write, before anything of it reaches the disk)."""

    def __init__(self, handle: Any, limit: int | None) -> None:
        self._handle = handle
        self._limit = limit
        self.written = 0

    def write(self, data: Any) -> int:
        size = memoryview(data).nbytes
        if self._limit is not None and self.written + size > self._limit:
            raise ModelTooLarge(self.written + size, self._limit)
        self.written += size
        return int(self._handle.write(data))


def dump_model(model: object, path: str, max_bytes: int | None = None) -> int:
    """cloudpickle `model` to `path` atomically (temp name, fsync, rename, fsync dir); returns its size.
    Raises ModelTooLarge, leaving nothing behind, when the pickle would pass `max_bytes`."""
    temporary = path + ".tmp"
    try:
        with open(temporary, "wb") as handle:
            writer = _CappedWriter(handle, max_bytes)
            cloudpickle.dump(model, writer, protocol=pickle.HIGHEST_PROTOCOL)
            handle.flush()
            os.fsync(handle.fileno())
            size = handle.tell()
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    os.replace(temporary, path)
    directory = os.open(os.path.dirname(path) or ".", os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return size


def load_model(path: str, user_builtins: dict[str, Any]) -> Any:
    """Unpickle a trained model inside the sandbox, giving the user's functions the guarded builtins."""
    with open(path, "rb") as handle:
        return _SandboxUnpickler(handle, user_builtins).load()


class _SandboxUnpickler(pickle.Unpickler):
    """cloudpickle rebuilds by-value functions with the *real* builtins (it sets `__builtins__` in their
    globals); for functions of the user module that would undo the guards at serving time. This unpickler
    swaps in the guarded builtins at the two points where cloudpickle builds and restores a function."""

    def __init__(self, file: IO[bytes], user_builtins: dict[str, Any]) -> None:
        super().__init__(file)
        self._user_builtins = user_builtins
        self._make_function = getattr(_cloudpickle_impl, "_make_function", None)
        self._function_setstate = getattr(_cloudpickle_impl, "_function_setstate", None)

    def find_class(self, module: str, name: str, /) -> Any:
        found = super().find_class(module, name)
        if found is not None and found is self._make_function:
            return self._make_user_function
        if found is not None and found is self._function_setstate:
            return self._restore_user_function
        return found

    def _is_user(self, namespace: dict[str, Any]) -> bool:
        return namespace.get("__name__") == USER_MODULE_NAME

    def _make_user_function(
        self, code: types.CodeType, namespace: dict[str, Any], name: str, argdefs: Any, closure: Any
    ) -> types.FunctionType:
        if not self._is_user(namespace):
            assert self._make_function is not None
            return self._make_function(code, namespace, name, argdefs, closure)  # type: ignore[no-any-return]
        # A function captures its builtins when it is created (CPython >= 3.10), so set them first.
        namespace["__builtins__"] = self._user_builtins
        return types.FunctionType(code, namespace, name, argdefs, closure)

    def _restore_user_function(self, function: types.FunctionType, state: Any) -> None:
        assert self._function_setstate is not None
        self._function_setstate(function, state)
        if self._is_user(function.__globals__):
            # cloudpickle resets the shared globals' __builtins__; functions made later (closures,
            # lambdas created while predicting) would capture the real ones from there.
            function.__globals__["__builtins__"] = self._user_builtins
