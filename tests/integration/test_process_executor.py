"""The process executor against real sandboxed subprocesses, one fixture model per behaviour
(tests/cases/executor). Nothing here unpickles a model: results reach the test as JSON or as files the
model wrote into its working directory."""

from __future__ import annotations

import json
import math
import os
import runpy
import socket
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
import psutil
import pyarrow as pa
import pyarrow.ipc
import pytest

from sandbox.contract import FunctionNames
from sandbox.executors.base import ExecutorError, JobResult, Limits, PredictorSpec, TrainJob
from sandbox.executors.cgroups import discover
from sandbox.executors.predictor import PredictorStartError, ProcessPredictor
from sandbox.executors.process import ProcessExecutor

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the process executor is Linux-only")

CASES = Path(__file__).resolve().parents[1] / "cases" / "executor"
BUGS = CASES.parent / "handed" / "bugs"  # the handed cases, run through the executor as they are
MIB = 1 << 20
LIMITS = Limits(cpus=1, memory_bytes=512 * MIB, wall_seconds=60)

_CAPABILITIES = ProcessExecutor().capabilities()
needs_cgroups = pytest.mark.skipif(
    _CAPABILITIES["cgroup"] is None,
    reason="needs a writable cgroup with the memory controller (root on v1, or a delegated v2 subtree)",
)
needs_netns = pytest.mark.skipif(
    not _CAPABILITIES["networkIsolation"], reason="needs unshare(CLONE_NEWNET) (root or CAP_SYS_ADMIN)"
)


# --- helpers ---------------------------------------------------------------------------------------------


def write_table(frame: pd.DataFrame, path: Path) -> Path:
    table = pa.Table.from_pandas(frame)
    with pa.OSFile(str(path), "wb") as sink, pyarrow.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return path


def source(case: str | Path) -> str:
    """A fixture of tests/cases/executor by name, or any case file by path."""
    return (case if isinstance(case, Path) else CASES / case).read_text()


def train(
    tmp_path: Path,
    case: str | Path,
    *,
    allowed: set[str] | None = None,
    limits: Limits = LIMITS,
    config: dict[str, Any] | None = None,
    frames: list[pd.DataFrame] | None = None,
    functions: FunctionNames | None = None,
    use_cgroups: bool = True,
    logs: list[tuple[str, str]] | None = None,
) -> JobResult:
    frames = frames if frames is not None else [pd.DataFrame({"x": [1.0, 2.0, 3.0]})]
    tmp_path.mkdir(parents=True, exist_ok=True)
    tables = tuple(write_table(frame, tmp_path / f"table{i}.arrow") for i, frame in enumerate(frames))
    executor = ProcessExecutor(frozenset(allowed) if allowed is not None else None, use_cgroups=use_cgroups)
    job = TrainJob(
        job_dir=tmp_path / "job",
        source=source(case),
        functions=functions or FunctionNames(),
        input_tables=tables,
        training_config=config,
        limits=limits,
    )
    return executor.run_training(job, on_log=None if logs is None else lambda s, c: logs.append((s, c)))


def serve(
    trained: JobResult,
    case: str | Path,
    *,
    allowed: set[str] | None = None,
    functions: FunctionNames | None = None,
    predict_timeout: float = 10,
) -> ProcessPredictor:
    assert trained.ok, trained.error
    assert trained.model_path is not None
    executor = ProcessExecutor(frozenset(allowed) if allowed is not None else None)
    handle = executor.predictor(
        PredictorSpec(
            model_path=trained.model_path,
            work_dir=trained.work_dir,
            source=source(case),
            functions=functions or FunctionNames(),
            limits=Limits(cpus=1, memory_bytes=512 * MIB),
            predict_timeout=predict_timeout,
        )
    )
    return handle


def strict_json(text: str | None) -> Any:
    def refuse(name: str) -> None:
        raise ValueError(f"{name} is not JSON")

    assert text is not None
    return json.loads(text, parse_constant=refuse)


def result(handle: ProcessPredictor, op: str, payload: Any) -> Any:
    outcome = handle.call(op, payload)  # type: ignore[arg-type]
    assert outcome.ok, outcome.error
    return strict_json(outcome.result_json)


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def new_children(before: set[int]) -> list[int]:
    return [child.pid for child in psutil.Process().children() if child.pid not in before]


@pytest.fixture(autouse=True)
def no_cgroup_left_behind() -> Iterator[None]:
    yield
    host, _ = discover()
    if host is not None:
        left = [p for parent in set(host.parents.values()) for p in parent.glob(f"pymodel-{os.getpid()}-*")]
        assert not left, f"job cgroups left behind: {left}"


# --- training ------------------------------------------------------------------------------------------


def test_success_keeps_model_and_work_files_and_measures_usage(tmp_path: Path) -> None:
    logs: list[tuple[str, str]] = []
    done = train(tmp_path, "success_model.py", logs=logs)
    assert done.ok, done.error
    assert done.error is None
    assert done.exception is None
    assert done.model_path == tmp_path / "job" / "model.pkl"
    assert done.model_path.stat().st_size > 0
    assert (done.work_dir / "artifact.txt").read_text() == "kept with the version"
    assert done.stdout == "training on 3 rows\n"
    assert "".join(chunk for stream, chunk in logs if stream == "stdout") == done.stdout
    assert not (tmp_path / "job" / "tmp").exists()
    assert done.usage.peak_memory_bytes
    assert done.usage.peak_memory_bytes > 10 * MIB
    assert done.usage.cpu_seconds
    assert done.usage.cpu_seconds > 0
    assert done.usage.wall_seconds
    assert done.usage.wall_seconds > 0


def test_user_exception_reports_type_message_and_user_traceback(tmp_path: Path) -> None:
    failed = train(tmp_path, "user_exception_model.py")
    assert not failed.ok
    assert failed.error == "ValueError: bad things"
    assert failed.model_path is None
    assert not (tmp_path / "job" / "model.pkl").exists()
    assert failed.exception is not None
    assert failed.exception["type"] == "ValueError"
    assert failed.exception["value"] == "bad things"
    trace = failed.exception["traceback"]
    assert 'File "model.py", line 8, in train' in trace
    assert 'File "model.py", line 4, in check' in trace
    assert 'raise ValueError("bad things")' in trace  # the user's source line is shown
    assert "sandbox" not in trace
    assert str(tmp_path) not in trace


def test_import_time_crash_names_the_module_lines(tmp_path: Path) -> None:
    failed = train(tmp_path, BUGS / "B37_import_time_crash_model.py")
    assert failed.error == "KeyError: 'b37_missing_key'"
    assert failed.exception is not None
    trace = failed.exception["traceback"]
    assert 'File "model.py", line 31, in <module>' in trace
    assert "SETTINGS = load_settings()" in trace
    assert 'File "model.py", line 28, in load_settings' in trace
    assert "sandbox" not in trace


def test_import_outside_the_allowlist_fails_as_a_user_error(tmp_path: Path) -> None:
    failed = train(tmp_path, "forbidden_import_model.py", allowed={"pandas", "numpy"})
    assert failed.error == "ImportError: import of module 'os' is not allowed"
    assert failed.exception is not None
    assert 'File "model.py", line 3, in train' in failed.exception["traceback"]


@pytest.mark.parametrize("declared", [True, False])
def test_training_config_is_passed_only_when_declared(tmp_path: Path, declared: bool) -> None:
    case = "training_config_declared_model.py" if declared else "training_config_absent_model.py"
    done = train(tmp_path, case, config={"depth": 3})
    assert done.ok, done.error
    handle = serve(done, case)
    handle.start()
    try:
        assert result(handle, "predict", {}) == ({"depth": 3} if declared else 3)
    finally:
        handle.close()


@needs_cgroups
def test_memory_bomb_reports_the_memory_limit(tmp_path: Path) -> None:
    limits = Limits(cpus=1, memory_bytes=256 * MIB, wall_seconds=30)
    failed = train(tmp_path, "memory_bomb_model.py", limits=limits)
    assert failed.error is not None
    assert failed.error.startswith("exceeded its memory limit of 256 MB (peak "), failed.error
    assert failed.usage.peak_memory_bytes is not None
    assert failed.usage.peak_memory_bytes > 200 * MIB


def test_memory_bomb_under_the_watchdog_fallback(tmp_path: Path) -> None:
    limits = Limits(cpus=1, memory_bytes=256 * MIB, wall_seconds=30)
    failed = train(tmp_path, "memory_bomb_model.py", limits=limits, use_cgroups=False)
    assert failed.error is not None
    assert failed.error.startswith("exceeded its memory limit of 256 MB (peak "), failed.error


@needs_cgroups
def test_oom_kill_of_a_child_is_reported_even_when_train_returns(tmp_path: Path) -> None:
    limits = Limits(cpus=1, memory_bytes=256 * MIB, wall_seconds=30)
    failed = train(tmp_path, "child_oom_model.py", allowed={"subprocess"}, limits=limits)
    assert failed.error is not None
    assert failed.error.startswith("exceeded its memory limit of 256 MB"), failed.error
    assert failed.model_path is None


@pytest.mark.parametrize("use_cgroups", [True, False])
def test_infinite_loop_times_out_and_leaves_no_process(tmp_path: Path, use_cgroups: bool) -> None:
    if use_cgroups and _CAPABILITIES["cgroup"] is None:
        pytest.skip("needs a writable cgroup")
    limits = Limits(cpus=0.5, memory_bytes=512 * MIB, wall_seconds=2)
    started = time.monotonic()
    failed = train(
        tmp_path,
        "infinite_loop_model.py",
        allowed={"os", "subprocess"},
        limits=limits,
        use_cgroups=use_cgroups,
    )
    assert time.monotonic() - started < 10
    assert failed.error == "timed out after 2 s"
    worker, helper = (int(pid) for pid in (failed.work_dir / "pids.txt").read_text().split())
    assert gone(worker)
    assert gone(helper)
    survivors = []
    for process in psutil.process_iter():
        try:
            # A zombie waiting for init to reap it runs nothing; anything else in the group survived.
            if os.getpgid(process.pid) == worker and not gone(process.pid):
                survivors.append(process.pid)
        except (ProcessLookupError, psutil.Error):
            continue
    assert not survivors
    if use_cgroups:  # the CPU quota: half a core for ~2 s of busy loop
        assert failed.usage.cpu_seconds is not None
        assert failed.usage.cpu_seconds < 1.6


@needs_cgroups
def test_a_process_that_escaped_the_group_is_killed_and_cannot_hang_the_job(tmp_path: Path) -> None:
    started = time.monotonic()
    done = train(tmp_path, "orphan_child_model.py", allowed={"subprocess"})
    assert time.monotonic() - started < 10  # the orphan held stdout open: the readers must not wait for it
    assert done.ok, done.error
    assert done.stdout == "orphan started\n"
    orphan = int((done.work_dir / "orphan.txt").read_text())
    deadline = time.monotonic() + 5
    while not gone(orphan) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert gone(orphan)


def test_segfault_reports_the_signal(tmp_path: Path) -> None:
    failed = train(tmp_path, "segfault_model.py", allowed={"faulthandler"})
    assert failed.error == "exited with signal 11 (SIGSEGV)"
    assert "Segmentation fault" in failed.stderr  # faulthandler's report of where it happened


@pytest.mark.parametrize("status", [3, 0])
def test_system_exit_is_a_failure_even_with_status_zero(tmp_path: Path, status: int) -> None:
    failed = train(tmp_path, "system_exit_model.py", config={"status": status})
    assert not failed.ok
    assert failed.error == f"exited with status {status} before returning a model"
    assert failed.model_path is None


@needs_cgroups
def test_fork_bomb_reports_the_process_limit(tmp_path: Path) -> None:
    limits = Limits(cpus=1, memory_bytes=512 * MIB, wall_seconds=30, pids=16)
    failed = train(tmp_path, "fork_bomb_model.py", allowed={"subprocess"}, limits=limits)
    assert failed.error == "exceeded its process limit of 16"
    assert failed.exception is not None
    assert failed.exception["type"] == "BlockingIOError"


def test_fast_exit_keeps_every_line_in_order_twenty_times(tmp_path: Path) -> None:
    for run in range(20):
        logs: list[tuple[str, str]] = []
        done = train(tmp_path / str(run), BUGS / "B14_fast_exit_logging_model.py", logs=logs)
        assert done.ok, done.error
        assert done.stdout == "line-1\nline-2\nlast-line-no-newline"
        assert done.stderr == "err-line\n"
        assert "".join(chunk for stream, chunk in logs if stream == "stdout") == done.stdout
        assert "".join(chunk for stream, chunk in logs if stream == "stderr") == done.stderr


def test_stdout_flood_is_capped_with_a_dropped_bytes_note(tmp_path: Path) -> None:
    cap = 64 * 1024
    logs: list[tuple[str, str]] = []
    limits = Limits(cpus=1, memory_bytes=512 * MIB, wall_seconds=60, output_bytes=cap)
    done = train(tmp_path, "stdout_flood_model.py", limits=limits, logs=logs)
    assert done.ok, done.error
    total = 100_000 * len(f"line {0:06d} " + "." * 30 + "\n") + len("the last line\n")
    assert done.stdout.startswith("line 000000 ")
    assert done.stdout.endswith("the last line\n")
    assert f"[... {total - cap} bytes of stdout dropped ...]\n" in done.stdout
    assert len(done.stdout) < cap + 100
    assert "".join(chunk for stream, chunk in logs if stream == "stdout") == done.stdout


def _describe(value: Any) -> Any:
    # Mirrors dtypes_model.py's _value: what the test expects train() to see.
    from decimal import Decimal

    if value is None:
        return None
    if isinstance(value, Decimal):
        return "Decimal:" + str(value)
    return repr(value)


def _expected(frame: pd.DataFrame) -> dict[str, Any]:
    return {
        "dtypes": {str(name): str(dtype) for name, dtype in frame.dtypes.items()},
        "index": {"name": frame.index.name, "dtype": str(frame.index.dtype)},
        "columns": [str(name) for name in frame.columns],
        "rows": len(frame),
        "values": {str(name): [_describe(v) for v in frame[name].tolist()] for name in frame.columns},
        "index_values": [_describe(v) for v in frame.index.tolist()],
    }


@pytest.mark.parametrize("recipe", ["B15_nullable_int_decimal.py", "B17_tz_aware.py", "B19_empty_and_null_batches.py"])
def test_dtypes_survive_the_arrow_hand_off(tmp_path: Path, recipe: str) -> None:
    frames = list(runpy.run_path(str(BUGS / recipe))["make_frames"]().values())
    done = train(tmp_path, "dtypes_model.py", frames=frames)
    assert done.ok, done.error
    seen = json.loads((done.work_dir / "describe.json").read_text())
    assert seen == [_expected(frame) for frame in frames]
    if recipe == "B15_nullable_int_decimal.py":
        assert seen[0]["values"]["big"][0] == "9223372036854775807"
        assert seen[0]["dtypes"]["tiny"] == "Int8"
        assert seen[0]["values"]["price"][0] == "Decimal:123.45"


@needs_netns
def test_user_code_cannot_reach_the_host_network(tmp_path: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        port = listener.getsockname()[1]
        done = train(tmp_path, "network_model.py", allowed={"socket", "json"}, config={"port": port})
        assert done.ok, done.error
        outcome = json.loads((done.work_dir / "network.json").read_text())
        assert outcome["connected"] is False, outcome
        with pytest.raises(BlockingIOError):
            listener.accept()


def test_misuse_raises_executor_error(tmp_path: Path) -> None:
    with pytest.raises(ExecutorError, match="limits.cpus must be a positive number"):
        train(tmp_path, "success_model.py", limits=Limits(cpus=0, memory_bytes=512 * MIB))


# --- serving -------------------------------------------------------------------------------------------


def test_user_class_pickled_by_value_loads_in_a_fresh_predictor(tmp_path: Path) -> None:
    done = train(tmp_path, BUGS / "B25_user_class_model.py")
    handle = serve(done, BUGS / "B25_user_class_model.py")
    handle.start()
    try:
        assert math.isclose(result(handle, "predict", {"x": 3}), 1.2247, abs_tol=1e-3)
    finally:
        handle.close()


def test_every_weird_output_becomes_strict_json(tmp_path: Path) -> None:
    expected = {
        "int64": 7,
        "float32": 0.5,
        "bool_": True,
        "ndarray": [0, 1, 2],
        "nan": None,
        "inf": None,
        "timestamp": "2024-05-01T12:00:00+02:00",
        "nat": None,
        "date": "2024-05-01",
        "decimal": 1.1,
        "categorical": ["a", "b"],
        "series": {"x": 1, "y": 2},
        "bytes": "AAE=",
    }
    case = BUGS / "B22_weird_outputs_model.py"
    done = train(tmp_path, case)
    handle = serve(done, case, functions=FunctionNames(predict_many="predict_many"))
    handle.start()
    try:
        for kind, value in expected.items():
            assert result(handle, "predict", {"kind": kind}) == value, kind
        assert handle.call("predict", {"kind": "decimal"}).result_json == "1.10"  # exact digits
        assert result(handle, "predict_many", [{}, {}, {}]) == [
            {"score": None, "when": None},
            {"score": 1.0, "when": "2024-01-01T00:00:00"},
            {"score": None, "when": None},
        ]
    finally:
        handle.close()


def test_helpers_are_visible_and_predict_many_maps_predict(tmp_path: Path) -> None:
    done = train(tmp_path, BUGS / "B08_helper_scope_model.py")
    handle = serve(done, BUGS / "B08_helper_scope_model.py")
    handle.start()
    try:
        assert result(handle, "predict", {"k": 5}) == 120
        assert result(handle, "predict_many", [{"k": 5}, {"k": 3}]) == [120, 6]
        assert result(handle, "predict_many", []) == []
    finally:
        handle.close()


def test_predict_exception_is_a_user_outcome_and_the_worker_keeps_serving(tmp_path: Path) -> None:
    done = train(tmp_path, "predict_exception_model.py")
    handle = serve(done, "predict_exception_model.py")
    handle.start()
    try:
        failed = handle.call("predict", {"y": 1})
        assert not failed.ok
        assert failed.error_kind == "user"
        assert failed.error == "KeyError: 'x'"
        assert failed.exception is not None
        assert 'File "model.py", line 7, in predict' in failed.exception["traceback"]
        assert result(handle, "predict", {"x": 4}) == 8
        with pytest.raises(ExecutorError, match="payload cannot be sent"):
            handle.call("predict", {"x": object()})  # the runtime's mistake, refused before sending
        assert result(handle, "predict", {"x": 5}) == 10
        assert handle.alive()
    finally:
        handle.close()


def test_predict_timeout_kills_the_worker(tmp_path: Path) -> None:
    done = train(tmp_path, "predict_timeout_model.py")
    handle = serve(done, "predict_timeout_model.py", predict_timeout=1)
    before = {child.pid for child in psutil.Process().children()}
    handle.start()
    (worker,) = new_children(before)
    try:
        assert result(handle, "predict", {}) == "ok"
        started = time.monotonic()
        outcome = handle.call("predict", {"hang": True})
        assert time.monotonic() - started < 5
        assert (outcome.ok, outcome.error_kind, outcome.error) == (
            False,
            "timeout",
            "predict timed out after 1 s",
        )
        assert not handle.alive()
        assert gone(worker)
        with pytest.raises(ExecutorError, match="not ready"):
            handle.call("predict", {})
    finally:
        handle.close()


@pytest.mark.parametrize(
    ("crash", "reason"),
    [("segv", "exited with signal 11 (SIGSEGV)"), ("exit", "exited with status 3 during predict")],
)
def test_a_crash_mid_call_is_a_crash_outcome(tmp_path: Path, crash: str, reason: str) -> None:
    done = train(tmp_path, "predict_crash_model.py", allowed={"faulthandler"})
    handle = serve(done, "predict_crash_model.py", allowed={"faulthandler"})
    handle.start()
    try:
        outcome = handle.call("predict", {"crash": crash})
        assert (outcome.ok, outcome.error_kind, outcome.error) == (False, "crash", reason)
        assert not handle.alive()
    finally:
        handle.close()


def test_initialize_runs_once_in_the_work_dir(tmp_path: Path) -> None:
    functions = FunctionNames(initialize="initialize")
    done = train(tmp_path, "initialize_model.py", functions=functions)
    handle = serve(done, "initialize_model.py", functions=functions)
    handle.start()
    try:
        assert result(handle, "predict", {}) == {"ready": True, "initialized": 1}
        assert result(handle, "predict", {}) == {"ready": True, "initialized": 1}
        assert (done.work_dir / "init_count.txt").read_text() == "x"
    finally:
        handle.close()


def test_initialize_failure_raises_with_the_user_reason(tmp_path: Path) -> None:
    functions = FunctionNames(initialize="initialize")
    done = train(tmp_path, "initialize_failure_model.py", functions=functions)
    handle = serve(done, "initialize_failure_model.py", functions=functions)
    with pytest.raises(PredictorStartError, match="RuntimeError: no weights found") as raised:
        handle.start()
    assert isinstance(raised.value, ExecutorError)
    assert raised.value.exception is not None
    assert raised.value.exception["type"] == "RuntimeError"
    assert not handle.alive()
    handle.close()


def test_predict_many_results_must_match_the_batch(tmp_path: Path) -> None:
    functions = FunctionNames(predict_many="predict_many")
    done = train(tmp_path, "predict_many_wrong_length_model.py", functions=functions)
    handle = serve(done, "predict_many_wrong_length_model.py", functions=functions)
    handle.start()
    try:
        assert result(handle, "predict_many", []) == []
        wrong = handle.call("predict_many", [{}, {}])
        assert (wrong.error_kind, wrong.error) == ("output", "predict_many returned 1 results for 2 queries")
        endless = handle.call("predict_many", [{"gen": True}, {}])
        assert endless.error_kind == "output"
        assert "(got generator)" in (endless.error or "")
        assert handle.alive()
    finally:
        handle.close()


def test_guards_hold_for_functions_unpickled_from_the_model(tmp_path: Path) -> None:
    done = train(tmp_path, "guarded_builtins_model.py")
    handle = serve(done, "guarded_builtins_model.py")
    handle.start()
    try:
        for probe in ("eval", "closure"):
            outcome = handle.call("predict", {"probe": probe})
            assert outcome.error == "NameError: name 'eval' is not defined", probe
        outside = handle.call("predict", {"probe": "open_outside"})
        assert outside.error_kind == "user"
        assert (outside.error or "").startswith("PermissionError: open()")
        fd = handle.call("predict", {"probe": "open_fd"})
        assert fd.error == "PermissionError: open() in model code takes a file path, not a file descriptor"
        assert result(handle, "predict", {"probe": "open_inside"}) == "fine"
    finally:
        handle.close()


def test_close_ends_the_worker_and_refuses_later_calls(tmp_path: Path) -> None:
    done = train(tmp_path, "success_model.py")
    handle = serve(done, "success_model.py")
    with pytest.raises(ExecutorError, match="not ready"):
        handle.call("predict", {})
    before = {child.pid for child in psutil.Process().children()}
    handle.start()
    (worker,) = new_children(before)
    assert result(handle, "predict", {"scale": 2}) == {"total": 12.0}
    usage = handle.usage()
    assert usage.peak_memory_bytes
    assert usage.cpu_seconds
    assert usage.wall_seconds
    handle.close()
    handle.close()  # idempotent
    assert gone(worker)
    assert not handle.alive()
    with pytest.raises(ExecutorError):
        handle.call("predict", {})


def test_concurrent_calls_are_serialised(tmp_path: Path) -> None:
    done = train(tmp_path, "predict_exception_model.py")
    handle = serve(done, "predict_exception_model.py")
    handle.start()
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            answers = list(pool.map(lambda x: result(handle, "predict", {"x": x}), range(40)))
        assert answers == [2 * x for x in range(40)]
    finally:
        handle.close()


def test_close_during_a_call_ends_the_call(tmp_path: Path) -> None:
    done = train(tmp_path, "predict_timeout_model.py")
    handle = serve(done, "predict_timeout_model.py", predict_timeout=60)
    handle.start()
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(handle.call, "predict", {"hang": True})
        time.sleep(0.5)
        started = time.monotonic()
        handle.close()
        outcome = pending.result(timeout=10)
    assert time.monotonic() - started < 5
    assert outcome.error_kind == "crash"
    assert not handle.alive()


def test_a_model_larger_than_its_memory_is_refused_before_it_reaches_the_disk(tmp_path: Path) -> None:
    limits = Limits(cpus=1, memory_bytes=512 * MIB, wall_seconds=60)
    failed = train(tmp_path, "oversized_model_model.py", limits=limits)
    assert not failed.ok
    assert failed.error is not None
    assert failed.error.startswith(
        "the trained model is larger than 512 MB, the memory it would be served with (stopped at 4.0 GB)"
    ), failed.error
    assert failed.model_path is None
    leftovers = [p for p in (tmp_path / "job").rglob("model.pkl*")]
    assert leftovers == [], leftovers
