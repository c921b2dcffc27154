"""The benchmarks' server: `pymodel serve` on a free loopback port with its own data dir and key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from runtime.sdk_client import wait_deployment, wait_version
from runtime.server_process import ServerProcess

BENCH_KEY = "bench-key-0123456789abcdef"
POLL_SECONDS = 0.05  # tighter than the default 0.2 s: some waits are inside measurements


class BenchServer(ServerProcess):
    def __init__(self, root: Path) -> None:
        super().__init__(root / "data", BENCH_KEY, "--train-timeout", "120", cwd=root / "cwd")

    def client(self) -> Any:
        from abacusai import ApiClient

        return ApiClient(api_key=BENCH_KEY, server=self.url)


def wait_version_fast(client: Any, model_version: str) -> Any:
    return wait_version(client, model_version, poll=POLL_SECONDS)


def wait_deployment_fast(client: Any, deployment_id: str) -> Any:
    return wait_deployment(client, deployment_id, poll=POLL_SECONDS)
