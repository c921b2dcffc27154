"""Entry point of `make bench` (`python -m bench.run` from the repository root); the run is in bench/suite.py."""

from __future__ import annotations

import sys

from bench.suite import main

if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
