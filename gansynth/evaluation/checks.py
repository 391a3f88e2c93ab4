"""Input checks, reading every table with the real table's sdtypes, and bounded row samples."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gansynth._columns import check_numbers, epoch_nanoseconds, infer_sdtype, numeric_values
from gansynth.errors import InputError, InputTypeError

DEFAULT_MAX_ROWS = 10_000
TASKS = ("auto", "classification", "regression")

_BOOLEAN_TEXT = {"True": True, "False": False, "true": True, "false": False, 1: True, 0: False}


def column_kinds(frame: pd.DataFrame) -> dict:
    """SDMetrics' sdtype of each column (``numerical``, ``datetime``, ``boolean``, ``categorical``).

    The sdtype decides which metric scores a column (Kolmogorov-Smirnov for numbers and dates, total
    variation for the others) and how distances are measured.
    """
    return {column: infer_sdtype(frame[column]) for column in frame.columns}


def check_frame(frame, name):
    if not isinstance(frame, pd.DataFrame):
        raise InputTypeError(f"`{name}` must be a pandas DataFrame, got {type(frame).__name__}.")
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise InputError(f"`{name}` is empty ({frame.shape[0]} rows, {frame.shape[1]} columns).")
    if not frame.columns.is_unique:
        duplicated = sorted(map(str, frame.columns[frame.columns.duplicated()].unique()))
        raise InputError(f"`{name}` has duplicated column names: {duplicated}.")


def check_same_columns(real, other, name):
    missing = [c for c in real.columns if c not in other.columns]
    extra = [c for c in other.columns if c not in real.columns]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing {missing}")
        if extra:
            parts.append(f"not in the real data {extra}")
        raise InputError(f"`{name}` does not have the real data's columns: " + "; ".join(parts) + ".")


def check_arguments(real, synthetic, holdout, target, task, max_rows, cv, holdout_size):
    """Raise one clear error for the first bad argument of :func:`~gansynth.evaluation.evaluate`."""
    check_frame(real, "real")
    check_frame(synthetic, "synthetic")
    check_same_columns(real, synthetic, "synthetic")
    if holdout is not None:
        check_frame(holdout, "holdout")
        check_same_columns(real, holdout, "holdout")
    if target is not None:
        where = [
            name
            for name, frame in (("real", real), ("synthetic", synthetic), ("holdout", holdout))
            if frame is not None and target not in frame.columns
        ]
        if where:
            raise InputError(f"target {target!r} is not a column of the {' and '.join(where)} data.")
    if task not in TASKS:
        raise InputError(f"task must be 'auto', 'classification' or 'regression', got {task!r}.")
    if not (isinstance(max_rows, (int, np.integer)) and max_rows >= 10):
        raise InputError(f"max_rows must be an integer of at least 10, got {max_rows!r}.")
    if not (isinstance(cv, (int, np.integer)) and cv >= 2):
        raise InputError(f"cv must be an integer of at least 2, got {cv!r}.")
    if holdout is None and not 0 < holdout_size < 1:
        raise InputError(f"holdout_size must be between 0 and 1, got {holdout_size!r}.")


def _coerce_column(values, kind):
    """``values`` converted to ``kind``, or None when they already have it."""
    if kind == "numerical" and not pd.api.types.is_numeric_dtype(values):
        return pd.to_numeric(values, errors="coerce")
    if kind == "datetime" and not pd.api.types.is_datetime64_any_dtype(values):
        return pd.to_datetime(values, errors="coerce")
    if kind == "boolean" and not pd.api.types.is_bool_dtype(values):
        return values.map(lambda v: _BOOLEAN_TEXT.get(v, v) if not pd.isna(v) else v)
    if kind == "categorical" and isinstance(values.dtype, pd.CategoricalDtype):
        return values.astype(object)
    return None


def coerce_like_real(frame, kinds, name):
    """Give ``frame`` the real data's column kinds, or say which column cannot take them.

    CSV files read separately can disagree on dtypes (an integer column with a missing value becomes
    float, a date stays text); values are converted, never silently dropped.
    """
    out = {}
    for column, kind in kinds.items():
        values = frame[column]
        converted = _coerce_column(values, kind)
        if converted is None:
            out[column] = values
            continue
        if kind == "boolean":
            bad = converted.notna() & ~converted.map(lambda v: isinstance(v, (bool, np.bool_)))
            if bad.any():
                example = values[bad].iloc[0]
                raise InputError(
                    f"Column {column!r} is boolean in the real data but `{name}` holds {example!r}."
                )
        broken = converted.isna() & values.notna()
        if broken.any():
            example = values[broken].iloc[0]
            raise InputError(
                f"Column {column!r} is {kind} in the real data but `{name}` holds {example!r}, "
                "which cannot be read as one."
            )
        out[column] = converted
    for column, kind in kinds.items():
        _check_values(out[column], column, kind, name)
    return pd.DataFrame(out, index=frame.index)


def _check_values(values, column, kind, name) -> None:
    """Refuse infinite numbers and out-of-range datetimes, as ``fit`` does, naming the table."""
    if kind == "numerical":
        # Any finite magnitude is scored; only infinities break the metrics.
        check_numbers(column, numeric_values(values, kind), "evaluating", table=name, max_magnitude=np.inf)
    elif kind == "datetime":
        try:
            epoch_nanoseconds(values.dropna())
        except InputError as exc:
            raise InputError(f"`{name}`: {exc}") from None


def sample_rows(frame, n_rows, rng):
    """At most ``n_rows`` rows of ``frame``, drawn without replacement."""
    if len(frame) <= n_rows:
        return frame.reset_index(drop=True)
    rows = np.sort(rng.choice(len(frame), size=n_rows, replace=False))
    return frame.iloc[rows].reset_index(drop=True)
