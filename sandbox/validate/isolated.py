"""Validation away from the caller's process: a warm validator process (`zygote`) forks one checker per
source with memory and time limits, so that a hostile source cannot crash, hang or bloat the server.

The warm process keeps each check at a fork's cost (milliseconds) instead of an interpreter start.
"""

from __future__ import annotations

import base64
import json
import os
import select
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from typing import Any

from sandbox.contract import FunctionNames
from sandbox.validate.report import Finding, ValidationReport

DEFAULT_MEMORY_BYTES = 1 << 30
DEFAULT_TIMEOUT_SECONDS = 10.0
_SLACK_SECONDS = 10.0  # beyond the checker's own limit before the warm process itself is deemed stuck


class ValidatorUnavailable(RuntimeError):
    """The validator process could not be started or stopped answering; the caller reports a server error."""


class IsolatedValidator:
    """`validate_source` with the same arguments and result, run in a forked checker. Thread-safe."""

    def __init__(self, *, memory_bytes: int = DEFAULT_MEMORY_BYTES, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        if memory_bytes < 64 << 20:
            raise ValueError(f"memory_bytes must be at least 64 MiB (got {memory_bytes})")
        if not timeout > 0:
            raise ValueError(f"timeout must be positive (got {timeout})")
        self.memory_bytes = memory_bytes
        self.timeout = timeout
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._buffer = b""

    def validate(
        self,
        source: str | bytes,
        *,
        functions: FunctionNames,
        n_tables: int,
        allowed_modules: frozenset[str] | None = None,
        extra_modules: Iterable[str] = (),
    ) -> ValidationReport:
        if n_tables < 0:
            raise ValueError(f"n_tables must be 0 or more (got {n_tables})")
        request: dict[str, Any] = {
            "functions": functions.named(),
            "n_tables": n_tables,
            "allowed_modules": sorted(allowed_modules) if allowed_modules is not None else None,
            "extra_modules": sorted(extra_modules),
        }
        if isinstance(source, bytes):
            request["source_b64"] = base64.b64encode(source).decode("ascii")
        else:
            request["source"] = source
        line = (json.dumps(request) + "\n").encode()
        with self._lock:
            try:
                answer = self._ask(line)
            except ValidatorUnavailable:
                self._stop()
                answer = self._ask(line)  # once more on a fresh process; a second failure goes to the caller
        return _report(answer)

    def close(self) -> None:
        with self._lock:
            self._stop()

    # --- internals ---

    def _ask(self, line: bytes) -> dict[str, Any]:
        proc = self._started()
        assert proc.stdin is not None
        try:
            proc.stdin.write(line)
            proc.stdin.flush()
        except OSError as exc:
            raise ValidatorUnavailable(f"the validator process stopped: {exc}") from exc
        answer: dict[str, Any] = json.loads(self._read_line(proc, time.monotonic() + self.timeout + _SLACK_SECONDS))
        return answer

    def _started(self) -> subprocess.Popen[bytes]:
        if self._proc is not None and self._proc.poll() is None:
            return self._proc
        command = [sys.executable, "-m", "sandbox.validate.zygote", str(self.memory_bytes), str(self.timeout)]
        try:
            self._proc = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=_child_env(), close_fds=True
            )
        except OSError as exc:
            raise ValidatorUnavailable(f"the validator process could not start: {exc}") from exc
        self._buffer = b""
        return self._proc

    def _read_line(self, proc: subprocess.Popen[bytes], deadline: float) -> bytes:
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ValidatorUnavailable("the validator process did not answer in time")
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise ValidatorUnavailable(f"the validator process exited (status {proc.wait()})")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.stdin is not None:
            proc.stdin.close()  # the validator process ends when its input closes
        try:
            proc.wait(2)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def _child_env() -> dict[str, str]:
    """The validator needs only to find its own package; nothing else of the caller's environment."""
    package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    python_path = os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": python_path, "LANG": "C.UTF-8"}


def _report(answer: dict[str, Any]) -> ValidationReport:
    if "failure" in answer:
        return ValidationReport.of([Finding(0, 0, str(answer["failure"]))])
    return ValidationReport.of(
        (Finding(int(line), int(col), str(message)) for line, col, message in answer["errors"]),
        (Finding(int(line), int(col), str(message)) for line, col, message in answer["warnings"]),
    )
