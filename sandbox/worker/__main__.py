"""Entry point of the sandbox worker:
`python -m sandbox.worker {train|serve} --spec FILE --msg-fd N [--cmd-fd M]`.

The process ends through `os._exit` after flushing stdout/stderr, so threads user code left running cannot
keep it alive, and a `SystemExit` from user code becomes the exit status (never a fake success: success is
only a `TrainDone`/`Ready` message on the result channel).
"""

from __future__ import annotations

import argparse
import contextlib
import faulthandler
import os
import signal
import sys
import threading
import traceback

from sandbox.worker import protocol

# Status for a failure of the worker itself (EX_SOFTWARE), distinct from user exits in the common range.
WORKER_BUG_STATUS = 70


def main(argv: list[str]) -> int:
    # A native crash (SIGSEGV in an extension) prints the Python stack to stderr before the signal kills us.
    faulthandler.enable()
    parser = argparse.ArgumentParser(prog="python -m sandbox.worker")
    parser.add_argument("mode", choices=("train", "serve"))
    parser.add_argument("--spec", required=True)
    parser.add_argument("--msg-fd", type=int, required=True)
    parser.add_argument("--cmd-fd", type=int)
    parser.add_argument("--lifeline-fd", type=int)
    args = parser.parse_args(argv)
    if args.lifeline_fd is not None:
        _follow_lifeline(args.lifeline_fd)
    # Processes that user code starts must not inherit the channels (they could forge results).
    for fd in (args.msg_fd, args.cmd_fd):
        if fd is not None:
            os.set_inheritable(fd, False)

    with open(args.spec, encoding="utf-8") as handle:
        spec = protocol.read_spec(handle.read())
    if isinstance(spec, protocol.TrainSpec) and args.mode == "train":
        # Imported here: each mode loads only the data stack it needs (serving needs no pyarrow).
        from sandbox.worker import train

        return train.run(spec, args.msg_fd)
    if isinstance(spec, protocol.ServeSpec) and args.mode == "serve" and args.cmd_fd is not None:
        from sandbox.worker import serve

        return serve.run(spec, args.msg_fd, args.cmd_fd)
    parser.error(f"the spec file does not describe a {args.mode} job (or --cmd-fd is missing)")
    return WORKER_BUG_STATUS


def _follow_lifeline(fd: int) -> None:
    """End the whole job when the runtime that started it dies: the runtime never writes to this pipe, so a
    read returns only at end of file, which is when the runtime's end closed with its process."""
    os.set_inheritable(fd, False)

    def wait_for_parent() -> None:
        with contextlib.suppress(OSError):
            while os.read(fd, 64):
                pass
        os.killpg(0, signal.SIGKILL)  # the worker leads its own process group: this ends the job's processes
        os._exit(WORKER_BUG_STATUS)

    threading.Thread(target=wait_for_parent, name="lifeline", daemon=True).start()


def _exit_status(exc: SystemExit) -> int:
    """What CPython itself would exit with for this SystemExit."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code & 0xFF
    print(exc.code, file=sys.stderr)
    return 1


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        # Closed or broken by user code: nothing left to save.
        with contextlib.suppress(OSError, ValueError):
            stream.flush()


if __name__ == "__main__":
    status = WORKER_BUG_STATUS
    try:
        status = main(sys.argv[1:])
    except SystemExit as exc:
        status = _exit_status(exc)
    except BaseException:  # the worker's own failure: leave the traceback in stderr for the host's logs
        traceback.print_exc()
    finally:
        _flush()
        os._exit(status)
