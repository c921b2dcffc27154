"""Job start: from `retrainModel` over HTTP to the first line of user `train`, against a bare pandas+pyarrow import.

The server and this process share the host clock, so the `time.time()` stamp `train` prints and the
`time.time()` taken at the call are directly comparable.
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bench._server import POLL_SECONDS, wait_version_fast
from bench.fixtures import TrainedModel
from bench.measure import Comparison, Measurement, Ratio, timed

STAMP_PREFIX = "T0 "


@dataclass(frozen=True)
class RetrainTiming:
    """Host-clock seconds after the `retrainModel` call at which each stage was reached."""

    claimed: float  # the scheduler marked the version TRAINING (trainingStartedAt, millisecond resolution)
    first_line: float  # user `train` printed its stamp
    seen_complete: float  # this process saw the version complete (includes the polling interval)


def child_python(code: str) -> float:
    """Wall seconds of `sys.executable -c code` (the PATH `python3` is a slow shim, so never that)."""
    seconds, _ = timed(lambda: subprocess.run([sys.executable, "-c", code], check=True))
    return seconds


def _stamp(stdout: str) -> float:
    for line in stdout.splitlines():
        if line.startswith(STAMP_PREFIX):
            return float(line[len(STAMP_PREFIX) :])
    raise RuntimeError(f"train's stamp line ({STAMP_PREFIX!r}...) is missing from the training stdout: {stdout!r}")


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def retrain_once(client: Any, model_id: str) -> RetrainTiming:
    called_at = time.time()
    retrained = client.retrain_model(model_id)
    version_id = retrained.latest_model_version.model_version
    version = wait_version_fast(client, version_id)
    seen_at = time.time()
    if version.status != "COMPLETE":
        raise RuntimeError(f"retraining {model_id} failed: {version.error}")
    logs = client.get_training_logs(version_id, stdout=True)
    return RetrainTiming(
        claimed=_epoch(version.training_started_at) - called_at,
        first_line=_stamp(logs.stdout) - called_at,
        seen_complete=seen_at - called_at,
    )


def measure_job_start(client: Any, model: TrainedModel, repeats: int) -> Comparison:
    """Interleave bare interpreter starts with retrains, alternating which goes first, so both see the same load."""
    interpreter = Measurement("python -c pass (bare interpreter)")
    bare_import = Measurement("python -c 'import pandas, pyarrow'")
    job_start = Measurement("job start: retrainModel → first line of train")
    claimed = Measurement("  of which: retrainModel → job claimed")
    sandbox = Measurement("  of which: job claimed → first line of train")
    complete = Measurement("retrainModel → COMPLETE seen by the client")

    def bare_side() -> None:
        interpreter.add(child_python("pass"))
        bare_import.add(child_python("import pandas, pyarrow"))

    def retrain_side() -> None:
        timing = retrain_once(client, model.model_id)
        job_start.add(timing.first_line)
        claimed.add(timing.claimed)
        sandbox.add(timing.first_line - timing.claimed)
        complete.add(timing.seen_complete)

    for round_index in range(repeats):
        for run_side in (bare_side, retrain_side) if round_index % 2 == 0 else (retrain_side, bare_side):
            run_side()
    return Comparison(
        key="job_start",
        title="Job start vs bare import",
        measurements=[interpreter, bare_import, job_start, claimed, sandbox, complete],
        ratios=[Ratio("job start / bare import", job_start, bare_import)],
        notes=[
            "job start: host clock at the retrainModel call to the time.time() stamp on train's first line",
            "job claimed: the version's trainingStartedAt (millisecond resolution)",
            f"COMPLETE is polled every {POLL_SECONDS * 1000:.0f} ms, so that row carries up to one interval of slack",
        ],
    )
