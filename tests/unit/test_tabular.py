"""Column descriptions of stored tables, whatever index metadata pandas wrote."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from runtime.tabular import describe_columns


def test_a_range_index_is_metadata_not_a_column() -> None:
    table = pa.Table.from_pandas(pd.DataFrame({"x": [1, 2], "name": ["a", "b"]}))
    assert (table.schema.pandas_metadata or {})["index_columns"][0]["kind"] == "range"
    columns = describe_columns(table)
    assert [(c["name"], c["dataType"], c["isIndex"]) for c in columns] == [
        ("x", "INTEGER", False),
        ("name", "STRING", False),
    ]


def test_a_stored_index_is_described_as_an_index_column() -> None:
    frame = pd.DataFrame({"x": [1.5, 2.5]}, index=pd.Index([10, 20], name="flight"))
    columns = {c["name"]: c for c in describe_columns(pa.Table.from_pandas(frame))}
    assert columns["flight"]["isIndex"] is True
    assert columns["flight"]["dataType"] == "INTEGER"
    assert columns["x"]["isIndex"] is False
    assert columns["x"]["dataType"] == "FLOAT"
