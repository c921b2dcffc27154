"""Server and CLI settings: where data lives, which executor runs jobs, the limits a node grants."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import psutil

GIB = 1 << 30

# cpuSize → CPUs, as DESIGN fixes it; capped at the node's cores (the cap is reported on the version).
DEFAULT_CPU_SIZES: dict[str, float] = {"small": 1.0, "medium": 2.0, "large": 4.0}
DEFAULT_MEMORY_GB = 4


def node_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def node_memory_gb() -> int:
    return max(1, psutil.virtual_memory().total // GIB)


def default_data_dir() -> Path:
    return Path(os.environ.get("PYMODEL_DATA_DIR", Path.home() / ".pymodel"))


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=default_data_dir)
    executor: str = "process"
    train_timeout: float = 3600.0
    predict_timeout: float = 60.0
    max_concurrent_trainings: int = 2
    cpu_sizes: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_CPU_SIZES))
    node_cpus: int = field(default_factory=node_cpus)
    node_memory_gb: int = field(default_factory=node_memory_gb)
    default_memory_gb: int = DEFAULT_MEMORY_GB
    output_bytes: int = 1 << 20
    allowed_modules: frozenset[str] | None = None  # None: the validator's default allowlist
    validate_timeout: float = 10.0  # one source's check, in the validator's own process

    @property
    def db_path(self) -> Path:
        return self.data_dir / "pymodel.db"
