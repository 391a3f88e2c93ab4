"""Tables on disk: CSV or Parquet (chosen by extension) to and from pandas DataFrames.

A file that is missing raises ``FileNotFoundError``; one that cannot be read or written as a table
raises :class:`TableFileError`. Both messages name the file and are meant to be shown to a user.
"""

from __future__ import annotations

import re
import sys
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
    """Write CSV, or Parquet for ``.parquet``/``.pq``; ``-`` writes CSV to standard output."""
    if str(path) == "-":
        frame.to_csv(sys.stdout, index=False)
        return
    path = Path(path)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() in _PARQUET_SUFFIXES:
        try:
            frame.to_parquet(path, index=False)
        except ImportError as exc:
            raise TableFileError(f"cannot write Parquet: {exc} (install gansynth[parquet])") from None
    else:
        frame.to_csv(path, index=False)
