"""Median y per region with robust fallbacks; logs progress with logging and writes diagnostics to stderr."""

import logging
import sys
import warnings

import numpy as np

logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
log = logging.getLogger(__name__)

if sys.version_info < (3, 9):
    raise RuntimeError("this model needs Python 3.9 or newer")

PY = f"{sys.version_info.major}.{sys.version_info.minor}"


def _summarise(values):
    q1, q2, q3 = np.percentile(values, [25, 50, 75])
    return {"median": float(q2), "iqr": float(q3 - q1), "n": int(len(values))}


def train(df, training_config=None):
    log.info("python %s, %d rows, columns=%s", PY, len(df), list(df.columns))
    data = df.dropna(subset=["y"])
    if dropped := len(df) - len(data):
        warnings.warn(f"dropped {dropped} rows without a target", stacklevel=2)
    by_region = {}
    for region, values in data.groupby("region")["y"]:
        if len(values) < 3:
            print(f"region {region!r} has only {len(values)} rows; using the global median", file=sys.stderr)
            continue
        by_region[str(region)] = _summarise(values.to_numpy())
    overall = _summarise(data["y"].to_numpy())
    log.info("fitted %d regions; overall median %.3f", len(by_region), overall["median"])
    sys.stderr.write(f"done: {sorted(by_region)}\n")
    return {"by_region": by_region, "overall": overall}


def predict(model, query):
    region = query.get("region")
    stats = model["by_region"].get(region)
    if stats is None:
        log.warning("unknown region %r", region)
        stats = model["overall"]
    return {"y": stats["median"], "spread": stats["iqr"], "support": stats["n"]}
