"""Reading user tables (CSV, TSV, Parquet, Arrow/Feather) into Arrow, and describing their columns.

Values and pandas dtypes must survive upload → Parquet → Arrow IPC hand-off → the DataFrame `train` gets,
so Parquet and Arrow files carry the pandas metadata that the uploader's `to_parquet` wrote.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.feather as feather
import pyarrow.parquet as pq

from runtime.errors import InvalidParameterError

FILE_FORMATS = ("CSV", "TSV", "PARQUET", "ARROW", "FEATHER")
_SUFFIX_FORMATS = {
    ".csv": "CSV",
    ".tsv": "TSV",
    ".parquet": "PARQUET",
    ".pq": "PARQUET",
    ".arrow": "ARROW",
    ".feather": "FEATHER",
    ".ipc": "ARROW",
}


def normalize_format(file_format: str | None, path: Path | None = None) -> str:
    """The upload's declared format, or one detected from the name and the file's magic bytes."""
    if file_format:
        fmt = file_format.strip().upper()
        if fmt not in FILE_FORMATS:
            raise InvalidParameterError(f"fileFormat must be one of {', '.join(FILE_FORMATS)} (got {file_format!r})")
        return "ARROW" if fmt == "FEATHER" else fmt
    if path is not None:
        with path.open("rb") as fh:
            head = fh.read(8)
        if head.startswith(b"PAR1"):
            return "PARQUET"
        if head.startswith(b"ARROW1"):
            return "ARROW"
        by_suffix = _SUFFIX_FORMATS.get(path.suffix.lower())
        if by_suffix:
            return "ARROW" if by_suffix == "FEATHER" else by_suffix
    return "CSV"


def read_table(path: Path, file_format: str) -> pa.Table:
    """Read one file into Arrow; a file that does not parse raises InvalidParameterError saying why."""
    try:
        if file_format == "PARQUET":
            return pq.read_table(path)
        if file_format == "ARROW":
            return feather.read_table(path, memory_map=False)
        delimiter = "\t" if file_format == "TSV" else ","
        return pacsv.read_csv(path, parse_options=pacsv.ParseOptions(delimiter=delimiter))
    except (pa.ArrowException, OSError, ValueError) as exc:
        detail = str(exc).replace(str(path.parent), "").replace("/" + path.name, path.name)  # no server paths
        raise InvalidParameterError(f"the uploaded file could not be read as {file_format}: {detail}".rstrip()) from exc


def write_parquet(table: pa.Table, path: Path) -> None:
    pq.write_table(table, path, compression="zstd")


def write_arrow_ipc(table: pa.Table, path: Path) -> None:
    """The hand-off format: an uncompressed Arrow IPC file the worker memory-maps without copying."""
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table, max_chunksize=1 << 16)


def _pandas_dtypes(table: pa.Table) -> dict[str, str]:
    meta = table.schema.pandas_metadata or {}
    out: dict[str, str] = {}
    for column in meta.get("columns", []):
        name = column.get("name")
        if isinstance(name, str):
            out[name] = str(column.get("numpy_type") or column.get("pandas_type"))
    return out


def _data_type(arrow_type: pa.DataType) -> str:
    """The hosted service's column data types, as `describeFeatureGroup` reports them."""
    if pa.types.is_boolean(arrow_type):
        return "BOOLEAN"
    if pa.types.is_integer(arrow_type):
        return "INTEGER"
    if pa.types.is_floating(arrow_type):
        return "FLOAT"
    if pa.types.is_decimal(arrow_type):
        return "DECIMAL"
    if pa.types.is_timestamp(arrow_type):
        return "DATETIME"
    if pa.types.is_date(arrow_type):
        return "DATE"
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return "STRING"
    if pa.types.is_binary(arrow_type) or pa.types.is_large_binary(arrow_type):
        return "BINARY"
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        return "LIST"
    if pa.types.is_struct(arrow_type) or pa.types.is_map(arrow_type):
        return "STRUCT"
    if pa.types.is_null(arrow_type):
        return "NULL"
    return str(arrow_type).upper()


def describe_columns(table: pa.Table) -> list[dict[str, Any]]:
    pandas_dtypes = _pandas_dtypes(table)
    # pandas records a RangeIndex as a dict ({"kind": "range", ...}), a stored index as its column name
    stored_index = (table.schema.pandas_metadata or {}).get("index_columns", []) or []
    index_columns = {name for name in stored_index if isinstance(name, str)}
    return [
        {
            "name": field.name,
            "dataType": _data_type(field.type),
            "arrowType": str(field.type),
            "pandasDtype": pandas_dtypes.get(field.name),
            "isIndex": field.name in index_columns,
        }
        for field in table.schema
    ]
