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

from gansynth._distributed import data_parallel, rank_device
from gansynth._random import draw_seed, torch_generator
from gansynth._torch_utils import resolve_device
from gansynth.errors import InputError
from gansynth.persistence import save_model
from gansynth.tabular.auxiliary import check_auxiliary_target
from gansynth.tabular.calibration import MAX_CALIBRATION
from gansynth.tabular.data_parallel import check_same_encoding, rank_batch, shard, shared_seed, training_seed
from gansynth.tabular.fitting import (
    build_auxiliary_classifier,
    build_networks,
    condition_sampler,
    finish_data_parallel,
    train_model,
)
from gansynth.tabular.logic_detection import learn_logic
from gansynth.tabular.logic_transform import LogicTransform
from gansynth.tabular.model_state import restore_tabular, tabular_state
from gansynth.tabular.sampling_methods import TabularSampling
from gansynth.tabular.schema import as_frame, build_specs
from gansynth.tabular.transformer import DataTransformer

# What "auto" means for a direct fit: the CTGAN paper's settings. Wrappers such as
# GANOversampler replace "auto" with a length and batch of their own rule.
DEFAULT_EPOCHS = 300
DEFAULT_BATCH_SIZE = 500


class TabularGAN(TabularSampling, BaseEstimator):
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
    penalty_interval : int, default=1
        Critic updates per WGAN-GP gradient penalty (lazy regularisation, as StyleGAN2 does
        with its R1 penalty): the penalty is computed on every ``penalty_interval``-th critic
        update, at ``penalty_interval`` times the weight. 1 penalises every update, as CTGAN
        does. The penalty's double backward pass is about a quarter of a step, and 4 made fits
        on Adult and Bank Marketing about a quarter shorter, but on five tables that played no
        part it cost fidelity: column pair trends -0.006 and ML efficacy -0.053 on average
        (``benchmarks/results/penalty_interval.md``), so it is an option, not the default.
    training_precision : {"auto", "float32", "bfloat16"}, default="float32"
        The precision of the networks' forward passes during training. ``"bfloat16"`` runs
        them under :class:`torch.autocast` (mixed precision: weights, optimiser state, losses and
        the output activation stay float32); ``"auto"`` chooses it when training on a CPU that
        computes bfloat16 natively (AVX512-BF16 or AMX) and float32 elsewhere, GPUs included
        (not measured there). Sampling is always float32. On a CPU with AVX512-BF16, bfloat16
        fits took 0.61x-0.67x the time on Adult, Bank Marketing and Credit, with column shapes,
        pair trends and detection AUC unchanged, but the ML efficacy ratio fell by 0.026 on
        average on five tables that played no part
        (``benchmarks/results/training_precision.md``), so it is an option, not the default.
    pac : int, default=10
        Rows the critic scores together (PacGAN).
    log_frequency : bool, default=True
        Draw training conditions at log-frequency rather than raw frequency.
    max_modes : int, default=10
        Most mixture modes per numeric column.
    mixture_max_rows : int, default=10_000
        Each numeric column's mixture is fitted on a random subsample of at most this many rows.
    max_categories : int or None, default=500
        Most one-hot slots for a categorical column's values. A column with more distinct values
        keeps its ``max_categories - 1`` most frequent ones (among those seen at least twice) and
        groups the rest into one "other" slot, so memory and time no longer grow with its
        cardinality; a warning names the column and what was grouped. A generated "other"
        takes a grouped value drawn at its training frequency, independently of the other
        columns, and conditioning on a grouped value is exact (the generator is conditioned on
        "other" and the value is set). A column whose values are all distinct keeps none: its
        values are resampled from the training values. ``None`` never groups (a column of
        50,000 levels then needs gigabytes).
    clip : bool, default=True
        Keep sampled numeric values inside the training range. A value the generator puts
        outside is redrawn from its mixture mode's Gaussian truncated to the range, so no pile
        of rows forms on the bounds (rows sit on a bound as often as the data's own spikes
        there say). ``False`` leaves such values as generated; integer and datetime columns
        still stay within what their dtype holds. Either way integer columns keep exact values,
        numeric columns keep their grid, and spike values (see Notes) are exact.
    marginal_calibration : int, default=2
        Candidate rows generated per row returned by unconditional sampling (at most 16). Above
        1, the rows kept are chosen so that every discrete column's category shares, and the
        shares of numeric columns' spikes and missing values, match the training rows
        (:mod:`gansynth.tabular.calibration`: raked weights and a draw with those inclusion
        probabilities, never rejection); 1 keeps every generated row. Sampling's generator work
        grows by this factor; decoding does not. Rows conditioned through ``conditions`` are
        not calibrated. The default was chosen on Adult and checked on five tables that played
        no part (``benchmarks/results/marginal_calibration.md``): 2 gave about the gain of 4 and
        8 in column shapes and pair trends, for a half and a quarter of their sampling work. A
        model file saved before this parameter existed samples with 1, as it did.
    auxiliary_target : str, int or None, default=None
        A discrete column for an auxiliary classifier loss (AC-GAN, CTAB-GAN+): a small classifier
        (the critic's widths) learns to predict this column from the real encoded rows' other
        columns, and the generator pays its cross-entropy on generated rows against the category
        they carry. It keeps rows of a rare category looking like that category rather than the
        common ones. Training only: a joint GANOversampler fit took about 1.5 times as long
        (``benchmarks/results/auxiliary_loss.md``); sampling is unchanged, and a model file keeps
        only the two parameters, not the classifier.
        ``None`` trains without it.
    auxiliary_weight : float, default=1.0
        The weight of the auxiliary loss in the generator's loss (with ``auxiliary_target``).
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
        Seeds the mixtures, the weights, training and the default sampling stream. The model
        draws from numpy and torch generators of its own and never reads or changes their
        global random state (``None`` seeds from fresh operating-system entropy). The same
        value gives identical weights and samples on CPU with the same torch thread count.

    Attributes
    ----------
    epochs_, batch_size_ : int
        The training length and batch actually used (``"auto"`` resolved; under ``torchrun``,
        the global batch, summed over the workers).
    world_size_ : int
        The number of data-parallel workers that trained the model (1 outside ``torchrun``;
        see :mod:`gansynth.tabular.data_parallel` for how batch and learning rate follow it).
    columns_ : list of ColumnSpec
        The inferred kind, dtype, range and categories of each column.
    constraints_ : list of constraint records
        The table's logic that sampling keeps by construction, detected or declared (see
        ``fit``'s ``constraints``): :class:`~gansynth.FunctionalDependency`,
        :class:`~gansynth.MissingTogether`, :class:`~gansynth.Inequality` and
        :class:`~gansynth.RangeByCategory` records; ``str(record)`` reads as a sentence.
    transformer_ : DataTransformer
        The fitted encoder.
    generator_ : Generator
        The trained generator (in eval mode).
    discriminator_ : Discriminator or None
        The trained critic; ``None`` on a model loaded from a file.
    auxiliary_classifier_ : AuxiliaryClassifier or None
        The trained auxiliary classifier with ``auxiliary_target``; ``None`` without it and on a
        model loaded from a file.
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
      sampled from those values only; so is one with at most 64 values used by 50 rows each on
      average that leave most of their grid unused (a monthly price index).
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
        penalty_interval=1,
        training_precision="float32",
        pac=10,
        log_frequency=True,
        max_modes=10,
        mixture_max_rows=10_000,
        max_categories=500,
        clip=True,
        marginal_calibration=2,
        auxiliary_target=None,
        auxiliary_weight=1.0,
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
        self.penalty_interval = penalty_interval
        self.training_precision = training_precision
        self.pac = pac
        self.log_frequency = log_frequency
        self.max_modes = max_modes
        self.mixture_max_rows = mixture_max_rows
        self.max_categories = max_categories
        self.clip = clip
        self.marginal_calibration = marginal_calibration
        self.auxiliary_target = auxiliary_target
        self.auxiliary_weight = auxiliary_weight
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
        "penalty_interval": [Interval(numbers.Integral, 1, None, closed="left")],
        "training_precision": [StrOptions({"auto", "float32", "bfloat16"})],
        "pac": [Interval(numbers.Integral, 1, None, closed="left")],
        "log_frequency": ["boolean"],
        "max_modes": [Interval(numbers.Integral, 1, None, closed="left")],
        "mixture_max_rows": [Interval(numbers.Integral, 1, None, closed="left")],
        "max_categories": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "clip": ["boolean"],
        # Bounded, so that a model file cannot make sampling allocate without limit.
        "marginal_calibration": [Interval(numbers.Integral, 1, MAX_CALIBRATION, closed="both")],
        "auxiliary_target": [str, numbers.Integral, None],
        "auxiliary_weight": [Interval(numbers.Real, 0, None, closed="neither")],
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
            raise InputError(f"batch_size ({self._batch_size()}) must be a multiple of pac ({self.pac})")
        for name in ("generator_dim", "discriminator_dim"):
            dims = getattr(self, name)
            if not all(isinstance(d, numbers.Integral) and not isinstance(d, bool) and d > 0 for d in dims):
                raise InputError(f"{name} must be a sequence of positive integers; got {dims!r}")

    def fit(
        self, data, discrete_columns="auto", column_kinds=None, condition_shares=None, constraints="auto"
    ):
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
            share. A column named here is never derived from others (see ``constraints``).
        constraints : "auto", None or list, default="auto"
            The table's own logic, kept by construction when sampling (never by rejection) and
            listed in ``constraints_``. ``"auto"`` detects four kinds: functional dependencies
            (a column determined by one or two discrete columns), missingness groups (numeric
            columns missing on the same rows, or exactly when a discrete column takes some
            values), inequalities ``low <= high`` and numeric ranges set by a category. A
            record is detected only when it holds on every row and has enough support (see
            :mod:`gansynth.tabular.logic_detection` for the rule and the bound on its cost).
            ``None`` or ``[]`` keeps no logic. A list mixes kind names to detect
            (``"functional_dependency"``, ``"missing_together"``, ``"inequality"``,
            ``"range_by_category"``, or ``"auto"`` for all four) with records you declare, such
            as ``Inequality("start", "end")``; declared records must hold on every row (a
            ``ValueError`` names the rows' count and the columns otherwise) and win over
            detected ones that conflict. Refitting with a filtered ``model.constraints_`` keeps
            exactly those records.

        Returns
        -------
        self : TabularGAN
            The fitted model.
        """
        self._check_params()
        frame, self.input_format_ = as_frame(data)
        self._learn_columns(frame, discrete_columns, column_kinds)
        check_auxiliary_target(self.auxiliary_target, self.columns_)
        self.epochs_ = DEFAULT_EPOCHS if self.epochs == "auto" else int(self.epochs)
        seed = draw_seed(self.random_state)
        # Under torchrun, one of several workers: see gansynth.tabular.data_parallel for the rule.
        with data_parallel(resolve_device(self.device)) as world:
            self.world_size_ = world.size if world else 1
            self.seed_ = shared_seed(seed, world)
            self.device_ = rank_device(resolve_device(self.device), world)
            rank_batch_size = rank_batch(self._batch_size(), self.pac, world)
            self.batch_size_ = rank_batch_size * self.world_size_

            table, specs = self._learn_logic(frame, constraints, condition_shares)
            self.transformer_ = DataTransformer(
                self.max_modes,
                self.mixture_max_rows,
                self.n_jobs,
                self.seed_,
                max_categories=self.max_categories,
            )
            self.transformer_.fit(table, specs)
            check_same_encoding(self.transformer_, world)
            rows = self.transformer_.encode_rows(shard(table, world))
            self.condition_sampler_ = condition_sampler(self, rows, condition_shares)
            # Two streams on the model's device: the initial weights (the same on every
            # data-parallel rank) and training (seeded apart on each rank).
            weights_rng = torch_generator(self.seed_, self.device_)
            self.generator_, self.discriminator_, self.activation_ = build_networks(self, weights_rng)
            self.auxiliary_classifier_ = build_auxiliary_classifier(self, weights_rng)
            training_rng = torch_generator(training_seed(self.seed_, world), self.device_)
            steps = max(1, len(table) // self.batch_size_)
            self.loss_history_ = train_model(
                self, rows.to(self.device_), training_rng, world, rank_batch_size, steps
            )
            if world is not None:
                self.condition_sampler_ = finish_data_parallel(self, world, condition_shares)
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

    def _learn_logic(self, frame: pd.DataFrame, constraints, condition_shares):
        """Learn ``constraints_``; return the table the engine learns in its place, and its columns."""
        # Columns the training uses by name stay in the engine's table, never derived from others.
        protected = [
            *(condition_shares or ()),
            *([] if self.auxiliary_target is None else [self.auxiliary_target]),
        ]
        self.constraints_ = learn_logic(frame, self.columns_, constraints, protected=protected)
        self._logic_ = LogicTransform(self.constraints_, self.columns_)
        if not self.constraints_:
            return frame, self.columns_
        table, kinds = self._logic_.engine_table(frame, np.random.default_rng([self.seed_, 2]))
        return table, build_specs(table, "auto", kinds)

    def _batch_size(self) -> int:
        return DEFAULT_BATCH_SIZE if self.batch_size == "auto" else int(self.batch_size)

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
            raise InputError(
                f"cannot save this model: a column holds values that JSON cannot store ({exc})"
            ) from None

    @classmethod
    def _from_state(cls, metadata: dict, tensors: dict, device="cpu") -> TabularGAN:
        return restore_tabular(cls, metadata, tensors, device)
