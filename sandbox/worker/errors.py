"""Turns an exception raised by user code into the one-line reason and the {type, value, traceback} record.

The traceback starts at the user's first frame (the worker's own frames above it are noise to the user and
reveal the harness) and names the user's file `model.py`, whatever path it was loaded from.
"""

from __future__ import annotations

import os
import traceback

USER_FILENAME = "model.py"
MAX_VALUE_CHARS = 8 * 1024
MAX_TRACEBACK_CHARS = 64 * 1024
WORKER_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def describe(exc: BaseException, source_path: str) -> tuple[str, dict[str, str]]:
    """("ValueError: bad things", {"type": "ValueError", "value": "bad things", "traceback": ...})."""
    type_name = exception_type_name(type(exc))
    value = _clip_head(_safe_str(exc), MAX_VALUE_CHARS)
    line = f"{type_name}: {value}" if value else type_name
    record = {"type": type_name, "value": value, "traceback": user_traceback(exc, source_path)}
    return line.replace("\n", " ")[:MAX_VALUE_CHARS], record


def exception_type_name(kind: type[BaseException]) -> str:
    """Builtins and the user's own classes by bare name; library exceptions with their package."""
    if kind.__module__ in ("builtins", "model"):
        return kind.__qualname__
    return f"{kind.__module__}.{kind.__qualname__}"


def user_traceback(exc: BaseException, source_path: str) -> str:
    try:
        summary = traceback.TracebackException(type(exc), exc, exc.__traceback__, compact=True)
        _trim(summary, source_path, set())
        text = "".join(summary.format())
    except Exception:  # a hostile __str__ must not take the error report down with it
        text = f"{exception_type_name(type(exc))}: <the exception could not be formatted>\n"
    text = text.replace(f'File "{source_path}"', f'File "{USER_FILENAME}"')
    return _clip_tail(text, MAX_TRACEBACK_CHARS)


def _trim(summary: traceback.TracebackException, source_path: str, seen: set[int]) -> None:
    """Keep the frames from the user's first one on, minus the worker's own (the import guard, say).

    With no user frame at all (train called with the wrong number of tables) only the message is left.
    """
    if id(summary) in seen:
        return
    seen.add(id(summary))
    frames = list(summary.stack)
    first = next((i for i, frame in enumerate(frames) if frame.filename == source_path), len(frames))
    kept = [frame for frame in frames[first:] if not frame.filename.startswith(WORKER_DIR)]
    summary.stack = traceback.StackSummary.from_list(kept)
    for linked in (summary.__cause__, summary.__context__, *(summary.exceptions or ())):
        if linked is not None:
            _trim(linked, source_path, seen)


def _safe_str(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:  # user-defined __str__ may raise anything
        return "<str() of the exception failed>"


def _clip_head(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f"... [{len(text) - limit} characters cut]"


def _clip_tail(text: str, limit: int) -> str:
    # The end of a traceback (the raising line and the message) matters most.
    return text if len(text) <= limit else f"[{len(text) - limit} characters cut]...\n" + text[-limit:]


# Everything user code can raise except SystemExit, which the entry point turns into an exit status.
USER_ERRORS: tuple[type[BaseException], ...] = (Exception, KeyboardInterrupt, GeneratorExit)
