"""Keeping constraint records by construction: the table the engine learns, and the way back.

``fit`` hands the engine a reduced, reparameterised table, and ``sample`` maps the engine's
columns back, so that every sampled row obeys every record without rejecting any:

- a determined column leaves the table and is looked up from its determinants' sampled values
  (a determinant pair never seen in training takes the most common value for its first
  determinant's value);
- a missingness group keeps one indicator: the first column's own missing values, or the
  ``when`` column; the other columns' missing values are filled with observed ones in training
  and set back from the indicator when sampling (a filled discrete column's codes are mapped
  from the engine's categories, whose order of first appearance the filling can change);
- ``high`` of ``low <= high`` is learned as the gap ``high - low``, sampled as
  ``low + max(gap, 0)`` (a sum beyond ``high``'s training maximum is mirrored below it, so that
  keeping the range piles no rows on the bound);
- a ranged column is learned as its position ``u`` within its category's range, sampled as
  ``low + clip(u, 0, 1) * (high - low)``.

Sampling applies them in that order (lookups, missing values, ranges, then inequalities along
their chains), on raw column values: category codes and floats, datetimes in seconds. Exact
columns (integer dtypes, datetimes) come from the engine as nullable integer arrays and stay
exact unless an inequality links them, whose arithmetic is on floats.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gansynth._columns import numeric_values
from gansynth.errors import InputError
from gansynth.tabular.constraint_fit import column_arrays, is_missing, key_code
from gansynth.tabular.constraints import FunctionalDependency, Inequality, MissingTogether, RangeByCategory


class LogicTransform:
    """The engine's table from the training table, and sampled rows from the engine's columns.

    Parameters
    ----------
    records : list of records
        Fitted records that can be kept together (checked by
        :class:`~gansynth.tabular.constraint_fit.Roles`).
    specs : list of ColumnSpec
        The training table's columns.
    """

    def __init__(self, records, specs):
        self.records = list(records)
        self.specs = list(specs)
        self._spec = {spec.name: spec for spec in self.specs}
        self.dependencies = {r.column: r for r in self.records if isinstance(r, FunctionalDependency)}
        self.groups = [r for r in self.records if isinstance(r, MissingTogether)]
        self.ranges = {r.column: r for r in self.records if isinstance(r, RangeByCategory)}
        self.inequalities = _chain_order([r for r in self.records if isinstance(r, Inequality)])
        self._gap_of = {r.high: r.low for r in self.inequalities}
        self.filled = {
            name for g in self.groups for i, name in enumerate(g.columns) if g.when is not None or i > 0
        }
        self._tables = {name: _dependency_table(r, self._spec) for name, r in self.dependencies.items()}
        self._bounds = {name: _range_table(r, self._spec) for name, r in self.ranges.items()}
        # Per filled discrete column, the table's code of each engine code: found on the first
        # decode (it needs the engine's specs), not again for every chunk.
        self._table_codes: dict = {}

    @property
    def engine_names(self) -> list:
        """The columns the engine models, in table order."""
        return [spec.name for spec in self.specs if spec.name not in self.dependencies]

    # ------------------------------------------------------------------ fit
    def engine_table(self, frame: pd.DataFrame, rng: np.random.Generator) -> tuple[pd.DataFrame, dict]:
        """The table the engine learns, and ``{column: kind}`` for ``build_specs``.

        Kinds are given for every column whose values keep their meaning; a gap is left to be
        inferred (whole numbers give an integer column) and a position in a range is continuous.
        """
        columns, kinds = {}, {}
        for name in self.engine_names:
            spec = self._spec[name]
            if name in self._gap_of:
                low = self._spec[self._gap_of[name]]
                values = numeric_values(frame[name], spec.kind) - numeric_values(frame[low.name], low.kind)
                series = pd.Series(values)
            elif name in self._bounds:
                series = pd.Series(self._position(name, frame))
                kinds[name] = "continuous"
            else:
                series = frame[name].reset_index(drop=True)
                kinds[name] = spec.kind
            columns[name] = _filled(series, rng) if name in self.filled else series
        return pd.DataFrame(columns), kinds

    def _position(self, name, frame: pd.DataFrame) -> np.ndarray:
        """Each value's position within its category's range: 0 at the low end, 1 at the high one."""
        record, (low, high) = self.ranges[name], self._bounds[name]
        by = self._spec[record.by]
        codes = column_arrays(frame, [by])[by.name]
        slot = np.where(codes < 0, len(by.categories), codes)
        values = numeric_values(frame[name], self._spec[name].kind)
        width = high[slot] - low[slot]
        position = np.where(width > 0, (values - low[slot]) / np.where(width > 0, width, 1.0), 0.0)
        return np.where(np.isnan(values), np.nan, position)

    # ------------------------------------------------------------------ sample
    def decode(self, engine_raw: list, engine_specs: list, clip: bool) -> list:
        """Every column's raw values (codes or floats), in table order, from the engine's columns.

        Parameters
        ----------
        engine_raw : list
            The engine's decoded columns, in the order of ``engine_specs``: codes, floats, or
            nullable integer arrays for exact columns (kept exact unless an inequality links
            them).
        engine_specs : list of ColumnSpec
            The columns the engine models.
        clip : bool
            Whether ``sample`` clips numeric columns to their training range; the columns an
            inequality links are clipped and rounded here first, so that clipping and rounding
            them again when the table is built keeps ``low <= high``.
        """
        raw = {spec.name: values for spec, values in zip(engine_specs, engine_raw)}
        for name, record in self.dependencies.items():
            codes = [raw[d] for d in record.determinants]
            key = (
                codes[0]
                if len(codes) == 1
                else codes[0] * len(self._spec[record.determinants[1]].categories) + codes[1]
            )
            raw[name] = self._tables[name][key]
        for group in self.groups:
            if group.when is None:
                first = self._spec[group.columns[0]]
                missing = is_missing(raw[first.name], first)
            else:
                missing = np.isin(raw[group.when], _codes(group.values, self._spec[group.when]))
            for name in group.columns:
                spec = self._spec[name]
                if not spec.is_discrete:
                    raw[name] = _with_missing(raw[name], missing)
                    continue
                codes = raw[name]
                if name in self.filled:
                    codes = self._filled_codes(name, engine_specs)[codes]
                raw[name] = np.where(missing, -1, codes)
        for name, record in self.ranges.items():
            low, high = self._bounds[name]
            by = self._spec[record.by]
            slot = np.where(raw[record.by] < 0, len(by.categories), raw[record.by])
            position = np.clip(raw[name], 0.0, 1.0)
            raw[name] = np.clip(low[slot] + position * (high[slot] - low[slot]), low[slot], high[slot])
        for record in self.inequalities:
            for name in (record.low, record.high):
                raw[name] = _as_float(self._spec[name], raw[name])
            raw[record.low], raw[record.high] = self._above(record, raw, clip)
        return [raw[spec.name] for spec in self.specs]

    def _filled_codes(self, name, engine_specs) -> np.ndarray:
        if name not in self._table_codes:
            engine_spec = next(spec for spec in engine_specs if spec.name == name)
            self._table_codes[name] = _category_codes(engine_spec, self._spec[name])
        return self._table_codes[name]

    def _above(self, record, raw: dict, clip: bool) -> tuple[np.ndarray, np.ndarray]:
        low_spec, high_spec = self._spec[record.low], self._spec[record.high]
        low = _finalised(low_spec, raw[record.low], clip)
        with np.errstate(invalid="ignore"):
            high = low + np.maximum(raw[record.high], 0.0)
            if clip:
                # A sum beyond high's training maximum is mirrored below it (never below low):
                # clipping it would pile rows on the bound.
                top = high_spec.maximum
                high = np.where(high > top, np.maximum(2.0 * top - high, low), high)
            high = _finalised(high_spec, high, clip)
            # Rounding to a coarser step than low's can land one step below low: step up once.
            step = _step_seconds(high_spec)
            if step:
                high = np.where(high < low, _finalised(high_spec, high + step, clip), high)
        return low, high

    # ------------------------------------------------------------------ conditions
    def engine_conditions(self, conditions, n: int, rng: np.random.Generator):
        """The user's conditions as conditions on modelled columns.

        A condition on a determined column becomes one on its determinants: each row draws a
        training combination of determinant values that gives the wanted value (weighted by its
        training rows), agreeing with any condition on the determinants themselves.
        """
        if not isinstance(conditions, dict):
            return conditions
        self._refuse_reshaped(conditions)
        if not self.dependencies:
            return conditions
        names = [spec.name for spec in self.specs]
        unknown = [name for name in conditions if name not in names]
        if unknown:
            raise InputError(f"unknown condition column {unknown[0]!r}; the columns are {names}")
        engine = {name: value for name, value in conditions.items() if name not in self.dependencies}
        for name in conditions:
            if name in self.dependencies:
                self._through_determinants(self.dependencies[name], conditions[name], n, engine, rng)
        return engine

    def reshaping(self, name) -> str | None:
        """What the engine models in place of column ``name`` ("an inequality", "a range by
        category", "a missing-together group"), or ``None`` when it models the column itself."""
        if any(name in (r.low, r.high) for r in self.inequalities):
            return "an inequality"
        if name in self.ranges:
            return "a range by category"
        return "a missing-together group" if name in self.filled else None

    def _refuse_reshaped(self, conditions: dict) -> None:
        """A column the engine models as a gap, a position or a filled column has no value of
        its own to force: conditions on it are refused, not mistranslated."""
        for name in conditions:
            if (reshaped := self.reshaping(name)) is not None:
                raise InputError(
                    f"cannot condition on column {name!r}: the table's logic keeps it through "
                    f"{reshaped} (model.constraints_), so the model has no value of it to fix; "
                    "condition on a column the model keeps as it is instead"
                )

    def _through_determinants(self, record, value, n: int, engine: dict, rng) -> None:
        keys = np.array(
            [
                [self._spec[d].categories.index(v) for d, v in zip(record.determinants, k)]
                for k, _, _ in record.lookup
            ]
        )
        known = [v for _, v, _ in record.lookup]
        counts = np.array([c for _, _, c in record.lookup], dtype=float)
        choices = list(dict.fromkeys(known))
        wanted = _indices(_n_values(record.column, value, n), choices, record.column)
        given = [
            _indices(_n_values(d, engine[d], n), self._spec[d].categories, d)
            if d in engine
            else np.full(n, -1)
            for d in record.determinants
        ]
        entry_value = np.array([choices.index(v) for v in known])
        combos, inverse = np.unique(np.stack([wanted, *given], axis=1), axis=0, return_inverse=True)
        drawn = np.empty((n, len(record.determinants)), np.int64)
        for c, combo in enumerate(combos):
            match = entry_value == combo[0]
            for j, code in enumerate(combo[1:]):
                match &= (code < 0) | (keys[:, j] == code)
            if not match.any():
                raise InputError(
                    f"no training row has {record.column} = {choices[combo[0]]!r} together with the "
                    f"conditions on {', '.join(map(str, record.determinants))} ({record})"
                )
            rows = np.flatnonzero(inverse.ravel() == c)
            drawn[rows] = keys[match][
                rng.choice(int(match.sum()), size=len(rows), p=counts[match] / counts[match].sum())
            ]
        for j, d in enumerate(record.determinants):
            categories = np.asarray(self._spec[d].categories + [None], dtype=object)
            engine[d] = categories[drawn[:, j]].tolist()


def _chain_order(inequalities: list) -> list:
    """Inequalities ordered so that a column is finished as a ``high`` before it serves as a ``low``."""
    highs = {r.high for r in inequalities}
    ordered, done = [], set()
    while len(ordered) < len(inequalities):
        for r in inequalities:
            if r not in ordered and (r.low not in highs or r.low in done):
                ordered.append(r)
                done.add(r.high)
    return ordered


def _filled(series: pd.Series, rng: np.random.Generator) -> pd.Series:
    """Missing values replaced by observed values drawn at random (the indicator restores them)."""
    missing = np.flatnonzero(series.isna().to_numpy())
    if not len(missing):
        return series
    observed = np.flatnonzero(series.notna().to_numpy())
    values = series.to_numpy(copy=True)
    values[missing] = values[rng.choice(observed, size=len(missing))]
    return pd.Series(values, dtype=series.dtype)


def _category_codes(engine_spec, spec) -> np.ndarray:
    """The table's code of each of the engine's categories of a filled discrete column."""
    return pd.Index(spec.categories, dtype=object).get_indexer(pd.Index(engine_spec.categories, dtype=object))


def _with_missing(values, missing: np.ndarray):
    """``values`` missing on ``missing`` rows: a float array or a nullable integer array, kept exact."""
    if isinstance(values, np.ndarray):
        return np.where(missing, np.nan, values)
    values = values.copy()
    values[missing] = pd.NA
    return values


def _as_float(spec, values) -> np.ndarray:
    """Floats in the logic's units (datetimes in seconds) from an engine column's decoded values.

    The engine decodes exact columns (integer dtypes, datetimes in nanoseconds) as nullable
    integer arrays; an inequality's arithmetic works on floats, as ``restore_column`` reads them.
    """
    if isinstance(values, np.ndarray):
        return values.astype(np.float64, copy=False)
    floats = values.to_numpy(dtype=np.float64, na_value=np.nan)
    return floats / 1e9 if spec.kind == "datetime" else floats


def _codes(values, spec) -> list:
    return [-1 if v is None else spec.categories.index(v) for v in values]


def _dependency_table(record, specs: dict) -> np.ndarray:
    """The determined column's raw value for every determinant code (unseen pairs: see module)."""
    target = specs[record.column]
    sizes = [len(specs[d].categories) for d in record.determinants]
    if target.is_discrete:
        raw = [-1 if v is None else target.categories.index(v) for _, v, _ in record.lookup]
        table = np.full(int(np.prod(sizes)), -1, np.int64)
    else:
        raw = [np.nan if v is None else float(v) for _, v, _ in record.lookup]
        table = np.full(int(np.prod(sizes)), np.nan)
    codes = [key_code(k, record.determinants, specs) for k, _, _ in record.lookup]
    counts = np.array([c for _, _, c in record.lookup])
    seen = np.zeros(len(table), bool)
    seen[codes] = True
    # Most common value overall, then per value of the first determinant, fills unseen keys.
    fallback = np.full(sizes[0], raw[int(np.argmax(counts))], dtype=table.dtype)
    for first in range(sizes[0]):
        inside = [i for i, code in enumerate(codes) if code // (len(table) // sizes[0]) == first]
        if inside:
            fallback[first] = raw[max(inside, key=lambda i: counts[i])]
    table[:] = np.repeat(fallback, len(table) // sizes[0])
    table[codes] = raw
    return table


def _range_table(record, specs: dict) -> tuple[np.ndarray, np.ndarray]:
    """Low and high bound per code of ``by`` (its last slot being missing); default: training range."""
    spec, by = specs[record.column], specs[record.by]
    low = np.full(len(by.categories) + 1, spec.minimum, dtype=float)
    high = np.full(len(by.categories) + 1, spec.maximum, dtype=float)
    for category, lo, hi in record.ranges:
        slot = len(by.categories) if category is None else by.categories.index(category)
        low[slot], high[slot] = lo, hi
    return low, high


def _step_seconds(spec) -> float:
    """The grid a column's values are rounded to when the table is built (0: none)."""
    if spec.kind == "integer":
        return 1.0
    if spec.kind == "datetime":
        return (spec.datetime_step_ns or 1) / 1e9
    return 0.0


def _finalised(spec, values: np.ndarray, clip: bool) -> np.ndarray:
    """Values clipped and rounded as ``restore_column`` will build them (idempotent there)."""
    if clip:
        values = np.clip(values, spec.minimum, spec.maximum)
    if spec.kind == "integer":
        return np.round(values)
    if spec.kind == "datetime":
        step = spec.datetime_step_ns or 1
        return np.round(values * 1e9 / step) * step / 1e9
    return values


def _n_values(name, value, n: int) -> list:
    if pd.api.types.is_list_like(value):
        values = list(value)
        if len(values) != n:
            raise InputError(f"condition {name!r} has {len(values)} values for {n} rows")
        return values
    return [value] * n


def _indices(values: list, known: list, name) -> np.ndarray:
    """Each value's position in ``known`` (missing values match ``None``); unknown ones refused."""
    index = pd.Index([np.nan if v is None else v for v in known], dtype=object)
    positions = index.get_indexer(pd.Series([np.nan if pd.isna(v) else v for v in values], dtype=object))
    if (positions < 0).any():
        bad = list(dict.fromkeys(v for v, p in zip(values, positions) if p < 0))[:5]
        shown = ["NaN" if v is None else v for v in known]
        raise InputError(f"unknown value(s) {bad} for condition column {name!r}; known values: {shown}")
    return positions
