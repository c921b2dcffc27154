"""The validator's own process: it loads the validator once, then forks one short-lived checker per source,
under a memory limit and a CPU-time limit, so that a parser bomb ends in a finding and never reaches the
caller's process. Run as `python -m sandbox.validate.zygote MEMORY_BYTES TIMEOUT_SECONDS`.

Protocol (one JSON object per line): down `{"source": str} | {"source_b64": str}` plus `functions`,
`n_tables`, `allowed_modules`, `extra_modules`; up `{"errors": [[line, col, message]...], "warnings": [...]}`
or `{"failure": message}` when the checker did not finish. The zygote ends when its stdin closes.
"""

from __future__ import annotations

import base64
import gc
import json
import math
import os
import resource
import select
import signal
import sys
import time
from typing import Any

from sandbox.contract import FunctionNames
from sandbox.validate import validate_source

_EXIT_OUT_OF_MEMORY = 3
_EXIT_CRASHED = 4


def check(request: dict[str, Any]) -> dict[str, Any]:
    """The validation itself, as the forked checker runs it."""
    source: str | bytes = base64.b64decode(request["source_b64"]) if "source_b64" in request else str(request["source"])
    allowed = request.get("allowed_modules")
    report = validate_source(
        source,
        functions=FunctionNames(**request["functions"]),
        n_tables=int(request["n_tables"]),
        allowed_modules=frozenset(allowed) if allowed is not None else None,
        extra_modules=request.get("extra_modules") or (),
    )
    return {
        "errors": [[f.line, f.col, f.message] for f in report.errors],
        "warnings": [[f.line, f.col, f.message] for f in report.warnings],
    }


def _run_child(request: dict[str, Any], write_fd: int, memory_bytes: int, timeout: float) -> None:
    """In the forked checker: limit, check, write the answer, exit without running any parent cleanup."""
    status = 0
    gc.disable()  # a short life under a memory limit: collecting would only touch (and copy) shared pages
    try:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        cpu = math.ceil(timeout) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
        data = json.dumps(check(request)).encode()
        view = memoryview(data)
        while view:
            view = view[os.write(write_fd, view) :]
    except MemoryError:
        status = _EXIT_OUT_OF_MEMORY
    except BaseException:  # noqa: BLE001 - any other failure is reported by the parent from the exit status
        status = _EXIT_CRASHED
    finally:
        os._exit(status)


def check_in_fork(request: dict[str, Any], memory_bytes: int, timeout: float) -> dict[str, Any]:
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        _run_child(request, write_fd, memory_bytes, timeout)
    os.close(write_fd)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    timed_out = False
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            ready, _, _ = select.select([read_fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(read_fd, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_fd)
        if timed_out:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    return _answer(b"".join(chunks), status, timed_out, memory_bytes, timeout)


def _answer(data: bytes, status: int, timed_out: bool, memory_bytes: int, timeout: float) -> dict[str, Any]:
    hint = "simplify it (very deep nesting or huge expressions are the usual cause)"
    if timed_out or (os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGXCPU):
        return {"failure": f"checking the source took longer than {timeout:g} s and was stopped: {hint}"}
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == _EXIT_OUT_OF_MEMORY:
        megabytes = memory_bytes // 2**20
        return {"failure": f"checking the source needed more than {megabytes} MB of memory and was stopped: {hint}"}
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 and data:
        answer: dict[str, Any] = json.loads(data)
        return answer
    if os.WIFSIGNALED(status):
        name = signal.Signals(os.WTERMSIG(status)).name
        return {"failure": f"the checker crashed on this source (signal {os.WTERMSIG(status)}, {name}): {hint}"}
    return {"failure": f"the checker failed on this source (exit status {os.WEXITSTATUS(status)}): {hint}"}


def main(argv: list[str]) -> int:
    memory_bytes, timeout = int(argv[0]), float(argv[1])
    gc.freeze()  # what is loaded now stays shared with every forked checker instead of being copied by the GC
    out = sys.stdout
    for line in sys.stdin:
        try:
            request = json.loads(line)
            answer = check_in_fork(request, memory_bytes, timeout)
        except (ValueError, KeyError, TypeError) as exc:
            answer = {"failure": f"bad request to the validator: {exc}"}
        out.write(json.dumps(answer) + "\n")
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
