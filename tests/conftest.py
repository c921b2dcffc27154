"""Shared test fixtures: a real pymodel server on a free loopback port, and the real abacusai SDK as its client."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
CASES = REPO / "tests" / "cases"
SHARED_CASES = REPO.parent / "shared" / "cases"
TEST_KEY = "test-key-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A `pymodel serve` child process on its own data dir; stop/kill/start to test restarts."""

    def __init__(self, data_dir: Path, cwd: Path, *args: str) -> None:
        self.data_dir = data_dir
        self.cwd = cwd
        self.args = args
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir.parent / f"server-{self.port}.log"

    def start(self) -> None:
        env = {**os.environ, "PYMODEL_API_KEY": TEST_KEY, "PYTHONPATH": str(REPO)}
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [
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
            ],
            cwd=self.cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"server did not become healthy:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def client(self) -> Any:
        from abacusai import ApiClient

        return ApiClient(api_key=TEST_KEY, server=self.url)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("server")
    (root / "cwd").mkdir()
    srv = Server(root / "data", root / "cwd", "--predict-timeout", "10", "--train-timeout", "120")
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def client(server: Server) -> Any:
    return server.client()


def wait_version(client: Any, model_version: str, timeout: float = 120) -> Any:
    """Poll describeModelVersion (the SDK's own wait sleeps 5 s between polls)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        version = client.describe_model_version(model_version)
        if version.partial_complete:
            return version
        time.sleep(0.2)
    raise AssertionError(f"model version {model_version} did not finish in {timeout} s")


def wait_deployment(client: Any, deployment_id: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        deployment = client.describe_deployment(deployment_id)
        if deployment.status not in ("PENDING", "DEPLOYING"):
            return deployment
        time.sleep(0.1)
    raise AssertionError(f"deployment {deployment_id} did not start in {timeout} s")


def sdk_frame(df: Any) -> Any:
    """What the abacusai SDK's upload accepts: text as object, datetimes as datetime64[ns] (pandas 3 differs)."""
    import pandas as pd

    out = df.copy()
    for name in out.columns:
        dtype = out[name].dtype
        if isinstance(dtype, pd.StringDtype) or str(dtype) == "str":
            out[name] = out[name].astype(object)
        elif str(dtype).startswith("datetime64[") and getattr(dtype, "tz", None) is None:
            out[name] = out[name].astype("datetime64[ns]")
    return out


def read_case(path: Path) -> str:
    return path.read_text(encoding="utf-8")
