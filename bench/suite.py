"""The whole `make bench` run: the in-process hand-off first (server not yet started, so it is idle), then one
real server for the job-start and predict comparisons, then the report."""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from bench._server import BenchServer
from bench.fixtures import create_trained_model, deploy
from bench.handoff import measure_handoff
from bench.job_start import measure_job_start
from bench.measure import Comparison
from bench.predict import measure_predict
from bench.report import payload, print_report, write_results
from bench.validation import measure_update_call, measure_validation


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run.py", description="pymodel benchmarks, reported as ratios")
    parser.add_argument("--repeats", type=int, default=10, help="job starts and hand-off round trips (default 10)")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the hand-off table (default 1,000,000)")
    parser.add_argument("--predict-calls", type=int, default=200, help="timed calls per HTTP client (default 200)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed calls per HTTP client first (default 10)")
    return parser.parse_args(argv)


def run_server_benchmarks(
    console: Console, root: Path, args: argparse.Namespace, validation: Comparison
) -> list[Comparison]:
    with BenchServer(root) as server:
        client = server.client()
        console.log("server up; uploading a table and training the trivial model")
        model = create_trained_model(client)
        console.log(f"job start: {args.repeats} retrains interleaved with bare imports")
        job_start = measure_job_start(client, model, args.repeats)
        console.log(f"predict: deploying, then {args.predict_calls} calls per client")
        deployment = deploy(client, model)
        predict = measure_predict(client, server.url, deployment, args.predict_calls, args.warmup)
        console.log("updatePythonModel: the long source, through the SDK")
        update = measure_update_call(client, model.model_id, args.repeats)
        validation.measurements.append(update)
        validation.notes.append(f"updatePythonModel median {update.median * 1e3:.1f} ms (target < 100 ms)")
    return [job_start, predict]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console()
    started, clock = datetime.now(UTC), time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="pymodel-bench-") as scratch:
        root = Path(scratch)
        console.log(f"hand-off: {args.rows:,} rows, {args.repeats} round trips per side")
        (root / "handoff").mkdir()
        handoff = measure_handoff(root / "handoff", args.rows, args.repeats)
        console.log("validation: a 2,000-line source against ast.parse")
        validation = measure_validation(args.repeats)
        comparisons = [*run_server_benchmarks(console, root, args, validation), handoff, validation]
    seconds = time.perf_counter() - clock
    settings = {
        "repeats": args.repeats,
        "rows": args.rows,
        "predict_calls": args.predict_calls,
        "warmup": args.warmup,
    }
    paths = write_results(started, payload(started, seconds, settings, comparisons))
    print_report(console, comparisons)
    console.print(f"finished in {seconds:.0f} s; results: {', '.join(str(p) for p in paths)}")
    return 0
