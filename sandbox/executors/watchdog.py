"""The fallback limiter for hosts where no cgroup can be made: a thread that samples the worker's process
tree with psutil, keeps the peak memory, and kills the job when the tree's memory or process count goes
over the limit.

Weaker than a cgroup, and the executor says so once: sampling lets a fast allocation overshoot between two
samples, RSS counts pages shared between forked processes more than once (so it errs towards killing),
and a process that leaves the tree (double fork) is only caught through the list of processes seen.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable

import psutil

SAMPLE_SECONDS = 0.05


class TreeWatchdog:
    def __init__(self, pid: int, *, memory_limit: int, pids_limit: int, kill: Callable[[], None]) -> None:
        self.peak_memory = 0
        self.out_of_memory = False
        self.hit_pids_limit = False
        self._memory_limit = memory_limit
        self._pids_limit = pids_limit
        self._kill = kill
        self._seen: dict[int, psutil.Process] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        try:
            self._root: psutil.Process | None = psutil.Process(pid)
        except psutil.Error:
            self._root = None
        self._thread = threading.Thread(target=self._run, name=f"sandbox-watchdog-{pid}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            if not self.sample():
                return

    def sample(self) -> bool:
        """One look at the tree; False once the root is gone or the job was killed."""
        if self._root is None:
            return False
        try:
            tree = [self._root, *self._root.children(recursive=True)]
        except psutil.Error:
            return False
        total = 0
        for process in tree:
            with contextlib.suppress(psutil.Error):
                total += process.memory_info().rss
        with self._lock:
            for process in tree:
                self._seen.setdefault(process.pid, process)
            self.peak_memory = max(self.peak_memory, total)
            if total > self._memory_limit:
                self.out_of_memory = True
            elif len(tree) > self._pids_limit:
                self.hit_pids_limit = True
            else:
                return True
        self._kill()
        return False

    def cpu_seconds(self) -> float | None:
        """CPU time of the live tree (reaped children included through the root's counters)."""
        if self._root is None:
            return None
        try:
            times = self._root.cpu_times()
        except psutil.Error:
            return None
        return float(times.user + times.system + times.children_user + times.children_system)

    def kill_seen(self) -> None:
        """SIGKILL every process ever seen in the tree that still runs (psutil checks it is the same one)."""
        with self._lock:
            seen = list(self._seen.values())
        for process in seen:
            with contextlib.suppress(psutil.Error):
                process.kill()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(SAMPLE_SECONDS * 10)
