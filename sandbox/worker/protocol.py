"""The typed messages between the executor (host) and the sandbox worker, the job spec files, and framing.

Down (host → worker, serving only): `Call`, `Shutdown`. Up (worker → host): `Ready`, `TrainDone`, `Failed`,
`Answer`. A frame is a 4-byte big-endian length and that many bytes of UTF-8 JSON with a "kind" field. Frames
travel on dedicated pipe fds, never on stdin/stdout (user code prints there), and every frame is checked
against its schema on arrival: the host treats the worker as untrusted. Only the standard library is used,
because this module runs inside the sandbox too.
"""

from __future__ import annotations

import json
import os
import struct
from dataclasses import dataclass
from typing import Any, Literal

# Big enough for a predict_many answer of a large batch; small enough that a hostile worker cannot make
# the host buffer gigabytes.
MAX_FRAME_BYTES = 128 * 1024 * 1024
_HEADER = struct.Struct(">I")

Op = Literal["predict", "predict_many"]
OPS: frozenset[str] = frozenset({"predict", "predict_many"})
ROLES: frozenset[str] = frozenset({"train", "predict", "predict_many", "initialize"})


class ProtocolError(ValueError):
    """A frame that is too large, not JSON, or not one of the messages below."""


# --- job specs (written by the executor as a JSON file, read by the worker) ----------------------------


@dataclass(frozen=True)
class TrainSpec:
    """What one training run needs. Paths are absolute; `functions` maps role → the user's name."""

    source_path: str
    work_dir: str
    tmp_dir: str
    functions: dict[str, str]
    allowed_modules: list[str] | None
    input_tables: list[str]
    training_config: dict[str, Any] | None
    model_path: str
    max_model_bytes: int | None = None  # the pickled model may not be larger (it must load where it is served)

    def to_json(self) -> str:
        return json.dumps({"kind": "train", **self.__dict__})


@dataclass(frozen=True)
class ServeSpec:
    """What a serving worker needs: the source (for the functions) and the trained model to load."""

    source_path: str
    work_dir: str
    tmp_dir: str
    functions: dict[str, str]
    allowed_modules: list[str] | None
    model_path: str

    def to_json(self) -> str:
        return json.dumps({"kind": "serve", **self.__dict__})


def read_spec(text: str) -> TrainSpec | ServeSpec:
    obj = _object(json.loads(text))
    common: dict[str, Any] = {
        "source_path": _field(obj, "source_path", str),
        "work_dir": _field(obj, "work_dir", str),
        "tmp_dir": _field(obj, "tmp_dir", str),
        "functions": _functions(obj),
        "allowed_modules": _optional_str_list(obj, "allowed_modules"),
        "model_path": _field(obj, "model_path", str),
    }
    kind = obj.get("kind")
    if kind == "train":
        tables = _optional_str_list(obj, "input_tables")
        config = obj.get("training_config")
        if config is not None and not isinstance(config, dict):
            raise ProtocolError("training_config must be an object or null")
        limit = obj.get("max_model_bytes")
        if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit <= 0):
            raise ProtocolError("max_model_bytes must be a positive integer or null")
        return TrainSpec(**common, input_tables=tables or [], training_config=config, max_model_bytes=limit)
    if kind == "serve":
        return ServeSpec(**common)
    raise ProtocolError(f"unknown spec kind {kind!r}")


# --- messages -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """Run `op` on `payload` (a query dict, or a list of them). `tag` pairs the answer with the call."""

    tag: int
    op: Op
    payload: Any


@dataclass(frozen=True)
class Shutdown:
    """Exit cleanly after the current call."""


@dataclass(frozen=True)
class Ready:
    """The serving worker loaded the model and ran `initialize`; it now answers calls."""


@dataclass(frozen=True)
class TrainDone:
    """`train` returned and its result is written (temp file, fsync, rename) to the spec's model_path."""

    model_bytes: int


@dataclass(frozen=True)
class Failed:
    """The worker could not do its job: user code raised (`exception` set) or the harness failed."""

    stage: str  # "load" | "train" | "pickle" | "initialize" | "worker"
    error: str
    exception: dict[str, str] | None


@dataclass(frozen=True)
class Answer:
    """The result of one Call: strict JSON text, or a user/output error. The worker keeps serving."""

    tag: int
    ok: bool
    result_json: str | None = None
    error_kind: Literal["user", "output"] | None = None
    error: str | None = None
    exception: dict[str, str] | None = None


Down = Call | Shutdown
Up = Ready | TrainDone | Failed | Answer

_KINDS: dict[type, str] = {
    Call: "call",
    Shutdown: "shutdown",
    Ready: "ready",
    TrainDone: "train_done",
    Failed: "failed",
    Answer: "answer",
}


def encode(message: Down | Up) -> bytes:
    """One frame. NaN in a Call payload is allowed (queries may carry it); results are already text."""
    body = json.dumps({"kind": _KINDS[type(message)], **message.__dict__}).encode()
    if len(body) > MAX_FRAME_BYTES:
        raise ProtocolError(f"message of {len(body)} bytes exceeds the {MAX_FRAME_BYTES} byte frame limit")
    return _HEADER.pack(len(body)) + body


def decode_down(body: bytes) -> Down:
    obj = _load(body)
    kind = obj.get("kind")
    if kind == "call":
        op = _field(obj, "op", str)
        if op not in OPS:
            raise ProtocolError(f"unknown op {op!r}")
        return Call(
            tag=_field(obj, "tag", int),
            op="predict" if op == "predict" else "predict_many",
            payload=obj.get("payload"),
        )
    if kind == "shutdown":
        return Shutdown()
    raise ProtocolError(f"unexpected message kind {kind!r} from the host")


def decode_up(body: bytes) -> Up:
    obj = _load(body)
    kind = obj.get("kind")
    if kind == "ready":
        return Ready()
    if kind == "train_done":
        return TrainDone(model_bytes=_field(obj, "model_bytes", int))
    if kind == "failed":
        return Failed(stage=_field(obj, "stage", str), error=_field(obj, "error", str), exception=_exception(obj))
    if kind == "answer":
        ok = _field(obj, "ok", bool)
        error_kind = obj.get("error_kind")
        if error_kind not in (None, "user", "output"):
            raise ProtocolError(f"unknown error_kind {error_kind!r}")
        result = _optional(obj, "result_json", str)
        error = _optional(obj, "error", str)
        if ok != (result is not None) or ok == (error is not None):
            raise ProtocolError("an answer carries either a result or an error")
        return Answer(
            tag=_field(obj, "tag", int),
            ok=ok,
            result_json=result,
            error_kind="user" if error_kind == "user" else "output" if error_kind else None,
            error=error,
            exception=_exception(obj),
        )
    raise ProtocolError(f"unexpected message kind {kind!r} from the worker")


class FrameDecoder:
    """Cuts a byte stream into frame bodies; refuses a frame longer than the limit before buffering it."""

    def __init__(self, limit: int = MAX_FRAME_BYTES) -> None:
        self._buffer = bytearray()
        self._limit = limit

    def feed(self, data: bytes) -> list[bytes]:
        self._buffer += data
        bodies: list[bytes] = []
        while len(self._buffer) >= _HEADER.size:
            (length,) = _HEADER.unpack_from(self._buffer)
            if length > self._limit:
                raise ProtocolError(f"frame of {length} bytes exceeds the {self._limit} byte limit")
            end = _HEADER.size + length
            if len(self._buffer) < end:
                break
            bodies.append(bytes(self._buffer[_HEADER.size : end]))
            del self._buffer[:end]
        return bodies

    @property
    def pending(self) -> int:
        """Bytes of an incomplete frame (a worker that died mid-frame leaves some)."""
        return len(self._buffer)


# --- blocking IO, used inside the worker (the host uses non-blocking IO with deadlines) ----------------


def write_message(fd: int, message: Up | Down) -> None:
    view = memoryview(encode(message))
    while view:
        written = os.write(fd, view)
        view = view[written:]


def read_message(fd: int) -> Down | None:
    """The next message from the host, or None at end of stream (the host went away)."""
    header = _read_exactly(fd, _HEADER.size)
    if header is None:
        return None
    (length,) = _HEADER.unpack(header)
    if length > MAX_FRAME_BYTES:
        raise ProtocolError(f"frame of {length} bytes exceeds the {MAX_FRAME_BYTES} byte limit")
    body = _read_exactly(fd, length)
    if body is None:
        raise ProtocolError("the host closed the channel in the middle of a frame")
    return decode_down(body)


def _read_exactly(fd: int, size: int) -> bytes | None:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = os.read(fd, size - len(chunks))
        if not chunk:
            return None if not chunks else bytes(chunks)
        chunks += chunk
    return bytes(chunks)


# --- schema helpers ---------------------------------------------------------------------------------------


def _load(body: bytes) -> dict[str, Any]:
    try:
        return _object(json.loads(body))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProtocolError(f"frame is not JSON: {exc}") from None


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ProtocolError("a message must be a JSON object")
    return value


def _field(obj: dict[str, Any], name: str, kind: type) -> Any:
    value = obj.get(name)
    # bool is an int subclass: a tag or size must not be `true`.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ProtocolError(f"field {name!r} must be {kind.__name__} (got {type(value).__name__})")
    return value


def _optional(obj: dict[str, Any], name: str, kind: type) -> Any:
    return None if obj.get(name) is None else _field(obj, name, kind)


def _optional_str_list(obj: dict[str, Any], name: str) -> list[str] | None:
    value = obj.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ProtocolError(f"field {name!r} must be a list of strings")
    return value


def _functions(obj: dict[str, Any]) -> dict[str, str]:
    value = obj.get("functions")
    if not isinstance(value, dict) or not all(role in ROLES and isinstance(name, str) for role, name in value.items()):
        raise ProtocolError("field 'functions' must map roles to function names")
    return value


def _exception(obj: dict[str, Any]) -> dict[str, str] | None:
    value = obj.get("exception")
    if value is None:
        return None
    if (
        not isinstance(value, dict)
        or set(value) != {"type", "value", "traceback"}
        or not all(isinstance(item, str) for item in value.values())
    ):
        raise ProtocolError("field 'exception' must be {type, value, traceback} strings")
    return value
