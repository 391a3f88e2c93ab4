"""Column kinds: inference from dtypes, user overrides, and validation of the input table.

This is the only place that looks at pandas dtypes when fitting. Everything downstream works from
:class:`ColumnSpec` objects, which are plain JSON-serialisable records.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from gansynth._columns import (
    DISCRETE_KINDS,
    KINDS,
    NUMERIC_KINDS,
    check_numbers,
    epoch_nanoseconds,
    infer_kind,
    numeric_values,
)
from gansynth.errors import InputError, InputTypeError

# Datetime resolutions tried from coarse to fine, in nanoseconds: samples are rounded to the
# coarsest one that every training value sits on (dates stay dates, seconds stay seconds).
_DATETIME_STEPS_NS = (86_400 * 10**9, 3_600 * 10**9, 60 * 10**9, 10**9, 10**6, 10**3, 1)


@dataclass
class ColumnSpec:
    """What gansynth knows about one column after ``fit``.

    Attributes
    ----------
    name : str or int
        The column label.
    kind : str
        One of ``continuous``, ``integer``, ``datetime``, ``boolean``, ``categorical``.
    dtype : str
        The original pandas dtype, as ``str(dtype)``; samples are cast back to it.
    nan_rate : float
        Fraction of missing values in training.
    minimum, maximum : int, float or None
        Training range of numeric kinds: exact Python ints for integer dtypes (whatever their
        width), floats otherwise (datetimes in seconds since the epoch).
    categories : list or None
        Observed non-missing values of discrete kinds, in a stable order.
    dtype_categories : list or None
        For ``category`` dtype: the dtype's own categories (may include unobserved ones).
    ordered : bool
        For ``category`` dtype: whether it is ordered.
    datetime_step_ns : int or None
        Resolution that datetime samples are rounded to.
    timezone : str or None
        Time zone of a tz-aware datetime column.
    """

    name: object
    kind: str
    dtype: str
    nan_rate: float = 0.0
    minimum: int | float | None = None
    maximum: int | float | None = None
    categories: list | None = None
    dtype_categories: list | None = None
    ordered: bool = False
    datetime_step_ns: int | None = None
    timezone: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def is_discrete(self) -> bool:
        return self.kind in DISCRETE_KINDS

    @property
    def has_nan(self) -> bool:
        return self.nan_rate > 0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ColumnSpec:
        return cls(**data)


def as_frame(data) -> tuple[pd.DataFrame, dict]:
    """Turn the user's table into a DataFrame and remember how to give it back.

    Parameters
    ----------
    data : pandas.DataFrame or numpy.ndarray
        A 2-D table.

    Returns
    -------
    frame : pandas.DataFrame
        The table (numpy columns are labelled 0..k-1). Not copied when already a DataFrame.
    input_format : dict
        ``{"type": "dataframe"}`` or ``{"type": "ndarray", "dtype": str}``.
    """
    if isinstance(data, pd.DataFrame):
        return data, {"type": "dataframe"}
    if isinstance(data, np.ndarray):
        if data.ndim != 2:
            raise InputError(f"expected a 2-D table; got an array of shape {data.shape}")
        frame = pd.DataFrame(data)
        if data.dtype == object:
            frame = frame.infer_objects()
        return frame, {"type": "ndarray", "dtype": data.dtype.str if data.dtype != object else "object"}
    raise InputTypeError(f"expected a pandas DataFrame or a 2-D numpy array; got {type(data).__name__}")


def _json_scalar(value):
    """Convert numpy scalars to Python ones so that categories survive JSON."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def _ordered_unique(values: pd.Series) -> list:
    uniques = pd.unique(values.dropna())
    try:
        uniques = sorted(uniques)
    except TypeError:  # mixed types cannot be sorted; keep first-appearance order
        uniques = list(uniques)
    return [_json_scalar(v) for v in uniques]


def _datetime_step(series: pd.Series) -> int:
    ns = epoch_nanoseconds(series.dropna())
    for step in _DATETIME_STEPS_NS:
        if np.all(ns % step == 0):
            return step
    return 1


def validate_frame(frame: pd.DataFrame) -> None:
    """Reject tables that cannot be modelled, naming the column and the problem."""
    if frame.shape[1] == 0:
        raise InputError("the table has no columns")
    if frame.shape[0] == 0:
        raise InputError("the table is empty (0 rows)")
    if frame.shape[0] < 2:
        raise InputError(
            f"the table has {frame.shape[0]} row; at least 2 rows are needed to learn a distribution"
        )
    duplicated = frame.columns[frame.columns.duplicated()].tolist()
    if duplicated:
        raise InputError(f"duplicate column names: {duplicated}")
    for name in frame.columns:
        if not isinstance(name, (str, int, np.integer)):
            raise InputTypeError(
                f"column labels must be strings or integers; got {name!r} ({type(name).__name__})"
            )


def build_specs(frame: pd.DataFrame, discrete_columns="auto", column_kinds=None) -> list[ColumnSpec]:
    """Infer and validate one :class:`ColumnSpec` per column.

    Parameters
    ----------
    frame : pandas.DataFrame
        The training table.
    discrete_columns : "auto" or list of labels
        ``"auto"`` infers from dtypes. A list forces those columns to be categorical (in addition to
        the dtype-inferred discrete columns).
    column_kinds : dict or None
        Explicit ``{column: kind}`` overrides; wins over everything else.

    Returns
    -------
    list of ColumnSpec
    """
    validate_frame(frame)
    forced = {}
    if isinstance(discrete_columns, str):
        if discrete_columns != "auto":
            raise InputError(
                f"discrete_columns must be 'auto' or a list of column names; got {discrete_columns!r}"
            )
    elif discrete_columns is not None:
        for name in discrete_columns:
            forced[name] = "categorical"
    for name, kind in (column_kinds or {}).items():
        if kind not in KINDS:
            raise InputError(f"column {name!r}: unknown kind {kind!r}; expected one of {KINDS}")
        forced[name] = kind
    unknown = [name for name in forced if name not in frame.columns]
    if unknown:
        raise InputError(f"unknown column(s) {unknown}; the table has {list(frame.columns)}")

    specs = []
    for name in frame.columns:
        series = frame[name]
        if series.isna().all():
            raise InputError(
                f"column {name!r} is entirely missing (all NaN); drop it or fill it before fitting"
            )
        kind = forced.get(name) or infer_kind(series)
        specs.append(_spec_for(name, series, kind))
    return specs


def _spec_for(name, series: pd.Series, kind: str) -> ColumnSpec:
    dtype = series.dtype
    spec = ColumnSpec(
        name=_json_scalar(name), kind=kind, dtype=str(dtype), nan_rate=float(series.isna().mean())
    )
    if isinstance(dtype, pd.CategoricalDtype):
        spec.dtype_categories = [_json_scalar(v) for v in dtype.categories]
        spec.ordered = bool(dtype.ordered)
    if kind in NUMERIC_KINDS:
        if kind == "datetime" and not ptypes.is_datetime64_any_dtype(dtype):
            raise InputError(f"column {name!r}: kind 'datetime' needs a datetime64 column; got dtype {dtype}")
        if kind != "datetime" and not (ptypes.is_numeric_dtype(dtype) and not ptypes.is_bool_dtype(dtype)):
            raise InputError(f"column {name!r}: kind {kind!r} needs a numeric column; got dtype {dtype}")
        values = numeric_values(series, kind)
        observed = values[~np.isnan(values)]
        check_numbers(name, observed, "fitting")
        spec.minimum, spec.maximum = _numeric_range(series, observed)
        if kind == "datetime":
            spec.datetime_step_ns = _datetime_step(series)
            tz = getattr(series.dt, "tz", None)
            spec.timezone = str(tz) if tz is not None else None
    else:
        spec.categories = _categories(name, series, kind)
    return spec


def _categories(name, series: pd.Series, kind: str) -> list:
    """The observed values of a discrete column, refusing ones that cannot be categories."""
    try:
        values = _ordered_unique(series)
    except TypeError:  # pd.unique hashes every value
        example = next((v for v in series.dropna() if not _hashable(v)), None)
        if example is None:
            raise
        raise InputError(
            f"column {name!r} holds {type(example).__name__} values such as {_short(example)}, which "
            "cannot be categories; convert them to text (e.g. .astype(str)) or drop the column"
        ) from None
    if kind != "boolean":
        return values
    # True == 1 and False == 0, so 0/1 numbers are booleans too; anything else is not.
    others = [v for v in values if isinstance(v, str) or v not in (0, 1)]
    if others:
        raise InputError(
            f"column {name!r}: kind 'boolean' needs True/False (or 0/1) values; got {_short(others[:5])}"
        )
    return sorted({bool(v) for v in values})


def _hashable(value) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _short(value, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _numeric_range(series: pd.Series, observed: np.ndarray) -> tuple:
    """The column's minimum and maximum: exact ints for integer dtypes, floats otherwise."""
    if ptypes.is_integer_dtype(series.dtype):
        present = series.dropna()
        return int(present.min()), int(present.max())
    return float(observed.min()), float(observed.max())


def restore_column(spec: ColumnSpec, raw) -> pd.Series:
    """Build a column of the original kind and dtype from decoded values.

    Parameters
    ----------
    spec : ColumnSpec
        The fitted column.
    raw : numpy.ndarray or pandas.arrays.IntegerArray
        Decoded numeric values (already in range and on their grid): a nullable integer array
        for integer dtypes and datetimes (nanoseconds since the epoch), or floats with NaN for
        missing (datetimes in seconds; values the table's logic derived, rounded here to the
        column's integer or datetime step); or category codes with ``-1`` for missing
        (discrete kinds).

    Returns
    -------
    pandas.Series
        Named ``spec.name``, with ``spec.dtype``.
    """
    if spec.kind == "datetime":
        return _restore_datetime(spec, raw)
    if spec.kind in ("continuous", "integer"):
        dtype = ptypes.pandas_dtype(spec.dtype)
        if _is_float_array(raw) and ptypes.is_integer_dtype(dtype):
            bounds = np.iinfo(getattr(dtype, "numpy_dtype", dtype))
            raw = np.clip(np.round(raw), bounds.min, bounds.max)
        return pd.Series(raw, name=spec.name).astype(dtype)

    lookup = np.empty(len(spec.categories) + 1, dtype=object)
    lookup[: len(spec.categories)] = spec.categories
    lookup[-1] = np.nan
    values = lookup[np.where(raw < 0, len(spec.categories), raw)]
    if spec.dtype == "category":
        categories = spec.dtype_categories if spec.dtype_categories is not None else spec.categories
        dtype = pd.CategoricalDtype(pd.Index(categories), ordered=spec.ordered)
        return pd.Series(pd.Categorical(values, dtype=dtype), name=spec.name)
    if spec.dtype == "object":
        return pd.Series(values, name=spec.name, dtype=object)
    if spec.dtype == "boolean":
        return pd.Series(pd.array(np.where(raw < 0, None, values), dtype="boolean"), name=spec.name)
    return pd.Series(values, name=spec.name).astype(spec.dtype)


def category_template(specs: list[ColumnSpec]) -> pd.DataFrame:
    """Rows holding every category of every discrete column, in the columns' output dtypes.

    A table file takes its column types from the first chunk written, where a discrete column
    may happen to be all missing and so have no type; this template gives it its real one.
    """
    discrete = [spec for spec in specs if spec.is_discrete and spec.categories]
    rows = max((len(spec.categories) for spec in discrete), default=0)
    if not rows:
        return pd.DataFrame()
    return pd.concat(
        [restore_column(spec, np.arange(rows) % len(spec.categories)) for spec in discrete], axis=1
    )


def _is_float_array(raw) -> bool:
    return isinstance(raw, np.ndarray) and raw.dtype.kind == "f"


def _restore_datetime(spec: ColumnSpec, raw) -> pd.Series:
    """Timestamps from int64 nanoseconds since the epoch (a nullable array; missing is NaT), or
    from float seconds (NaN for missing), rounded to the column's step."""
    if _is_float_array(raw):
        step = spec.datetime_step_ns or 1
        missing = np.isnan(raw)
        values = (np.round(np.where(missing, 0.0, raw) * 1e9 / step) * step).astype(np.int64)
    else:
        missing = pd.isna(raw)
        values = np.asarray(raw.to_numpy(dtype=np.int64, na_value=0))
    stamps = pd.Series(values.view("datetime64[ns]"), name=spec.name)
    stamps[missing] = pd.NaT
    if spec.timezone is not None:
        stamps = stamps.dt.tz_localize("UTC").dt.tz_convert(spec.timezone)
    return stamps.astype(spec.dtype)
