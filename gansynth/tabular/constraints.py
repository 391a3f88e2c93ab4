"""The table's own logic as readable records: what ``TabularGAN.constraints_`` lists and users declare.

Four kinds of record, each kept by construction when sampling (see
:mod:`gansynth.tabular.logic_transform`):

- :class:`FunctionalDependency`: a column determined by one or two discrete columns (a lookup);
- :class:`MissingTogether`: numeric columns missing on exactly the same rows, optionally exactly
  when a discrete column takes given values;
- :class:`Inequality`: ``low <= high`` on every row where ``high`` has a value;
- :class:`RangeByCategory`: a numeric column whose range depends on a discrete column.

A declared record names columns only; what it learns from the data (the lookup, the values that
make a group missing, the ranges) is filled in by ``fit``. Values are JSON scalars: categories
as the column holds them, numbers as floats (datetimes in seconds since the epoch), ``None`` for
a missing value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from gansynth.errors import InputError, InputTypeError

KIND_NAMES = ("functional_dependency", "missing_together", "inequality", "range_by_category")
# How many items of a lookup or a list of ranges a description spells out.
_SHOWN = 3


def _tuple(value, what: str) -> tuple:
    if isinstance(value, (str, int)) or not hasattr(value, "__iter__"):
        return (value,)
    items = tuple(value)
    if not items:
        raise InputError(f"{what} must name at least one column")
    return items


def _number(value, unit_seconds: bool) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "NaN"
    if unit_seconds:
        stamp = pd.Timestamp(round(value * 1e9), unit="ns")
        return stamp.date().isoformat() if stamp == stamp.normalize() else stamp.isoformat()
    return f"{value:g}" if isinstance(value, float) else repr(value)


def _value(value) -> str:
    return "NaN" if value is None else repr(value)


def _values(values, limit: int = _SHOWN) -> str:
    shown = ", ".join(_value(v) for v in list(values)[:limit])
    return shown + (", ..." if len(values) > limit else "")


class _Record:
    """What every constraint record can do: read as a sentence, and be stored."""

    kind = ""

    def describe(self, seconds=()) -> str:
        """The record as a sentence, with what it learned from the data (the start of it).

        Parameters
        ----------
        seconds : collection of column names, default=()
            Datetime columns, whose values the record holds as seconds since the epoch: they are
            written as dates.

        Returns
        -------
        str
            For instance ``"start_date <= end_date"``.
        """
        return self._describe(set(seconds))

    def __str__(self) -> str:
        return self.describe()

    def to_dict(self) -> dict:
        """The record as JSON-ready values, as model files store it.

        Returns
        -------
        dict
            ``{"type": kind, ...}`` and the record's fields; :func:`record_from_dict` reads it
            back.
        """
        return self._fields()


@dataclass(frozen=True)
class FunctionalDependency(_Record):
    """``column`` is a function of ``determinants`` (one or two discrete columns) on every row.

    The determined column is left out of the model and derived back from its determinants'
    sampled values, so every sampled row agrees with the training rows' lookup. Conditioning on
    the determined column conditions on its determinants instead.

    Parameters
    ----------
    determinants : column name or sequence of one or two column names
        Boolean or categorical columns without missing values.
    column : column name
        The determined column: discrete, or numeric with few distinct values.
    lookup : tuple or None, default=None
        ``(key, value, count)`` triples: the determinants' values, the column's value and the
        training rows with them. Learned in ``fit``; a declared lookup must agree with the data.
    one_to_one : bool, default=False
        Set by ``fit`` when the column also determines its (single) determinant.
    """

    determinants: tuple
    column: object
    lookup: tuple | None = field(default=None, repr=False, compare=False)
    one_to_one: bool = field(default=False, compare=False)

    kind = "functional_dependency"

    def __post_init__(self):
        determinants = _tuple(self.determinants, "determinants")
        if len(determinants) > 2:
            raise InputError(f"a functional dependency has one or two determinants; got {list(determinants)}")
        object.__setattr__(self, "determinants", determinants)
        if self.lookup is not None:
            object.__setattr__(self, "lookup", tuple((tuple(k), v, int(c)) for k, v, c in self.lookup))

    @property
    def columns(self) -> tuple:
        return (*self.determinants, self.column)

    def _describe(self, seconds) -> str:
        arrow = "<->" if self.one_to_one else "->"
        text = f"{' + '.join(map(str, self.determinants))} {arrow} {self.column}"
        if self.lookup:
            pairs = [
                f"{'/'.join(map(_value, key))}: {_number(value, self.column in seconds)}"
                for key, value, _ in self.lookup[:_SHOWN]
            ]
            more = ", ..." if len(self.lookup) > _SHOWN else ""
            text += f" ({len(self.lookup)} combinations: {', '.join(pairs)}{more})"
        return text

    def _fields(self) -> dict:
        return {
            "type": self.kind,
            "determinants": list(self.determinants),
            "column": self.column,
            "lookup": None
            if self.lookup is None
            else [{"key": list(k), "value": v, "count": c} for k, v, c in self.lookup],
            "one_to_one": self.one_to_one,
        }


@dataclass(frozen=True)
class MissingTogether(_Record):
    """``columns`` that are missing on exactly the same rows.

    Sampled as one: the group's missingness is drawn once per row (from its first column, or
    from ``when``), and every column of the group is missing on those rows and only those.

    Parameters
    ----------
    columns : sequence of column names
        Columns of any kind: numeric, datetime, boolean or categorical.
    when : column name or None, default=None
        A discrete column whose values say when the group is missing: exactly when it takes
        one of ``values``.
    values : tuple or None, default=None
        Those values (``None`` meaning the column's own missing value). Learned in ``fit``
        when ``when`` is given without them.
    """

    columns: tuple
    when: object = None
    values: tuple | None = None

    kind = "missing_together"

    def __post_init__(self):
        object.__setattr__(self, "columns", _tuple(self.columns, "columns"))
        if self.values is not None:
            if self.when is None:
                raise InputError("MissingTogether: values need a 'when' column")
            object.__setattr__(self, "values", tuple(_tuple(self.values, "values")))

    @property
    def all_columns(self) -> tuple:
        return self.columns + (() if self.when is None else (self.when,))

    def _describe(self, seconds) -> str:
        text = f"{', '.join(map(str, self.columns))}: missing together"
        if self.when is not None:
            which = _values(self.values or (), limit=len(self.values or ()))
            text += f", exactly when {self.when} is {which}" if self.values else f", as {self.when} says"
        return text

    def _fields(self) -> dict:
        return {
            "type": self.kind,
            "columns": list(self.columns),
            "when": self.when,
            "values": None if self.values is None else list(self.values),
        }


@dataclass(frozen=True)
class Inequality(_Record):
    """``low <= high`` on every row where ``high`` has a value (and ``low`` has one there too).

    ``high`` is modelled as ``low`` plus a non-negative gap, so no sampled row breaks it.

    Parameters
    ----------
    low, high : column name
        Two numeric columns, or two datetime columns.
    """

    low: object
    high: object

    kind = "inequality"

    @property
    def all_columns(self) -> tuple:
        return (self.low, self.high)

    def _describe(self, seconds) -> str:
        return f"{self.low} <= {self.high}"

    def _fields(self) -> dict:
        return {"type": self.kind, "low": self.low, "high": self.high}


@dataclass(frozen=True)
class RangeByCategory(_Record):
    """Numeric ``column`` lies within a range that depends on the discrete column ``by``.

    ``column`` is modelled as its position within its category's range, so sampled values stay
    in their category's range without clipping. Categories without a range of their own use
    the column's training range.

    Parameters
    ----------
    column : column name
        A numeric or datetime column.
    by : column name
        A boolean or categorical column.
    ranges : tuple or None, default=None
        ``(category, low, high)`` triples (``None`` as category meaning missing; datetimes in
        seconds since the epoch). Learned in ``fit`` when not declared; declared ranges must
        hold on every row.
    """

    column: object
    by: object
    ranges: tuple | None = field(default=None, compare=False)

    kind = "range_by_category"

    def __post_init__(self):
        if self.ranges is not None:
            object.__setattr__(self, "ranges", tuple((c, float(lo), float(hi)) for c, lo, hi in self.ranges))

    @property
    def all_columns(self) -> tuple:
        return (self.column, self.by)

    def _describe(self, seconds) -> str:
        text = f"{self.column} in a range set by {self.by}"
        if self.ranges:
            unit = self.column in seconds
            parts = [
                f"[{_number(lo, unit)}, {_number(hi, unit)}] when {_value(c)}"
                for c, lo, hi in self.ranges[:_SHOWN]
            ]
            text += ": " + ", ".join(parts) + (", ..." if len(self.ranges) > _SHOWN else "")
        return text

    def _fields(self) -> dict:
        return {
            "type": self.kind,
            "column": self.column,
            "by": self.by,
            "ranges": None
            if self.ranges is None
            else [{"value": c, "low": lo, "high": hi} for c, lo, hi in self.ranges],
        }


RECORD_TYPES = (FunctionalDependency, MissingTogether, Inequality, RangeByCategory)


def columns_of(record) -> tuple:
    """Every column a record names."""
    return record.columns if isinstance(record, FunctionalDependency) else record.all_columns


def record_from_dict(data: dict):
    """The record a (schema-checked) ``to_dict`` output describes."""
    kind = data["type"]
    if kind == "functional_dependency":
        lookup = data["lookup"]
        return FunctionalDependency(
            data["determinants"],
            data["column"],
            None if lookup is None else tuple((e["key"], e["value"], e["count"]) for e in lookup),
            data["one_to_one"],
        )
    if kind == "missing_together":
        return MissingTogether(data["columns"], data["when"], data["values"])
    if kind == "inequality":
        return Inequality(data["low"], data["high"])
    if kind == "range_by_category":
        ranges = data["ranges"]
        return RangeByCategory(
            data["column"],
            data["by"],
            None if ranges is None else tuple((r["value"], r["low"], r["high"]) for r in ranges),
        )
    raise InputError(f"unknown constraint type {kind!r}")


def parse_constraints(constraints) -> tuple[list, set]:
    """Split ``fit``'s ``constraints`` argument into declared records and the kinds to detect.

    Parameters
    ----------
    constraints : "auto", None or list
        ``"auto"`` detects every kind; ``None`` or ``[]`` keeps no logic; a list holds records
        (declared) and kind names or ``"auto"`` (detected).

    Returns
    -------
    declared : list of records
    detect : set of str
        Kind names to detect.
    """
    if constraints is None:
        return [], set()
    if isinstance(constraints, str):
        constraints = [constraints]
    if not isinstance(constraints, (list, tuple)):
        raise InputTypeError(
            "constraints must be 'auto', None or a list of constraint records and kind names; "
            f"got {type(constraints).__name__}"
        )
    declared, detect = [], set()
    for item in constraints:
        if isinstance(item, RECORD_TYPES):
            declared.append(item)
        elif item == "auto":
            detect.update(KIND_NAMES)
        elif isinstance(item, str) and item in KIND_NAMES:
            detect.add(item)
        else:
            raise InputError(
                f"constraints: {item!r} is neither a constraint record "
                f"({', '.join(t.__name__ for t in RECORD_TYPES)}) nor one of 'auto', "
                f"{', '.join(map(repr, KIND_NAMES))}"
            )
    return declared, detect
