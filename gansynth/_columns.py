"""One vocabulary of column kinds, and the conversions of column values that every layer shares.

The engines model five *kinds* (``continuous``, ``integer``, ``datetime``, ``boolean``,
``categorical``); the evaluation scores four SDMetrics *sdtypes* (``numerical``, ``datetime``,
``boolean``, ``categorical``). Both are inferred here, and :data:`SDTYPE_OF_KIND` says how they
correspond. Numeric views of a column, datetimes included, are always float seconds since the
epoch (:func:`numeric_values`), whoever asks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from gansynth.errors import InputError, InputTypeError

KINDS = ("continuous", "integer", "datetime", "boolean", "categorical")
NUMERIC_KINDS = ("continuous", "integer", "datetime")
DISCRETE_KINDS = ("boolean", "categorical")

SDTYPES = ("numerical", "datetime", "boolean", "categorical")
CONTINUOUS_SDTYPES = ("numerical", "datetime")
SDTYPE_OF_KIND = {
    "continuous": "numerical",
    "integer": "numerical",
    "datetime": "datetime",
    "boolean": "boolean",
    "categorical": "categorical",
}

# Largest magnitude a numeric column may hold: the mixture fits square the values, and squares
# of larger numbers, summed over 10,000 rows, overflow float64 (1e154 already fails).
MAX_MAGNITUDE = 1e150


def is_boolean_like(series: pd.Series) -> bool:
    """True for bool dtypes and for object columns holding only True/False (and missing values)."""
    if ptypes.is_bool_dtype(series.dtype):
        return True
    if series.dtype != object:
        return False
    non_null = series.dropna()
    return len(non_null) > 0 and non_null.map(lambda v: isinstance(v, (bool, np.bool_))).all()


def is_integral(values: np.ndarray) -> bool:
    """True when every value is a whole number."""
    return bool(np.all(np.mod(values, 1) == 0))


def infer_kind(series: pd.Series) -> str:
    """Infer a column's engine kind from its dtype and values.

    Booleans (including object columns of True/False/NaN) are boolean; datetimes are datetime;
    object, category and string dtypes are categorical; integer dtypes, and float columns whose
    values are all whole numbers, are integer; other numbers are continuous.
    """
    dtype = series.dtype
    if is_boolean_like(series):
        return "boolean"
    if ptypes.is_datetime64_any_dtype(dtype):
        return "datetime"
    if (
        isinstance(dtype, pd.CategoricalDtype)
        or ptypes.is_object_dtype(dtype)
        or ptypes.is_string_dtype(dtype)
    ):
        return "categorical"
    if ptypes.is_integer_dtype(dtype):
        return "integer"
    if ptypes.is_float_dtype(dtype):
        values = series.dropna().to_numpy(dtype=float)
        finite = values[np.isfinite(values)]
        return "integer" if len(finite) and is_integral(finite) else "continuous"
    raise InputTypeError(f"column {series.name!r}: unsupported dtype {dtype}")


def infer_sdtype(series: pd.Series) -> str:
    """SDMetrics' sdtype of a column, from its dtype alone.

    Unlike :func:`infer_kind` this never refuses a column: the evaluation scores whatever it is
    given, and anything that is not a bool, datetime or number is scored as a category.
    """
    if ptypes.is_bool_dtype(series):
        return "boolean"
    if ptypes.is_datetime64_any_dtype(series):
        return "datetime"
    if ptypes.is_numeric_dtype(series):
        return "numerical"
    return "categorical"


def epoch_nanoseconds(series: pd.Series) -> np.ndarray:
    """Int64 nanoseconds since the epoch of a datetime column (UTC for tz-aware ones).

    Raises
    ------
    InputError
        If a value lies outside the years 1677 to 2262 that nanoseconds since the epoch can hold.
    """
    if getattr(series.dt, "tz", None) is not None:
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
    try:
        return series.astype("datetime64[ns]").to_numpy().view("int64")
    except pd.errors.OutOfBoundsDatetime:
        outside = series[(series < pd.Timestamp.min) | (series > pd.Timestamp.max)]
        raise InputError(
            f"column {series.name!r} holds datetimes outside the range gansynth models "
            f"({pd.Timestamp.min.date()} to {pd.Timestamp.max.date()}, nanoseconds since 1970), "
            f"e.g. {outside.iloc[0] if len(outside) else 'one'}; clip or drop them"
        ) from None


def check_numbers(
    name, values: np.ndarray, action: str, table: str | None = None, max_magnitude: float = MAX_MAGNITUDE
) -> None:
    """Refuse infinite values and magnitudes above :data:`MAX_MAGNITUDE` in a numeric column.

    Parameters
    ----------
    name : str or int
        The column label, named in the message.
    values : numpy.ndarray
        Float64 values, NaN for missing.
    action : str
        What the caller is doing ("fitting", "evaluating"), for the advice.
    table : str or None, default=None
        The table's name when there are several (``"synthetic"``).
    max_magnitude : float, default=MAX_MAGNITUDE
        Largest absolute value accepted.
    """
    where = f"column {name!r}" + (f" of `{table}`" if table else "")
    finite = np.isfinite(values)
    infinite = int(np.isinf(values).sum())
    if infinite:
        raise InputError(
            f"{where} holds {infinite} infinite value(s); replace them (e.g. with NaN) before {action}"
        )
    largest = float(np.abs(values[finite]).max()) if finite.any() else 0.0
    if largest > max_magnitude:
        raise InputError(
            f"{where} holds values up to {largest:.3g} in magnitude, above the {max_magnitude:.0e} "
            f"gansynth can model (their squares overflow); rescale the column before {action}"
        )


def numeric_values(series: pd.Series, kind: str) -> np.ndarray:
    """Float64 view of a numeric column, datetimes as seconds since the epoch; NaN for missing.

    ``kind`` is an engine kind or an sdtype; only ``"datetime"`` changes the conversion. Values
    that cannot be read as numbers become NaN.
    """
    if kind == "datetime":
        if not ptypes.is_datetime64_any_dtype(series):
            series = pd.to_datetime(series)
        nanoseconds = epoch_nanoseconds(series).astype(np.float64)
        nanoseconds[series.isna().to_numpy()] = np.nan
        return nanoseconds / 1e9
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def as_text(values, missing="\0missing") -> pd.Series:
    """Values as strings, missing ones as ``missing``: one vectorised pass, no Python loop."""
    values = pd.Series(values)
    return values.astype(str).where(values.notna().to_numpy(), missing)
