"""The host's end of a worker's message pipes: non-blocking, with deadlines, strict about what it accepts.

`next_event` waits for whichever comes first: a message, the worker's exit (through a pidfd, or polling
where pidfds are missing) or the deadline. The worker is untrusted: a frame over the size limit or off the
schema raises `ProtocolError`, and the caller kills the worker.
"""

from __future__ import annotations

import collections
import contextlib
import os
import select
import time
from typing import Literal

from sandbox.worker.protocol import FrameDecoder, ProtocolError, Up, decode_up

READ_CHUNK = 1 << 20
EXIT_POLL_SECONDS = 0.02  # only where pidfd_open is unavailable

Event = Up | Literal["exited", "timeout"]


class WorkerChannel:
    def __init__(self, pid: int, messages_fd: int, commands_fd: int | None) -> None:
        self._pid = pid
        self._in = messages_fd
        self._out = commands_fd
        os.set_blocking(messages_fd, False)
        if commands_fd is not None:
            os.set_blocking(commands_fd, False)
        self._decoder = FrameDecoder()
        self._queue: collections.deque[Up] = collections.deque()
        self._eof = False
        self._closed = False
        try:
            self._exit_fd: int | None = os.pidfd_open(pid)
        except (AttributeError, OSError):  # kernels before 5.3, or seccomp profiles without it
            self._exit_fd = None

    # --- the worker's state ---

    def exited(self) -> bool:
        """True once the worker has exited. Does not reap it (the caller kills its group first)."""
        try:
            result = os.waitid(os.P_PID, self._pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return True
        return result is not None

    # --- receiving ---

    def next_event(self, deadline: float | None) -> Event:
        """The next message, "exited" (after every message sent before the exit), or "timeout"."""
        while True:
            if self._queue:
                return self._queue.popleft()
            if self.exited():
                self._drain()
                return self._queue.popleft() if self._queue else "exited"
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return "timeout"
            self._wait(remaining)
            if not self._eof:
                self._read_available()

    def _wait(self, remaining: float | None) -> None:
        poller = select.poll()
        if not self._eof:
            poller.register(self._in, select.POLLIN | select.POLLHUP | select.POLLERR)
        timeout = remaining
        if self._exit_fd is not None:
            poller.register(self._exit_fd, select.POLLIN)
        elif timeout is None or timeout > EXIT_POLL_SECONDS:
            timeout = EXIT_POLL_SECONDS
        poller.poll(None if timeout is None else max(0, int(timeout * 1000) + 1))

    def _read_available(self) -> None:
        while True:
            try:
                data = os.read(self._in, READ_CHUNK)
            except BlockingIOError:
                return
            if not data:
                self._eof = True
                return
            for body in self._decoder.feed(data):
                self._queue.append(decode_up(body))

    def _drain(self) -> None:
        """After the exit: whatever the worker wrote last is still in the pipe."""
        if not self._eof:
            self._read_available()

    # --- sending ---

    def send(self, frame: bytes, deadline: float | None) -> bool:
        """Write one encoded frame; False when the worker is gone or did not take it before the deadline."""
        if self._out is None:
            raise ProtocolError("this worker takes no commands")
        view = memoryview(frame)
        poller = select.poll()
        poller.register(self._out, select.POLLOUT)
        while view:
            try:
                view = view[os.write(self._out, view) :]
                continue
            except BlockingIOError:
                pass
            except OSError:  # EPIPE: the worker is gone
                return False
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return False
            poller.poll(None if remaining is None else int(remaining * 1000) + 1)
        return True

    def close(self) -> None:
        """Close every fd once (a second close could hit an fd number reused by someone else)."""
        if self._closed:
            return
        self._closed = True
        for fd in (self._in, self._out, self._exit_fd):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
