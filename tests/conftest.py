"""Shared test fixtures: a real pymodel server on a free loopback port, and the real abacusai SDK as its client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runtime.server_process import ServerProcess

REPO = Path(__file__).resolve().parent.parent
CASES = REPO / "tests" / "cases"
# The cases handed to the project (../shared/cases when this checkout was made), kept with the tests so that a
# clean clone runs them too. Data only: nothing there is imported, hostile files are never parsed in-process.
SHARED_CASES = CASES / "handed"
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


def create_model(client: Any, project_id: str, source: str, tables: list[str], **kwargs: Any) -> Any:
    """createModelFromPython with the contract's default function names, train and predict."""
    return client.create_model_from_python(
        project_id=project_id,
        function_source_code=source,
        train_function_name="train",
        training_input_tables=tables,
        predict_function_name="predict",
        **kwargs,
    )


def read_case(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def case_header(path: Path) -> dict[str, str]:
    """The `# key: value` header block of a handed case file, read as text (never
    imported or parsed: one of them is built to crash parsers)."""
    fields: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        key, sep, value = line[1:].strip().partition(":")
        if sep:
            fields.setdefault(key.strip(), value.strip())
    return fields
