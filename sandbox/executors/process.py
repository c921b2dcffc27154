"""The process executor: every training run and every predictor is a sandboxed child process of this host
(see `spawn` for the sandbox, `predictor` for serving). This module owns the training flow: lay out the
job directory, start the worker, enforce the wall clock from outside, and turn what happened into a
`JobResult`.

Job directory layout: `job.json` (the spec the worker reads), `model.py` (the source, compiled from this
real file), `work/` (the user's working directory, kept), `tmp/` (the job's TMPDIR, removed afterwards),
`model.pkl` (the cloudpickled model, only when the run succeeded).
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox.executors.base import ExecutorError, JobResult, LogSink, PredictorSpec, TrainJob
from sandbox.executors.isolation import HostIsolation
from sandbox.executors.predictor import ProcessPredictor
from sandbox.executors.reasons import Ending, exit_reason, limit_reason
from sandbox.executors.spawn import SandboxProcess, WorkerLaunch, host_has_gpu, job_allowlist, spawn_worker
from sandbox.worker.protocol import Failed, ProtocolError, TrainDone, TrainSpec

# After the worker reported its result it only flushes and exits; one that lingers is killed after this.
EXIT_GRACE_SECONDS = 10.0


@dataclass(frozen=True)
class _Outcome:
    """What the parent learnt while the worker ran."""

    final: TrainDone | Failed | None
    timed_out: bool = False
    problem: str | None = None  # the worker broke the protocol or would not exit


class ProcessExecutor:
    """Runs jobs as sandboxed child processes. `allowed_modules` is the import allowlist enforced on the
    user module at run time (None: no restriction beyond the guarded builtins); `use_cgroups=False` forces
    the watchdog fallback (hosts where cgroups must not be touched, and its tests)."""

    name = "process"

    def __init__(self, allowed_modules: frozenset[str] | None = None, *, use_cgroups: bool = True) -> None:
        self._allowed_modules = allowed_modules
        self._isolation = HostIsolation(use_cgroups=use_cgroups)

    def capabilities(self) -> dict[str, Any]:
        return {"executor": self.name, **self._isolation.capabilities(), "gpu": host_has_gpu()}

    def predictor(self, spec: PredictorSpec) -> ProcessPredictor:
        return ProcessPredictor(spec, self._allowed_modules, self._isolation)

    def run_training(self, job: TrainJob, on_log: LogSink | None = None) -> JobResult:
        job_dir = job.job_dir.resolve()
        job_dir.mkdir(parents=True, exist_ok=True)
        work_dir, tmp_dir = job_dir / "work", job_dir / "tmp"
        model_path, source_path, spec_path = job_dir / "model.pkl", job_dir / "model.py", job_dir / "job.json"
        model_path.unlink(missing_ok=True)
        source_path.write_text(job.source, encoding="utf-8")
        spec = TrainSpec(
            source_path=str(source_path),
            work_dir=str(work_dir),
            tmp_dir=str(tmp_dir),
            functions=job.functions.named(),
            allowed_modules=job_allowlist(self._allowed_modules, job.extra_modules),
            input_tables=[str(path.resolve()) for path in job.input_tables],
            training_config=job.training_config,
            model_path=str(model_path),
            max_model_bytes=job.limits.memory_bytes,
        )
        try:
            spec_path.write_text(spec.to_json(), encoding="utf-8")
        except (TypeError, ValueError) as exc:
            raise ExecutorError(f"training_config must be JSON-serialisable ({exc})") from exc
        launch = WorkerLaunch("train", spec_path, work_dir, tmp_dir, job.limits, job.env, on_log)
        process = spawn_worker(launch, self._isolation)
        outcome = _Outcome(None, problem="the executor stopped watching the worker")
        try:
            outcome = _watch(process, job.limits.wall_seconds)
        finally:
            # Also on an exception in the executor itself: no job process may outlive this call.
            ending = process.finish(timed_out=outcome.timed_out, timeout_seconds=job.limits.wall_seconds)
        shutil.rmtree(tmp_dir, ignore_errors=True)
        return _result(outcome, ending, process, job_dir)


def _watch(process: SandboxProcess, wall_seconds: float | None) -> _Outcome:
    """Wait for the worker's result and its exit, killing it at the wall-clock limit."""
    deadline = None if wall_seconds is None else time.monotonic() + wall_seconds
    final: TrainDone | Failed | None = None
    while True:
        try:
            event = process.next_event(deadline)
        except ProtocolError as exc:
            return _Outcome(final, problem=f"the worker sent a malformed message: {exc}")
        if event == "exited":
            return _Outcome(final)
        if event == "timeout":
            if final is None:
                process.kill()
                return _Outcome(None, timed_out=True)
            return _Outcome(final, problem="the worker did not exit after reporting its result")
        if isinstance(event, (TrainDone, Failed)) and final is None:
            final = event
            grace = time.monotonic() + EXIT_GRACE_SECONDS
            deadline = grace if deadline is None else min(deadline, grace)
            continue
        return _Outcome(final, problem=f"the worker sent an unexpected {type(event).__name__} message")


def _result(outcome: _Outcome, ending: Ending, process: SandboxProcess, job_dir: Path) -> JobResult:
    model_path = job_dir / "model.pkl"
    error = _error(outcome, ending, model_path)
    if error is not None:
        model_path.unlink(missing_ok=True)
    stdout, stderr = process.logs()
    return JobResult(
        ok=error is None,
        error=error,
        exception=outcome.final.exception if isinstance(outcome.final, Failed) else None,
        stdout=stdout,
        stderr=stderr,
        usage=process.usage(),
        model_path=model_path if error is None else None,
        work_dir=job_dir / "work",
    )


def _error(outcome: _Outcome, ending: Ending, model_path: Path) -> str | None:
    """None for success; else the one reason, limits first (what follows a limit is its symptom)."""
    final = outcome.final
    if ending.timed_out or ending.out_of_memory:
        return limit_reason(ending)
    if outcome.problem is not None:
        return outcome.problem
    if isinstance(final, TrainDone):
        if ending.returncode == 0 and model_path.is_file():
            return None
        return exit_reason(ending)
    if isinstance(final, Failed):
        # A refused fork surfaces as some exception in user code; the limit is the real cause.
        return limit_reason(ending) or final.error
    # No result at all: the worker exited, crashed or was killed (SystemExit(0) included).
    return exit_reason(ending, status_suffix=" before returning a model")
