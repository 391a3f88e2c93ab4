"""Conditional vectors: training-by-sampling, and the loss that makes the generator obey them.

Every operation here works on whole batches of tensors that live on the training device. Rows
are grouped by category once, at construction, so drawing a real row that matches a sampled
condition is an index lookup rather than a per-row ``np.random.choice``.

Conditional-vector layout: one one-hot block per discrete column, in column order, each as wide
as that column's encoding (categories plus a missing slot when the column has NaN). Category
``k`` of discrete column ``j`` sits at ``offsets[j] + k``, for every column, not just the first.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from gansynth.errors import InputError, InputTypeError


class ConditionSampler:
    """Samples conditional vectors and matching real rows for the discrete columns.

    Parameters
    ----------
    counts : list of numpy.ndarray
        Per discrete column, the number of training rows in each category (including a missing
        slot when the column has NaN).
    data_starts : list of int
        Where each discrete column's one-hot block starts in the encoded data matrix; the
        generator's raw output for that block is scored by :meth:`conditional_loss`.
    codes : numpy.ndarray of shape (n_rows, n_discrete) or None
        Category index of every training row in every discrete column. Needed only for
        :meth:`sample_train`; a loaded model samples from ``counts`` alone.
    log_frequency : bool, default=True
        Train on categories drawn at log-frequency, so rare categories are seen often enough.
    column_weights : sequence of float or None, default=None
        Relative probability of conditioning on each column during training; uniform when None.
    device : torch.device
        Where all tables live.
    """

    def __init__(
        self, counts, data_starts, codes=None, log_frequency=True, column_weights=None, device="cpu"
    ):
        counts = [np.asarray(c, dtype=np.int64) for c in counts]
        widths = [len(c) for c in counts]
        self.n_columns = len(counts)
        if codes is not None:
            self.n_rows = len(codes)
        else:
            self.n_rows = int(counts[0].sum()) if counts else 0
        self.counts = counts
        self.device = torch.device(device)
        self.dim = int(sum(widths))
        offsets = (
            np.concatenate([[0], np.cumsum(widths)[:-1]]).astype(np.int64)
            if widths
            else np.zeros(0, np.int64)
        )

        train_p = [np.log(c + 1.0) if log_frequency else c.astype(float) for c in counts]
        train_p = [p / p.sum() for p in train_p]
        empirical_p = [c / c.sum() for c in counts]
        max_width = max(widths, default=1)

        # Rows sorted by category, column after column: rows of global category g are
        # sorted_rows[row_start[g] : row_start[g] + row_count[g]].
        sorted_rows, row_start = [], []
        if codes is not None:
            codes = np.asarray(codes, dtype=np.int64)
            for j in range(self.n_columns):
                sorted_rows.append(np.argsort(codes[:, j], kind="stable"))
                row_start.append(np.concatenate([[0], np.cumsum(counts[j])[:-1]]) + j * self.n_rows)

        # Column j's block of the data matrix, padded to max_width, for gathering logits.
        data_index = np.zeros((self.n_columns, max_width), dtype=np.int64)
        valid = np.zeros((self.n_columns, max_width), dtype=bool)
        for j, (start, width) in enumerate(zip(data_starts, widths)):
            data_index[j, :width] = np.arange(start, start + width)
            valid[j, :width] = True

        weights = (
            np.ones(self.n_columns) if column_weights is None else np.asarray(column_weights, dtype=float)
        )
        if len(weights) != self.n_columns or (weights < 0).any() or (self.n_columns and weights.sum() <= 0):
            raise ValueError(f"column_weights must be {self.n_columns} non-negative numbers, not all zero")

        def tensor(array, dtype=torch.long):
            return torch.as_tensor(np.asarray(array), dtype=dtype, device=self.device)

        # One flat distribution over every (column, category) pair: its index is the position in
        # the conditional vector, so a draw needs no per-column table.
        def flat(column_share, per_column):
            if not widths:
                return tensor(np.ones(1), dtype=torch.float32)
            return tensor(
                np.concatenate([share * p for share, p in zip(column_share, per_column)]), dtype=torch.float32
            )

        uniform = np.full(self.n_columns, 1.0 / max(1, self.n_columns))
        self.train_probabilities = flat(weights / max(weights.sum(), 1e-12), train_p)
        self.empirical_probabilities = flat(uniform, empirical_p)
        self.column_of = tensor(np.repeat(np.arange(self.n_columns), widths) if widths else np.zeros(0))
        self.offsets = tensor(offsets)
        self.sorted_rows = tensor(np.concatenate(sorted_rows) if sorted_rows else np.zeros(0))
        self.row_start = tensor(np.concatenate(row_start) if row_start else np.zeros(0))
        self.row_count = tensor(np.concatenate(counts) if counts else np.zeros(0))
        self.has_rows = codes is not None
        self.data_index = tensor(data_index)
        self.data_valid = tensor(valid, dtype=torch.bool)

    def _draw(self, batch_size: int, probabilities: torch.Tensor, rng: torch.Generator):
        """Positions in the conditional vector, and their column and within-column category."""
        position = torch.multinomial(probabilities, batch_size, replacement=True, generator=rng)
        column = self.column_of[position]
        return position, column, position - self.offsets[column]

    def one_hot(self, position: torch.Tensor) -> torch.Tensor:
        """Conditional vectors with one active position per row."""
        return torch.zeros(len(position), self.dim, device=self.device).scatter_(1, position[:, None], 1.0)

    def sample_train(self, batch_size: int, rng: torch.Generator):
        """Draw training conditions and real rows that satisfy them, all from ``rng``.

        Returns
        -------
        cond : torch.Tensor of shape (batch_size, dim)
        column, category : torch.Tensor of shape (batch_size,)
            The conditioned discrete column and its category, for :meth:`conditional_loss`.
        rows : torch.Tensor of shape (batch_size,)
            Indices of real rows having that category in that column.
        """
        if not self.has_rows:
            raise RuntimeError("this sampler was built without training rows; it can only sample conditions")
        if self.n_columns == 0:
            rows = torch.randint(self.n_rows, (batch_size,), device=self.device, generator=rng)
            empty = torch.zeros(batch_size, 0, device=self.device)
            return empty, None, None, rows
        position, column, category = self._draw(batch_size, self.train_probabilities, rng)
        uniform = torch.rand(batch_size, device=self.device, generator=rng)
        pick = (uniform * self.row_count[position]).long()
        rows = self.sorted_rows[self.row_start[position] + pick]
        return self.one_hot(position), column, category, rows

    def sample_empirical(self, batch_size: int, rng: torch.Generator) -> torch.Tensor:
        """Conditions drawn at the categories' real frequencies (from ``rng``), for unconditional sampling."""
        if self.n_columns == 0:
            return torch.zeros(batch_size, 0, device=self.device)
        position, _, _ = self._draw(batch_size, self.empirical_probabilities, rng)
        return self.one_hot(position)

    def conditional_loss(self, raw_output: torch.Tensor, column, category) -> torch.Tensor:
        """Cross-entropy between each row's conditioned block of generator logits and its condition."""
        if self.n_columns == 0:
            return raw_output.new_zeros(())
        logits = raw_output.gather(1, self.data_index[column])
        logits = logits.masked_fill(~self.data_valid[column], float("-inf"))
        return F.cross_entropy(logits, category)


def condition_weights(shares, specs, blocks) -> list[float] | None:
    """Per condition block, a sampling weight that gives each column named in ``shares`` its share.

    Parameters
    ----------
    shares : dict or None
        ``fit``'s ``condition_shares``: ``{discrete column: share in (0, 1]}``.
    specs : list of ColumnSpec
        The fitted columns.
    blocks : list of tuple
        The transformer's ``condition_blocks``.

    Returns
    -------
    list of float or None
        ``None`` (uniform) without shares.
    """
    if not shares:
        return None
    names = [spec.name for spec in specs]
    blocks_of = [names[column] for column, _, _ in blocks]
    for name, share in shares.items():
        if name not in names or not specs[names.index(name)].is_discrete:
            raise InputError(f"condition_shares names {name!r}, which is not a discrete column")
        if not 0 < share <= 1:
            raise InputError(f"condition_shares[{name!r}] must be in (0, 1]; got {share!r}")
    total = sum(shares.values())
    others = [name for name in blocks_of if name not in shares]
    if total > 1 + 1e-9:
        raise InputError(f"condition_shares add up to {total:g}; they must add up to at most 1")
    # With no other blocks to take the rest, the named shares are used relative to each other.
    rest = (1.0 - total) / len(others) if others else 0.0
    return [float(shares.get(name, rest)) for name in blocks_of]


def condition_codes(conditions, n: int, specs, transformer) -> dict[int, np.ndarray]:
    """Map ``{column: value or n values}`` to ``{discrete block position: category codes}``.

    Parameters
    ----------
    conditions : dict or None
        The user's conditions, as given to ``TabularGAN.sample``.
    n : int
        Rows to generate.
    specs : list of ColumnSpec
        The fitted columns.
    transformer : DataTransformer
        The fitted encoder, whose discrete encoders turn values into codes.

    Returns
    -------
    dict of int to numpy.ndarray
        Codes of length ``n`` per condition block, keyed by the block's position.
    """
    if conditions is None:
        return {}
    if not isinstance(conditions, dict):
        raise InputTypeError(
            f"conditions must be a dict mapping column to value(s); got {type(conditions).__name__}"
        )
    names = [spec.name for spec in specs]
    position = {column: j for j, (column, _, _) in enumerate(transformer.condition_blocks)}
    codes = {}
    for name, value in conditions.items():
        if name not in names:
            raise InputError(f"unknown condition column {name!r}; the columns are {names}")
        index = names.index(name)
        spec, encoder = specs[index], transformer.encoders_[index]
        values = _condition_values(name, value, n)
        if spec.is_discrete:
            column_codes = encoder.codes(values)
            if (column_codes < 0).any():
                unknown = values[column_codes < 0].unique()[:5].tolist()
                raise InputError(
                    f"unknown value(s) {unknown} for condition column {name!r}; known values: {_known(spec)}"
                )
        else:
            column_codes = _numeric_codes(name, spec, encoder, values)
        codes[position[index]] = column_codes
    return codes


def numeric_condition_values(transformer, name) -> list:
    """The values the engine's numeric column ``name`` can be conditioned on: its spikes, as the
    column holds them (datetimes as timestamps), then NaN when it has missing values; empty for
    a column the engine does not model as a numeric one."""
    engine_names = [spec.name for spec in transformer.specs_]
    if name not in engine_names:
        return []
    index = engine_names.index(name)
    spec, encoder = transformer.specs_[index], transformer.encoders_[index]
    return [] if spec.is_discrete else _exact_values(spec, encoder)


def _exact_values(spec, encoder) -> list:
    spikes = encoder.spike_values()
    if spec.kind == "datetime":
        spikes = [pd.Timestamp(value) for value in spikes]
    return spikes + ([float("nan")] if encoder.has_nan else [])


def _numeric_codes(name, spec, encoder, values: pd.Series) -> np.ndarray:
    """Mode-block slots of a numeric column's condition values: its spikes, or NaN."""
    exact = [
        str(v) if isinstance(v, pd.Timestamp) else "NaN" if v != v else v
        for v in _exact_values(spec, encoder)
    ]
    if not exact:
        raise InputError(
            f"cannot condition on column {name!r}: it is {spec.kind} with no exact values that its rows "
            "pile up on; boolean and categorical columns, columns passed as discrete_columns, and a "
            "numeric column's spike values (or NaN) can be conditions"
        )
    codes = encoder.condition_codes(values)
    if (codes < 0).any():
        unknown = values[codes < 0].unique()[:5].tolist()
        shown = f"{exact[:20]}..." if len(exact) > 20 else str(exact)
        raise InputError(
            f"value(s) {unknown} of condition column {name!r} are not among its exact values {shown}: "
            "a numeric column can be conditioned on the values its rows pile up on (spikes), "
            "or on NaN when it has missing values"
        )
    return codes


def condition_codes_by_rows(conditions, n: int, specs, transformer):
    """Check conditions for ``n`` rows now; return a function giving any rows' condition codes.

    One value per column is encoded once and repeated for each requested range, so memory
    follows the range, not ``n``; a sequence of ``n`` values is encoded whole (its caller
    holds ``n`` values already). Every error :func:`condition_codes` would raise is raised here,
    before any row is generated.

    Parameters
    ----------
    conditions : dict or None
        The user's conditions, as given to ``TabularGAN.sample``.
    n : int
        Rows to generate.
    specs : list of ColumnSpec
        The fitted columns.
    transformer : DataTransformer
        The fitted encoder.

    Returns
    -------
    callable
        ``codes_for(start, stop)``: the codes of rows ``start:stop`` per condition block.
    """
    if not isinstance(conditions, dict):
        fixed, whole = condition_codes(conditions, 1, specs, transformer), {}
    else:
        single = {k: v for k, v in conditions.items() if not pd.api.types.is_list_like(v)}
        fixed = condition_codes(single, 1, specs, transformer)
        sequences = {k: v for k, v in conditions.items() if k not in single}
        whole = condition_codes(sequences, n, specs, transformer)

    def codes_for(start: int, stop: int) -> dict[int, np.ndarray]:
        codes = {j: np.full(stop - start, c[0]) for j, c in fixed.items()}
        codes.update({j: c[start:stop] for j, c in whole.items()})
        return codes

    return codes_for


def condition_levels_by_rows(conditions, n: int, specs, transformer):
    """Like :func:`condition_codes_by_rows`, for the category index each conditioned row carries.

    The values must already have passed :func:`condition_codes`. For a column whose rare levels
    are grouped, the condition code says only "other"; this keeps the value the user asked for.
    ``levels_for(start, stop)`` gives ``{column index: category index per row}`` (``-1`` for
    missing); one value per column is encoded once, so memory follows the range, not ``n``.
    """
    names = [spec.name for spec in specs]
    fixed, whole = {}, {}
    for name, value in (conditions or {}).items():
        index = names.index(name)
        if not specs[index].is_discrete:
            continue  # a numeric condition is a spike or NaN: its forced slot decodes exactly
        encoder = transformer.encoders_[index]
        if pd.api.types.is_list_like(value):
            whole[index] = encoder.levels(_condition_values(name, value, n))
        else:
            fixed[index] = encoder.levels(_condition_values(name, value, 1))[0]

    def levels_for(start: int, stop: int) -> dict[int, np.ndarray]:
        levels = {index: np.full(stop - start, level) for index, level in fixed.items()}
        levels.update({index: values[start:stop] for index, values in whole.items()})
        return levels

    return levels_for


def _known(spec, shown: int = 20) -> str:
    """The column's values for an error message, cut short when there are many."""
    known = spec.categories + (["NaN"] if spec.has_nan else [])
    if len(known) <= shown:
        return str(known)
    return f"{known[:shown]}... ({len(known):,} in all)"


def _condition_values(name, value, n: int) -> pd.Series:
    """One value for every row, or a sequence of exactly ``n`` values, as an object Series."""
    if isinstance(value, (set, frozenset, dict)):
        # Neither has one value per row in a known order: a set's order changes between runs.
        raise InputTypeError(
            f"condition {name!r} is a {type(value).__name__}; give one value for every row, or a list "
            f"or array of {n} values in row order"
        )
    if pd.api.types.is_list_like(value):
        values = pd.Series(list(value), name=name, dtype=object)
        if len(values) != n:
            raise InputError(f"condition {name!r} has {len(values)} values for {n} rows")
        return values
    return pd.Series([value] * n, name=name, dtype=object)
