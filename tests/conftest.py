"""Shared test fixtures: a real pymodel server on a free loopback port, and the real abacusai SDK as its client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runtime.server_process import ServerProcess

REPO = Path(__file__).resolve().parent.parent
CASES = REPO / "tests" / "cases"
SHARED_CASES = REPO.parent / "shared" / "cases"
TEST_KEY = "test-key-0123456789abcdef"


class Server(ServerProcess):
    """A `pymodel serve` child process on its own data dir, accepting TEST_KEY; stop/kill/start to test restarts."""

    def __init__(self, data_dir: Path, cwd: Path, *args: str) -> None:
        super().__init__(data_dir, TEST_KEY, *args, cwd=cwd)

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


def read_case(path: Path) -> str:
    return path.read_text(encoding="utf-8")
