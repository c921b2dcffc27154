"""The worker's JSON conversion: every documented kind gives strict RFC 8259 text, the rest a clear error."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest

from sandbox.worker.jsonify import MAX_DEPTH, NotSerialisable, to_json, to_json_batch


def strict(text: str) -> Any:
    def refuse(name: str) -> None:
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        (True, True),
        (np.bool_(False), False),
        (7, 7),
        (np.int64(7), 7),
        (np.uint8(255), 255),
        (2**70, 2**70),
        (0.25, 0.25),
        (np.float32(0.1), 0.1),  # its own shortest form, not 0.10000000149011612
        (np.float16(0.5), 0.5),
        (float("nan"), None),
        (np.inf, None),
        (-np.inf, None),
        (Decimal("NaN"), None),
        ("héllo", "héllo"),
        (b"\x00\x01", "AAE="),
        (bytearray(b"ab"), "YWI="),
        (pd.NA, None),
        (pd.NaT, None),
        (np.datetime64("NaT"), None),
        (pd.Timestamp("2024-05-01 12:00", tz="Europe/Paris"), "2024-05-01T12:00:00+02:00"),
        (pd.Timestamp("2024-01-01 10:00+05:30"), "2024-01-01T10:00:00+05:30"),
        (pd.Timestamp("2024-01-01"), "2024-01-01T00:00:00"),
        (dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC), "2024-01-02T03:04:05+00:00"),
        (dt.date(2024, 5, 1), "2024-05-01"),
        (dt.time(12, 30), "12:30:00"),
        (np.datetime64("2024-01-01T00:00:00"), "2024-01-01T00:00:00"),
        (dt.timedelta(seconds=90), "P0DT0H1M30S"),
        (pd.Timedelta(seconds=1), "P0DT0H0M1S"),
        (np.timedelta64(2, "s"), "P0DT0H0M2S"),
        (np.timedelta64("NaT"), None),
        (np.array([1, 2], dtype="timedelta64[s]"), ["P0DT0H0M1S", "P0DT0H0M2S"]),
        (pd.Period("2024-01", freq="M"), "2024-01"),
        (uuid.UUID(int=1), "00000000-0000-0000-0000-000000000001"),
        (np.arange(3), [0, 1, 2]),
        (np.array([[1.5, np.nan]]), [[1.5, None]]),
        (np.array(3), 3),
        (np.array(["2024-01-01", "NaT"], dtype="datetime64[ns]"), ["2024-01-01T00:00:00", None]),
        (np.array(["a", "b"]), ["a", "b"]),
        (pd.Categorical(["a", "b", None]), ["a", "b", None]),
        (pd.array([1, None], dtype="Int64"), [1, None]),
        (pd.Index([1, 2]), [1, 2]),
        (pd.Series([1, 2], index=["x", "y"]), {"x": 1, "y": 2}),
        (pd.DataFrame({"a": [1, 2], "b": [np.nan, "z"]}), [{"a": 1, "b": None}, {"a": 2, "b": "z"}]),
        ((1, 2), [1, 2]),
        ({3}, [3]),
        (frozenset(), []),
        ({"nested": [{"v": np.float64(1.0)}]}, {"nested": [{"v": 1.0}]}),
    ],
)
def test_documented_kinds_become_strict_json(value: Any, expected: Any) -> None:
    assert strict(to_json(value)) == expected


def test_decimal_keeps_its_exact_digits_as_a_number() -> None:
    assert to_json(Decimal("1.10")) == "1.10"
    assert to_json(Decimal("123456789012345678901234567890.5")) == "123456789012345678901234567890.5"
    assert strict(to_json(Decimal("1E+2"))) == 100


def test_dict_keys_become_strings() -> None:
    value = {1: "a", None: "b", 2.5: "d", pd.Timestamp("2024-01-01"): "e", (1, 2): "f"}
    assert strict(to_json({False: "c"})) == {"false": "c"}  # apart: False == 0 as a dict key
    assert strict(to_json(value)) == {
        "1": "a",
        "null": "b",
        "2.5": "d",
        "2024-01-01T00:00:00": "e",
        "(1, 2)": "f",
    }


def test_lone_surrogates_still_give_valid_json() -> None:
    text = to_json("\ud800")
    assert text.isascii()
    assert strict(text) == "\ud800"


def test_objects_with_tolist_are_converted() -> None:
    class Tensor:
        def tolist(self) -> list[float]:
            return [1.0, float("inf")]

    assert strict(to_json(Tensor())) == [1.0, None]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (1 + 2j, "result of type complex is not JSON-serialisable: convert"),
        (object(), "result of type object is not JSON-serialisable"),
        ({"a": [1, 2j]}, "the value at ['a'][1] has type complex"),
        ((n for n in range(3)), "result of type generator is not JSON-serialisable"),
    ],
)
def test_unconvertible_values_name_the_culprit(value: Any, message: str) -> None:
    with pytest.raises(NotSerialisable) as raised:
        to_json(value)
    text = str(raised.value)
    assert text.startswith("result of type ")
    assert message.replace(": convert", "") in text


def test_a_cycle_stops_at_the_depth_limit() -> None:
    looped: list[Any] = []
    looped.append(looped)
    with pytest.raises(NotSerialisable, match=f"nested deeper than {MAX_DEPTH} levels"):
        to_json(looped)


def test_a_result_over_the_size_limit_is_refused() -> None:
    with pytest.raises(NotSerialisable, match="larger than the 100 byte limit"):
        to_json("x" * 200, max_bytes=100)


def test_batch_accepts_sequences_frames_series_and_arrays() -> None:
    assert strict(to_json_batch([1, 2], 2)) == [1, 2]
    assert strict(to_json_batch((1, np.nan), 2)) == [1, None]
    assert strict(to_json_batch(np.array([0.5, 1.5]), 2)) == [0.5, 1.5]
    assert strict(to_json_batch(pd.Series([1, 2], index=["a", "b"]), 2)) == [1, 2]
    frame = pd.DataFrame({"score": [np.nan, 1.0], "when": [pd.NaT, pd.Timestamp("2024-01-01")]})
    assert strict(to_json_batch(frame, 2)) == [
        {"score": None, "when": None},
        {"score": 1.0, "when": "2024-01-01T00:00:00"},
    ]
    assert strict(to_json_batch([], 0)) == []


def test_batch_of_the_wrong_length_or_shape_is_refused() -> None:
    with pytest.raises(NotSerialisable, match="predict_many returned 1 results for 3 queries"):
        to_json_batch([1], 3)
    with pytest.raises(NotSerialisable, match=r"must return a list of 2 results \(got dict\)"):
        to_json_batch({"a": 1, "b": 2}, 2)


def test_an_endless_generator_is_refused_without_being_consumed() -> None:
    consumed = 0

    def endless() -> Any:
        nonlocal consumed
        while True:
            consumed += 1
            yield consumed

    with pytest.raises(NotSerialisable, match=r"\(got generator\)"):
        to_json_batch(endless(), 2)
    assert consumed == 0
