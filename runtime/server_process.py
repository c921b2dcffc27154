"""A `pymodel serve` child process on a free loopback port: what the demo, the benchmarks, the tests and
scripts start when they want a real server of their own."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import TracebackType

from runtime.services.keys import ENV_KEY

_PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A loopback port nobody listens on now (the usual race applies: bind soon)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """`pymodel serve` on its own data dir, with `api_key` as its accepted key; output goes to `log_path`.

    `start` returns once `/healthz` answers; `stop` asks politely (SIGTERM) and `kill` does not, so that
    restarts and crashes can both be tried. Usable as a context manager.
    """

    def __init__(
        self, data_dir: Path, api_key: str, *args: str, cwd: Path | None = None, log_path: Path | None = None
    ) -> None:
        self.data_dir = data_dir
        self.api_key = api_key
        self.args = args
        self.cwd = cwd or data_dir.parent
        self.log_path = log_path or data_dir.parent / f"server-{data_dir.name}.log"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "runtime.cli",
            "serve",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
            "--log-level",
            "warning",
            *self.args,
        ]

    def start(self, timeout: float = 30) -> None:
        self.cwd.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        # the child finds `runtime` even when this package is used from a source checkout
        python_path = os.pathsep.join(filter(None, [str(_PACKAGE_ROOT), os.environ.get("PYTHONPATH")]))
        env = {**os.environ, ENV_KEY: self.api_key, "PYTHONPATH": python_path}
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(self.command(), cwd=self.cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"pymodel serve exited with status {self.proc.returncode}:\n{self.log()}")
            if self.healthy():
                return
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"pymodel serve did not answer {self.url}/healthz within {timeout:g} s:\n{self.log()}")

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as response:  # noqa: S310 (our loopback)
                return bool(response.status == 200)
        except OSError:
            return False

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 15) -> None:
        if not self.alive():
            return
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
