"""Finding a table's own logic in ``fit``: exact rules with enough support, at a bounded cost.

**The rule.** A record is detected only when it holds on *every* training row (one violating row
in 1,000 is noise, not logic, and nothing is detected) and has enough support:

- *functional dependency*: the determinants are boolean or categorical columns without missing
  values whose values (or pairs of values) cover at least :data:`MIN_ROWS_PER_VALUE` rows each
  on average; the determined column takes at least two values, and is discrete or numeric with
  at most :data:`MAX_LEVELS` distinct values. Two-column determinants are tried only for columns
  that no single column determines.
- *missing together*: at least :data:`MIN_ROWS_PER_VALUE` rows missing. Members are numeric,
  datetime, boolean or categorical columns; a group of two or more needs no ``when``. A ``when``
  column is a discrete column (its missing value counting as a value, so a discrete column
  missing on the group's rows can say when) with at least that many rows per value on average.
- *inequality* ``low <= high``: at least :data:`MIN_ROWS_PER_VALUE` rows with both values, the
  columns differ on some row, and the inequality says more than the columns' ranges do: drawing
  ``low`` and ``high`` independently from their values (on the rows with both), ``low > high``
  has probability at least :data:`MIN_INEQUALITY_CUT`. Overlapping ranges are not enough: a
  column that is 999 on most rows is above a column of rates below 1.4 on every row, yet the
  pair overlaps on a handful of rows only, and learning the gap would spoil the column's values.
- *range by category*: the ranges of the categories with at least
  :data:`~gansynth.tabular.constraint_fit.MIN_RANGE_ROWS` rows separate them: weighting each
  category by its share of rows, the share of the *other* categories' rows outside its range is
  at least :data:`RANGE_SEPARATION` (independent columns give about ``2 / rows per category``).

**The cost.** At most :data:`MAX_COLUMNS` discrete columns (in table order) are determinants,
``when`` columns or categories, and at most :data:`MAX_COLUMNS` numeric columns and as many
discrete columns with missing values are examined;
at most :data:`MAX_DETERMINANT_PAIRS` pairs of determinants are tried. Every exact check is a
sort and a vectorised reduction over all candidate columns at once, first on
:data:`PREFILTER_ROWS` evenly spaced rows; only the candidates that survive are checked on every
row. Range separation is measured on at most :data:`SCORE_ROWS` rows.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

from gansynth.errors import InputError
from gansynth.tabular.constraint_fit import (
    MIN_RANGE_ROWS,
    Roles,
    column_arrays,
    fit_record,
    is_missing,
    value_ids,
)
from gansynth.tabular.constraints import (
    KIND_NAMES,
    FunctionalDependency,
    Inequality,
    MissingTogether,
    RangeByCategory,
    columns_of,
    parse_constraints,
)

MIN_ROWS_PER_VALUE = 10
MAX_LEVELS = 64
MAX_COLUMNS = 64
MAX_DETERMINANT_PAIRS = 256
PREFILTER_ROWS = 2_000
SCORE_ROWS = 20_000
RANGE_SEPARATION = 0.5
# An inequality is kept when independent draws of its columns break it at least this often. On
# the benchmark tables, inequalities that are logic cut 1.8% (credit_data: seniority <= age) to
# 33%, the demo table's start <= end date 12%; those that hold because one column sits far
# above the other on almost every row cut at most 0.35% (Bank: a rate <= a mostly-999 day count,
# 0.07%; hpc_data: hour <= compounds, 0.11%).
MIN_INEQUALITY_CUT = 0.01


def learn_logic(frame, specs: list, constraints="auto", protected=()) -> list:
    """The records ``fit`` keeps: the declared ones, checked on the data, then detected ones.

    Parameters
    ----------
    frame : pandas.DataFrame
        The training table.
    specs : list of ColumnSpec
        Its columns.
    constraints : "auto", None or list
        ``fit``'s argument (see :func:`~gansynth.tabular.constraints.parse_constraints`).
    protected : collection of column names
        Columns that must stay modelled.

    Returns
    -------
    list of records
        Fitted records that can be kept together; a detected record that conflicts with a
        declared one, or with one detected before it, is left out.

    Raises
    ------
    ValueError
        When a declared record names unknown columns or columns of the wrong kind, conflicts with
        another declared record, or is broken by some rows (their number and the columns named).
    """
    declared, kinds = parse_constraints(constraints)
    if not declared and not kinds:
        return []
    arrays = column_arrays(frame, specs)
    by_name = {spec.name: spec for spec in specs}
    roles, kept = Roles(protected), []
    for record in declared:
        fitted, violations = fit_record(record, arrays, by_name)
        if violations:
            raise InputError(
                f"declared constraint {record} does not hold: {violations} of {len(frame)} rows break it "
                f"(columns {', '.join(map(repr, columns_of(record)))})"
            )
        roles.add(fitted)
        kept.append(fitted)
    for record in detect_logic(arrays, specs, kinds, protected) if kinds else []:
        if record not in kept and roles.conflict(record) is None:
            roles.add(record)
            kept.append(record)
    return kept


def detect_logic(arrays: dict, specs: list, kinds=KIND_NAMES, protected=()) -> list:
    """The logic of a table, as fitted records (see the module's docstring for the rule).

    Parameters
    ----------
    arrays : dict
        :func:`~gansynth.tabular.constraint_fit.column_arrays` of the training table.
    specs : list of ColumnSpec
        The table's columns, in order.
    kinds : collection of str, default=all four
        Kinds of record to look for.
    protected : collection of column names
        Columns that must stay modelled (never determined by others).

    Returns
    -------
    list of records
        Functional dependencies, then missingness groups, inequalities and ranges.
    """
    n = len(next(iter(arrays.values())))
    by_name = {spec.name: spec for spec in specs}
    found, derived = [], set()
    if "functional_dependency" in kinds:
        for determinants, column in _dependencies(arrays, specs, n, set(protected)):
            found.append(fit_record(FunctionalDependency(determinants, column), arrays, by_name)[0])
            derived.add(column)
    numeric = [s for s in specs if not s.is_discrete and s.name not in derived][:MAX_COLUMNS]
    discrete = [
        s for s in specs if s.is_discrete and n / (len(s.categories) + s.has_nan) >= MIN_ROWS_PER_VALUE
    ]
    discrete = {s.name: value_ids(arrays[s.name], s)[0] for s in discrete[:MAX_COLUMNS]}
    if "missing_together" in kinds:
        with_nan = [s for s in specs if s.is_discrete and s.has_nan and s.name not in derived]
        for columns, when in _missing_groups(arrays, numeric + with_nan[:MAX_COLUMNS], discrete, n):
            found.append(fit_record(MissingTogether(columns, when), arrays, by_name)[0])
    highs = set()
    if "inequality" in kinds:
        for low, high in _inequalities(arrays, numeric, n):
            found.append(Inequality(low, high))
            highs.add(high)
    if "range_by_category" in kinds:
        for column, by in _ranges(arrays, [s for s in numeric if s.name not in highs], discrete, n):
            found.append(fit_record(RangeByCategory(column, by), arrays, by_name)[0])
    return found


def _spaced(n: int, size: int) -> np.ndarray:
    return np.unique(np.linspace(0, n - 1, num=min(n, size)).astype(np.int64))


def _constant_within(key: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Per column of ``matrix``: whether it takes one value within each group of equal ``key``."""
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    starts = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]])
    rows = matrix[order]
    return (np.minimum.reduceat(rows, starts, axis=0) == np.maximum.reduceat(rows, starts, axis=0)).all(
        axis=0
    )


def _surviving(key: np.ndarray, matrix: np.ndarray, candidates: list, sample: np.ndarray) -> list:
    """The candidate columns constant within key groups: a cheap pass on ``sample``, then all rows."""
    for rows in (sample, slice(None)):
        if not candidates:
            break
        held = _constant_within(key[rows], matrix[rows][:, candidates])
        candidates = [j for j, ok in zip(candidates, held) if ok]
    return candidates


# --------------------------------------------------------------------- functional dependencies
def _dependencies(arrays, specs, n, protected) -> list[tuple[tuple, object]]:
    """``(determinants, column)`` pairs: single determinants first, then pairs."""
    targets, ids = [], []
    sample = _spaced(n, PREFILTER_ROWS)
    for spec in specs:
        # Most numeric columns show more than MAX_LEVELS values in the sample alone.
        if not spec.is_discrete and len(np.unique(arrays[spec.name][sample])) > MAX_LEVELS:
            continue
        column_ids, values = value_ids(arrays[spec.name], spec)
        if len(values) >= 2 and (spec.is_discrete or len(values) <= MAX_LEVELS):
            targets.append(spec.name)
            ids.append(column_ids)
    targets, matrix = targets[: 2 * MAX_COLUMNS], np.stack(ids[: 2 * MAX_COLUMNS], axis=1) if ids else None
    levels = {s.name: len(s.categories) for s in specs if s.is_discrete}
    determinants = [
        s.name
        for s in specs
        if s.name in targets
        and s.is_discrete
        and not s.has_nan
        and n / len(s.categories) >= MIN_ROWS_PER_VALUE
    ][:MAX_COLUMNS]
    if matrix is None or not determinants:
        return []
    holds = {}
    for name in determinants:
        candidates = [j for j, t in enumerate(targets) if t != name]
        holds[name] = {targets[j] for j in _surviving(arrays[name], matrix, candidates, sample)}
    roots, derived = _roots_and_derived(determinants, holds, targets, levels, protected)
    found = [((derived[t],), t) for t in targets if t in derived]
    # A column that determines another stays modelled: it cannot be derived from a pair.
    kept = set(derived) | set(derived.values()) | protected
    remaining = [j for j, t in enumerate(targets) if t not in kept]
    return found + _pair_dependencies(arrays, roots, targets, matrix, remaining, levels, n, sample)


def _roots_and_derived(determinants, holds, targets, levels, protected):
    """Determinants no other determinant determines (one per one-to-one class), and the rest's source."""
    position = {name: i for i, name in enumerate(targets)}
    group = {name: name for name in determinants}  # the earliest column of its one-to-one class
    for a in determinants:
        for b in determinants:
            if position[b] < position[group[a]] and b in holds[a] and a in holds[b]:
                group[a] = b
    roots = [
        d
        for d in determinants
        if group[d] == d and not any(d in holds[o] and group[o] != d for o in determinants if o != d)
    ]
    derived = {}
    for target in targets:
        if target in roots or target in protected:
            continue
        sources = [r for r in roots if target in holds[r]]
        if sources:
            derived[target] = min(sources, key=lambda r: (levels[r], position[r]))
    return roots, derived


def _pair_dependencies(arrays, roots, targets, matrix, remaining, levels, n, sample):
    used, derived, found = set(), set(), []
    for a, b in list(combinations(roots, 2))[:MAX_DETERMINANT_PAIRS]:
        if a in derived or b in derived:
            continue
        key = arrays[a] * levels[b] + arrays[b]
        if n / np.count_nonzero(np.bincount(key)) < MIN_ROWS_PER_VALUE:
            continue
        candidates = [j for j in remaining if targets[j] not in (a, b) and targets[j] not in derived | used]
        held = _surviving(key, matrix, candidates, sample)
        for j in held:
            found.append(((a, b), targets[j]))
            derived.add(targets[j])
        if held:
            used.update((a, b))
    return found


# --------------------------------------------------------------------- missingness groups
def _missing_groups(arrays, candidates, discrete: dict, n: int) -> list[tuple[tuple, object]]:
    """Columns with the same missing rows (numeric ones first), and the discrete column that
    says when, if any."""
    groups: dict[bytes, list] = {}
    patterns: dict[bytes, np.ndarray] = {}
    for spec in candidates:
        missing = is_missing(arrays[spec.name], spec)
        if missing.sum() >= MIN_ROWS_PER_VALUE:
            key = np.packbits(missing).tobytes()
            groups.setdefault(key, []).append(spec.name)
            patterns[key] = missing
    # The fewest values first: the simplest explanation of when the group is missing.
    whens = sorted(discrete, key=lambda name: discrete[name].max())
    sample = _spaced(n, PREFILTER_ROWS)
    found = []
    for key, columns in groups.items():
        when = next((w for w in whens if _explains(discrete[w], patterns[key], sample)), None)
        # A discrete column missing on the group's rows says when by its missing value: it is
        # the group's when column, if it is the simplest explanation, and no member.
        members = [name for name in columns if name != when]
        if members and (len(members) > 1 or when is not None):
            found.append((tuple(members), when))
    return found


def _explains(ids: np.ndarray, missing: np.ndarray, sample: np.ndarray) -> bool:
    """Whether each value of a column has its rows all missing or all present (sample, then all)."""
    for rows in (sample, slice(None)):
        total = np.bincount(ids[rows])
        missing_rows = np.bincount(ids[rows], weights=missing[rows], minlength=len(total))
        if not np.all((missing_rows == 0) | (missing_rows == total)):
            return False
    return True


# --------------------------------------------------------------------- inequalities
def _inequalities(arrays, numeric, n) -> list[tuple[object, object]]:
    """``(low, high)`` pairs, each high with its tightest low, datetimes and numbers apart."""
    found = []
    sample = _spaced(n, PREFILTER_ROWS)
    for unit in (True, False):
        names = [s.name for s in numeric if (s.kind == "datetime") == unit]
        if len(names) < 2:
            continue
        values = np.stack([arrays[name] for name in names], axis=1)
        holds = np.ones((len(names), len(names)), bool)
        np.fill_diagonal(holds, False)
        for rows in (sample, slice(None)):
            part = values[rows]
            for i in np.flatnonzero(holds.any(axis=1)):
                with np.errstate(invalid="ignore"):
                    ok = np.isnan(part) | (part[:, [i]] <= part)
                holds[i] &= ok.all(axis=0)
        for high in range(len(names)):
            lows = [
                low for low in np.flatnonzero(holds[:, high]) if _informative(values[:, low], values[:, high])
            ]
            if lows:
                gaps = [np.nanmean(values[:, high] - values[:, low]) for low in lows]
                found.append((names[lows[int(np.argmin(gaps))]], names[high]))
    return found


def _informative(low: np.ndarray, high: np.ndarray) -> bool:
    both = ~np.isnan(low) & ~np.isnan(high)
    return bool(
        both.sum() >= MIN_ROWS_PER_VALUE
        and (low[both] < high[both]).any()
        and independent_cut(low[both], high[both]) >= MIN_INEQUALITY_CUT
    )


def independent_cut(low: np.ndarray, high: np.ndarray) -> float:
    """The probability that ``low > high`` when each is drawn independently from its values.

    Zero when the ranges do not overlap; computed from the sorted values in ``O(n log n)``.
    """
    low = np.sort(low)
    above = len(low) - np.searchsorted(low, high, side="right")  # per high value: lows above it
    return float(above.sum() / (len(low) * len(high)))


# --------------------------------------------------------------------- ranges by category
def _ranges(arrays, numeric, discrete: dict, n) -> list[tuple[object, object]]:
    """``(column, by)`` pairs whose category ranges separate the categories (best ``by`` per column).

    A pair is scored on :data:`SCORE_ROWS` rows only when it separates by at least half the
    threshold on :data:`PREFILTER_ROWS` rows: ranges drawn from fewer rows are narrower and
    usually separate more, so this only drops pairs far below the threshold.
    """
    if not discrete:
        return []
    names = list(discrete)
    codes = np.stack([discrete[name] for name in names], axis=1)
    widths = codes.max(axis=0) + 1
    rows, sample = _spaced(n, SCORE_ROWS), _spaced(n, PREFILTER_ROWS)
    found = []
    for spec in numeric:
        candidates, scores = np.arange(len(names)), np.zeros(len(names))
        for subset, threshold in ((sample, RANGE_SEPARATION / 2), (rows, RANGE_SEPARATION)):
            values = arrays[spec.name][subset]
            present = ~np.isnan(values)
            if present.sum() < 2 * MIN_RANGE_ROWS or not len(candidates):
                candidates = candidates[:0]
                break
            scores = _separations(values[present], codes[subset][present][:, candidates], widths[candidates])
            candidates, scores = candidates[scores >= threshold], scores[scores >= threshold]
        if len(candidates):
            found.append((spec.name, names[candidates[int(np.argmax(scores))]]))
    return found


def _separations(values: np.ndarray, codes: np.ndarray, widths: np.ndarray) -> np.ndarray:
    """Per column of ``codes``: the row-weighted share of other categories' rows outside each
    (large enough) category's range of ``values``; all columns in one vectorised pass."""
    n = len(values)
    offsets = np.r_[0, np.cumsum(widths)[:-1]]
    groups = codes + offsets  # one id per (column, category)
    order = np.argsort(values, kind="stable")
    ordered, in_order = values[order], groups[order].ravel()
    position = np.repeat(np.arange(n), codes.shape[1])
    first = np.full(int(widths.sum()), n - 1)
    last = np.zeros(int(widths.sum()), np.int64)
    np.minimum.at(first, in_order, position)
    np.maximum.at(last, in_order, position)
    counts = np.bincount(in_order, minlength=len(first))
    outside = (
        np.searchsorted(ordered, ordered[first], "left")
        + n
        - np.searchsorted(ordered, ordered[last], "right")
    )
    others = n - counts
    share = np.where((counts >= MIN_RANGE_ROWS) & (others > 0), outside / np.maximum(others, 1), 0.0)
    return np.add.reduceat(counts / n * share, offsets)
