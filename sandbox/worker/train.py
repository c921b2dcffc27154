"""The training flow inside the sandbox: load model.py, read the tables, call train, pickle the result.

Every outcome is one message on the result channel: `TrainDone` or `Failed`. `SystemExit` raised by user
code is not caught here: the entry point turns it into the process exit status, so the host reports
"exited with status N before returning a model" (even for status 0: no model came back).
"""

from __future__ import annotations

from typing import Any

from sandbox.worker import errors, loader, protocol, tables
from sandbox.worker.guard import restricted_builtins


def run(spec: protocol.TrainSpec, msg_fd: int) -> int:
    message = _train(spec)
    protocol.write_message(msg_fd, message)
    return 0 if isinstance(message, protocol.TrainDone) else 1


def _train(spec: protocol.TrainSpec) -> protocol.TrainDone | protocol.Failed:
    allowed = frozenset(spec.allowed_modules) if spec.allowed_modules is not None else None
    user_builtins = restricted_builtins(allowed, (spec.work_dir, spec.tmp_dir))
    try:
        module = loader.load_user_module(spec.source_path, user_builtins)
    except errors.USER_ERRORS as exc:
        return _user_failure("load", exc, spec)
    try:
        train = loader.user_function(module, spec.functions.get("train", "train"))
    except LookupError as exc:
        return protocol.Failed(stage="load", error=str(exc), exception=None)

    try:
        frames = tables.read_frames(spec.input_tables)
    except Exception as exc:  # the harness's inputs, not user code
        return protocol.Failed(stage="worker", error=f"could not read the input tables: {exc}", exception=None)

    kwargs: dict[str, Any] = {}
    if loader.accepts_keyword(train, "training_config"):
        kwargs["training_config"] = spec.training_config
    try:
        model = train(*frames, **kwargs)
    except errors.USER_ERRORS as exc:
        return _user_failure("train", exc, spec)
    del frames

    try:
        size = loader.dump_model(model, spec.model_path, spec.max_model_bytes)
    except loader.ModelTooLarge as exc:
        return protocol.Failed(
            stage="pickle",
            error=f"the trained model is larger than {_size(exc.limit)}, the memory it would be served with "
            f"(stopped at {_size(exc.written)}); keep large data out of the returned object or ask for more memory",
            exception=None,
        )
    except errors.USER_ERRORS as exc:  # a user __reduce__ runs here too
        line, record = errors.describe(exc, spec.source_path)
        return protocol.Failed(
            stage="pickle", error=f"the object train returned cannot be pickled: {line}", exception=record
        )
    return protocol.TrainDone(model_bytes=size)


def _user_failure(stage: str, exc: BaseException, spec: protocol.TrainSpec) -> protocol.Failed:
    line, record = errors.describe(exc, spec.source_path)
    return protocol.Failed(stage=stage, error=line, exception=record)


def _size(n: int) -> str:
    return f"{n / 2**30:.1f} GB" if n >= 2**30 else f"{n / 2**20:.0f} MB"
