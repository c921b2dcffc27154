"""What isolation this host gives the process executor, found once per executor: a cgroup for memory, CPU
and process count, and a network namespace. Each part that is missing is announced by one warning that
says what is weaker; the jobs still run.

The child joins its cgroup and leaves the host network in `preexec_fn`, between fork and exec: before the
interpreter, let alone user code, runs. The function does no allocation-heavy work and takes no Python
locks (fds are opened and libc's `unshare` is resolved in the parent), which keeps it safe in a runtime
that has other threads.
"""

from __future__ import annotations

import ctypes
import logging
import os
import resource
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

from sandbox.executors.base import Limits
from sandbox.executors.cgroups import CgroupError, CgroupHost, JobCgroup, discover, sweep_stale

LOG = logging.getLogger("sandbox.executors.process")
CLONE_NEWNET = 0x40000000
PROBE_MEMORY_BYTES = 256 << 20

_LIBC = ctypes.CDLL(None, use_errno=True)
_UNSHARE = _LIBC.unshare
_UNSHARE.argtypes = [ctypes.c_int]
_UNSHARE.restype = ctypes.c_int


def _leave_host_network() -> None:
    if _UNSHARE(CLONE_NEWNET) != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"unshare(CLONE_NEWNET): {os.strerror(number)}")


def make_preexec(procs_fds: list[int], *, new_network: bool) -> Callable[[], None]:
    """The child's last steps before exec: join the job cgroup, no core dumps, own network namespace."""

    def preexec() -> None:
        pid = str(os.getpid()).encode()
        for fd in procs_fds:
            os.write(fd, pid)
        # A crashing job must not write a core file of its memory (secrets, data) into its cwd.
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if new_network:
            _leave_host_network()

    return preexec


class HostIsolation:
    """Discovers the host's isolation lazily (on the first job) and hands out job cgroups."""

    def __init__(self, *, use_cgroups: bool = True) -> None:
        self._use_cgroups = use_cgroups
        self._lock = threading.Lock()
        self._discovered = False
        self._warned: set[str] = set()
        self.cgroups: CgroupHost | None = None
        self.cgroup_problem = "cgroups are turned off for this executor" if not use_cgroups else ""
        self.network_namespace = False
        self.network_problem = ""

    def ensure(self) -> None:
        with self._lock:
            if self._discovered:
                return
            self._discovered = True
            if self._use_cgroups:
                self.cgroups, self.cgroup_problem = discover()
                if self.cgroups is not None:
                    self._probe_cgroup(self.cgroups)
                if self.cgroups is not None:
                    stale = sweep_stale(self.cgroups)
                    if stale:
                        LOG.warning("removed %d job cgroup(s) left by a runtime that died: %s", len(stale), stale)
            self._probe_network()
        self._announce()

    def job_cgroup(self, limits: Limits) -> JobCgroup | None:
        """A fresh cgroup with the job's limits, or None (the watchdog takes over) with one warning."""
        self.ensure()
        if self.cgroups is None:
            return None
        try:
            return JobCgroup.create(self.cgroups, memory_bytes=limits.memory_bytes, cpus=limits.cpus, pids=limits.pids)
        except CgroupError as exc:
            self.warn_once(
                "cgroup-create",
                f"process executor: {exc}; this job's memory and process "
                "limits fall back to the psutil watchdog and its CPU quota is not enforced",
            )
            return None

    def warn_once(self, key: str, message: str) -> None:
        with self._lock:
            if key in self._warned:
                return
            self._warned.add(key)
        LOG.warning("%s", message)

    def capabilities(self) -> dict[str, Any]:
        self.ensure()
        host = self.cgroups
        return {
            "cgroup": None if host is None else f"v{host.version}",
            "memoryLimit": "watchdog" if host is None else "cgroup",
            "cpuLimit": host is not None and "cpu" in host.parents,
            "pidsLimit": "watchdog" if host is None or "pids" not in host.parents else "cgroup",
            "networkIsolation": self.network_namespace,
            "degraded": [problem for problem in (self.cgroup_problem, self.network_problem) if problem],
        }

    # --- discovery ---

    def _probe_cgroup(self, host: CgroupHost) -> None:
        """Create a cgroup and start a trivial child in it: proves the whole path works on this host."""
        try:
            group = JobCgroup.create(host, memory_bytes=PROBE_MEMORY_BYTES, cpus=1.0, pids=16)
        except CgroupError as exc:
            self.cgroups, self.cgroup_problem = None, str(exc)
            return
        fds = [os.open(path, os.O_WRONLY) for path in group.procs_files()]
        try:
            status = _run_probe(make_preexec(fds, new_network=False))
            problem = f"exit status {status}"
        except (OSError, subprocess.SubprocessError) as exc:
            status, problem = -1, str(exc)
        finally:
            for fd in fds:
                os.close(fd)
            group.kill_all()
            group.remove()
        if status != 0:
            self.cgroups, self.cgroup_problem = None, f"a child cannot join a job cgroup ({problem})"

    def _probe_network(self) -> None:
        # An exception raised in preexec_fn reaches the parent without its errno, so the probe child
        # reports the errno as its exit status instead of raising.
        def probe() -> None:
            if _UNSHARE(CLONE_NEWNET) != 0:
                os._exit(ctypes.get_errno() or 1)

        try:
            status = _run_probe(probe)
        except (OSError, subprocess.SubprocessError) as exc:
            self.network_problem = f"the probe could not run: {exc}"
            return
        self.network_namespace = status == 0
        if status:
            self.network_problem = f"unshare(CLONE_NEWNET): {os.strerror(status)}"

    def _announce(self) -> None:
        if self.cgroups is None:
            self.warn_once(
                "cgroup",
                f"process executor: no usable cgroup ({self.cgroup_problem}); memory "
                "and process limits fall back to a psutil watchdog that samples the process tree "
                "(a fast allocation can overshoot between samples) and CPU quotas are not enforced",
            )
        elif self.cgroups.missing:
            self.warn_once(
                "cgroup-missing",
                f"process executor: {self.cgroups.describe()}; the limits of "
                f"{', '.join(self.cgroups.missing)} are not enforced",
            )
        if not self.network_namespace:
            self.warn_once(
                "netns",
                f"process executor: cannot give jobs their own network namespace "
                f"({self.network_problem}); user code can reach the host's network",
            )


def _run_probe(preexec: Callable[[], None]) -> int:
    """Run a trivial program through `preexec`; its exit status (the probe may exit before exec)."""
    true = shutil.which("true")
    command = [true] if true else [sys.executable, "-c", ""]
    done = subprocess.run(
        command,
        preexec_fn=preexec,
        check=False,
        timeout=30,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return done.returncode
