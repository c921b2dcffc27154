"""Per-job cgroups on v1 and v2 hosts: find where they may be made, create one with limits, read what the
job used and what the kernel did to it (OOM kills, refused forks), kill everything in it, remove it.

Job cgroups are made beneath this process's own cgroup in each hierarchy, so they stay inside whatever
limits the host already placed on the runtime. On v2 a cgroup that holds processes cannot enable
controllers for its children, so when the runtime's own cgroup is such a non-root cgroup the job cgroups
are made beside it instead (in its parent, whose controllers it already enjoys).
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

V1_CONTROLLERS = ("memory", "cpu", "cpuacct", "pids")
V2_CONTROLLERS = ("memory", "cpu", "pids")
CFS_PERIOD_US = 100_000
MIN_CFS_QUOTA_US = 1_000  # the kernel's lower bound for cpu.cfs_quota_us / cpu.max
NAME_PREFIX = "pymodel-"


class CgroupError(OSError):
    """A cgroup could not be created or configured; the caller falls back to the watchdog."""


@dataclass(frozen=True)
class CgroupHost:
    """Where job cgroups may be made on this host: one parent directory per controller."""

    version: Literal[1, 2]
    parents: dict[str, Path]
    missing: tuple[str, ...] = ()  # controllers that cannot be used here (their limit is not enforced)

    def describe(self) -> str:
        return f"cgroup v{self.version}" + (f" without {', '.join(self.missing)}" if self.missing else "")


def discover(proc: Path = Path("/proc/self")) -> tuple[CgroupHost | None, str]:
    """The host's cgroup setup, or None and the reason none can be used (for the degraded warning)."""
    try:
        mounts = _cgroup_mounts((proc / "mountinfo").read_text())
        memberships = _memberships((proc / "cgroup").read_text())
    except OSError as exc:
        return None, f"cannot read the process's cgroup membership ({exc})"
    v2 = _discover_v2(mounts, memberships)
    if v2 is not None:
        return v2, ""
    v1 = _discover_v1(mounts, memberships)
    if v1 is not None:
        return v1, ""
    return None, "no writable cgroup with the memory controller (v1 or v2) is available to this process"


@dataclass
class JobCgroup:
    """One job's cgroup (one directory per v1 hierarchy, or one v2 directory)."""

    version: Literal[1, 2]
    dirs: dict[str, Path]  # controller -> directory
    _removed: bool = field(default=False, repr=False)

    @classmethod
    def create(cls, host: CgroupHost, *, memory_bytes: int, cpus: float, pids: int) -> JobCgroup:
        name = f"{NAME_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
        dirs = {controller: parent / name for controller, parent in host.parents.items()}
        group = cls(version=host.version, dirs=dirs)
        try:
            for directory in group.unique_dirs():
                directory.mkdir()
            group._limit(memory_bytes=memory_bytes, cpus=cpus, pids=pids)
        except OSError as exc:
            group.remove()
            raise CgroupError(exc.errno, f"cannot set up the job cgroup: {exc}") from exc
        return group

    def unique_dirs(self) -> list[Path]:
        # v1 controllers may be co-mounted (cpu,cpuacct): one directory serves both.
        return list(dict.fromkeys(self.dirs.values()))

    def procs_files(self) -> list[Path]:
        """The files the child writes its pid into to join (every hierarchy)."""
        return [directory / "cgroup.procs" for directory in self.unique_dirs()]

    # --- limits ---

    def _limit(self, *, memory_bytes: int, cpus: float, pids: int) -> None:
        quota = max(MIN_CFS_QUOTA_US, int(cpus * CFS_PERIOD_US))
        if self.version == 1:
            memory = self.dirs["memory"]
            # limit_in_bytes first: memsw may never be below it. memsw == limit keeps the job off swap.
            _write(memory / "memory.limit_in_bytes", str(memory_bytes))
            if (memory / "memory.memsw.limit_in_bytes").exists():
                _write(memory / "memory.memsw.limit_in_bytes", str(memory_bytes))
            else:
                _write_optional(memory / "memory.swappiness", "0")
            if "cpu" in self.dirs:
                _write(self.dirs["cpu"] / "cpu.cfs_period_us", str(CFS_PERIOD_US))
                _write(self.dirs["cpu"] / "cpu.cfs_quota_us", str(quota))
        else:
            unified = self.dirs["memory"]
            _write(unified / "memory.max", str(memory_bytes))
            _write_optional(unified / "memory.swap.max", "0")
            # One OOM kill takes the whole job down together, like the job failing as a unit.
            _write_optional(unified / "memory.oom.group", "1")
            if "cpu" in self.dirs:
                _write(unified / "cpu.max", f"{quota} {CFS_PERIOD_US}")
        if "pids" in self.dirs:
            _write(self.dirs["pids"] / "pids.max", str(pids))

    # --- what happened ---

    def peak_memory(self) -> int | None:
        name = "memory.max_usage_in_bytes" if self.version == 1 else "memory.peak"
        return _read_int(self.dirs["memory"] / name)

    def cpu_seconds(self) -> float | None:
        if self.version == 1:
            usage_ns = _read_int(self.dirs["cpuacct"] / "cpuacct.usage") if "cpuacct" in self.dirs else None
            return None if usage_ns is None else usage_ns / 1e9
        usage_us = _read_keyed(self.dirs["memory"] / "cpu.stat").get("usage_usec")
        return None if usage_us is None else usage_us / 1e6

    def oom_kills(self) -> int | None:
        """Processes the kernel killed for memory; None when this kernel does not count them."""
        if self.version == 1:
            return _read_keyed(self.dirs["memory"] / "memory.oom_control").get("oom_kill")
        return _read_keyed(self.dirs["memory"] / "memory.events").get("oom_kill")

    def memory_limit_hits(self) -> int:
        """How often usage ran into the limit (reclaim may have saved it: a hint, not a verdict)."""
        memory = self.dirs["memory"]
        if self.version == 1:
            return (_read_int(memory / "memory.failcnt") or 0) + (_read_int(memory / "memory.memsw.failcnt") or 0)
        return _read_keyed(memory / "memory.events").get("max", 0)

    def pids_limit_hits(self) -> int:
        """Forks refused because the job was at its process limit."""
        if "pids" not in self.dirs:
            return 0
        return _read_keyed(self.dirs["pids"] / "pids.events").get("max", 0)

    def pids(self) -> set[int]:
        found: set[int] = set()
        for procs in self.procs_files():
            with contextlib.suppress(OSError):
                found.update(int(line) for line in procs.read_text().split())
        return found

    # --- teardown ---

    def kill_all(self, timeout: float = 5.0) -> None:
        """SIGKILL every process in the cgroup, repeating until it is empty (a fork may race one pass)."""
        if self.version == 2 and (self.dirs["memory"] / "cgroup.kill").exists():
            _write_optional(self.dirs["memory"] / "cgroup.kill", "1")
        deadline = time.monotonic() + timeout
        while True:
            remaining = self.pids()
            if not remaining or time.monotonic() > deadline:
                return
            for pid in remaining:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.01)

    def remove(self) -> None:
        """Remove the directories; retried briefly because killed tasks leave the cgroup asynchronously."""
        if self._removed:
            return
        self._removed = True
        for directory in self.unique_dirs():
            for _ in range(200):
                try:
                    directory.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError as exc:
                    if exc.errno != errno.EBUSY:
                        break
                    time.sleep(0.01)


def sweep_stale(host: CgroupHost) -> list[str]:
    """Kill and remove job cgroups left by a runtime that died (its pid is in the name and no longer runs).

    Workers end themselves when their runtime dies (the lifeline pipe); this catches what they started.
    Returns the names removed.
    """
    removed: list[str] = []
    for parent in dict.fromkeys(host.parents.values()):
        try:
            children = [p for p in parent.iterdir() if p.is_dir() and p.name.startswith(NAME_PREFIX)]
        except OSError:
            continue
        for directory in children:
            owner = directory.name[len(NAME_PREFIX) :].partition("-")[0]
            if not owner.isdigit() or int(owner) == os.getpid() or _pid_alive(int(owner)):
                continue
            dirs = {controller: p / directory.name for controller, p in host.parents.items()}
            stale = JobCgroup(version=host.version, dirs={c: d for c, d in dirs.items() if d.exists()})
            if stale.dirs:
                stale.kill_all()
                stale.remove()
                removed.append(directory.name)
    return removed


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --- discovery helpers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Mount:
    point: Path
    root: str
    fstype: str
    options: frozenset[str]


def _cgroup_mounts(mountinfo: str) -> list[_Mount]:
    mounts = []
    for line in mountinfo.splitlines():
        head, _, tail = line.partition(" - ")
        fields, post = head.split(), tail.split()
        if len(fields) < 5 or len(post) < 3 or post[0] not in ("cgroup", "cgroup2"):
            continue
        mounts.append(_Mount(Path(fields[4]), fields[3], post[0], frozenset(post[2].split(","))))
    return mounts


def _memberships(proc_cgroup: str) -> dict[str, str]:
    """controller -> cgroup path; the v2 membership is under the key ""."""
    found: dict[str, str] = {}
    for line in proc_cgroup.splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3:
            for controller in parts[1].split(",") if parts[1] else [""]:
                found[controller] = parts[2]
    return found


def _inside(mount: _Mount, path: str) -> Path | None:
    """The directory of cgroup `path` under `mount`, when the mount shows it."""
    root = mount.root.rstrip("/")
    if root and not (path == root or path.startswith(root + "/")):
        return None
    directory = mount.point / path[len(root) :].lstrip("/")
    return directory if directory.is_dir() else None


def _discover_v2(mounts: list[_Mount], memberships: dict[str, str]) -> CgroupHost | None:
    path = memberships.get("")
    mount = next((m for m in mounts if m.fstype == "cgroup2"), None)
    if path is None or mount is None:
        return None
    own = _inside(mount, path)
    if own is None:
        return None
    for candidate in (own, own.parent if own != mount.point else None):
        if candidate is None or not os.access(candidate, os.W_OK):
            continue
        available = set(_read_text(candidate / "cgroup.controllers").split())
        if "memory" not in available:
            continue
        wanted = [c for c in V2_CONTROLLERS if c in available]
        if _enable_subtree(candidate, wanted):
            missing = tuple(c for c in V2_CONTROLLERS if c not in wanted)
            return CgroupHost(version=2, parents=dict.fromkeys(wanted, candidate), missing=missing)
    return None


def _enable_subtree(directory: Path, controllers: list[str]) -> bool:
    enabled = set(_read_text(directory / "cgroup.subtree_control").split())
    todo = [c for c in controllers if c not in enabled]
    if not todo:
        return True
    try:
        # EBUSY here means the cgroup holds processes itself (v2's no-internal-process rule).
        _write(directory / "cgroup.subtree_control", " ".join(f"+{c}" for c in todo))
    except OSError:
        return False
    return True


def _discover_v1(mounts: list[_Mount], memberships: dict[str, str]) -> CgroupHost | None:
    parents: dict[str, Path] = {}
    for controller in V1_CONTROLLERS:
        mount = next((m for m in mounts if m.fstype == "cgroup" and controller in m.options), None)
        path = memberships.get(controller)
        if mount is None or path is None:
            continue
        directory = _inside(mount, path)
        if directory is not None and os.access(directory, os.W_OK):
            parents[controller] = directory
    if "memory" not in parents:
        return None
    return CgroupHost(version=1, parents=parents, missing=tuple(c for c in V1_CONTROLLERS if c not in parents))


# --- file helpers -----------------------------------------------------------------------------------------


def _write(path: Path, value: str) -> None:
    with open(path, "w") as handle:
        handle.write(value)


def _write_optional(path: Path, value: str) -> None:
    """For settings that older kernels or some hosts lack; the job still runs without them."""
    with contextlib.suppress(OSError):
        _write(path, value)


def _read_text(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _read_int(path: Path) -> int | None:
    text = _read_text(path).strip()
    return int(text) if text.isdigit() else None


def _read_keyed(path: Path) -> dict[str, int]:
    """Files of "key value" lines: memory.events, memory.oom_control, pids.events, cpu.stat."""
    values: dict[str, int] = {}
    for line in _read_text(path).splitlines():
        key, _, value = line.partition(" ")
        if value.strip().lstrip("-").isdigit():
            values[key] = int(value)
    return values
