"""Tables on disk: CSV or Parquet (chosen by extension) to and from pandas DataFrames.

A file that is missing raises ``FileNotFoundError``; one that cannot be read or written as a table
raises :class:`TableFileError`. Both messages name the file and are meant to be shown to a user.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import uuid
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from gansynth.errors import GansynthError

# Object columns whose every value starts like an ISO date are read as datetimes.
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?([+-]\d{2}:?\d{2}|Z)?$")
_PARQUET_SUFFIXES = (".parquet", ".pq")


class TableFileError(GansynthError, ValueError):
    """A file that cannot be read or written as a table."""


def read_table(path) -> pd.DataFrame:
    """Read a CSV or Parquet file (by extension), parsing ISO-date text columns as datetimes."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"file not found: {path}")
    try:
        if path.suffix.lower() in _PARQUET_SUFFIXES:
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path)
    except ImportError as exc:
        raise TableFileError(f"cannot read {path}: {exc} (install gansynth[parquet] for Parquet)") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError, OSError) as exc:
        raise TableFileError(f"cannot read {path} as a table: {exc}") from None
    for column in frame.columns:
        if frame[column].dtype == object:
            values = frame[column].dropna()
            if len(values) and values.map(lambda v: isinstance(v, str) and bool(_ISO_DATE.match(v))).all():
                frame[column] = pd.to_datetime(frame[column], format="ISO8601")
    return frame


def write_table(frame: pd.DataFrame, path) -> None:
    """Write CSV, or Parquet for ``.parquet``/``.pq``; ``-`` writes CSV to standard output.

    The file appears under ``path`` only once it is complete (see :func:`write_table_chunks`).
    """
    write_table_chunks([frame], path)


def write_table_chunks(
    chunks: Iterable[pd.DataFrame], path, *, types_from: pd.DataFrame | None = None
) -> int:
    """Write DataFrame chunks, one after another, as one CSV or Parquet table.

    Only one chunk is in memory at a time. The table is written to a hidden temporary file
    beside ``path`` and renamed to ``path`` when the last chunk is written, so an error or an
    interruption leaves no partial file that looks complete; missing parent folders are created.

    Parameters
    ----------
    chunks : iterable of pandas.DataFrame
        At least one chunk; all with the same columns and dtypes. Column names are written as
        text.
    path : str or os.PathLike
        Parquet for ``.parquet``/``.pq`` (one row group per chunk, dtypes kept), CSV otherwise;
        ``-`` writes CSV to standard output, as it comes.
    types_from : pandas.DataFrame or None, default=None
        Rows from which to take the Parquet type of a column that is all missing in the first
        chunk (which alone would give it no type).

    Returns
    -------
    int
        Rows written.

    Raises
    ------
    TableFileError
        If the table cannot be written: the message names the file.
    """
    chunks = (_text_columns(chunk) for chunk in chunks)
    if str(path) == "-":
        return _write_csv(chunks, sys.stdout)
    path = Path(path)
    parquet = path.suffix.lower() in _PARQUET_SUFFIXES
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.partial")
    try:
        if path.parent and not path.parent.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
        if parquet:
            rows = _write_parquet(chunks, partial, types_from, shown=path)
        else:
            with open(partial, "w", newline="", encoding="utf-8") as handle:
                rows = _write_csv(chunks, handle)
        os.replace(partial, path)
    except OSError as exc:
        _remove(partial)
        raise TableFileError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        _remove(partial)
        raise
    return rows


def _remove(partial: Path) -> None:
    with contextlib.suppress(OSError):
        partial.unlink(missing_ok=True)


def _write_csv(chunks, handle) -> int:
    rows, written = 0, 0
    for chunk in chunks:
        chunk.to_csv(handle, index=False, header=written == 0)
        rows, written = rows + len(chunk), written + 1
    if not written:
        raise ValueError("write_table_chunks needs at least one chunk")
    return rows


def _write_parquet(chunks, partial: Path, types_from, shown: Path) -> int:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise TableFileError(f"cannot write Parquet: {exc} (install gansynth[parquet])") from None
    writer, rows = None, 0
    try:
        for chunk in chunks:
            if writer is None:
                schema = _parquet_schema(pa, chunk, types_from)
                writer = pq.ParquetWriter(partial, schema)
            writer.write_table(pa.Table.from_pandas(chunk, schema=schema, preserve_index=False))
            rows += len(chunk)
    except (pa.ArrowException, TypeError) as exc:
        raise TableFileError(f"cannot write {shown} as Parquet: {exc}") from None
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        raise ValueError("write_table_chunks needs at least one chunk")
    return rows


def _parquet_schema(pa, chunk: pd.DataFrame, types_from):
    """The first chunk's schema, with ``types_from``'s type for any column that has none there."""
    schema = pa.Schema.from_pandas(chunk, preserve_index=False)
    if types_from is None:
        return schema
    types_from = _text_columns(types_from)
    for index, field in enumerate(schema):
        if pa.types.is_null(field.type) and field.name in types_from.columns:
            typed = pa.Schema.from_pandas(types_from[[field.name]], preserve_index=False)
            schema = schema.set(index, typed.field(field.name))
    return schema


def _text_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its column names as text, which Parquet requires (no copy when they are)."""
    if all(isinstance(c, str) for c in frame.columns):
        return frame
    return frame.rename(columns=str, copy=False)
