"""The executor interface: what a job asks for (limits, inputs) and what it reports back (result, usage).

Two error channels, as in the worker: misuse of the executor raises `ExecutorError`; a failure of user code
(exception, OOM, timeout, signal) comes back as data in `JobResult` / `PredictOutcome`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from sandbox.contract import FunctionNames


class ExecutorError(Exception):
    """Root of the sandbox package's own errors (misuse, a host that cannot run the job)."""


@dataclass(frozen=True)
class Limits:
    """What a job may use. Enforced from outside the job; `None` means no limit of that kind."""

    cpus: float
    memory_bytes: int
    wall_seconds: float | None = None
    pids: int = 256
    output_bytes: int = 1 << 20  # per stream; head and tail are kept, the middle dropped
    gpu: bool = False


@dataclass(frozen=True)
class Usage:
    """What a job used, measured from outside (cgroup when available, else the process tree)."""

    peak_memory_bytes: int | None = None
    cpu_seconds: float | None = None
    wall_seconds: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "peakMemoryBytes": self.peak_memory_bytes,
            "cpuSeconds": self.cpu_seconds,
            "wallSeconds": self.wall_seconds,
        }


@dataclass(frozen=True)
class TrainJob:
    """One training run.

    `job_dir` is a fresh scratch directory owned by the job; the executor creates `job_dir/work` (the
    user's working directory, kept with the version) and writes the trained model to `job_dir/model.pkl`.
    `input_tables` are Arrow IPC files, in the order of `train`'s positional parameters.
    """

    job_dir: Path
    source: str
    functions: FunctionNames
    input_tables: tuple[Path, ...]
    training_config: dict[str, Any] | None
    limits: Limits
    env: dict[str, str] = field(default_factory=dict)
    extra_modules: frozenset[str] = frozenset()  # import names the job's packageRequirements admit


@dataclass(frozen=True)
class JobResult:
    """How a training run ended. `error` is the one-line reason a person reads, with its numbers."""

    ok: bool
    error: str | None
    exception: dict[str, str] | None  # {"type", "value", "traceback"} when user code raised
    stdout: str
    stderr: str
    usage: Usage
    model_path: Path | None  # cloudpickled model inside job_dir, when ok
    work_dir: Path


@dataclass(frozen=True)
class PredictorSpec:
    """A warm serving worker: loads `model_path`, runs `initialize` once with `work_dir` as cwd."""

    model_path: Path
    work_dir: Path
    source: str
    functions: FunctionNames
    limits: Limits
    predict_timeout: float
    env: dict[str, str] = field(default_factory=dict)
    extra_modules: frozenset[str] = frozenset()  # import names the model's packageRequirements admit


@dataclass(frozen=True)
class PredictOutcome:
    """One answer of a predictor. `result_json` is strict RFC 8259 JSON text made inside the sandbox."""

    ok: bool
    result_json: str | None = None
    error_kind: Literal["user", "output", "timeout", "crash"] | None = None
    error: str | None = None  # one line: "KeyError: 'x'" / "timed out after 60 s" / "exited with signal 11"
    exception: dict[str, str] | None = None


LogSink = Callable[[str, str], None]  # (stream name "stdout"|"stderr", text chunk)


class PredictorHandle(Protocol):
    """A started predictor worker. `start()` returns once `initialize` finished (or raises ExecutorError
    carrying the reason); `call` never raises for user-code failures."""

    def start(self) -> None: ...
    def call(self, op: Literal["predict", "predict_many"], payload: Any) -> PredictOutcome: ...
    def alive(self) -> bool: ...
    def usage(self) -> Usage: ...
    def logs(self) -> tuple[str, str]: ...
    def close(self) -> None: ...


class Executor(Protocol):
    name: str

    def run_training(self, job: TrainJob, on_log: LogSink | None = None) -> JobResult: ...
    def predictor(self, spec: PredictorSpec) -> PredictorHandle: ...
    def capabilities(self) -> dict[str, Any]: ...
