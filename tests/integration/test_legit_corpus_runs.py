"""The legitimate models of tests/cases/legit are real models: each trains and serves through the process
executor (with the default import allowlist) on small synthetic tables, and its batch answer agrees with its
single answer. Nothing here unpickles a model: results reach the test as JSON.

The synthetic tables have the columns the corpus docstrings name (tests/cases/legit/README.md lists them):
one "shop" table for single-table models, and nycflights13-shaped `flights` and `weather` tables for the
`*_2tables.py` models. The whole corpus takes about a minute, so a representative SAMPLE runs by default;
PYMODEL_LEGIT_ALL=1 runs every file.
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.ipc
import pytest

from sandbox.executors.base import Limits, PredictorSpec, TrainJob
from sandbox.executors.predictor import ProcessPredictor
from sandbox.executors.process import ProcessExecutor
from sandbox.validate import DEFAULT_ALLOWED_MODULES
from tests.unit.test_legit_corpus import CORPUS, LEGIT, function_names, n_tables

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the process executor is Linux-only")

# One model per family, chosen for what the sandbox must get right: files written and read back by the model,
# user classes and closures pickled by value, __setstate__ at load, initialize, two tables, no predict_many,
# Decimal results, and the files the validator refuses today (KNOWN_FALSE_POSITIVES), which run fine.
SAMPLE = (
    "numpy_kmeans.py",  # numpy only, initialize, dataclass model
    "pandas_category_target_encoding.py",  # writes model_notes.json in train, reads it in initialize
    "pandas_store_sales_rolling.py",  # groupby, rolling, pivot_table; dates in the query
    "csv_gzip_artifacts.py",  # csv and gzip files of its own, contextmanager
    "sklearn_custom_transformer.py",  # a user BaseEstimator subclass inside a Pipeline
    "sklearn_tfidf_text_classifier.py",  # a module-level tokenizer function held by the vectorizer
    "scipy_stats_anomaly.py",  # scipy.stats, frozen dataclasses in the model
    "naive_bayes_getstate.py",  # __getstate__/__setstate__ run when the predictor loads the model
    "closures_feature_factory.py",  # closures with nonlocal state in the model
    "decorators_caching.py",  # user decorators and an lru_cache'd module function
    "match_pricing_rules.py",  # match statements, no predict_many
    "decimal_pricing.py",  # Decimal results, no predict_many
    "flights_delay_hgb_2tables.py",  # two tables, HistGradientBoosting
    "flights_route_quantiles_2tables.py",  # two tables, pure pandas, no predict_many
    "notes_file_constant.py",  # validator false positive; runs
    "sessions_conversion_by_os.py",  # validator false positive; runs
)
RUN_ALL = os.environ.get("PYMODEL_LEGIT_ALL") == "1"
MODELS = CORPUS if RUN_ALL else [LEGIT / name for name in SAMPLE]

MIB = 1 << 20
TRAIN_LIMITS = Limits(cpus=1, memory_bytes=1024 * MIB, wall_seconds=60)
SERVE_LIMITS = Limits(cpus=1, memory_bytes=1024 * MIB)


# --- synthetic tables ------------------------------------------------------------------------------------


def shop_frame(n: int = 120, seed: int = 7) -> pd.DataFrame:
    """Daily rows of a small shop: numeric features and targets, categories, dates, text."""
    rng = np.random.default_rng(seed)
    x1, x2, x3 = rng.normal(size=(3, n))
    dates = pd.date_range("2024-01-01", periods=n, freq="D")
    stores = np.array(["s1", "s2", "s3"])[np.arange(n) % 3]
    price = rng.uniform(5, 20, n).round(2)
    quantity = np.maximum(1, np.round(60 * price**-0.8 * rng.lognormal(0, 0.2, n))).astype(int)
    label = (x1 + x2 + rng.normal(0, 0.5, n) > 0).astype(int)
    good, bad = ["great", "fast", "delivery", "love", "works"], ["slow", "broken", "refund", "poor", "not"]
    text = [
        " ".join(rng.choice(good if y else bad, 4)) + (" item" if i % 2 else " product") for i, y in enumerate(label)
    ]
    return pd.DataFrame(
        {
            "date": dates,
            "store": stores,
            "category": rng.choice(["red", "green", "blue"], n),
            "region": rng.choice(["north", "south", "east", "west"], n),
            "os": rng.choice(["ios", "android", "windows"], n),
            "customer_id": [f"c{i % 40:03d}" for i in range(n)],
            "x1": x1,
            "x2": x2,
            "x3": x3,
            "y": 1 + 3 * x1 - 2 * x2 + 0.5 * x3 + rng.normal(0, 0.1, n),
            "label": label,
            "price": price,
            "quantity": quantity,
            "amount": (price * quantity).round(2),
            "sales": 100 + 10 * (np.arange(n) % 3) + 15 * (dates.day_of_week >= 5) + rng.normal(0, 3, n),
            "text": text,
        }
    )


def flights_frames(n: int = 240, seed: int = 11) -> tuple[pd.DataFrame, pd.DataFrame]:
    """nycflights13-shaped `flights` and hourly `weather` for the three New York airports."""
    rng = np.random.default_rng(seed)
    origins, hours = ["EWR", "JFK", "LGA"], pd.date_range("2013-01-01 05:00", periods=96, freq="h")
    weather = pd.DataFrame([(o, t) for o in origins for t in hours], columns=["origin", "time_hour"]).assign(
        temp=lambda w: rng.normal(40, 8, len(w)).round(1),
        wind_speed=lambda w: rng.gamma(2.0, 5.0, len(w)).round(1),
        precip=lambda w: np.where(rng.random(len(w)) < 0.2, rng.exponential(0.1, len(w)), 0.0).round(2),
        visib=lambda w: rng.choice([2.0, 5.0, 10.0], len(w), p=[0.1, 0.2, 0.7]),
    )
    distances = {"ATL": 762.0, "LAX": 2475.0, "ORD": 733.0, "MIA": 1096.0, "BOS": 187.0}
    time_hour = rng.choice(hours, n)
    flights = pd.DataFrame(
        {
            "origin": rng.choice(origins, n),
            "dest": rng.choice(list(distances), n),
            "carrier": rng.choice(["AA", "DL", "UA", "B6"], n),
            "time_hour": time_hour,
        }
    )
    flights["year"], flights["month"] = flights["time_hour"].dt.year, flights["time_hour"].dt.month
    flights["day"], flights["hour"] = flights["time_hour"].dt.day, flights["time_hour"].dt.hour
    flights["distance"] = flights["dest"].map(distances)
    wind = flights.merge(weather, on=["origin", "time_hour"], how="left")["wind_speed"].to_numpy()
    flights["dep_delay"] = (rng.normal(5, 10, n) + 1.5 * wind + 10 * (flights["carrier"] == "B6")).round()
    flights.loc[rng.random(n) < 0.05, "dep_delay"] = np.nan  # cancelled
    flights["arr_delay"] = flights["dep_delay"] + rng.normal(0, 8, n).round()
    return flights, weather


def as_queries(frame: pd.DataFrame, rows: list[int]) -> list[dict[str, Any]]:
    """Rows as the JSON a client sends: ISO-8601 text for dates, plain numbers, no NaN."""
    text = frame.iloc[rows].to_json(orient="records", date_format="iso")
    return [{k: v for k, v in row.items() if v is not None} for row in json.loads(text)]


def inputs_for(path: Path) -> tuple[list[pd.DataFrame], list[dict[str, Any]]]:
    if n_tables(path) == 2:
        flights, weather = flights_frames()
        merged = flights.merge(weather, on=["origin", "time_hour"], how="left")
        return [flights, weather], as_queries(merged, [0, 1, 2])
    shop = shop_frame()
    return [shop], as_queries(shop, [5, 60, 117])


# --- running ---------------------------------------------------------------------------------------------


def write_table(frame: pd.DataFrame, path: Path) -> Path:
    table = pa.Table.from_pandas(frame)
    with pa.OSFile(str(path), "wb") as sink, pyarrow.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return path


def answer(handle: ProcessPredictor, op: str, payload: Any) -> Any:
    outcome = handle.call(op, payload)  # type: ignore[arg-type]
    assert outcome.ok, f"{op}: {outcome.error}\n{(outcome.exception or {}).get('traceback', '')}"
    assert outcome.result_json is not None
    return json.loads(outcome.result_json)


def agree(a: Any, b: Any) -> bool:
    """Equal JSON values, floats within a relative 1e-9 (a batch may sum in another order)."""
    if isinstance(a, float) or isinstance(b, float):
        both_numbers = isinstance(a, (int, float)) and isinstance(b, (int, float))
        return both_numbers and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(agree(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(agree(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def test_the_sample_names_corpus_files() -> None:
    assert set(SAMPLE) <= {path.name for path in CORPUS}


@pytest.fixture(scope="module")
def executor() -> ProcessExecutor:
    return ProcessExecutor(DEFAULT_ALLOWED_MODULES)


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_legitimate_model_trains_and_serves(tmp_path: Path, path: Path, executor: ProcessExecutor) -> None:
    source = path.read_text(encoding="utf-8")
    functions = function_names(source)
    frames, queries = inputs_for(path)
    tables = tuple(write_table(frame, tmp_path / f"table{i}.arrow") for i, frame in enumerate(frames))
    job = TrainJob(
        job_dir=tmp_path / "job",
        source=source,
        functions=functions,
        input_tables=tables,
        training_config=None,
        limits=TRAIN_LIMITS,
    )

    trained = executor.run_training(job)

    assert trained.ok, f"{trained.error}\n{(trained.exception or {}).get('traceback', '')}\n{trained.stderr[-2000:]}"
    assert trained.model_path is not None
    handle = executor.predictor(
        PredictorSpec(
            model_path=trained.model_path,
            work_dir=trained.work_dir,
            source=source,
            functions=functions,
            limits=SERVE_LIMITS,
            predict_timeout=30,
        )
    )
    handle.start()
    try:
        single = answer(handle, "predict", queries[0])
        batch = answer(handle, "predict_many", queries)
    finally:
        handle.close()
    assert single is not None
    assert len(batch) == len(queries)
    assert agree(batch[0], single), f"predict_many()[0] = {batch[0]!r} but predict() = {single!r}"
