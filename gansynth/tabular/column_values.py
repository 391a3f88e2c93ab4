"""How the data writes a numeric column: exact integer units, its grid, its spikes and its rounding habits.

A numeric column's encoding (:mod:`gansynth.tabular.numeric`) is fitted on what this module finds:

* **Exact units.** Integer dtypes, datetimes (as nanoseconds) and float columns written with at
  most :data:`MAX_DECIMALS` decimals are read as exact integers, never through float64, so that
  values above 2**53, int64's extremes and uint64 survive. Every column in units sits on a grid
  ``anchor + k * step``: ``anchor`` is the smallest value and ``step`` the greatest common divisor
  of the distances to it (multiples of 100 stay multiples of 100, dates one week apart stay a
  week apart). Other float columns are modelled as plain floats.
* **Spikes.** A value that holds a pile of rows (0 in a zero-inflated column, a cap, a default)
  becomes a discrete mode of its own: see :func:`find_spikes` for the rule. A column with at most
  :data:`DISCRETE_MAX_VALUES` distinct values, each used by :data:`DISCRETE_MIN_MEAN_COUNT` rows
  on average, is discrete: every value is a spike, and samples take only those values. So is a
  column of at most :data:`REPEATED_MAX_VALUES` values that repeat heavily, each used by
  :data:`REPEATED_MIN_MEAN_COUNT` rows on average, and leave most of their grid unused (at most
  :data:`REPEATED_MAX_GRID_SHARE` of the grid points in their range; floats off a grid always
  qualify): a monthly price index, a day count that is 999 or a few small numbers.
* **Rounding habits.** Values on a grid aligned with zero are often rounder than the grid
  (salaries on multiples of 100, most of them on multiples of 500): :func:`rounding_ladder`
  finds how often values are rounded to 5, 10, 50, ... grid steps beyond what chance gives.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from gansynth._columns import epoch_nanoseconds, numeric_values

# A numeric column with at most this many distinct values, used by DISCRETE_MIN_MEAN_COUNT rows
# each on average, is sampled from those values only. A one-hot block that wide costs no more than
# a ten-mode mixture with its alpha, and counts, scores, codes and durations stay on the values the
# data uses. The mean count keeps a small table's (or a small class's) columns of unrepeated
# values continuous, so that samples still interpolate between them.
DISCRETE_MAX_VALUES = 20
DISCRETE_MIN_MEAN_COUNT = 3
# Up to this many values are discrete too when each holds REPEATED_MIN_MEAN_COUNT rows on average
# and they use at most REPEATED_MAX_GRID_SHARE of the grid points in their range. Such values are
# the column's vocabulary (a price index that takes one value a month: 26 values in 3,295 rows, on
# a 0.001 grid), and a mixture spreads samples over values that never occur, which a classifier
# telling real rows from synthetic ones spots at once. The one-hot block is wider, but every slot
# has the rows to learn it. Values that fill their grid (a count from 20 to 65) gain nothing from
# it: there a mixture's samples are values the data could hold. 64 leaves Adult's columns as they
# were (age: 73 values).
REPEATED_MAX_VALUES = 64
REPEATED_MIN_MEAN_COUNT = 50
REPEATED_MAX_GRID_SHARE = 0.5
# Spike rule (find_spikes): a value holding at least SPIKE_MIN_ROWS rows and SPIKE_REST_SHARE of
# the rows not already in larger spikes, and SPIKE_NEIGHBOUR_RATIO times the mean count of the
# SPIKE_NEIGHBOURS nearest distinct values on either side. At most MAX_SPIKES spikes.
SPIKE_MIN_ROWS = 5
SPIKE_REST_SHARE = 0.05
SPIKE_NEIGHBOURS = 3
SPIKE_NEIGHBOUR_RATIO = 3.0
MAX_SPIKES = 10
# Float columns are read in decimal units when every value has at most this many decimals.
MAX_DECIMALS = 6
# Decimal units stay below this, where float64 still holds them and their products exactly.
MAX_DECIMAL_UNITS = 2**50
# Rounding ladder: multiples of the step tried as rounder grids, each dividing the next; the
# roundest is at most a tenth of the continuous part's range, and a level is kept when its
# share stands LADDER_SIGMAS binomial standard deviations above chance and reaches
# LADDER_MIN_SHARE (a dozen levels are tested at once, and a rarer habit changes nothing visible).
LADDER_MULTIPLES = tuple(m * 10**e for e in range(19) for m in (5, 10))
LADDER_RANGE_FRACTION = 0.1
LADDER_SIGMAS = 3.0
LADDER_MIN_SHARE = 0.01

_TWO_64 = 2**64


@dataclass(frozen=True)
class Units:
    """Exact integer units of a column: ``value = (anchor + k * step) / scale`` for grid index ``k``.

    ``scale`` is ``10**decimals`` for decimal float columns and 1 otherwise (integers as they
    are, datetimes in nanoseconds).
    """

    anchor: int
    step: int
    scale: int

    def value(self, k: int) -> int:
        """The exact units (before ``scale``) of grid index ``k``."""
        return self.anchor + k * self.step


@dataclass
class ColumnValues:
    """A numeric column read as the data writes it (see :func:`read_column`).

    Attributes
    ----------
    units : Units or None
        The exact grid, or ``None`` for a float column modelled as floats.
    points : numpy.ndarray
        Per row, the grid index ``k`` (uint64) when ``units`` is set, else the float value.
    missing : numpy.ndarray of bool
    """

    units: Units | None
    points: np.ndarray
    missing: np.ndarray

    @property
    def observed(self) -> np.ndarray:
        return self.points[~self.missing]


def integer_bounds(spec) -> tuple[int, int] | None:
    """The values an exact column's dtype can hold (datetimes: int64 nanoseconds less NaT), or None."""
    if spec.kind == "datetime":
        return -(2**63) + 1, 2**63 - 1
    dtype = ptypes.pandas_dtype(spec.dtype)
    if ptypes.is_integer_dtype(dtype):
        info = np.iinfo(getattr(dtype, "numpy_dtype", dtype))
        return int(info.min), int(info.max)
    return None


def exact_units(series: pd.Series, spec) -> tuple[np.ndarray, int] | None:
    """The column as exact integers (int64, or uint64 for uint64 dtypes) and their scale, or None.

    Missing rows hold an arbitrary observed value; the caller keeps the mask.
    """
    missing = series.isna().to_numpy()
    if spec.kind == "datetime":
        return _filled(epoch_nanoseconds(series), missing), 1
    dtype = series.dtype
    if ptypes.is_integer_dtype(dtype):
        numpy_dtype = np.dtype(getattr(dtype, "numpy_dtype", dtype))
        target = np.uint64 if numpy_dtype == np.uint64 else np.int64
        return _filled(series.to_numpy(dtype=target, na_value=0), missing), 1
    values = numeric_values(series, spec.kind)[~missing]
    for decimals in range(MAX_DECIMALS + 1):
        scaled = values * 10.0**decimals
        if np.abs(scaled).max() >= MAX_DECIMAL_UNITS:
            return None
        units = np.round(scaled)
        # A value written with these decimals is within a few ulps of its units.
        if np.all(np.abs(scaled - units) <= 1e-6 + 8 * np.finfo(float).eps * np.abs(scaled)):
            out = np.full(len(series), units[0] if len(units) else 0, dtype=np.int64)
            out[~missing] = units.astype(np.int64)
            return out, 10**decimals
        if spec.kind == "integer":  # whole numbers or nothing: integer columns are not decimals
            return None
    return None


def _filled(values: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """``values`` with missing rows set to the first observed value (any in-range value will do)."""
    if missing.any():
        values = values.copy()
        values[missing] = values[~missing][0]
    return values


def read_column(series: pd.Series, spec) -> ColumnValues:
    """Read a numeric column as grid indices over exact units, or as floats.

    Parameters
    ----------
    series : pandas.Series
        The training column (at least one value observed).
    spec : ColumnSpec
        Its spec (kind and dtype).
    """
    missing = series.isna().to_numpy()
    exact = exact_units(series, spec)
    if exact is None:
        return ColumnValues(None, numeric_values(series, spec.kind), missing)
    units, scale = exact
    anchor = int(units[~missing].min())
    offsets = units.view(np.uint64) - np.uint64(anchor % _TWO_64)  # exact: every value >= anchor
    step = int(np.gcd.reduce(offsets[~missing])) or 1
    return ColumnValues(Units(anchor, step, scale), offsets // np.uint64(step), missing)


def grid_index(units_values: np.ndarray, units: Units) -> np.ndarray:
    """Grid indices (uint64) of exact unit values already on the grid."""
    return (units_values.view(np.uint64) - np.uint64(units.anchor % _TWO_64)) // np.uint64(units.step)


def find_spikes(points: np.ndarray) -> np.ndarray:
    """The values that rows pile up on, sorted; every value when there are few of them.

    A value is a spike when all of these hold:

    * it holds at least :data:`SPIKE_MIN_ROWS` rows (support);
    * it holds at least :data:`SPIKE_REST_SHARE` of the rows that are not in larger spikes (a
      pile, not a bump: after a zero holding 90% of rows, a cap holding 6% of the others counts);
    * it holds :data:`SPIKE_NEIGHBOUR_RATIO` times the mean count of the
      :data:`SPIKE_NEIGHBOURS` nearest distinct values on either side (the peak of a smooth
      integer distribution is not a spike; an isolated value is).

    Candidates are taken from the largest count down, at most :data:`MAX_SPIKES`. A column with
    at most :data:`DISCRETE_MAX_VALUES` distinct values and :data:`DISCRETE_MIN_MEAN_COUNT` rows
    per value returns them all, as does one with at most :data:`REPEATED_MAX_VALUES` values,
    :data:`REPEATED_MIN_MEAN_COUNT` rows per value and at most :data:`REPEATED_MAX_GRID_SHARE` of
    its grid used, and one where fewer than two distinct values would be left for the continuous
    part.

    Parameters
    ----------
    points : numpy.ndarray
        The observed values (grid indices or floats), missing ones removed.
    """
    values, counts = np.unique(points, return_counts=True)
    if len(values) <= DISCRETE_MAX_VALUES and counts.sum() >= DISCRETE_MIN_MEAN_COUNT * len(values):
        return values
    if (
        len(values) <= REPEATED_MAX_VALUES
        and counts.sum() >= REPEATED_MIN_MEAN_COUNT * len(values)
        and _grid_share(values) <= REPEATED_MAX_GRID_SHARE
    ):
        return values
    rest = int(counts.sum())
    chosen = []
    for i in np.argsort(-counts, kind="stable"):
        count = counts[i]
        if len(chosen) == MAX_SPIKES or count < max(SPIKE_MIN_ROWS, SPIKE_REST_SHARE * rest):
            break
        neighbours = np.r_[counts[max(0, i - SPIKE_NEIGHBOURS) : i], counts[i + 1 : i + 1 + SPIKE_NEIGHBOURS]]
        if count >= SPIKE_NEIGHBOUR_RATIO * neighbours.mean():
            chosen.append(i)
            rest -= int(count)
    if len(values) - len(chosen) < 2:
        return values
    return values[np.sort(np.asarray(chosen, dtype=np.int64))]


def _grid_share(values: np.ndarray) -> float:
    """The share of the grid points between the smallest and largest of the sorted distinct
    ``values`` that they use: grid indices are integers; floats off a grid have no grid (0)."""
    if values.dtype.kind not in "iu":
        return 0.0
    return len(values) / (float(values[-1]) - float(values[0]) + 1.0)


def rounding_ladder(k: np.ndarray, units: Units) -> list[tuple[int, float]] | None:
    """How often values are rounded to coarser multiples of the step than chance explains.

    Levels are multiples ``m`` of the step (1, 5, 10, 50, 100, ...), counted from zero, so the
    grid must be aligned with zero. A value rounded at level ``m`` lands on the coarser level
    ``M`` by chance with probability ``m / M``; the observed shares of each value's roundest level
    are unmixed from that (a triangular system), and a level is kept when its share stands
    :data:`LADDER_SIGMAS` binomial standard deviations above zero and reaches
    :data:`LADDER_MIN_SHARE`.

    Parameters
    ----------
    k : numpy.ndarray
        Grid indices of the continuous part's values.
    units : Units
        The column's grid.

    Returns
    -------
    list of (int, float) or None
        ``(multiple of the step, probability of rounding there)``, finest first, or ``None`` when
        no level beyond the grid itself stands out.
    """
    if units.anchor % units.step or len(k) == 0:
        return None
    offset = units.anchor // units.step
    top = int(k.max()) + offset
    if max(abs(offset), abs(top)) >= 2**53:
        return None
    span = float(k.max()) - float(k.min())
    levels = [1] + [m for m in LADDER_MULTIPLES if m <= LADDER_RANGE_FRACTION * span]
    if len(levels) < 2:
        return None
    positions = k.astype(np.int64) + offset
    multiple_share = np.array([np.mean(positions % m == 0) for m in levels])
    roundest_share = multiple_share - np.r_[multiple_share[1:], 0.0]
    probabilities = _unmix(levels, roundest_share)
    noise = LADDER_SIGMAS * np.sqrt(multiple_share * (1 - multiple_share) / len(k))
    keep = [0] + [i for i in range(1, len(levels)) if probabilities[i] > max(noise[i], LADDER_MIN_SHARE)]
    if len(keep) < 2:
        return None
    kept = probabilities[keep]
    kept[0] = max(kept[0], 0.0)
    kept = kept / kept.sum()
    return [(levels[i], float(p)) for i, p in zip(keep, kept)]


def _unmix(levels: list[int], roundest_share: np.ndarray) -> np.ndarray:
    """Rounding probabilities ``p`` from the shares ``q`` of each value's roundest level.

    ``q_i = sum_{j <= i} p_j (m_j / m_i - m_j / m_{i+1})``, with ``1 / m_{L+1} = 0``.
    """
    inverse_next = [1.0 / m for m in levels[1:]] + [0.0]
    p = np.zeros(len(levels))
    for i, level in enumerate(levels):
        chance = sum(p[j] * (levels[j] / level - levels[j] * inverse_next[i]) for j in range(i))
        p[i] = max(0.0, (roundest_share[i] - chance) / (1.0 - level * inverse_next[i]))
    return p
