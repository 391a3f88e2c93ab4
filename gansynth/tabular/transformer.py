"""Mode-specific normalisation and one-hot encoding between tables and the GAN's float matrix.

Each numeric column (continuous, integer, datetime) becomes ``[alpha, mode one-hot]``
(:class:`~gansynth.tabular.numeric.NumericEncoder`): a variational Gaussian mixture finds the
column's modes, ``alpha`` is the value's offset from its mode in units of four standard
deviations, and the one-hot picks the mode or one of the exact values rows pile up on. Missing
values get a mode of their own, so the generator learns the NaN rate like any other category.
Discrete columns are one-hot encoded, again with a slot for missing values when the column has any.

The mixture is fitted on a bounded random subsample of each column, with the columns fitted in
parallel: fit time no longer grows with the table.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import torch
from joblib import Parallel, delayed, effective_n_jobs

from gansynth.tabular.categories import GroupedEncoder, group_levels
from gansynth.tabular.encoded import EncodedRows
from gansynth.tabular.layout import Span
from gansynth.tabular.numeric import NumericEncoder, fit_mixture, plan_column
from gansynth.tabular.schema import ColumnSpec

# Below this many values in all, mixtures are fitted in this process whatever n_jobs says: on a
# 2-core machine eight 3,000-value columns took 2.7 s in-process and 6.4 s through a fresh pool of
# two worker processes, most of it starting them (``benchmarks/results/fit_latency.md``).
MIN_VALUES_FOR_PROCESSES = 50_000
# Rows one-hot encoded at a time: a wide block's temporary stays small whatever the table's length.
_ENCODE_CHUNK = 8_192


class DiscreteEncoder:
    """One-hot (+ missing slot) for one boolean or categorical column."""

    def __init__(self, categories: list, has_nan: bool):
        self.categories = list(categories)
        self.has_nan = bool(has_nan)
        self._index = pd.Index(self.categories)

    @property
    def width(self) -> int:
        return len(self.categories) + self.has_nan

    def spans(self, start: int) -> list[Span]:
        return [Span(start, self.width, "softmax")]

    def codes(self, series: pd.Series) -> np.ndarray:
        """Category index per row; missing values map to the missing slot; unseen values to -1."""
        codes = self._index.get_indexer(series.astype(object).where(series.notna(), None))
        missing = series.isna().to_numpy()
        codes[missing] = len(self.categories) if self.has_nan else -1
        return codes

    def encode(self, series: pd.Series) -> np.ndarray:
        codes = self.codes(series)
        if (codes < 0).any():
            bad = series[codes < 0].unique()[:5].tolist()
            raise ValueError(f"column {series.name!r}: values not seen during fit: {bad}")
        block = np.zeros((len(series), self.width), dtype=np.float32)
        block[np.arange(len(series)), codes] = 1.0
        return block

    def levels(self, series: pd.Series) -> np.ndarray:
        """Category index per row, ``-1`` for missing (values already known to be seen)."""
        return self.decode(self.codes(series))

    def decode(self, codes: np.ndarray, rng=None) -> np.ndarray:
        """Category index per row, with ``-1`` for missing (``rng`` is unused: no level is grouped)."""
        return np.where(codes == len(self.categories), -1, codes)

    def to_dict(self) -> dict:
        return {"type": "discrete", "categories": self.categories, "has_nan": self.has_nan}


def encoder_from_dict(data: dict, spec: ColumnSpec):
    if data["type"] == "numeric":
        return NumericEncoder.from_dict(data, spec)
    if data["type"] == "grouped":
        return GroupedEncoder.from_dict(data, spec.categories)
    if data["type"] == "discrete":
        return DiscreteEncoder(data["categories"], data["has_nan"])
    raise ValueError(f"unknown encoder type {data['type']!r}")


class DataTransformer:
    """Encode a table into the GAN's float32 matrix and decode generator output back.

    Parameters
    ----------
    max_modes : int, default=10
        Most mixture components per numeric column.
    max_rows : int, default=10_000
        Size of the random subsample each column's mixture is fitted on.
    n_jobs : int or None, default=None
        Processes fitting mixtures, up to the column count (scikit-learn's meaning: ``None`` is 1
        unless a joblib context says otherwise, ``-1`` is all cores). Mixtures on fewer than
        ``MIN_VALUES_FOR_PROCESSES`` values in all are fitted in-process: starting workers would
        take longer than the work.
    random_state : int
        Seed for the subsample, the mixtures and the mode draws.
    max_categories : int or None, default=None
        Most one-hot slots for a discrete column's values: above it, the rarer levels are
        grouped into one "other" slot (see :mod:`gansynth.tabular.categories`). ``None`` never
        groups.
    """

    def __init__(
        self,
        max_modes: int = 10,
        max_rows: int = 10_000,
        n_jobs=None,
        random_state: int = 0,
        max_categories=None,
    ):
        self.max_modes = max_modes
        self.max_rows = max_rows
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.max_categories = max_categories

    def fit(self, frame: pd.DataFrame, specs: list[ColumnSpec]) -> DataTransformer:
        rng = np.random.default_rng(self.random_state)
        plans, numeric_jobs = {}, {}
        for spec in specs:
            if not spec.is_discrete:
                plans[spec.name] = plan = plan_column(frame[spec.name], spec)
                values = plan.rest
                if len(values) > self.max_rows:
                    values = rng.choice(values, size=self.max_rows, replace=False)
                if len(values):
                    numeric_jobs[spec.name] = values
        seeds = rng.integers(0, 2**31 - 1, size=max(1, len(numeric_jobs)))
        # scikit-learn's n_jobs: None is one process unless a joblib context says otherwise.
        workers = min(len(numeric_jobs), effective_n_jobs(self.n_jobs)) or 1
        if sum(len(values) for values in numeric_jobs.values()) < MIN_VALUES_FOR_PROCESSES:
            workers = 1
        mixtures = Parallel(n_jobs=workers, prefer="processes")(
            delayed(fit_mixture)(values, self.max_modes, int(seed))
            for values, seed in zip(numeric_jobs.values(), seeds)
        )
        fitted = dict(zip(numeric_jobs, mixtures))
        self.encoders_ = [
            self._numeric_encoder(spec, plans[spec.name], fitted.get(spec.name, ([], [], [])))
            if not spec.is_discrete
            else self._discrete_encoder(frame[spec.name], spec)
            for spec in specs
        ]
        for spec, encoder in zip(specs, self.encoders_):
            if isinstance(encoder, GroupedEncoder):
                warnings.warn(encoder.summary(spec.name, self.max_categories), UserWarning, stacklevel=3)
        self.specs_ = specs
        self._layout()
        return self

    @staticmethod
    def _numeric_encoder(spec: ColumnSpec, plan, mixture) -> NumericEncoder:
        return NumericEncoder(
            *mixture,
            spec.has_nan,
            spec=spec,
            spikes=plan.spikes,
            units=plan.units,
            low=plan.low,
            high=plan.high,
            ladder=plan.ladder,
        )

    def _discrete_encoder(self, series: pd.Series, spec: ColumnSpec):
        grouped = group_levels(series, spec.categories, spec.has_nan, self.max_categories)
        return grouped if grouped is not None else DiscreteEncoder(spec.categories, spec.has_nan)

    def _layout(self) -> None:
        """Place every encoder's pieces in the matrix: tanh columns first, then softmax blocks by width.

        Each numeric encoder contributes an alpha (tanh) column and a mode block; a discrete
        encoder, one block. Grouping equal-width blocks side by side lets the output activation
        treat each group as one ``(batch, n_blocks, width)`` view: no gather, no padding and no
        permutation in the training step. The order is a pure function of the encoders, so a
        loaded model rebuilds it exactly.
        """
        pieces = []  # (encoder index, offset within the encoder's block, width, activation)
        for i, encoder in enumerate(self.encoders_):
            for span in encoder.spans(0):
                pieces.append((i, span.start, span.width, span.activation))
        pieces.sort(key=lambda piece: (piece[3] != "tanh", piece[2]))  # stable: ties keep column order
        self.spans_, index = [], [[] for _ in self.encoders_]
        start = 0
        for i, offset, width, activation in pieces:
            self.spans_.append(Span(start, width, activation))
            index[i].append((offset, np.arange(start, start + width)))
            start += width
        self.column_index_ = [
            np.concatenate([cols for _, cols in sorted(parts, key=lambda p: p[0])]) for parts in index
        ]
        self.output_dim_ = start
        # Where each encoder's alpha and one-hot block sit among the tanh and softmax spans,
        # which is how sampled output reaches inverse_transform.
        tanh_slot = {span.start: k for k, span in enumerate(s for s in self.spans_ if s.activation == "tanh")}
        block_slot = {
            span.start: k for k, span in enumerate(s for s in self.spans_ if s.activation == "softmax")
        }
        self.slots_ = [
            (tanh_slot[int(columns[0])], block_slot[int(columns[1])])
            if getattr(encoder, "has_alpha", False)
            else (None, block_slot[int(columns[0])])
            for encoder, columns in zip(self.encoders_, self.column_index_)
        ]

    @property
    def condition_blocks(self) -> list[tuple[int, int, int]]:
        """``(column index, start, width)`` of every block the conditional vector covers.

        These are each discrete column's one-hot block, the one-hot block of a numeric column
        made only of spikes (few distinct values), and, for other numeric columns with spikes
        or missing values, the mode block whose last slots are the spikes and "missing":
        conditioning on it trains the spike shares and the NaN rate through the conditional
        loss instead of leaving them to the critic alone (on a table with a zero-inflated, a
        capped and a heaped column, 60 short epochs gave spike shares 16-23 points off without
        it and 2-9 points off with it).
        """
        blocks = []
        for i, (encoder, columns) in enumerate(zip(self.encoders_, self.column_index_)):
            if not getattr(encoder, "has_alpha", False):
                blocks.append((i, int(columns[0]), encoder.width))
            elif encoder.has_nan or encoder.n_spikes:
                blocks.append((i, int(columns[1]), encoder.width - 1))
        return blocks

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """The encoded matrix, ``n_rows x output_dim_`` float32, every block one-hot."""
        return self.encode_rows(frame).matrix()

    def encode_rows(self, frame: pd.DataFrame) -> EncodedRows:
        """The encoded rows, each grouped column's block held as one code per row."""
        rng = np.random.default_rng(self.random_state + 1)
        coded = [isinstance(encoder, GroupedEncoder) for encoder in self.encoders_]
        code_starts = [int(columns[0]) for columns, is_coded in zip(self.column_index_, coded) if is_coded]
        is_dense = np.ones(self.output_dim_, dtype=bool)
        for columns, is_coded in zip(self.column_index_, coded):
            is_dense[columns] = not is_coded
        dense_columns = np.flatnonzero(is_dense)
        position = np.cumsum(is_dense) - 1  # a dense column's place in the dense part
        dense = np.empty((len(frame), len(dense_columns)), dtype=np.float32)
        codes = np.empty((len(frame), len(code_starts)), dtype=np.int64)
        for spec, encoder, columns in zip(self.specs_, self.encoders_, self.column_index_):
            series = frame[spec.name]
            if isinstance(encoder, GroupedEncoder):
                codes[:, code_starts.index(int(columns[0]))] = encoder.checked_codes(series)
            elif isinstance(encoder, NumericEncoder):
                dense[:, position[columns]] = encoder.encode(series, rng)
            else:
                for start in range(0, len(frame), _ENCODE_CHUNK):
                    rows = slice(start, start + _ENCODE_CHUNK)
                    dense[rows, position[columns]] = encoder.encode(series.iloc[rows])
        return EncodedRows(
            torch.from_numpy(dense), dense_columns, torch.from_numpy(codes), code_starts, self.output_dim_
        )

    def inverse_transform(self, alphas: np.ndarray, choices: np.ndarray, rng=None, clip: bool = True) -> list:
        """Decode generator output given as alphas and one-hot choices.

        Parameters
        ----------
        alphas : numpy.ndarray of shape (n_rows, n_tanh_spans)
            The tanh columns, in matrix order.
        choices : numpy.ndarray of shape (n_rows, n_softmax_spans)
            The chosen index within every one-hot block, blocks in matrix order.
        rng : numpy.random.Generator, list of them or None, default=None
            Draws the value of each "other" row of a grouped column, and the numeric values
            redrawn into their range or rounded by the data's habits: one generator for all
            columns, or one per column (a streamed sample passes one per column, so that its
            rows do not depend on the chunk size); ``None`` seeds one from ``random_state``.
        clip : bool, default=True
            Keep numeric values inside their training range (see ``NumericEncoder.decode``).

        Returns
        -------
        list
            Per column: category codes (-1 for missing), float values (NaN for missing), or for
            exact numeric columns a pandas nullable integer array (datetimes in nanoseconds).
        """
        rng = np.random.default_rng(self.random_state + 2) if rng is None else rng
        streams = rng if isinstance(rng, list) else [rng] * len(self.encoders_)
        decoded = []
        for encoder, (alpha_slot, block_slot), stream in zip(self.encoders_, self.slots_, streams):
            if isinstance(encoder, NumericEncoder):
                alpha = alphas[:, alpha_slot] if alpha_slot is not None else None
                decoded.append(encoder.decode(alpha, choices[:, block_slot], stream, clip))
            else:
                decoded.append(encoder.decode(choices[:, block_slot], stream))
        return decoded

    def to_dict(self) -> dict:
        return {
            "max_modes": self.max_modes,
            "max_rows": self.max_rows,
            "random_state": self.random_state,
            "encoders": [enc.to_dict() for enc in self.encoders_],
        }

    @classmethod
    def from_dict(cls, data: dict, specs: list[ColumnSpec]) -> DataTransformer:
        transformer = cls(data["max_modes"], data["max_rows"], None, data["random_state"])
        if len(data["encoders"]) != len(specs):
            raise ValueError("the number of encoders does not match the number of columns")
        transformer.encoders_ = [encoder_from_dict(enc, spec) for enc, spec in zip(data["encoders"], specs)]
        transformer.specs_ = specs
        transformer._layout()
        return transformer
