"""Turns how a sandboxed worker ended (exit status, the kernel's OOM/pids events, the timeout flag) into the
one-line reason a person reads, with its numbers: the same wording for training and serving."""

from __future__ import annotations

import signal
from dataclasses import dataclass

GIB = 1 << 30
MIB = 1 << 20


@dataclass(frozen=True)
class Ending:
    """What is known about a worker that stopped (or was stopped)."""

    returncode: int | None  # negative: killed by that signal; None: unknown
    timed_out: bool = False
    timeout_seconds: float | None = None
    out_of_memory: bool = False  # the kernel (or the watchdog) killed something in the job for memory
    memory_limit: int | None = None
    peak_memory: int | None = None
    hit_pids_limit: bool = False  # a fork was refused at the process limit
    pids_limit: int | None = None


def limit_reason(ending: Ending) -> str | None:
    """The reason when a limit ended the job (timeout, memory, process count), else None.

    A limit outranks whatever the worker said or how it exited: the exception or signal that follows an OOM
    kill or a refused fork is a symptom of the limit, not the cause.
    """
    if ending.timed_out:
        return f"timed out after {format_seconds(ending.timeout_seconds)} s"
    if ending.out_of_memory:
        reason = f"exceeded its memory limit of {format_bytes(ending.memory_limit)}"
        if ending.peak_memory is not None and ending.memory_limit is not None:
            reason += f" (peak {format_bytes(ending.peak_memory, like=ending.memory_limit, decimals=1)})"
        return reason
    if ending.hit_pids_limit:
        return f"exceeded its process limit of {ending.pids_limit}"
    return None


def exit_reason(ending: Ending, *, status_suffix: str = "") -> str:
    """The reason for an unexpected exit: a limit, a signal, or a status plus `status_suffix`
    (" before returning a model" for training)."""
    limited = limit_reason(ending)
    if limited is not None:
        return limited
    code = ending.returncode
    if code is None:
        return "stopped for an unknown reason"
    if code < 0:
        return f"exited with signal {-code} ({signal_name(-code)})"
    return f"exited with status {code}{status_suffix}"


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def format_seconds(seconds: float | None) -> str:
    return "?" if seconds is None else f"{seconds:g}"


def format_bytes(value: int | None, *, like: int | None = None, decimals: int = 0) -> str:
    """2 GB, 256 MB, 1.5 GB (binary units, named as people say them); `like` picks the unit of a limit."""
    if value is None:
        return "?"
    unit, name = (GIB, "GB") if (like if like is not None else value) >= GIB else (MIB, "MB")
    amount = value / unit
    if decimals == 0 and amount == int(amount):
        return f"{int(amount)} {name}"
    return f"{amount:.{max(decimals, 1)}f} {name}"
