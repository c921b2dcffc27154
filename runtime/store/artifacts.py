"""Artifacts under the data dir: written to a temporary name, fsynced, renamed, and their sha256 recorded."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temp_path_beside(final: Path) -> Path:
    """A fresh temporary name in the final file's directory, so the rename stays on one file system."""
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)
    os.close(fd)
    return Path(name)


def commit_file(tmp: Path, final: Path) -> str:
    """fsync `tmp`, rename it onto `final`, fsync the directory; returns the sha256 of the content."""
    digest = sha256_file(tmp)
    with tmp.open("rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, final)
    fsync_dir(final.parent)
    return digest


def write_bytes_atomic(final: Path, data: bytes) -> str:
    tmp = temp_path_beside(final)
    tmp.write_bytes(data)
    return commit_file(tmp, final)


def copy_file_atomic(src: Path, final: Path) -> str:
    tmp = temp_path_beside(final)
    shutil.copyfile(src, tmp)
    return commit_file(tmp, final)


def move_tree_atomic(src: Path, final: Path) -> None:
    """Move a directory into place: fsync its files, then one rename (same file system under the data dir)."""
    for root, _dirs, files in os.walk(src):
        for name in files:
            path = Path(root) / name
            if path.is_file() and not path.is_symlink():
                with path.open("rb") as fh:
                    os.fsync(fh.fileno())
    final.parent.mkdir(parents=True, exist_ok=True)
    if final.exists():
        shutil.rmtree(final)
    os.replace(src, final)
    fsync_dir(final.parent)


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


class Layout:
    """Where each artifact lives under the data dir; the one place that knows the paths."""

    def __init__(self, data_dir: Path) -> None:
        self.root = data_dir

    def upload_dir(self, upload_id: str) -> Path:
        return self.root / "uploads" / upload_id

    def table_version_dir(self, fg_version: str) -> Path:
        return self.root / "tables" / fg_version

    def table_parquet(self, fg_version: str) -> Path:
        return self.table_version_dir(fg_version) / "data.parquet"

    def table_arrow(self, fg_version: str) -> Path:
        return self.table_version_dir(fg_version) / "data.arrow"

    def job_dir(self, model_version: str) -> Path:
        return self.root / "jobs" / model_version

    def version_dir(self, model_version: str) -> Path:
        return self.root / "versions" / model_version

    def version_model(self, model_version: str) -> Path:
        return self.version_dir(model_version) / "model.pkl"

    def version_work(self, model_version: str) -> Path:
        return self.version_dir(model_version) / "work"

    def version_log(self, model_version: str, stream: str) -> Path:
        return self.version_dir(model_version) / f"{stream}.log"

    def deployment_dir(self, deployment_id: str) -> Path:
        return self.root / "deployments" / deployment_id
