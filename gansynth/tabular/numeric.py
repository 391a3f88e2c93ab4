"""Mixed encoding of one numeric column: a Gaussian mixture beside exact spike values.

A continuous, integer or datetime column becomes ``[alpha, mode one-hot]``. The one-hot holds
the mixture's modes (found by a variational Gaussian mixture, as in CTGAN: ``alpha`` is the value's
offset from its mode in units of four standard deviations), then one slot per spike (an exact
value rows pile up on, found by :mod:`gansynth.tabular.column_values`), then a slot for missing
values when the column has any. This is CTAB-GAN's "mixed" encoding: a sampled row takes an exact
spike value or a continuous value, never a blend. A column made only of spikes (few distinct
values) has no mixture and no alpha: it is a one-hot block like a categorical one.

The mixture models the column's values without its spikes. On a grid, it models the position
among the grid points that are not spikes, so a continuous value can never round onto a spike.
Sampling keeps the grid (and the data's rounding habits), keeps exact integers exact, and keeps
values inside the training range by redrawing out-of-range ones from their mode's Gaussian
truncated to the range, which puts no pile of rows on the bounds.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import truncnorm
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import BayesianGaussianMixture

from gansynth._columns import epoch_nanoseconds, numeric_values
from gansynth.tabular.column_values import (
    Units,
    exact_units,
    find_spikes,
    grid_index,
    integer_bounds,
    read_column,
    rounding_ladder,
)
from gansynth.tabular.layout import Span

# Modes whose mixture weight is below this are dropped, as in the CTGAN paper.
MODE_WEIGHT_THRESHOLD = 0.005
# alpha is expressed in units of this many standard deviations and clipped to (-1, 1).
ALPHA_SCALE = 4.0
ALPHA_LIMIT = 0.99

_TWO_64 = 2**64
_BELOW_TWO_64 = np.nextafter(2.0**64, 0)


def fit_mixture(values: np.ndarray, max_modes: int, seed: int) -> tuple[list, list, list]:
    """Means, standard deviations and weights of a variational Gaussian mixture, by mean."""
    unique = np.unique(values)
    if len(unique) == 1:
        return [float(unique[0])], [1.0], [1.0]
    n_components = int(min(max_modes, len(unique)))
    mixture = BayesianGaussianMixture(
        n_components=n_components,
        weight_concentration_prior_type="dirichlet_process",
        weight_concentration_prior=0.001,
        max_iter=100,
        n_init=1,
        random_state=seed,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mixture.fit(values.reshape(-1, 1))
    keep = mixture.weights_ > MODE_WEIGHT_THRESHOLD
    if not keep.any():
        keep[np.argmax(mixture.weights_)] = True
    means = mixture.means_.ravel()[keep]
    stds = np.sqrt(mixture.covariances_.ravel()[keep])
    weights = mixture.weights_[keep] / mixture.weights_[keep].sum()
    order = np.argsort(means)
    return means[order].tolist(), stds[order].tolist(), weights[order].tolist()


@dataclass
class NumericPlan:
    """What fitting a numeric column finds before its mixture: grid, spikes and the rest.

    Attributes
    ----------
    units : Units or None
        The exact grid, or ``None`` for floats.
    spikes : list
        Grid indices (int) or float values, ascending.
    rest : numpy.ndarray
        The values left to the mixture, in model space (compressed grid positions or floats).
    low, high : int, float or None
        The range of ``rest``, exact (``None`` when every value is a spike).
    ladder : list of (int, float) or None
        Rounding habits (see :func:`~gansynth.tabular.column_values.rounding_ladder`).
    """

    units: Units | None
    spikes: list
    rest: np.ndarray
    low: int | float | None
    high: int | float | None
    ladder: list | None


def plan_column(series: pd.Series, spec) -> NumericPlan:
    """Find a numeric column's grid, spikes and continuous rest (see the module docstring)."""
    column = read_column(series, spec)
    observed = column.observed
    spikes = find_spikes(observed)
    is_spike = np.isin(observed, spikes)
    rest = observed[~is_spike]
    if column.units is None:
        low, high = (float(rest.min()), float(rest.max())) if len(rest) else (None, None)
        return NumericPlan(None, [float(v) for v in spikes], rest.astype(np.float64), low, high, None)
    ladder = None if spec.kind == "datetime" else rounding_ladder(rest, column.units)
    compressed = rest - np.searchsorted(spikes, rest).astype(np.uint64)
    low, high = (int(compressed.min()), int(compressed.max())) if len(rest) else (None, None)
    return NumericPlan(
        column.units, [int(v) for v in spikes], compressed.astype(np.float64), low, high, ladder
    )


class NumericEncoder:
    """``[alpha, mode one-hot]`` of one numeric column: mixture modes, then spikes, then missing.

    Parameters
    ----------
    means, stds, weights : sequence of float
        The mixture's modes in model space (empty for a column made of spikes only).
    has_nan : bool
        Whether the column has missing values (a last one-hot slot).
    spikes : sequence
        Exact spike values: grid indices when ``units`` is set, else floats; ascending.
    units : Units or None
        The column's exact grid.
    low, high : number or None
        The range of the mixture's values in model space (compressed grid positions or floats).
    ladder : list of (int, float) or None
        Rounding habits applied to the mixture's values.
    spec : ColumnSpec
        The column, for its kind and dtype.
    """

    def __init__(
        self, means, stds, weights, has_nan, *, spec, spikes=(), units=None, low=None, high=None, ladder=None
    ):
        self.means = np.asarray(means, dtype=np.float64)
        self.stds = np.maximum(np.asarray(stds, dtype=np.float64), 1e-12)
        self.weights = np.asarray(weights, dtype=np.float64)
        self.has_nan = bool(has_nan)
        self.spikes = list(spikes)
        self.units = units
        self.low, self.high = low, high
        # Probabilities renormalised so that the draws' check of their sum never fails on rounding.
        total = sum(float(p) for _, p in ladder) if ladder else 0.0
        self.ladder = [(int(m), float(p) / total) for m, p in ladder] if ladder else None
        self.spec = spec
        self._prepare()

    def _prepare(self) -> None:
        """Lookup arrays derived from the fields: spike values as sortable arrays and as outputs."""
        bounds = integer_bounds(self.spec)
        self.exact = self.units is not None and bounds is not None
        self.unsigned = self.exact and self.spec.kind != "datetime" and bounds[1] == _TWO_64 - 1
        if self.units is None:
            self._spike_points = np.asarray(self.spikes, dtype=np.float64)
            self._spike_outputs = self._spike_points
        else:
            self._spike_points = np.asarray(self.spikes, dtype=np.uint64)
            units = [self.units.value(k) for k in self.spikes]
            self._spike_outputs = (
                np.asarray([u % _TWO_64 for u in units], dtype=np.uint64)
                if self.exact
                else np.asarray(units, dtype=np.float64) / self.units.scale
            )
            # Spike i is the (s_i - i)-th grid point in order once spikes are skipped.
            self._spike_gaps = np.asarray([float(k) - i for i, k in enumerate(self.spikes)])

    @property
    def n_modes(self) -> int:
        return len(self.means)

    @property
    def n_spikes(self) -> int:
        return len(self.spikes)

    @property
    def has_alpha(self) -> bool:
        return self.n_modes > 0

    @property
    def width(self) -> int:
        return self.has_alpha + self.n_modes + self.n_spikes + self.has_nan

    def spans(self, start: int) -> list[Span]:
        slots = self.n_modes + self.n_spikes + self.has_nan
        if not self.has_alpha:
            return [Span(start, slots, "softmax")]
        return [Span(start, 1, "tanh"), Span(start + 1, slots, "softmax")]

    # ------------------------------------------------------------ encoding
    def _points(self, series: pd.Series) -> np.ndarray:
        """Grid indices (uint64) or float values of the column this encoder was fitted on."""
        if self.units is None:
            return numeric_values(series, self.spec.kind)
        units, _ = exact_units(series, self.spec)
        return grid_index(units, self.units)

    def encode(self, series: pd.Series, rng: np.random.Generator) -> np.ndarray:
        missing = series.isna().to_numpy()
        points = self._points(series)
        below = np.searchsorted(self._spike_points, points)
        hit = below < self.n_spikes
        hit[hit] = self._spike_points[below[hit]] == points[hit]
        spike = hit & ~missing
        continuous = ~spike & ~missing
        mode = np.full(len(series), self.n_modes + self.n_spikes, dtype=np.int64)  # missing
        mode[spike] = self.n_modes + below[spike]
        alpha = np.zeros(len(series))
        if continuous.any():
            x = self._model_values(points[continuous], below[continuous])[:, None]
            log_posterior = (
                np.log(self.weights) - np.log(self.stds) - 0.5 * ((x - self.means) / self.stds) ** 2
            )
            # Gumbel-max draws each value's mode from its posterior, as CTGAN samples rather than argmaxes.
            chosen = np.argmax(log_posterior + rng.gumbel(size=log_posterior.shape), axis=1)
            scaled = (x[:, 0] - self.means[chosen]) / (ALPHA_SCALE * self.stds[chosen])
            alpha[continuous] = np.clip(scaled, -ALPHA_LIMIT, ALPHA_LIMIT)
            mode[continuous] = chosen
        block = np.zeros((len(series), self.width), dtype=np.float32)
        if self.has_alpha:
            block[:, 0] = alpha
        block[np.arange(len(series)), self.has_alpha + mode] = 1.0
        return block

    def _model_values(self, points: np.ndarray, below: np.ndarray) -> np.ndarray:
        if self.units is None:
            return points.astype(np.float64)
        return (points - below.astype(np.uint64)).astype(np.float64)

    # ------------------------------------------------------------ conditions
    def spike_values(self) -> list:
        """The spike values as the column holds them: ints for exact columns (datetimes as
        nanoseconds since 1970), floats otherwise; ascending."""
        if self.exact:
            outputs = self._spike_outputs if self.unsigned else self._spike_outputs.view(np.int64)
            return [int(v) for v in outputs]
        return [float(v) for v in self._spike_outputs]

    def condition_codes(self, series: pd.Series) -> np.ndarray:
        """Slot of the mode block per value: a spike's slot, or the missing slot; -1 otherwise.

        Only values that decode exactly can be conditions: the spikes, and NaN when the
        column has missing values. A value in the continuous part has no slot of its own.
        """
        missing = series.isna().to_numpy()
        codes = np.full(len(series), -1, dtype=np.int64)
        if self.has_nan:
            codes[missing] = self.n_modes + self.n_spikes
        present = np.flatnonzero(~missing)
        if not (len(present) and self.n_spikes):
            return codes
        wanted = series.iloc[present]
        if self.spec.kind == "datetime":
            points = epoch_nanoseconds(pd.to_datetime(wanted))
        else:
            points = pd.to_numeric(wanted, errors="coerce").to_numpy()
            if points.dtype.kind not in "iu":  # compare floats with floats, whole numbers exactly
                points = points.astype(np.float64)
        if points.dtype.kind in "iu" and self.unsigned:  # uint64 spikes: negatives match nothing
            present, points = present[points >= 0], points[points >= 0].astype(np.uint64)
        elif points.dtype.kind in "iu":
            points = points.astype(np.int64)
        spikes = np.asarray(self.spike_values(), dtype=points.dtype)
        position = np.minimum(np.searchsorted(spikes, points), self.n_spikes - 1)
        hit = spikes[position] == points
        codes[present[hit]] = self.n_modes + position[hit]
        return codes

    # ------------------------------------------------------------ decoding
    def decode(self, alpha, mode: np.ndarray, rng: np.random.Generator, keep_range: bool = True):
        """Values from each row's alpha and mode index (the last index meaning missing).

        Parameters
        ----------
        alpha : numpy.ndarray or None
            The tanh output (``None`` for a column without a mixture).
        mode : numpy.ndarray of int
            The chosen one-hot slot.
        rng : numpy.random.Generator
            Draws for out-of-range redraws and rounding habits: two uniforms per row.
        keep_range : bool
            Keep the mixture's values inside their training range (redrawn, never clipped).

        Returns
        -------
        numpy.ndarray or pandas.arrays.IntegerArray
            Float64 values with NaN for missing, or, for exact columns (integer dtypes, and
            datetimes as int64 nanoseconds), a nullable integer array.
        """
        mode = np.asarray(mode, dtype=np.int64)
        # Two uniforms per row, whatever the row holds: a chunk consumes the same share of the
        # column's stream as its rows do, so streamed rows do not depend on the chunk size.
        uniforms = rng.random((len(mode), 2))
        missing = mode >= self.n_modes + self.n_spikes
        continuous = mode < self.n_modes
        spike = ~missing & ~continuous
        out = np.zeros(len(mode), dtype=np.uint64 if self.exact else np.float64)
        out[spike] = self._spike_outputs[mode[spike] - self.n_modes]
        if continuous.any():
            chosen = mode[continuous]
            a = np.clip(np.asarray(alpha, dtype=np.float64)[continuous], -1.0, 1.0)
            x = a * ALPHA_SCALE * self.stds[chosen] + self.means[chosen]
            out[continuous] = self._continuous_outputs(x, chosen, uniforms[continuous], keep_range)
        if self.exact:
            values = out.view(np.int64) if not self.unsigned else out
            return pd.arrays.IntegerArray(values, missing)
        out[missing] = np.nan
        return out

    def _continuous_outputs(self, x, chosen, uniforms, keep_range: bool) -> np.ndarray:
        """The mixture's model values ``x`` as outputs: in range, on the grid, exact."""
        if self.units is None:
            if keep_range:
                x = self._redraw_outside(x, chosen, uniforms[:, 0], self.low, self.high)
            if self.spec.kind == "integer":
                x = np.round(x)
                if keep_range:
                    x = np.clip(x, self.low, self.high)
            return x
        if keep_range:
            # Each end grid point owns half a step beyond it, as interior points own a step.
            x = self._redraw_outside(x, chosen, uniforms[:, 0], self.low - 0.5, self.high + 0.5)
        position = np.round(x)
        if keep_range:
            position = np.clip(position, self.low, self.high)
        k = position + np.searchsorted(self._spike_gaps, position, side="right")
        if self.ladder:
            k = self._round_habitually(k, uniforms[:, 1], keep_range)
        return self._units_of(k, keep_range)

    def _redraw_outside(self, x, chosen, uniform, low: float, high: float) -> np.ndarray:
        """Values outside ``[low, high]`` redrawn from their mode's Gaussian truncated to it.

        The draw is the truncated Gaussian's quantile at the row's own uniform (inverse CDF), so
        each row uses one fixed draw whether or not it is redrawn.
        """
        outside = (x < low) | (x > high)
        if not outside.any():
            return x
        mean, std = self.means[chosen[outside]], self.stds[chosen[outside]]
        drawn = truncnorm.ppf(uniform[outside], (low - mean) / std, (high - mean) / std, loc=mean, scale=std)
        x = x.copy()
        x[outside] = np.clip(np.nan_to_num(np.atleast_1d(drawn), nan=0.5 * (low + high)), low, high)
        return x

    def _round_habitually(self, k: np.ndarray, uniform, keep_range: bool) -> np.ndarray:
        """Round grid indices to the data's rounder levels at the data's rates (not onto spikes)."""
        levels = np.asarray([m for m, _ in self.ladder], dtype=np.float64)
        cumulative = np.cumsum([p for _, p in self.ladder])
        chosen = np.minimum(np.searchsorted(cumulative, uniform, side="right"), len(levels) - 1)
        level = levels[chosen]
        offset = self.units.anchor // self.units.step
        rounded = np.round((k + offset) / level) * level - offset
        valid = ~np.isin(rounded, self._spike_points.astype(np.float64))
        if keep_range:
            valid &= (rounded >= self._expand(self.low)) & (rounded <= self._expand(self.high))
        return np.where(valid, rounded, k)

    def _expand(self, position: int) -> int:
        """The grid index of the ``position``-th grid point that is not a spike (exact)."""
        position = int(position)
        return position + sum(1 for i, k in enumerate(self.spikes) if k - i <= position)

    def _units_of(self, k: np.ndarray, keep_range: bool) -> np.ndarray:
        """Grid indices as outputs: exact wrapped uint64 units, or floats."""
        anchor, step = self.units.anchor, self.units.step
        if not self.exact:
            return (anchor + k * step) / self.units.scale
        if keep_range:
            low, high = self._expand(self.low), self._expand(self.high)
        else:
            dtype_low, dtype_high = integer_bounds(self.spec)
            low, high = -((anchor - dtype_low) // step), (dtype_high - anchor) // step
        distance = np.clip(k - float(low), 0.0, float(high - low))
        distance = np.minimum(distance, _BELOW_TWO_64).astype(np.uint64)
        distance = np.minimum(distance, np.uint64(high - low))
        return np.uint64((anchor + low * step) % _TWO_64) + distance * np.uint64(step)

    # ------------------------------------------------------------ persistence
    def to_dict(self) -> dict:
        units = self.units
        return {
            "type": "numeric",
            "means": self.means.tolist(),
            "stds": self.stds.tolist(),
            "weights": self.weights.tolist(),
            "has_nan": self.has_nan,
            "spikes": list(self.spikes),
            "units": None
            if units is None
            else {"anchor": units.anchor, "step": units.step, "scale": units.scale},
            "low": self.low,
            "high": self.high,
            "ladder": None if self.ladder is None else [[m, p] for m, p in self.ladder],
        }

    @classmethod
    def from_dict(cls, data: dict, spec) -> NumericEncoder:
        units = data["units"]
        return cls(
            data["means"],
            data["stds"],
            data["weights"],
            data["has_nan"],
            spikes=data["spikes"],
            units=None if units is None else Units(units["anchor"], units["step"], units["scale"]),
            low=data["low"],
            high=data["high"],
            ladder=data["ladder"],
            spec=spec,
        )
