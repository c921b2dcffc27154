"""Table hand-off: the runtime's Arrow IPC path (host write, worker memory-mapped read) against pickling.

Both sides go through a file in the same directory and end with a pandas DataFrame in the reading process.
The Arrow side calls the project's own functions: `runtime.tabular.write_arrow_ipc` (host) and
`sandbox.worker.tables.read_frame` (worker). It starts from the `pa.Table` the host holds after an upload;
turning the uploader's DataFrame into that table happens at upload time and is reported on its own row.
"""

from __future__ import annotations

import gc
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from bench.measure import Comparison, Measurement, Ratio, timed
from runtime.sdk_client import sdk_frame
from runtime.tabular import write_arrow_ipc
from sandbox.worker.tables import read_frame

COLUMNS = 10
_WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel")


def mixed_frame(rows: int, seed: int = 7) -> pd.DataFrame:
    """`rows` × 10: four ints, two floats (one with NaNs), a float32, object text, a datetime and a bool.

    Dtypes are what the SDK uploads (`sdk_frame`: object text, datetime64[ns]; pandas 3 would otherwise infer
    `str` and datetime64[us]), and every text value is its own str object, as after a read.
    """
    rng = np.random.default_rng(seed)
    word_index = rng.integers(0, len(_WORDS), rows)
    numbers = rng.integers(0, 100_000, rows)
    delay = rng.normal(10.0, 30.0, rows)
    delay[rng.random(rows) < 0.05] = np.nan
    frame = pd.DataFrame(
        {
            "id": np.arange(rows, dtype=np.int64),
            "count": rng.integers(0, 1_000, rows, dtype=np.int32),
            "bucket": rng.integers(0, 64, rows, dtype=np.int16),
            "code": rng.integers(-(2**40), 2**40, rows, dtype=np.int64),
            "price": rng.random(rows) * 100.0,
            "delay": delay,
            "weight": rng.random(rows).astype(np.float32),
            "name": np.array([f"{_WORDS[w]}-{n}" for w, n in zip(word_index, numbers, strict=True)], dtype=object),
            "when": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365 * 86_400, rows), unit="s"),
            "flag": rng.random(rows) < 0.5,
        }
    )
    assert frame.shape[1] == COLUMNS
    uploaded: pd.DataFrame = sdk_frame(frame)
    return uploaded


def _pickle_write(frame: pd.DataFrame, path: Path) -> None:
    path.write_bytes(pickle.dumps(frame, protocol=pickle.HIGHEST_PROTOCOL))


def _pickle_read(path: Path) -> Any:
    return pickle.loads(path.read_bytes())  # noqa: S301 (the bench reads back the file it just wrote)


def _same_shape_and_dtypes(original: pd.DataFrame, copy: Any, label: str) -> list[str]:
    """Differences a reader of the numbers should know about (an empty list when the copy looks identical)."""
    if not isinstance(copy, pd.DataFrame):
        return [f"{label}: read back a {type(copy).__name__}, not a DataFrame"]
    problems = []
    if copy.shape != original.shape:
        problems.append(f"{label}: shape {copy.shape} differs from {original.shape}")
    for name in original.columns:
        if name in copy.columns and copy[name].dtype != original[name].dtype:
            problems.append(f"{label}: column {name!r} comes back as {copy[name].dtype}, not {original[name].dtype}")
    return problems


class _Sides:
    """The measurements of both sides, filled one interleaved round at a time."""

    def __init__(self) -> None:
        self.arrow_write = Measurement("Arrow: host write_arrow_ipc")
        self.arrow_read = Measurement("Arrow: worker read_frame (mmap → DataFrame)")
        self.arrow_total = Measurement("Arrow hand-off round trip")
        self.pickle_write = Measurement("pickle: dumps + write file")
        self.pickle_read = Measurement("pickle: read file + loads")
        self.pickle_total = Measurement("pickle round trip (protocol 5)")
        self.findings: list[str] = []

    def arrow_round(self, frame: pd.DataFrame, table: pa.Table, path: Path, check: bool) -> None:
        write_s, _ = timed(lambda: write_arrow_ipc(table, path))
        read_s, copy = timed(lambda: read_frame(str(path)))
        if check:
            self.findings += _same_shape_and_dtypes(frame, copy, "Arrow")
        self.arrow_write.add(write_s)
        self.arrow_read.add(read_s)
        self.arrow_total.add(write_s + read_s)

    def pickle_round(self, frame: pd.DataFrame, path: Path, check: bool) -> None:
        write_s, _ = timed(lambda: _pickle_write(frame, path))
        read_s, copy = timed(lambda: _pickle_read(path))
        if check:
            self.findings += _same_shape_and_dtypes(frame, copy, "pickle")
        self.pickle_write.add(write_s)
        self.pickle_read.add(read_s)
        self.pickle_total.add(write_s + read_s)


def _one_round(sides: _Sides, frame: pd.DataFrame, table: pa.Table, folder: Path, round_index: int) -> dict[str, int]:
    """Both sides once, in an order that alternates by round; returns the file sizes and removes the files."""
    arrow_path, pickle_path = folder / f"handoff-{round_index}.arrow", folder / f"handoff-{round_index}.pkl"
    check = round_index == 0

    def arrow_side() -> None:
        sides.arrow_round(frame, table, arrow_path, check)

    def pickle_side() -> None:
        sides.pickle_round(frame, pickle_path, check)

    for run_side in (arrow_side, pickle_side) if round_index % 2 == 0 else (pickle_side, arrow_side):
        gc.collect()
        run_side()
    sizes = {"arrow": arrow_path.stat().st_size, "pickle": pickle_path.stat().st_size}
    arrow_path.unlink()
    pickle_path.unlink()
    return sizes


def measure_handoff(folder: Path, rows: int, repeats: int) -> Comparison:
    """One unrecorded warm-up round, then `repeats` rounds that alternate which side goes first; files are
    removed and garbage is collected between sides."""
    frame = mixed_frame(rows)
    to_table = Measurement("upload side: pa.Table.from_pandas (not in the hand-off)")
    sides = _Sides()
    sizes: dict[str, int] = {}
    _one_round(_Sides(), frame, pa.Table.from_pandas(frame), folder, 0)  # warm-up: first-touch costs, not kept
    for round_index in range(repeats):
        table_s, table = timed(lambda: pa.Table.from_pandas(frame))
        to_table.add(table_s)
        sizes = _one_round(sides, frame, table, folder, round_index)
        del table
    return Comparison(
        key="handoff",
        title=f"Table hand-off, {rows:,} × {COLUMNS} mixed columns",
        measurements=[
            sides.arrow_write,
            sides.arrow_read,
            sides.arrow_total,
            sides.pickle_write,
            sides.pickle_read,
            sides.pickle_total,
            to_table,
        ],
        ratios=[
            Ratio("pickle / Arrow (round trip)", sides.pickle_total, sides.arrow_total),
            Ratio("pickle / Arrow (read side)", sides.pickle_read, sides.arrow_read),
        ],
        notes=[
            f"file sizes: Arrow {sizes['arrow'] / 2**20:.1f} MiB, pickle {sizes['pickle'] / 2**20:.1f} MiB",
            "both files live in the same directory and are read back warm from the page cache, in this process",
            "the runtime's upload path also hashes (sha256) and fsyncs the Arrow file (commit_file); not timed here",
            *sides.findings,
        ],
    )
