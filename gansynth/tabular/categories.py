"""Categorical columns with very many levels: the frequent levels kept, the rest grouped as "other".

A one-hot block as wide as a column's levels makes the networks, the encoded matrix and every
training step grow with the column's cardinality: 50,000 distinct strings in 60,000 rows took
more than 8 GB. Above ``max_categories`` levels, a column keeps its ``max_categories - 1`` most
frequent levels and maps every other level to one "other" slot, so its block is at most
``max_categories`` wide (plus a missing slot) whatever the cardinality.

- A sampled "other" becomes one of the grouped levels, drawn at the grouped levels' training
  frequencies and independently of the other columns: the generator sees the grouped levels as
  one, so nothing it produces could condition the draw.
- Conditioning on a grouped level conditions the generator on "other" and sets the value: the
  row carries exactly that level, and its other columns look like those of rare levels.
- A level seen once is never kept: one row teaches the generator nothing it could generalise,
  and a slot of its own would let the generator memorise that row. A column whose values are all
  distinct (an identifier) therefore keeps no level: its values are resampled from the training
  values, unlinked from the rows they came from.

The level table (every level and its count) is the only part that grows with the cardinality; it
is what lets every output value be a real training level. Encoding, training and decoding work on
the bounded block.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gansynth.errors import InputError
from gansynth.tabular.layout import Span


class GroupedEncoder:
    """One-hot over the kept levels, an "other" slot, and a missing slot when the column has NaN.

    Parameters
    ----------
    categories : list
        Every training level of the column, in the column spec's order; codes index this list.
    kept : sequence of int
        Ascending indices into ``categories`` of the levels that get a slot of their own.
    counts : sequence of int
        Training rows holding each level (all positive), aligned with ``categories``.
    has_nan : bool
        Whether the block has a missing slot.
    """

    def __init__(self, categories, kept, counts, has_nan: bool):
        self.categories = categories
        self.kept = np.asarray(kept, dtype=np.int64)
        self.counts = np.asarray(counts, dtype=np.int64)
        self.has_nan = bool(has_nan)
        self._index = pd.Index(categories)
        self._slot = np.full(len(categories), len(self.kept), dtype=np.int64)
        self._slot[self.kept] = np.arange(len(self.kept))
        self._grouped = np.flatnonzero(self._slot == len(self.kept))
        # Draw k in [0, total) and take the first grouped level whose running count exceeds k:
        # each grouped level comes out at exactly its training frequency.
        self._running = np.cumsum(self.counts[self._grouped])

    @property
    def other(self) -> int:
        """The "other" slot: right after the kept levels."""
        return len(self.kept)

    @property
    def width(self) -> int:
        return len(self.kept) + 1 + self.has_nan

    def spans(self, start: int) -> list[Span]:
        return [Span(start, self.width, "softmax")]

    def _levels_and_missing(self, series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        levels = self._index.get_indexer(series.astype(object).where(series.notna(), None))
        return levels, series.isna().to_numpy()

    def codes(self, series: pd.Series) -> np.ndarray:
        """Slot per row: kept level, "other", or missing; unseen values (and NaN without a slot) -1."""
        levels, missing = self._levels_and_missing(series)
        codes = np.where(levels >= 0, self._slot[np.maximum(levels, 0)], -1)
        codes[missing] = self.width - 1 if self.has_nan else -1
        return codes

    def levels(self, series: pd.Series) -> np.ndarray:
        """Index into ``categories`` per row, ``-1`` for missing (values already known to be seen)."""
        levels, missing = self._levels_and_missing(series)
        levels[missing] = -1
        return levels

    def checked_codes(self, series: pd.Series) -> np.ndarray:
        """:meth:`codes`, refusing values not seen during fit."""
        codes = self.codes(series)
        if (codes < 0).any():
            bad = series[codes < 0].unique()[:5].tolist()
            raise InputError(f"column {series.name!r}: values not seen during fit: {bad}")
        return codes

    def encode(self, series: pd.Series) -> np.ndarray:
        codes = self.checked_codes(series)
        block = np.zeros((len(series), self.width), dtype=np.float32)
        block[np.arange(len(series)), codes] = 1.0
        return block

    def decode(self, codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Index into ``categories`` per row (``-1`` for missing); "other" drawn from the grouped levels."""
        codes = np.asarray(codes)
        levels = np.full(len(codes), -1, dtype=np.int64)
        kept = codes < self.other
        levels[kept] = self.kept[codes[kept]]
        other = np.flatnonzero(codes == self.other)
        draws = rng.integers(0, self._running[-1], size=len(other))
        levels[other] = self._grouped[np.searchsorted(self._running, draws, side="right")]
        return levels

    def summary(self, name, max_categories: int) -> str:
        """What grouping did to column ``name``, for the warning ``fit`` gives."""
        n_levels, n_kept = len(self.counts), len(self.kept)
        singletons = int((self.counts == 1).sum())
        if n_kept == 0:
            done = (
                f"no level is modelled ({singletons:,} occur once): its values are resampled from the "
                "training values at their frequencies, independently of the other columns, like an "
                "identifier; drop or replace the column if the values themselves are private"
            )
        else:
            share = self.counts[self.kept].sum() / self.counts.sum()
            done = (
                f"its {n_kept:,} most frequent levels (covering {share:.1%} of the rows) are modelled and "
                f"the other {n_levels - n_kept:,} ({singletons:,} of them seen once) are grouped into one "
                "'other' level; a generated 'other' takes a grouped value drawn at its training "
                "frequency, independently of the other columns"
            )
        return (
            f"column {name!r} has {n_levels:,} distinct values, more than max_categories={max_categories}: "
            f"{done}. Raise max_categories to model more levels (memory and time grow with it)."
        )

    def to_dict(self) -> dict:
        # The levels themselves are the column spec's categories; they are not stored twice.
        return {
            "type": "grouped",
            "kept": self.kept.tolist(),
            "counts": self.counts.tolist(),
            "has_nan": self.has_nan,
        }

    @classmethod
    def from_dict(cls, data: dict, categories: list) -> GroupedEncoder:
        return cls(categories, data["kept"], data["counts"], data["has_nan"])


def group_levels(series: pd.Series, categories: list, has_nan: bool, max_categories) -> GroupedEncoder | None:
    """A :class:`GroupedEncoder` when the column has more than ``max_categories`` levels, else None.

    Keeps the ``max_categories - 1`` most frequent levels seen at least twice (ties go to the
    level first in ``categories``); :meth:`GroupedEncoder.summary` says what was done.
    """
    if max_categories is None or len(categories) <= max_categories:
        return None
    levels = pd.Index(categories).get_indexer(series.dropna().astype(object))
    counts = np.bincount(levels, minlength=len(categories))
    order = np.lexsort((np.arange(len(counts)), -counts))  # most frequent first, then category order
    candidates = order[counts[order] >= 2]
    kept = np.sort(candidates[: max_categories - 1])
    return GroupedEncoder(categories, kept, counts, has_nan)
