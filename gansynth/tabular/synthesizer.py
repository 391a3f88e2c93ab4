"""``TabularGAN``: a conditional GAN for mixed-type tables, in the scikit-learn style."""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from gansynth._random import draw_seed, seeded_torch
from gansynth._torch_utils import adam, resolve_device, torch_threads
from gansynth.persistence import save_model
from gansynth.tabular.conditions import ConditionSampler, condition_codes
from gansynth.tabular.model_state import restore_tabular, tabular_state
from gansynth.tabular.networks import Discriminator, Generator, OutputActivation
from gansynth.tabular.schema import as_frame, build_specs, restore_column
from gansynth.tabular.training import GANModules, train
from gansynth.tabular.transformer import DataTransformer

# What "auto" means for a direct fit: the CTGAN paper's settings. Wrappers such as
# GANOversampler replace "auto" with a length and batch of their own rule.
DEFAULT_EPOCHS = 300
DEFAULT_BATCH_SIZE = 500

# Below this many multiply-adds per generator forward (batch x parameters), a training step is
# dominated by dispatch overhead: extra intra-op threads only add synchronisation, and on a
# loaded 2-core machine they made a small oversampler 5x slower (146 vs 31 ms per step).
_SMALL_STEP_WORK = 5e7

# Rows generated per forward pass when sampling: small enough that a chunk's activations stay in
# cache (on adult, 8k-row chunks generate 1.45x faster than 64k-row ones), large enough that
# Python overhead is negligible.
_SAMPLE_CHUNK = 8_192


class TabularGAN(BaseEstimator):
    """Conditional GAN for mixed-type tables (CTGAN, done right).

    Continuous columns get mode-specific normalisation through a variational Gaussian mixture,
    discrete columns a one-hot encoding; missing values in any column are modelled as a category
    of their own. Training uses training-by-sampling on a conditional vector, a residual
    generator with Gumbel-softmax outputs, a PacGAN critic and the WGAN-GP loss.

    Parameters
    ----------
    epochs : int or "auto", default="auto"
        Passes over the data; each pass is ``max(1, n_rows // batch_size)`` optimiser steps.
        ``"auto"`` trains 300 epochs, CTGAN's default, when the model is fitted directly; a
        wrapper that fits it, such as :class:`~gansynth.GANOversampler`, replaces ``"auto"``
        with a length by its own rule (an explicit number is always kept).
    batch_size : int or "auto", default="auto"
        Rows per step; must be a multiple of ``pac``. ``"auto"`` is 500 (CTGAN's default) for a
        direct fit, and a wrapper's own rule inside one.
    embedding_dim : int, default=128
        Size of the generator's noise vector.
    generator_dim : tuple of int, default=(256, 256)
        Widths of the generator's residual layers.
    discriminator_dim : tuple of int, default=(256, 256)
        Widths of the critic's hidden layers.
    generator_lr, discriminator_lr : float, default=2e-4
        Adam learning rates (betas are (0.5, 0.9), as in the paper).
    generator_decay, discriminator_decay : float, default=1e-6
        Adam weight decay.
    discriminator_steps : int, default=1
        Critic updates per generator update.
    pac : int, default=10
        Rows the critic scores together (PacGAN).
    log_frequency : bool, default=True
        Draw training conditions at log-frequency rather than raw frequency.
    max_modes : int, default=10
        Most mixture modes per numeric column.
    mixture_max_rows : int, default=10_000
        Each numeric column's mixture is fitted on a random subsample of at most this many rows.
    clip : bool, default=True
        Keep sampled numeric values inside the training range. A value the generator puts
        outside is redrawn from its mixture mode's Gaussian truncated to the range, so no pile
        of rows forms on the bounds (rows sit on a bound as often as the data's own spikes
        there say). ``False`` leaves such values as generated; integer and datetime columns
        still stay within what their dtype holds. Either way integer columns keep exact values,
        numeric columns keep their grid, and spike values (see Notes) are exact.
    n_jobs : int or None, default=None
        Processes fitting the numeric columns' mixtures, with scikit-learn's meaning: ``None``
        is 1 unless inside a :func:`joblib.parallel_backend` context, ``-1`` is all cores.
    torch_threads : "auto", int or None, default="auto"
        Intra-op threads torch uses while training. ``"auto"`` uses one thread when a step's
        work is small (batch size x generator parameters below 5e7), where more threads only
        add overhead, and leaves torch's setting alone otherwise; ``None`` always leaves it.
    device : str, default="auto"
        Torch device; ``"auto"`` picks CUDA when available.
    verbose : bool, default=True
        Show a progress bar with the epoch and both losses.
    random_state : int, RandomState instance or None, default=None
        Seeds the mixtures, the weights, training and the default sampling stream. The same
        value gives identical weights and samples on CPU.

    Attributes
    ----------
    epochs_, batch_size_ : int
        The training length and batch actually used (``"auto"`` resolved).
    columns_ : list of ColumnSpec
        The inferred kind, dtype, range and categories of each column.
    transformer_ : DataTransformer
        The fitted encoder.
    generator_ : Generator
        The trained generator (in eval mode).
    discriminator_ : Discriminator or None
        The trained critic; ``None`` on a model loaded from a file.
    loss_history_ : pandas.DataFrame
        Per-epoch mean generator and discriminator losses.
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : numpy.ndarray
        Column names, when ``fit`` got a DataFrame with string column names.

    Notes
    -----
    Numeric columns are sampled as the data writes them (:mod:`gansynth.tabular.column_values`
    has the rules and their constants):

    - Integer dtypes and datetimes are read as exact integers: int64's extremes, uint64 and
      values above 2**53 come back exact, and ``columns_`` holds exact ranges.
    - A numeric column with at most 20 distinct values, used by 3 rows each on average, is
      sampled from those values only.
    - A value that rows pile up on (a zero, a cap, a default) is a *spike*: a discrete mode
      beside the Gaussian mixture, sampled exactly at its share, with no continuous value
      rounding onto it. A spike holds at least 5 rows, at least 5% of the rows not in larger
      spikes, and 3 times the mean count of its 3 nearest values on either side; at most 10.
    - Integer columns, datetimes and floats with at most 6 decimals keep their grid (the greatest
      common step from the smallest value), and a grid aligned with zero keeps the data's
      rounding habits (how often values sit on 5, 10, 50, ... steps beyond chance).

    Examples
    --------
    >>> from gansynth import TabularGAN
    >>> from gansynth.datasets import load_student_placements
    >>> data = load_student_placements()
    >>> model = TabularGAN(epochs=5, verbose=False, random_state=0).fit(data)
    >>> model.sample(3, conditions={"gender": "F"})["gender"].tolist()
    ['F', 'F', 'F']
    """

    def __init__(
        self,
        epochs="auto",
        batch_size="auto",
        *,
        embedding_dim=128,
        generator_dim=(256, 256),
        discriminator_dim=(256, 256),
        generator_lr=2e-4,
        discriminator_lr=2e-4,
        generator_decay=1e-6,
        discriminator_decay=1e-6,
        discriminator_steps=1,
        pac=10,
        log_frequency=True,
        max_modes=10,
        mixture_max_rows=10_000,
        clip=True,
        n_jobs=None,
        torch_threads="auto",
        device="auto",
        verbose=True,
        random_state=None,
    ):
        self.epochs = epochs
        self.batch_size = batch_size
        self.embedding_dim = embedding_dim
        self.generator_dim = generator_dim
        self.discriminator_dim = discriminator_dim
        self.generator_lr = generator_lr
        self.discriminator_lr = discriminator_lr
        self.generator_decay = generator_decay
        self.discriminator_decay = discriminator_decay
        self.discriminator_steps = discriminator_steps
        self.pac = pac
        self.log_frequency = log_frequency
        self.max_modes = max_modes
        self.mixture_max_rows = mixture_max_rows
        self.clip = clip
        self.n_jobs = n_jobs
        self.torch_threads = torch_threads
        self.device = device
        self.verbose = verbose
        self.random_state = random_state

    # ------------------------------------------------------------------ fit
    _parameter_constraints: dict = {
        "epochs": [Interval(numbers.Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "embedding_dim": [Interval(numbers.Integral, 1, None, closed="left")],
        "generator_dim": ["array-like"],
        "discriminator_dim": ["array-like"],
        "generator_lr": [Interval(numbers.Real, 0, None, closed="neither")],
        "discriminator_lr": [Interval(numbers.Real, 0, None, closed="neither")],
        "generator_decay": [Interval(numbers.Real, 0, None, closed="left")],
        "discriminator_decay": [Interval(numbers.Real, 0, None, closed="left")],
        "discriminator_steps": [Interval(numbers.Integral, 1, None, closed="left")],
        "pac": [Interval(numbers.Integral, 1, None, closed="left")],
        "log_frequency": ["boolean"],
        "max_modes": [Interval(numbers.Integral, 1, None, closed="left")],
        "mixture_max_rows": [Interval(numbers.Integral, 1, None, closed="left")],
        "clip": ["boolean"],
        "n_jobs": [numbers.Integral, None],
        "torch_threads": [Interval(numbers.Integral, 1, None, closed="left"), StrOptions({"auto"}), None],
        "device": [str, torch.device],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }

    def _check_params(self) -> None:
        """What ``_parameter_constraints`` cannot say: batch and pac agree, widths are positive."""
        self._validate_params()
        if self._batch_size() % self.pac:
            raise ValueError(f"batch_size ({self._batch_size()}) must be a multiple of pac ({self.pac})")
        for name in ("generator_dim", "discriminator_dim"):
            dims = getattr(self, name)
            if not all(isinstance(d, numbers.Integral) and not isinstance(d, bool) and d > 0 for d in dims):
                raise ValueError(f"{name} must be a sequence of positive integers; got {dims!r}")

    def fit(self, data, discrete_columns="auto", column_kinds=None, condition_shares=None):
        """Fit the GAN on a table.

        Parameters
        ----------
        data : pandas.DataFrame or numpy.ndarray of shape (n_rows, n_columns)
            Training table. Any column may hold missing values.
        discrete_columns : "auto" or list, default="auto"
            ``"auto"`` treats boolean, object, category and string columns as discrete; a list
            additionally treats the named columns as categorical whatever their dtype.
        column_kinds : dict or None, default=None
            Explicit ``{column: kind}`` overrides, kind being one of ``continuous``, ``integer``,
            ``datetime``, ``boolean`` or ``categorical``.
        condition_shares : dict or None, default=None
            ``{discrete column: share}``: the fraction of training rows conditioned on that
            column, the rest being spread evenly over the other condition blocks (the other
            discrete columns, and the numeric columns with missing values or spikes). By default every
            block is conditioned on equally often. When the named columns are the only condition
            blocks, their shares are relative. A label that will be sampled conditionally,
            as :class:`~gansynth.GANOversampler` does with the class, learns faster with a large
            share.

        Returns
        -------
        self : TabularGAN
            The fitted model.
        """
        self._check_params()
        frame, self.input_format_ = as_frame(data)
        self._learn_columns(frame, discrete_columns, column_kinds)
        self.epochs_ = DEFAULT_EPOCHS if self.epochs == "auto" else int(self.epochs)
        self.batch_size_ = self._batch_size()
        self.seed_ = draw_seed(self.random_state)
        self.device_ = resolve_device(self.device)

        self.transformer_ = DataTransformer(self.max_modes, self.mixture_max_rows, self.n_jobs, self.seed_)
        matrix = self.transformer_.fit(frame, self.columns_).transform(frame)
        self.condition_sampler_ = self._condition_sampler(matrix, condition_shares)
        with seeded_torch(self.seed_, self.device_):
            self._build_networks()
        self.loss_history_ = self._train(torch.from_numpy(matrix).to(self.device_))
        self._sample_stream_ = np.random.RandomState(self.seed_)
        return self

    def _learn_columns(self, frame: pd.DataFrame, discrete_columns, column_kinds) -> None:
        """Column specs and the input's feature attributes; warns about constant numeric columns."""
        self.columns_ = build_specs(frame, discrete_columns, column_kinds)
        for spec in self.columns_:
            if spec.kind in ("continuous", "integer", "datetime") and spec.minimum == spec.maximum:
                warnings.warn(
                    f"column {spec.name!r} is constant ({spec.minimum!r} apart from NaN); samples repeat it",
                    UserWarning,
                    stacklevel=3,
                )
        self.n_features_in_ = frame.shape[1]
        if self.input_format_["type"] == "dataframe" and all(isinstance(c, str) for c in frame.columns):
            self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        elif hasattr(self, "feature_names_in_"):  # refitted on data without string names
            del self.feature_names_in_

    def _condition_sampler(self, matrix: np.ndarray, condition_shares) -> ConditionSampler:
        """Training-by-sampling over the encoded matrix's condition blocks."""
        blocks = self.transformer_.condition_blocks
        codes = (
            np.stack([matrix[:, s : s + w].argmax(axis=1) for _, s, w in blocks], axis=1)
            if blocks
            else np.zeros((len(matrix), 0))
        )
        counts = [np.bincount(codes[:, j], minlength=w) for j, (_, _, w) in enumerate(blocks)]
        return ConditionSampler(
            counts,
            [s for _, s, _ in blocks],
            codes=codes,
            log_frequency=self.log_frequency,
            column_weights=self._condition_weights(condition_shares, blocks),
            device=self.device_,
        )

    def _train(self, data: torch.Tensor) -> pd.DataFrame:
        """Adam with the paper's betas on both networks, then :func:`train`; returns the history."""
        with seeded_torch(self.seed_ + 1, self.device_), torch_threads(self._training_threads()):
            modules = GANModules(
                generator=self.generator_,
                discriminator=self.discriminator_,
                activation=self.activation_,
                generator_optimizer=adam(
                    self.generator_.parameters(),
                    lr=self.generator_lr,
                    betas=(0.5, 0.9),
                    weight_decay=self.generator_decay,
                ),
                discriminator_optimizer=adam(
                    self.discriminator_.parameters(),
                    lr=self.discriminator_lr,
                    betas=(0.5, 0.9),
                    weight_decay=self.discriminator_decay,
                ),
                embedding_dim=self.embedding_dim,
                discriminator_steps=self.discriminator_steps,
            )
            return train(
                modules,
                data,
                self.condition_sampler_,
                epochs=self.epochs_,
                batch_size=self.batch_size_,
                verbose=self.verbose,
            )

    def _batch_size(self) -> int:
        return DEFAULT_BATCH_SIZE if self.batch_size == "auto" else int(self.batch_size)

    def _training_threads(self):
        if self.torch_threads != "auto":
            return self.torch_threads
        if self.device_.type != "cpu":
            return None
        work = self.batch_size_ * sum(p.numel() for p in self.generator_.parameters())
        return 1 if work < _SMALL_STEP_WORK else None

    def _condition_weights(self, shares, blocks):
        """Per condition block, a sampling weight that gives each named column its share."""
        if not shares:
            return None
        names = [spec.name for spec in self.columns_]
        blocks_of = [names[column] for column, _, _ in blocks]
        for name, share in shares.items():
            if name not in names or not self.columns_[names.index(name)].is_discrete:
                raise ValueError(f"condition_shares names {name!r}, which is not a discrete column")
            if not 0 < share <= 1:
                raise ValueError(f"condition_shares[{name!r}] must be in (0, 1]; got {share!r}")
        total = sum(shares.values())
        others = [name for name in blocks_of if name not in shares]
        if total > 1 + 1e-9:
            raise ValueError(f"condition_shares add up to {total:g}; they must add up to at most 1")
        # With no other blocks to take the rest, the named shares are used relative to each other.
        rest = (1.0 - total) / len(others) if others else 0.0
        return [float(shares.get(name, rest)) for name in blocks_of]

    def _build_networks(self) -> None:
        data_dim, cond_dim = self.transformer_.output_dim_, self.condition_sampler_.dim
        self.generator_ = Generator(self.embedding_dim + cond_dim, tuple(self.generator_dim), data_dim).to(
            self.device_
        )
        self.discriminator_ = Discriminator(data_dim + cond_dim, tuple(self.discriminator_dim), self.pac).to(
            self.device_
        )
        self.activation_ = OutputActivation(self.transformer_.spans_).to(self.device_)

    # --------------------------------------------------------------- sample
    def sample(self, n, conditions=None, random_state=None, clip=None):
        """Generate rows.

        Parameters
        ----------
        n : int
            Number of rows.
        conditions : dict or None, default=None
            ``{discrete column: value}`` or ``{discrete column: sequence of n values}``. The rows
            are generated through the conditional vector (never by rejection) and carry exactly
            these values.
        random_state : int, RandomState instance or None, default=None
            Seed for this call; with it the output is reproducible. Without it, successive calls
            continue one stream seeded by the constructor's ``random_state``.
        clip : bool or None, default=None
            Keep numeric values inside the training range; ``None`` uses the ``clip``
            parameter (see there).

        Returns
        -------
        pandas.DataFrame or numpy.ndarray
            ``n`` rows with the training table's columns, order and dtypes (an array when
            ``fit`` got an array).
        """
        check_is_fitted(self, "generator_")
        if not isinstance(n, numbers.Integral) or isinstance(n, bool) or n < 0:
            raise ValueError(f"n must be a non-negative integer; got {n!r}")
        n = int(n)
        forced = condition_codes(conditions, n, self.columns_, self.transformer_)
        seed = draw_seed(random_state if random_state is not None else self._sample_stream_)
        raw_columns = self.transformer_.inverse_transform(
            *self._generate(n, forced, seed),
            rng=np.random.default_rng(seed),
            clip=self.clip if clip is None else clip,
        )
        for j, codes in forced.items():
            column, _, width = self.transformer_.condition_blocks[j]
            if self.columns_[column].has_nan:
                codes = np.where(codes == width - 1, -1, codes)
            raw_columns[column] = codes
        return self._to_output(raw_columns)

    def _generate(self, n: int, forced: dict[int, np.ndarray], seed: int) -> tuple[np.ndarray, np.ndarray]:
        """``n`` rows as (alphas, one-hot choices), the form ``inverse_transform`` decodes."""
        sampler = self.condition_sampler_
        offsets = sampler.offsets.cpu().numpy()
        alphas, choices = [], []
        self.generator_.eval()
        with seeded_torch(seed, self.device_), torch.no_grad():
            for start in range(0, n, _SAMPLE_CHUNK):
                size = min(_SAMPLE_CHUNK, n - start)
                if forced:
                    cond = torch.zeros(size, sampler.dim, device=self.device_)
                    rows = torch.arange(size, device=self.device_)
                    for j, codes in forced.items():
                        index = torch.as_tensor(offsets[j] + codes[start : start + size], device=self.device_)
                        cond[rows, index] = 1.0
                else:
                    cond = sampler.sample_empirical(size)
                noise = torch.randn(size, self.embedding_dim, device=self.device_)
                chunk_alphas, chunk_choices = self.activation_.sample(self.generator_.generate(noise, cond))
                alphas.append(chunk_alphas.cpu().numpy())
                choices.append(chunk_choices.cpu().numpy())
        if not alphas:
            kinds = [span.activation for span in self.transformer_.spans_]
            return np.zeros((0, kinds.count("tanh")), np.float32), np.zeros(
                (0, kinds.count("softmax")), np.int64
            )
        return np.concatenate(alphas), np.concatenate(choices)

    def _to_output(self, raw_columns: list):
        series = [restore_column(spec, raw) for spec, raw in zip(self.columns_, raw_columns)]
        frame = pd.concat(series, axis=1) if series else pd.DataFrame()
        frame.columns = [spec.name for spec in self.columns_]
        if self.input_format_["type"] == "ndarray":
            return frame.to_numpy(dtype=np.dtype(self.input_format_["dtype"]))
        return frame

    # ---------------------------------------------------------- persistence
    def save(self, path):
        """Save the fitted model as safetensors weights plus a JSON description (no pickle).

        Parameters
        ----------
        path : str or os.PathLike
            Destination file, conventionally ``*.gsyn``.

        Returns
        -------
        pathlib.Path
            The path written.
        """
        check_is_fitted(self, "generator_")
        metadata, tensors = tabular_state(self)
        try:
            return save_model(path, "TabularGAN", metadata, tensors)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"cannot save this model: a column holds values that JSON cannot store ({exc})"
            ) from None

    @classmethod
    def _from_state(cls, metadata: dict, tensors: dict, device="cpu") -> TabularGAN:
        return restore_tabular(cls, metadata, tensors, device)
