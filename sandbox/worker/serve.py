"""The serving loop inside the sandbox: load model.py and the trained model, initialize once, answer calls.

Sends `Ready` (or `Failed`) once, then one `Answer` per `Call` until `Shutdown` or the end of the command
channel. A user exception or an unconvertible result is an `Answer` with an error: the worker keeps
serving. Only a crash, an exit or the host's kill ends it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandbox.worker import errors, jsonify, loader, protocol
from sandbox.worker.guard import restricted_builtins

# The answer text is JSON-escaped once more inside its frame: quotes and backslashes double at worst.
MAX_RESULT_BYTES = protocol.MAX_FRAME_BYTES // 2 - 4096


class _Model:
    """The loaded model and the user's serving functions."""

    def __init__(self, spec: protocol.ServeSpec) -> None:
        self.spec = spec
        allowed = frozenset(spec.allowed_modules) if spec.allowed_modules is not None else None
        self.user_builtins = restricted_builtins(allowed, (spec.work_dir, spec.tmp_dir))
        self.model: Any = None
        self.predict: Callable[..., Any] | None = None
        self.predict_many: Callable[..., Any] | None = None


def run(spec: protocol.ServeSpec, msg_fd: int, cmd_fd: int) -> int:
    served = _Model(spec)
    failure = _start(served)
    if failure is not None:
        protocol.write_message(msg_fd, failure)
        return 1
    protocol.write_message(msg_fd, protocol.Ready())
    while True:
        message = protocol.read_message(cmd_fd)
        if message is None or isinstance(message, protocol.Shutdown):
            return 0
        protocol.write_message(msg_fd, _answer(served, message))


def _start(served: _Model) -> protocol.Failed | None:
    spec = served.spec
    try:
        module = loader.load_user_module(spec.source_path, served.user_builtins)
    except errors.USER_ERRORS as exc:
        return _user_failure("load", exc, spec)
    try:
        names = spec.functions
        served.predict = loader.user_function(module, names["predict"]) if names.get("predict") else None
        served.predict_many = loader.user_function(module, names["predict_many"]) if names.get("predict_many") else None
        initialize = loader.user_function(module, names["initialize"]) if names.get("initialize") else None
    except LookupError as exc:
        return protocol.Failed(stage="load", error=str(exc), exception=None)
    try:
        served.model = loader.load_model(spec.model_path, served.user_builtins)
    except errors.USER_ERRORS as exc:  # a user __reduce__/__setstate__ runs while unpickling
        line, record = errors.describe(exc, spec.source_path)
        return protocol.Failed(stage="load", error=f"could not load the trained model: {line}", exception=record)
    if initialize is not None:
        try:
            served.model = initialize(served.model)
        except errors.USER_ERRORS as exc:
            return _user_failure("initialize", exc, spec)
    return None


def _answer(served: _Model, call: protocol.Call) -> protocol.Answer:
    if call.op == "predict_many":
        return _predict_many(served, call)
    if served.predict is None:
        return _refused(call, "this model has no predict function")
    try:
        result = served.predict(served.model, call.payload)
    except errors.USER_ERRORS as exc:
        return _user_error(served, call, exc)
    return _converted(served, call, lambda: jsonify.to_json(result, max_bytes=MAX_RESULT_BYTES))


def _predict_many(served: _Model, call: protocol.Call) -> protocol.Answer:
    queries = call.payload
    if not isinstance(queries, list):
        return _refused(call, f"predict_many takes a list of queries (got {type(queries).__name__})")
    if not queries:
        return protocol.Answer(tag=call.tag, ok=True, result_json="[]")
    try:
        if served.predict_many is not None:
            result: Any = served.predict_many(served.model, queries)
        elif served.predict is not None:
            # Without predict_many, a batch maps predict over the queries (the contract's default).
            result = [served.predict(served.model, query) for query in queries]
        else:
            return _refused(call, "this model has neither predict_many nor predict")
    except errors.USER_ERRORS as exc:
        return _user_error(served, call, exc)
    return _converted(served, call, lambda: jsonify.to_json_batch(result, len(queries), max_bytes=MAX_RESULT_BYTES))


def _converted(served: _Model, call: protocol.Call, convert: Callable[[], str]) -> protocol.Answer:
    try:
        text = convert()
    except jsonify.NotSerialisable as exc:
        return protocol.Answer(tag=call.tag, ok=False, error_kind="output", error=str(exc))
    except errors.USER_ERRORS as exc:  # user __str__/__iter__/tolist raising while being converted
        line, record = errors.describe(exc, served.spec.source_path)
        return protocol.Answer(
            tag=call.tag,
            ok=False,
            error_kind="output",
            error=f"the result could not be converted to JSON: {line}",
            exception=record,
        )
    return protocol.Answer(tag=call.tag, ok=True, result_json=text)


def _user_error(served: _Model, call: protocol.Call, exc: BaseException) -> protocol.Answer:
    line, record = errors.describe(exc, served.spec.source_path)
    return protocol.Answer(tag=call.tag, ok=False, error_kind="user", error=line, exception=record)


def _refused(call: protocol.Call, reason: str) -> protocol.Answer:
    return protocol.Answer(tag=call.tag, ok=False, error_kind="user", error=reason)


def _user_failure(stage: str, exc: BaseException, spec: protocol.ServeSpec) -> protocol.Failed:
    line, record = errors.describe(exc, spec.source_path)
    return protocol.Failed(stage=stage, error=line, exception=record)
