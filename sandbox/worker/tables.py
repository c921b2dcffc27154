"""Reads the training tables handed to the worker as Arrow IPC files, memory-mapped, into DataFrames.

The pandas metadata that `pa.Table.from_pandas` stores in the schema restores what the uploader had:
nullable Int64/Int8/boolean, Decimal objects, tz-aware datetimes (fixed offsets too) and the index. No
table is ever pickled.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.ipc


def read_frames(paths: list[str]) -> list[pd.DataFrame]:
    return [read_frame(path) for path in paths]


def read_frame(path: str) -> pd.DataFrame:
    # The memory map is not closed here: Arrow buffers that to_pandas() shares zero-copy keep the mapping
    # alive through their own references, and it is released when they are.
    source = pa.memory_map(path, "r")
    table = pyarrow.ipc.open_file(source).read_all()
    frame: pd.DataFrame = table.to_pandas()
    return _restore_object_text(table, frame)


def _restore_object_text(table: pa.Table, frame: pd.DataFrame) -> pd.DataFrame:
    """Text the uploader held in `object` columns comes back as `object` (missing values as None).

    pandas 3 turns every Arrow string column into its `str` dtype, so an object column of strings would
    change dtype on the way, and differently from an empty or all-null slice of the same column, which
    Arrow stores as the null type and pandas restores as object (case B19). The pandas metadata says which
    columns were `object`; only those are converted, so `str` and `string` columns stay as they were.
    """
    columns = (table.schema.pandas_metadata or {}).get("columns", [])
    for column in columns:
        name, field_name = column.get("name"), column.get("field_name")
        if column.get("numpy_type") != "object" or name not in frame.columns or field_name not in table.column_names:
            continue
        if isinstance(frame[name].dtype, pd.StringDtype):
            values = table.column(field_name).to_numpy(zero_copy_only=False)
            frame[name] = pd.Series(values, index=frame.index, dtype=object, name=name)
    return frame
