"""Captures one output stream of a worker with a byte cap: the head and the tail are kept, the middle is
dropped and replaced by one line saying how many bytes went. A reader thread drains the pipe so a flood
never blocks the worker on a full pipe nor grows the host's memory.

The log sink sees exactly the kept text: the head as it arrives, then (at the end, only when something
was dropped) the note and the tail.
"""

from __future__ import annotations

import codecs
import logging
import os
import select
import threading
from collections.abc import Callable

LOG = logging.getLogger(__name__)
READ_CHUNK = 64 * 1024
POLL_SECONDS = 0.1


class CappedOutput:
    """Keeps the first half of `cap` bytes and the last half. Thread-safe."""

    def __init__(self, stream: str, cap: int, sink: Callable[[str, str], None] | None = None) -> None:
        self.stream = stream
        self._head_cap = max(cap, 0) // 2
        self._tail_cap = max(cap, 0) - self._head_cap
        self._head = bytearray()
        self._tail = bytearray()
        self._total = 0
        self._sink = sink
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._lock = threading.Lock()
        self._finished = False

    def feed(self, data: bytes) -> None:
        with self._lock:
            self._total += len(data)
            room = self._head_cap - len(self._head)
            if room > 0:
                self._head += data[:room]
                self._emit(self._decoder.decode(data[:room]))
                data = data[room:]
            if data and self._tail_cap:
                self._tail += data
                del self._tail[: max(0, len(self._tail) - self._tail_cap)]

    def finish(self) -> None:
        """End of stream: hand the sink whatever it has not seen (the note and the tail)."""
        with self._lock:
            if self._finished:
                return
            self._finished = True
            rest = self._decoder.decode(b"", final=True)
            if self.dropped:
                rest += self._note()
            rest += self._tail.decode("utf-8", errors="replace")
            self._emit(rest)

    @property
    def dropped(self) -> int:
        return self._total - len(self._head) - len(self._tail)

    def text(self) -> str:
        """What is kept so far (safe to call while the stream is still running)."""
        with self._lock:
            head = self._head.decode("utf-8", errors="replace")
            middle = self._note() if self.dropped else ""
            return head + middle + self._tail.decode("utf-8", errors="replace")

    def _note(self) -> str:
        lead = "" if self._head.endswith(b"\n") or not self._head else "\n"
        return f"{lead}[... {self.dropped} bytes of {self.stream} dropped ...]\n"

    def _emit(self, text: str) -> None:
        if text and self._sink is not None:
            try:
                self._sink(self.stream, text)
            except Exception:  # a broken sink must not stop the draining, or the worker blocks on a full pipe
                LOG.exception("log sink failed for %s; output is still captured", self.stream)
                self._sink = None


class StreamReader:
    """A daemon thread that drains `fd` into a CappedOutput until end of file or until stopped.

    It polls instead of blocking in read(): a grandchild that escaped the kill and keeps the pipe open
    must not be able to hang the job, so `stop()` ends the thread within one poll interval.
    """

    def __init__(self, fd: int, output: CappedOutput) -> None:
        self._fd = fd
        self.output = output
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"sandbox-{output.stream}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        # poll, not select: a busy runtime may hold fds above select's FD_SETSIZE.
        poller = select.poll()
        poller.register(self._fd, select.POLLIN | select.POLLHUP | select.POLLERR)
        try:
            while not self._stop.is_set():
                if not poller.poll(POLL_SECONDS * 1000):
                    continue
                data = os.read(self._fd, READ_CHUNK)
                if not data:
                    break
                self.output.feed(data)
        finally:
            os.close(self._fd)
            self.output.finish()

    def join(self, timeout: float) -> bool:
        """Wait for end of file; True when the stream ended by itself."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(POLL_SECONDS * 5)
