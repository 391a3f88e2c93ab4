"""Constraint records against the data: learned from the rows, checked on them, and combined.

:func:`fit_record` fills in what a record learns from the training rows (a lookup, the values
that make a group missing, ranges) and counts the rows that break it; :class:`Roles` says which
records can be kept together (a column is derived in at most one way). Both serve declared
records, detected ones and, through the model schema, records read from a file.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gansynth._columns import numeric_values
from gansynth.errors import InputError, InputTypeError
from gansynth.tabular.constraints import FunctionalDependency, Inequality, MissingTogether, RangeByCategory

# A category needs this many rows with a value before a range is learned for it; smaller ones
# keep the column's training range (a range from three rows says little).
MIN_RANGE_ROWS = 10


def column_arrays(frame: pd.DataFrame, specs) -> dict:
    """Each column as one numpy array: category codes (-1 missing) or float values (NaN missing)."""
    arrays = {}
    for spec in specs:
        series = frame[spec.name]
        if spec.is_discrete:
            missing = series.isna().to_numpy()
            # pd.NA cannot be compared: missing values become None before the lookup.
            values = series.astype(object).where(~missing, None) if missing.any() else series
            codes = pd.Index(spec.categories, dtype=object).get_indexer(values)
            arrays[spec.name] = np.where(missing, -1, codes).astype(np.int64)
        else:
            arrays[spec.name] = numeric_values(series, spec.kind)
    return arrays


def is_missing(values, spec) -> np.ndarray:
    """Where a column's values are missing: category code -1, or NaN (NA in a nullable array).

    Reads :func:`column_arrays`' arrays and the engine's decoded columns alike."""
    if spec.is_discrete:
        return np.asarray(values) < 0
    return np.asarray(pd.isna(values), dtype=bool)


def value_ids(values: np.ndarray, spec) -> tuple[np.ndarray, list]:
    """Dense ids of a column's values, a missing value being one more, and the value of each id.

    Values are JSON scalars: categories, floats, ``None`` for missing.
    """
    if spec.is_discrete:
        n = len(spec.categories)
        return np.where(values < 0, n, values), list(spec.categories) + [None]
    uniques, inverse = np.unique(values, return_inverse=True)
    return inverse.ravel(), [None if np.isnan(v) else float(v) for v in uniques]


# ------------------------------------------------------------------------- column checks
def check_columns(record, specs: dict) -> None:
    """Raise ValueError unless the record's columns exist and have the kinds it needs."""

    def spec(name, role):
        if name not in specs:
            raise InputError(f"constraint {record}: unknown column {name!r} ({role})")
        return specs[name]

    def distinct(names):
        if len(set(names)) != len(names):
            raise InputError(f"constraint {record}: names a column twice")

    if isinstance(record, FunctionalDependency):
        distinct(record.columns)
        for name in record.determinants:
            s = spec(name, "determinant")
            if not s.is_discrete or s.has_nan:
                raise InputError(
                    f"constraint {record}: determinant {name!r} must be a boolean or categorical "
                    "column without missing values"
                )
        spec(record.column, "determined column")
    elif isinstance(record, MissingTogether):
        distinct(record.all_columns)
        for name in record.columns:
            spec(name, "member")
        if record.when is not None and not spec(record.when, "'when' column").is_discrete:
            raise InputError(f"constraint {record}: 'when' column {record.when!r} must be discrete")
        if record.when is None and len(record.columns) < 2:
            raise InputError(f"constraint {record}: needs two columns, or a 'when' column")
    elif isinstance(record, Inequality):
        distinct(record.all_columns)
        low, high = spec(record.low, "low"), spec(record.high, "high")
        if low.is_discrete or high.is_discrete or (low.kind == "datetime") != (high.kind == "datetime"):
            raise InputError(f"constraint {record}: needs two numeric columns or two datetime columns")
    elif isinstance(record, RangeByCategory):
        distinct(record.all_columns)
        if spec(record.column, "column").is_discrete or not spec(record.by, "'by' column").is_discrete:
            raise InputError(f"constraint {record}: needs a numeric column and a discrete 'by' column")
    else:
        raise InputTypeError(f"not a constraint record: {record!r}")


# ------------------------------------------------------------------------- learning and checking
def fit_record(record, arrays: dict, specs: dict):
    """The record with what it learns from the rows filled in, and how many rows break it.

    Parameters
    ----------
    record : FunctionalDependency, MissingTogether, Inequality or RangeByCategory
    arrays : dict
        :func:`column_arrays` of the training table.
    specs : dict
        ``{column: ColumnSpec}``.

    Returns
    -------
    fitted : record
    violations : int
        Rows on which the data breaks the record (or a declared lookup, values or ranges).
    """
    check_columns(record, specs)
    fit = {
        FunctionalDependency: _fit_dependency,
        MissingTogether: _fit_missing,
        Inequality: _fit_inequality,
        RangeByCategory: _fit_range,
    }[type(record)]
    return fit(record, arrays, specs)


def determinant_key(record, arrays: dict, specs: dict) -> tuple[np.ndarray, int]:
    """One code per row for the determinants' values together, and how many codes there are."""
    key, size = np.zeros(len(next(iter(arrays.values()))), np.int64), 1
    for name in record.determinants:
        width = len(specs[name].categories)
        key, size = key * width + arrays[name], size * width
    return key, size


def _fit_dependency(record, arrays, specs):
    key, _ = determinant_key(record, arrays, specs)
    ids, values = value_ids(arrays[record.column], specs[record.column])
    # Observed (key, value) pairs and their rows: sparse, so wide determinants cost nothing extra.
    pairs, counts = np.unique(key * len(values) + ids, return_counts=True)
    keys, value_of = np.divmod(pairs, len(values))
    rows = dict(zip(pairs.tolist(), counts.tolist()))
    order = np.lexsort((-counts, keys))
    first = order[np.r_[True, keys[order][1:] != keys[order][:-1]]]
    chosen = dict(zip(keys[first].tolist(), value_of[first].tolist()))  # each key's most common value
    if record.lookup is not None:
        index = {v: i for i, v in enumerate(values)}
        for declared_key, value, _ in record.lookup:
            # A declared value the data never takes matches no row: every row of its key breaks it.
            code = key_code(declared_key, record.determinants, specs)
            if code in chosen:
                chosen[code] = index.get(value, -1)
    matching = {k: rows.get(k * len(values) + v, 0) if v >= 0 else 0 for k, v in chosen.items()}
    violations = int(len(key) - sum(matching.values()))
    lookup = tuple(
        (key_values(k, record.determinants, specs), values[v], matching[k])
        for k, v in chosen.items()
        if v >= 0
    )
    one_to_one = len(record.determinants) == 1 and len(np.unique(value_of)) == len(value_of)
    return FunctionalDependency(record.determinants, record.column, lookup, one_to_one), violations


def key_code(key, determinants, specs) -> int:
    """The code :func:`determinant_key` gives the determinants' values ``key``."""
    if len(key) != len(determinants):
        raise InputError(f"lookup key {list(key)} does not give one value per determinant")
    code = 0
    for name, value in zip(determinants, key):
        categories = specs[name].categories
        if value not in categories:
            raise InputError(f"lookup key value {value!r} is not a category of {name!r}")
        code = code * len(categories) + categories.index(value)
    return code


def key_values(code: int, determinants, specs) -> tuple:
    """The determinants' values that :func:`determinant_key` gave ``code``."""
    values = []
    for name in reversed(determinants):
        categories = specs[name].categories
        code, position = divmod(int(code), len(categories))
        values.append(categories[position])
    return tuple(reversed(values))


def _fit_missing(record, arrays, specs):
    missing = np.stack([is_missing(arrays[name], specs[name]) for name in record.columns], axis=1)
    group_missing = missing.all(axis=1)
    broken = missing.any(axis=1) & ~group_missing
    if record.when is None:
        return record, int(broken.sum())
    ids, values = value_ids(arrays[record.when], specs[record.when])
    if record.values is None:
        rows = np.bincount(ids, minlength=len(values))
        missing_rows = np.bincount(ids, weights=group_missing, minlength=len(values))
        chosen = [v for v, m, r in zip(values, missing_rows, rows) if r and 2 * m > r]
    else:
        unknown = [v for v in record.values if v not in values[:-1] and v is not None]
        if unknown:
            raise InputError(f"constraint {record}: {unknown} are not values of {record.when!r}")
        chosen = list(record.values)
    in_set = np.isin(ids, [values.index(v) for v in chosen])
    broken |= in_set != group_missing
    return MissingTogether(record.columns, record.when, tuple(chosen)), int(broken.sum())


def _fit_inequality(record, arrays, specs):
    low, high = arrays[record.low], arrays[record.high]
    with np.errstate(invalid="ignore"):
        broken = (low > high) | (np.isnan(low) & ~np.isnan(high))
    return record, int(broken.sum())


def _fit_range(record, arrays, specs):
    values = arrays[record.column]
    ids, categories = value_ids(arrays[record.by], specs[record.by])
    present = ~np.isnan(values)
    if record.ranges is not None:
        bounds = {}
        for category, low, high in record.ranges:
            if category is not None and category not in categories[:-1]:
                raise InputError(f"constraint {record}: {category!r} is not a value of {record.by!r}")
            if not low <= high:
                raise InputError(f"constraint {record}: range [{low}, {high}] of {category!r} is empty")
            bounds[categories.index(category)] = (low, high)
        low = np.array([bounds.get(i, (-np.inf, np.inf))[0] for i in range(len(categories))])
        high = np.array([bounds.get(i, (-np.inf, np.inf))[1] for i in range(len(categories))])
        with np.errstate(invalid="ignore"):
            broken = present & ((values < low[ids]) | (values > high[ids]))
        return record, int(broken.sum())
    ranges = []
    for i in np.unique(ids[present]):
        inside = values[present & (ids == i)]
        if len(inside) >= MIN_RANGE_ROWS:
            ranges.append((categories[i], float(inside.min()), float(inside.max())))
    return RangeByCategory(record.column, record.by, tuple(ranges)), 0


# ------------------------------------------------------------------------- combining records
class Roles:
    """Which records can be kept together: each column is derived at most one way, without cycles.

    A determined column (of a functional dependency) leaves the model, so it can be nothing
    else that is modelled; determinants stay modelled. A column is in at most one missingness
    group, the ``high`` of at most one inequality, the ranged column of at most one range, and
    not both a ``high`` and a ranged column. Inequalities form no cycle. A group member's missing
    values are filled in the engine's table, so it cannot also say when another group is missing
    or whose range another column keeps (a ``when`` or ``by`` column).

    Parameters
    ----------
    protected : iterable of column names
        Columns that must stay modelled (``condition_shares`` names them).
    """

    def __init__(self, protected=()):
        self.protected = set(protected)
        self.derived, self.determinants, self.members, self.highs, self.ranged = {}, {}, {}, {}, {}
        self.readers: dict = {}  # a group's when column or a range's by column -> its record
        self.edges: dict = {}  # low -> set of highs

    def conflict(self, record) -> str | None:
        """Why ``record`` cannot join the records added so far, or None."""
        if isinstance(record, FunctionalDependency):
            name = record.column
            if name in self.protected:
                return f"{name!r} is named in condition_shares, so it must stay modelled"
            for table in (self.derived, self.determinants, self.members, self.highs, self.ranged):
                if name in table:
                    return f"{name!r} is already used by {table[name]}"
            return next(
                (
                    f"determinant {d!r} is derived by {self.derived[d]}"
                    for d in record.determinants
                    if d in self.derived
                ),
                None,
            )
        if isinstance(record, MissingTogether):
            for name in record.columns:
                for table in (self.derived, self.members, self.readers):
                    if name in table:
                        return f"{name!r} is already used by {table[name]}"
            return self._filled_reader(record.when)
        if isinstance(record, Inequality):
            for table in (self.derived, self.highs, self.ranged):
                if record.high in table:
                    return f"{record.high!r} is already used by {table[record.high]}"
            if self._reaches(record.high, record.low):
                return f"it closes a cycle of inequalities through {record.low!r}"
            return None
        for table in (self.derived, self.highs, self.ranged):
            if record.column in table:
                return f"{record.column!r} is already used by {table[record.column]}"
        return self._filled_reader(record.by)

    def _filled_reader(self, name) -> str | None:
        if name in self.members:
            return f"{name!r} is a member of {self.members[name]}, whose missing values the model fills"
        return None

    def add(self, record) -> None:
        """Add ``record``; ValueError when it conflicts with one added before."""
        reason = self.conflict(record)
        if reason:
            raise InputError(f"constraint {record} cannot be kept with the others: {reason}")
        if isinstance(record, FunctionalDependency):
            self.derived[record.column] = record
            self.determinants.update(dict.fromkeys(record.determinants, record))
        elif isinstance(record, MissingTogether):
            self.members.update(dict.fromkeys(record.columns, record))
            if record.when is not None:
                self.readers[record.when] = record
        elif isinstance(record, Inequality):
            self.highs[record.high] = record
            self.edges.setdefault(record.low, set()).add(record.high)
        else:
            self.ranged[record.column] = record
            self.readers[record.by] = record

    def _reaches(self, start, target) -> bool:
        stack, seen = [start], set()
        while stack:
            node = stack.pop()
            if node == target:
                return True
            if node not in seen:
                seen.add(node)
                stack.extend(self.edges.get(node, ()))
        return False
