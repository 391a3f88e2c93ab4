"""The embedded default table: a small mixed-kind table that ships with the installation.

The public benchmark tables and their downloaders live in ``benchmarks/datasets.py``: they serve
the benchmarks, not the library.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def student_placements_path() -> Path:
    """Path of the student placements demo table shipped inside ``sdmetrics``."""
    import sdmetrics

    return Path(sdmetrics.__file__).parent / "demos" / "single_table" / "student_placements_real.csv"


def load_student_placements() -> pd.DataFrame:
    """Load the embedded default table: 215 students, mixed column kinds, 31% NaN in four columns.

    The ``student_id`` key is dropped (it identifies rows and carries no distribution), and
    ``start_date``/``end_date`` are parsed as datetimes. The remaining columns hold floats,
    integers, booleans, categoricals, datetimes and missing values.

    Returns
    -------
    pandas.DataFrame
        215 rows, 16 columns.
    """
    frame = pd.read_csv(student_placements_path(), parse_dates=["start_date", "end_date"])
    return frame.drop(columns=["student_id"])
