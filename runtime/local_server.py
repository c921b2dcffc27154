"""Finding the server that owns a data dir (for CLI commands that need warm workers) and its admin key."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from runtime.errors import NotReadyError, RuntimeApiError
from runtime.services.keys import ENV_KEY

SERVER_FILE = "server.json"
KEY_FILE = "api-key"


@dataclass(frozen=True)
class ServerInfo:
    url: str
    pid: int


def write_server_info(data_dir: Path, url: str) -> None:
    path = data_dir / SERVER_FILE
    path.write_text(json.dumps({"url": url, "pid": os.getpid()}))


def clear_server_info(data_dir: Path) -> None:
    path = data_dir / SERVER_FILE
    try:
        if json.loads(path.read_text()).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError):
        pass


def running_server(data_dir: Path) -> ServerInfo | None:
    try:
        info = json.loads((data_dir / SERVER_FILE).read_text())
        pid, url = int(info["pid"]), str(info["url"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return ServerInfo(url, pid) if psutil.pid_exists(pid) else None


def write_admin_key(data_dir: Path, key: str) -> Path:
    path = data_dir / KEY_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return path


def admin_key_file(data_dir: Path) -> str | None:
    """The key `pymodel serve` wrote for the CLI into the data dir, if there is one."""
    try:
        return (data_dir / KEY_FILE).read_text().strip() or None
    except OSError:
        return None


def admin_key(data_dir: Path) -> str | None:
    """The data dir's own key first (it belongs to this server); PYMODEL_API_KEY from the environment else."""
    return admin_key_file(data_dir) or os.environ.get(ENV_KEY) or None


def call_server(data_dir: Path, method: str, http: str, body: dict[str, Any] | None = None, query: str = "") -> Any:
    """Call the running server's API with the data dir's admin key; errors come back as RuntimeApiError."""
    server = running_server(data_dir)
    if server is None:
        raise NotReadyError(f"no pymodel server is running on {data_dir}; start one with `pymodel serve`")
    request = urllib.request.Request(  # noqa: S310 - the URL is our own loopback server's
        f"{server.url}/api/v0/{method}{'?' + query if query else ''}",
        data=json.dumps(body).encode() if body is not None else None,
        method=http,
        headers={"apiKey": admin_key(data_dir) or "", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=600) as response:  # noqa: S310 - our own loopback server
            payload = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        payload = json.loads(exc.read() or b"{}")
    if not payload.get("success"):
        error = RuntimeApiError(payload.get("error") or "the server refused the call")
        error.error_type = payload.get("errorType") or "ApiException"
        raise error
    return payload.get("result")
