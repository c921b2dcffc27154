"""Sales regression on trend, weekend and yearly Fourier terms built from the date column (datetime, calendar, math)."""

from __future__ import annotations

import calendar
import math
from datetime import date, datetime, timedelta, timezone

import numpy as np

HARMONICS = 2


def _as_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc)
    return parsed.date()


def _terms(day: date, origin: date) -> list[float]:
    year_len = 366 if calendar.isleap(day.year) else 365
    phase = 2 * math.pi * (day.timetuple().tm_yday - 1) / year_len
    fourier = [f(k * phase) for k in range(1, HARMONICS + 1) for f in (math.sin, math.cos)]
    weekend = 1.0 if day.weekday() >= calendar.SATURDAY else 0.0
    month_end = 1.0 if day.day == calendar.monthrange(day.year, day.month)[1] else 0.0
    return [1.0, (day - origin) / timedelta(days=365.25), weekend, month_end, *fourier]


def train(df, training_config=None):
    days = [_as_date(d) for d in df["date"].tolist()]
    origin = min(days)
    X = np.array([_terms(d, origin) for d in days])
    y = df["sales"].to_numpy(float)
    coef, _, rank, _ = np.linalg.lstsq(X, y, rcond=None)
    if rank < X.shape[1]:
        print(f"design matrix is rank-deficient ({rank} < {X.shape[1]}); some terms are not identified")
    return {"origin": origin.isoformat(), "coef": coef.tolist(), "trained_at": datetime.now(timezone.utc).isoformat()}


def predict(model, query):
    day = _as_date(query["date"])
    origin = date.fromisoformat(model["origin"])
    value = float(np.dot(_terms(day, origin), model["coef"]))
    return {"sales": value, "day": calendar.day_name[day.weekday()], "month": calendar.month_abbr[day.month]}


def predict_many(model, queries):
    return [predict(model, q) for q in queries]
