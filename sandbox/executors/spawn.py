"""The one function that starts a sandboxed worker (training and serving alike), and the handle on it.

A worker is `python -m sandbox.worker MODE` in its own session and process group, in a job cgroup (or
under the watchdog), in its own network namespace, with a minimal environment, stdin on /dev/null,
stdout/stderr drained by capped reader threads, and messages on dedicated pipes. `SandboxProcess.finish`
is the only place that reaps it: it first kills the whole process group and everything in the cgroup, so
no process of the job outlives it.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import psutil

from sandbox.executors.base import ExecutorError, Limits, LogSink, Usage
from sandbox.executors.cgroups import JobCgroup
from sandbox.executors.channel import Event, WorkerChannel
from sandbox.executors.isolation import HostIsolation, make_preexec
from sandbox.executors.output import CappedOutput, StreamReader
from sandbox.executors.reasons import Ending
from sandbox.executors.watchdog import TreeWatchdog

# The directory that holds the `sandbox` package: the worker imports it from there and nothing else.
# Taken from this file, not `sandbox.__file__`: under an editable install, imported from outside the
# checkout, `sandbox` can come back as a namespace package whose __file__ is None.
PACKAGE_ROOT = Path(__file__).resolve().parents[2]
READER_GRACE_SECONDS = 2.0  # after the kill, how long the output pipes may take to reach end of file


@dataclass(frozen=True)
class WorkerLaunch:
    mode: Literal["train", "serve"]
    spec_path: Path
    work_dir: Path
    tmp_dir: Path
    limits: Limits
    env: Mapping[str, str]
    on_log: LogSink | None = None


def check_limits(limits: Limits) -> None:
    """Misuse is an ExecutorError, with the value and what would be accepted."""
    if not limits.cpus > 0:
        raise ExecutorError(f"limits.cpus must be a positive number of CPUs (got {limits.cpus})")
    if limits.memory_bytes <= 0:
        raise ExecutorError(f"limits.memory_bytes must be a positive number of bytes (got {limits.memory_bytes})")
    if limits.pids <= 0:
        raise ExecutorError(f"limits.pids must be a positive process count (got {limits.pids})")
    if limits.wall_seconds is not None and not limits.wall_seconds > 0:
        raise ExecutorError(f"limits.wall_seconds must be positive or None (got {limits.wall_seconds})")
    if limits.gpu and not host_has_gpu():
        raise ExecutorError("useGpu is set but this node has no GPU")


def job_allowlist(allowed: frozenset[str] | None, extra: frozenset[str]) -> list[str] | None:
    """The import allowlist a worker enforces: the executor's own plus what the job's requirements admit;
    None (no allowlist) stays None."""
    return None if allowed is None else sorted(allowed | extra)


def host_has_gpu() -> bool:
    return Path("/dev/nvidia0").exists() or Path("/dev/dxg").exists()


def worker_env(limits: Limits, work_dir: Path, tmp_dir: Path, extra: Mapping[str, str]) -> dict[str, str]:
    """A minimal environment: nothing of the runtime's own (secrets live there) reaches user code."""
    threads = str(max(1, min(os.cpu_count() or 1, math.ceil(limits.cpus))))
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(work_dir),
        "TMPDIR": str(tmp_dir),
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        # The cwd holds files user code wrote; it must never shadow a module (python -P does the same).
        "PYTHONSAFEPATH": "1",
        "OMP_NUM_THREADS": threads,
        "OPENBLAS_NUM_THREADS": threads,
        "MKL_NUM_THREADS": threads,
        "NUMEXPR_NUM_THREADS": threads,
        "NUMEXPR_MAX_THREADS": threads,
        "VECLIB_MAXIMUM_THREADS": threads,
        # joblib/loky size their pools from this (n_jobs=-1, cpu_count()), not from the CPU quota (B41)
        "LOKY_MAX_CPU_COUNT": threads,
    }
    env.update(extra)
    # The worker must find its own package first; an environment's extra paths come after it.
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PACKAGE_ROOT), extra.get("PYTHONPATH")) if p)
    return env


def spawn_worker(launch: WorkerLaunch, isolation: HostIsolation) -> SandboxProcess:
    """Start one sandboxed worker. Raises ExecutorError when the host cannot start it at all."""
    check_limits(launch.limits)
    launch.work_dir.mkdir(parents=True, exist_ok=True)
    launch.tmp_dir.mkdir(parents=True, exist_ok=True)
    cgroup = isolation.job_cgroup(launch.limits)
    serving = launch.mode == "serve"
    owned: list[int] = []  # every fd this function opened, closed on the way out unless handed over

    def pipe() -> tuple[int, int]:
        read_end, write_end = os.pipe()
        owned.extend((read_end, write_end))
        return read_end, write_end

    try:
        messages_r, messages_w = pipe()
        commands_r, commands_w = pipe() if serving else (-1, -1)
        stdout_r, stdout_w = pipe()
        stderr_r, stderr_w = pipe()
        # The lifeline: the parent holds the write end and never writes; when the runtime dies (even by
        # SIGKILL) the worker reads end-of-file and kills its process group. Parent-death signals cannot do
        # this: they fire when the spawning *thread* exits, and warm predictors outlive theirs.
        lifeline_r, lifeline_w = pipe()
        procs_fds = [os.open(path, os.O_WRONLY) for path in (cgroup.procs_files() if cgroup else [])]
        owned.extend(procs_fds)
        command = [
            sys.executable,
            "-s",
            "-P",
            "-m",
            "sandbox.worker",
            launch.mode,
            "--spec",
            str(launch.spec_path),
            "--msg-fd",
            str(messages_w),
            "--lifeline-fd",
            str(lifeline_r),
        ]
        if serving:
            command += ["--cmd-fd", str(commands_r)]
        popen = subprocess.Popen(
            command,
            cwd=launch.work_dir,
            env=worker_env(launch.limits, launch.work_dir, launch.tmp_dir, launch.env),
            stdin=subprocess.DEVNULL,
            stdout=stdout_w,
            stderr=stderr_w,
            pass_fds=(messages_w, lifeline_r, commands_r) if serving else (messages_w, lifeline_r),
            start_new_session=True,
            preexec_fn=make_preexec(procs_fds, new_network=isolation.network_namespace),
        )
    except (OSError, subprocess.SubprocessError) as exc:
        for fd in owned:
            os.close(fd)
        if cgroup is not None:
            cgroup.remove()
        raise ExecutorError(f"cannot start the sandbox worker: {exc}") from exc
    # The child has its copies; the parent keeps only its own ends.
    handed_over = {messages_r, stdout_r, stderr_r, lifeline_w} | ({commands_w} if serving else set())
    for fd in owned:
        if fd not in handed_over:
            os.close(fd)
    return SandboxProcess(
        popen,
        WorkerChannel(popen.pid, messages_r, commands_w if serving else None),
        StreamReader(stdout_r, CappedOutput("stdout", launch.limits.output_bytes, launch.on_log)),
        StreamReader(stderr_r, CappedOutput("stderr", launch.limits.output_bytes, launch.on_log)),
        cgroup,
        launch.limits,
        lifeline_w,
    )


class SandboxProcess:
    """A running worker: its messages, its output, its usage, and the one way to end it (`finish`)."""

    def __init__(
        self,
        popen: subprocess.Popen[bytes],
        channel: WorkerChannel,
        stdout: StreamReader,
        stderr: StreamReader,
        cgroup: JobCgroup | None,
        limits: Limits,
        lifeline_fd: int,
    ) -> None:
        self.pid = popen.pid
        self._lifeline_fd: int | None = lifeline_fd
        self._popen = popen
        self._channel = channel
        self._stdout = stdout
        self._stderr = stderr
        self._cgroup = cgroup
        self._limits = limits
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._ended: float | None = None
        self._ending: Ending | None = None
        self._final_usage: Usage | None = None
        self._watchdog = (
            TreeWatchdog(
                self.pid,
                memory_limit=limits.memory_bytes,
                pids_limit=limits.pids,
                kill=self._kill_from_watchdog,
            )
            if cgroup is None
            else None
        )

    # --- messages ---

    def next_event(self, deadline: float | None) -> Event:
        return self._channel.next_event(deadline)

    def send(self, frame: bytes, deadline: float | None) -> bool:
        """Send a frame made by `protocol.encode` (callers encode first, to refuse bad payloads early)."""
        return self._channel.send(frame, deadline)

    def exited(self) -> bool:
        return self._ending is not None or self._channel.exited()

    # --- ending ---

    def kill(self) -> None:
        """SIGKILL the process group, everything in the cgroup and every process the watchdog saw."""
        with self._lock:
            self._kill_locked()

    def _kill_from_watchdog(self) -> None:
        # Never wait for the lock: finish() holds it while it stops the watchdog, and kills anyway.
        if self._lock.acquire(blocking=False):
            try:
                self._kill_locked()
            finally:
                self._lock.release()

    def _kill_locked(self) -> None:
        if self._ending is not None:  # reaped: the pid (and its group id) may belong to someone else now
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        if self._cgroup is not None:
            self._cgroup.kill_all()
        if self._watchdog is not None:
            self._watchdog.kill_seen()

    def finish(self, *, timed_out: bool = False, timeout_seconds: float | None = None) -> Ending:
        """Kill whatever is left of the job, reap the worker, collect output and usage, remove the cgroup.

        Safe to call more than once and from several threads; the first call decides the Ending.
        """
        with self._lock:
            if self._ending is not None:
                return self._ending
            self._kill_locked()
            _, status, rusage = os.wait4(self.pid, 0)
            self._ended = time.monotonic()
            returncode = os.waitstatus_to_exitcode(status)
            self._popen.returncode = returncode  # reaped here, so Popen must not wait for it again
            if self._watchdog is not None:
                self._watchdog.stop()
                self._watchdog.kill_seen()
            self._join_readers()
            self._final_usage = self._measure(rusage.ru_utime + rusage.ru_stime, rusage.ru_maxrss * 1024)
            self._ending = Ending(
                returncode=returncode,
                timed_out=timed_out,
                timeout_seconds=timeout_seconds,
                out_of_memory=self._out_of_memory(returncode),
                memory_limit=self._limits.memory_bytes,
                peak_memory=self._final_usage.peak_memory_bytes,
                hit_pids_limit=self._hit_pids_limit(),
                pids_limit=self._limits.pids,
            )
            if self._cgroup is not None:
                self._cgroup.remove()
            self._channel.close()
            if self._lifeline_fd is not None:
                os.close(self._lifeline_fd)
                self._lifeline_fd = None
            return self._ending

    def _join_readers(self) -> None:
        deadline = time.monotonic() + READER_GRACE_SECONDS
        for reader in (self._stdout, self._stderr):
            # Only a process that escaped both the group and the cgroup can hold a pipe open this long.
            if not reader.join(max(0.0, deadline - time.monotonic())):
                reader.stop()

    def _out_of_memory(self, returncode: int) -> bool:
        if self._watchdog is not None:
            return self._watchdog.out_of_memory
        if self._cgroup is None:
            return False
        kills = self._cgroup.oom_kills()
        if kills is not None:
            return kills > 0
        # Kernels that do not count OOM kills: a SIGKILL we did not send, after the limit was hit.
        return returncode == -signal.SIGKILL and self._cgroup.memory_limit_hits() > 0

    def _hit_pids_limit(self) -> bool:
        if self._watchdog is not None:
            return self._watchdog.hit_pids_limit
        return self._cgroup is not None and self._cgroup.pids_limit_hits() > 0

    # --- what it used and said ---

    def usage(self) -> Usage:
        if self._final_usage is not None:
            return self._final_usage
        return self._measure(None, None)

    def _measure(self, reaped_cpu: float | None, reaped_maxrss: int | None) -> Usage:
        peak = self._cgroup.peak_memory() if self._cgroup is not None else None
        if peak is None and self._watchdog is not None and self._watchdog.peak_memory:
            peak = self._watchdog.peak_memory
        if peak is None:
            peak = reaped_maxrss  # the largest single process: a lower bound for the tree
        cpu = self._cgroup.cpu_seconds() if self._cgroup is not None else None
        if cpu is None:
            cpu = reaped_cpu if reaped_cpu is not None else self._live_cpu()
        wall = (self._ended or time.monotonic()) - self._started
        return Usage(peak_memory_bytes=peak, cpu_seconds=cpu, wall_seconds=round(wall, 3))

    def _live_cpu(self) -> float | None:
        if self._watchdog is not None:
            return self._watchdog.cpu_seconds()
        try:
            times = psutil.Process(self.pid).cpu_times()
        except psutil.Error:
            return None
        return float(times.user + times.system + times.children_user + times.children_system)

    def logs(self) -> tuple[str, str]:
        return self._stdout.output.text(), self._stderr.output.text()
