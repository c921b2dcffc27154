"""A warm serving worker of the process executor, behind the `PredictorHandle` interface.

States: NEW → STARTING → READY → DEFUNCT (the worker died, timed out or could not start) or CLOSED.
Every public call checks the state first; calling a handle that is not READY is misuse and raises
`ExecutorError`. Calls are serialised by a lock. User failures come back as `PredictOutcome` data; a timeout
or a crash also comes back as data, after which the handle is DEFUNCT and the runtime starts a new one.

Startup (loading the model and `initialize`) is bounded by `limits.wall_seconds` when set, otherwise by
`predict_timeout`; the worker itself has no wall-clock limit.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Literal

from sandbox.executors.base import ExecutorError, PredictorSpec, PredictOutcome, Usage
from sandbox.executors.isolation import HostIsolation
from sandbox.executors.reasons import Ending, exit_reason, format_seconds
from sandbox.executors.spawn import SandboxProcess, WorkerLaunch, job_allowlist, spawn_worker
from sandbox.worker.protocol import Answer, Call, Failed, ProtocolError, Ready, ServeSpec, Shutdown, encode

State = Literal["new", "starting", "ready", "defunct", "closed"]
SHUTDOWN_GRACE_SECONDS = 2.0
EXIT_AFTER_EPIPE_SECONDS = 2.0  # a worker whose pipe broke is exiting; give it this long before the kill


class PredictorStartError(ExecutorError):
    """The predictor could not start; `reason` is the one-line cause, `exception` the user's, if any."""

    def __init__(self, reason: str, exception: dict[str, str] | None = None) -> None:
        super().__init__(f"the predictor did not start: {reason}")
        self.reason = reason
        self.exception = exception


class ProcessPredictor:
    def __init__(self, spec: PredictorSpec, allowed_modules: frozenset[str] | None, isolation: HostIsolation) -> None:
        self._spec = spec
        self._allowed_modules = allowed_modules
        self._isolation = isolation
        self._state: State = "new"
        self._state_lock = threading.Lock()
        self._call_lock = threading.Lock()
        self._process: SandboxProcess | None = None
        self._sandbox_dir: Path | None = None
        self._tag = 0

    # --- lifecycle ---

    def start(self) -> None:
        with self._call_lock:
            self._move("new", "starting")
            try:
                self._process = self._spawn()
                failure = self._await_ready()
            except BaseException:
                self._retire()
                raise
            if failure is not None:
                self._retire()
                raise failure
            self._move("starting", "ready")

    def close(self) -> None:
        with self._state_lock:
            if self._state == "closed":
                return
            was_ready = self._state == "ready"
            self._state = "closed"
        if not self._call_lock.acquire(blocking=False):
            # A call is in flight: end the worker under it (that call returns a crash outcome), then wait.
            if self._process is not None:
                self._process.kill()
            self._call_lock.acquire()
            was_ready = False
        try:
            process = self._process
            if was_ready and process is not None and not process.exited():
                deadline = time.monotonic() + SHUTDOWN_GRACE_SECONDS
                if process.send(encode(Shutdown()), deadline):
                    self._wait_exit(process, deadline)
            self._retire()
        finally:
            self._call_lock.release()

    def alive(self) -> bool:
        return self._state == "ready" and self._process is not None and not self._process.exited()

    def usage(self) -> Usage:
        return self._process.usage() if self._process is not None else Usage()

    def logs(self) -> tuple[str, str]:
        return self._process.logs() if self._process is not None else ("", "")

    # --- calls ---

    def call(self, op: Literal["predict", "predict_many"], payload: Any) -> PredictOutcome:
        if op not in ("predict", "predict_many"):
            raise ExecutorError(f"op must be 'predict' or 'predict_many' (got {op!r})")
        if op == "predict_many" and not isinstance(payload, list):
            raise ExecutorError(f"predict_many takes a list of queries (got {type(payload).__name__})")
        with self._call_lock:
            if self._state != "ready" or self._process is None:
                raise ExecutorError(f"the predictor is {self._state}, not ready: start a new one")
            if op == "predict_many" and not payload:
                return PredictOutcome(ok=True, result_json="[]")
            self._tag += 1
            try:
                frame = encode(Call(tag=self._tag, op=op, payload=payload))
            except (TypeError, ValueError) as exc:  # ProtocolError (too large) is a ValueError too
                raise ExecutorError(f"the {op} payload cannot be sent to the worker: {exc}") from exc
            return self._exchange(self._process, op, frame)

    def _exchange(self, process: SandboxProcess, op: str, frame: bytes) -> PredictOutcome:
        deadline = time.monotonic() + self._spec.predict_timeout
        if not process.send(frame, deadline):
            if time.monotonic() >= deadline:
                return self._timed_out(process, op)
            self._wait_exit(process, time.monotonic() + EXIT_AFTER_EPIPE_SECONDS)
            return self._crashed(process, op)
        while True:
            try:
                event = process.next_event(deadline)
            except ProtocolError as exc:
                return self._crashed(process, op, f"the worker sent a malformed message: {exc}")
            if event == "timeout":
                return self._timed_out(process, op)
            if event == "exited":
                return self._crashed(process, op)
            if isinstance(event, Answer) and event.tag == self._tag:
                return _outcome(event)
            return self._crashed(process, op, f"the worker sent an unexpected {type(event).__name__}")

    def _timed_out(self, process: SandboxProcess, op: str) -> PredictOutcome:
        seconds = self._spec.predict_timeout
        process.finish(timed_out=True, timeout_seconds=seconds)
        self._retire()
        return PredictOutcome(ok=False, error_kind="timeout", error=f"{op} timed out after {format_seconds(seconds)} s")

    def _crashed(self, process: SandboxProcess, op: str, problem: str | None = None) -> PredictOutcome:
        ending = process.finish()
        self._retire()
        return PredictOutcome(ok=False, error_kind="crash", error=problem or _crash_reason(ending, op))

    # --- internals ---

    def _spawn(self) -> SandboxProcess:
        spec = self._spec
        sandbox_dir = self._sandbox_dir = Path(tempfile.mkdtemp(prefix="pymodel-predictor-"))
        source_path, spec_path = sandbox_dir / "model.py", sandbox_dir / "serve.json"
        source_path.write_text(spec.source, encoding="utf-8")
        serve = ServeSpec(
            source_path=str(source_path),
            work_dir=str(spec.work_dir.resolve()),
            tmp_dir=str(sandbox_dir / "tmp"),
            functions=spec.functions.named(),
            allowed_modules=job_allowlist(self._allowed_modules, spec.extra_modules),
            model_path=str(spec.model_path.resolve()),
        )
        spec_path.write_text(serve.to_json(), encoding="utf-8")
        launch = WorkerLaunch("serve", spec_path, spec.work_dir.resolve(), sandbox_dir / "tmp", spec.limits, spec.env)
        return spawn_worker(launch, self._isolation)

    def _await_ready(self) -> PredictorStartError | None:
        assert self._process is not None
        process = self._process
        limit = self._spec.limits.wall_seconds or self._spec.predict_timeout
        deadline = time.monotonic() + limit
        try:
            event = process.next_event(deadline)
        except ProtocolError as exc:
            process.finish()
            return PredictorStartError(f"the worker sent a malformed message: {exc}")
        if isinstance(event, Ready):
            return None
        if isinstance(event, Failed):
            process.finish()
            return PredictorStartError(event.error, event.exception)
        if event == "timeout":
            process.finish(timed_out=True, timeout_seconds=limit)
            return PredictorStartError(f"initialize timed out after {format_seconds(limit)} s")
        if event == "exited":
            return PredictorStartError(_crash_reason(process.finish(), "startup"))
        process.finish()
        return PredictorStartError(f"the worker sent an unexpected {type(event).__name__}")

    def _wait_exit(self, process: SandboxProcess, deadline: float) -> None:
        while True:
            try:
                event = process.next_event(deadline)
            except ProtocolError:
                return
            if event in ("exited", "timeout"):
                return

    def _retire(self) -> None:
        """The worker is finished (or never started): reap it, drop its directory, mark the handle dead."""
        if self._process is not None:
            self._process.finish()
        if self._sandbox_dir is not None:
            shutil.rmtree(self._sandbox_dir, ignore_errors=True)
            self._sandbox_dir = None
        with self._state_lock:
            if self._state != "closed":
                self._state = "defunct"

    def _move(self, expected: State, new: State) -> None:
        with self._state_lock:
            if self._state != expected:
                raise ExecutorError(f"the predictor is {self._state}; expected {expected}")
            self._state = new


def _crash_reason(ending: Ending, op: str) -> str:
    return exit_reason(ending, status_suffix=f" during {op}")


def _outcome(answer: Answer) -> PredictOutcome:
    if not answer.ok:
        return PredictOutcome(ok=False, error_kind=answer.error_kind, error=answer.error, exception=answer.exception)
    try:
        # The worker is untrusted: whatever it claims, the host hands on only strict JSON.
        json.loads(answer.result_json or "", parse_constant=_refuse_constant)
    except ValueError as exc:
        return PredictOutcome(ok=False, error_kind="output", error=f"the worker's result is not strict JSON: {exc}")
    return PredictOutcome(ok=True, result_json=answer.result_json)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")
