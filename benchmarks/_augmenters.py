"""Augmenter registry for the downstream benchmark.

An augmenter takes a training frame and binary labels (1 = minority) and returns a training set
with the minority class grown to the majority count. Every augmenter is used the way a careful
user would use it: k-NN samplers get NaN imputed and ``k_neighbors`` shrunk for tiny classes;
SDV synthesizers are fitted on the minority rows alone (one synthesizer per class to generate,
which avoids conditional rejection sampling) and asked for exactly the missing rows.

New augmenters plug in by name: add a factory to ``_FACTORIES`` (name -> callable returning an
``augment(X, y, random_state)`` function). ``GANOversampler`` variants are included automatically
once ``gansynth.GANOversampler`` is importable.

The methods ``gansynth compare`` offers too (none, class weights, RandomOverSampler, SMOTE,
GANOversampler, AugmentedClassifierCV) come from ``gansynth.comparison.methods``; this module adds
the benchmark-only ones (ADASYN, BorderlineSMOTE, SDV's synthesizers, TabularGAN on the minority).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd

from gansynth.comparison.methods import (
    Method,
    categorical_columns,
    gan_oversampler,
    impute,
    neighbours,
    no_resampling,
    random_oversampler,
    smote_family,
)

Augment = Callable[[pd.DataFrame, np.ndarray, int], tuple[pd.DataFrame, np.ndarray]]

# Cost tiers order the work so a partially finished run still covers the cheap methods everywhere.
CHEAP, GENERATOR = 0, 1


@dataclass(frozen=True)
class AugmenterSpec:
    """One named augmenter: how to build it and how expensive it is."""

    name: str
    factory: Callable[..., Augment]
    tier: int = CHEAP
    options: dict = field(default_factory=dict)

    def build(self) -> Augment:
        return self.factory(**self.options)

    def method(self) -> Method:
        """The library's view of this augmenter: how it changes the training rows or the classifier."""
        base = self.name.split("[", 1)[0]
        if base in ("none", "class weights"):
            return Method(self.name, balanced=base == "class weights")
        if base == "AugmentedClassifierCV":
            own = {k: v for k, v in self.options.items() if k in ("cv", "amounts")}
            gan = {k: v for k, v in self.options.items() if k not in own}
            return Method(self.name, augmented_cv=own, gan_params=gan)
        if base == "GANOversampler":
            return Method(self.name, augment=self.build(), gan_params=dict(self.options))
        return Method(self.name, augment=self.build())


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


_categorical_columns = categorical_columns


def _minority_size(y: np.ndarray) -> int:
    return int(np.sum(y == 1))


_neighbours = neighbours


def _missing_rows(y: np.ndarray) -> int:
    return max(int(np.sum(y == 0)) - _minority_size(y), 0)


def _append(X, y, synthetic: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    synthetic = synthetic[X.columns]
    for column in X.columns:
        synthetic[column] = synthetic[column].astype(X[column].dtype)
    X_out = pd.concat([X, synthetic], ignore_index=True)
    return X_out, np.concatenate([y, np.ones(len(synthetic), dtype=y.dtype)])


# ---------------------------------------------------------------------------------------------
# factories
# ---------------------------------------------------------------------------------------------


def _none() -> Augment:
    return no_resampling


def _random_oversampler() -> Augment:
    return random_oversampler


def _smote_family() -> Augment:
    """SMOTE, SMOTENC or SMOTEN, whichever fits the column kinds."""
    return smote_family


def _numeric_only(make_sampler: Callable[[np.ndarray, int], object]) -> Augment:
    """Run a numeric-only sampler on one-hot encoded categoricals, then decode by arg-max.

    ADASYN and BorderlineSMOTE have no categorical variants; one-hot in, arg-max out is the
    usual way to apply them to mixed tables.
    """

    def augment(X, y, random_state):
        X = impute(X)
        categorical = _categorical_columns(X)
        numeric = [c for c in X.columns if c not in categorical]
        encoded = pd.get_dummies(X, columns=categorical, prefix_sep="\x1f", dtype=float)
        dummy_groups = {c: [d for d in encoded.columns if d.startswith(f"{c}\x1f")] for c in categorical}
        sampler = make_sampler(y, random_state)
        X_res, y_res = sampler.fit_resample(encoded.to_numpy(dtype=float), y)
        X_res = pd.DataFrame(X_res, columns=encoded.columns)
        out = pd.DataFrame(index=range(len(X_res)))
        for column in X.columns:
            if column in numeric:
                values = X_res[column].to_numpy()
                if pd.api.types.is_integer_dtype(X[column]):
                    values = np.round(values)
                out[column] = values.astype(X[column].dtype)
            else:
                dummies = dummy_groups[column]
                labels = [d.split("\x1f", 1)[1] for d in dummies]
                chosen = np.asarray(labels, dtype=object)[X_res[dummies].to_numpy().argmax(axis=1)]
                # get_dummies turned category values into strings; map back to the real values.
                lookup = {str(v): v for v in X[column].cat.categories}
                out[column] = pd.Categorical([lookup[v] for v in chosen], categories=X[column].cat.categories)
        return out, np.asarray(y_res)

    return augment


def _adasyn() -> Augment:
    def make(y, random_state):
        from imblearn.over_sampling import ADASYN

        return ADASYN(n_neighbors=_neighbours(y), random_state=random_state)

    return _numeric_only(make)


def _borderline_smote() -> Augment:
    def make(y, random_state):
        from imblearn.over_sampling import BorderlineSMOTE

        return BorderlineSMOTE(k_neighbors=_neighbours(y), random_state=random_state)

    return _numeric_only(make)


_SDV_TABLE = "minority"


def _sdv_metadata(X: pd.DataFrame):
    from sdv.metadata import Metadata

    # Declared explicitly: auto-detection may call a unique numeric column an id and sample
    # fresh keys instead of values.
    columns = {
        c: {"sdtype": "categorical" if c in _categorical_columns(X) else "numerical"} for c in X.columns
    }
    return Metadata.load_from_dict({"tables": {_SDV_TABLE: {"columns": columns}}})


def _sdv(kind: str, **synth_options) -> Augment:
    def augment(X, y, random_state):
        import sdv.single_table as st

        n_new = _missing_rows(y)
        if n_new == 0:
            return X, y
        minority = X[y == 1].reset_index(drop=True)
        # SDV fits categorical columns best from plain values; the dtypes are restored on append.
        plain = minority.astype(dict.fromkeys(_categorical_columns(minority), object))
        cls = {
            "gaussian_copula": st.GaussianCopulaSynthesizer,
            "ctgan": st.CTGANSynthesizer,
            "tvae": st.TVAESynthesizer,
        }[kind]
        synthesizer = cls(_sdv_metadata(minority), **synth_options)
        _seed_everything(random_state)
        # SDV 2 takes and returns {table name: frame}, even for one table.
        synthesizer.fit({_SDV_TABLE: plain})
        synthetic = synthesizer.sample(num_rows=n_new)
        if isinstance(synthetic, dict):
            synthetic = synthetic[_SDV_TABLE]
        return _append(X, y, synthetic)

    return augment


def _seed_everything(random_state: int) -> None:
    # SDV exposes no random_state argument; its synthesizers draw from numpy's and torch's
    # global generators, so seeding those makes a run repeatable on CPU.
    np.random.seed(random_state)  # noqa: NPY002 (SDV reads the legacy global generator)
    try:
        import torch

        torch.manual_seed(random_state)
    except ImportError:  # pragma: no cover - torch is a hard dependency of gansynth
        pass


def _gan_oversampler(**params) -> Augment:
    """GANOversampler with ``params``: the sampler's own options go to the sampler, the rest to a
    clone of its default generator (``epochs=1500`` trains every GAN 1500 epochs)."""
    return gan_oversampler(**params)


def _tabular_gan_minority() -> Augment:
    """gansynth's TabularGAN fitted on the minority rows alone, the way SDV's synthesizers are
    used here, with GANOversampler's default generator and the training length its rows were run
    with (one step per row, the joint rule): it tests whether the class-conditional GAN's losses
    come from learning the minority inside the whole table."""

    def augment(X, y, random_state):
        from sklearn.base import clone

        from gansynth.sampling.tabular import default_generator, training_plan

        n_new = _missing_rows(y)
        if n_new == 0:
            return X, y
        minority = X[y == 1].reset_index(drop=True)
        # A column with no value among the minority rows is refused by TabularGAN; it stays NaN.
        kept = minority.loc[:, minority.notna().any()]
        gan = clone(default_generator())
        batch, epochs, _ = training_plan(gan, len(minority), per_class=False)
        gan.set_params(batch_size=batch, epochs=epochs, random_state=random_state)
        gan.fit(kept, discrete_columns=_categorical_columns(kept))
        return _append(X, y, gan.sample(n_new).reindex(columns=minority.columns))

    return augment


def gan_oversampler_available() -> bool:
    """Whether ``gansynth.GANOversampler`` can be imported in this environment."""
    try:
        import gansynth

        gansynth.GANOversampler  # noqa: B018 - the lazy import is the check
    except (ImportError, AttributeError):
        return False
    return True


# ---------------------------------------------------------------------------------------------
# registry
# ---------------------------------------------------------------------------------------------

_FACTORIES: dict[str, tuple[Callable[..., Augment], int]] = {
    "none": (_none, CHEAP),
    "RandomOverSampler": (_random_oversampler, CHEAP),
    "SMOTE": (_smote_family, CHEAP),
    "ADASYN": (_adasyn, CHEAP),
    "BorderlineSMOTE": (_borderline_smote, CHEAP),
    # partial, not lambda: specs travel to spawned worker processes by pickle.
    "GaussianCopula": (partial(_sdv, "gaussian_copula"), GENERATOR),
    "CTGAN": (partial(_sdv, "ctgan"), GENERATOR),
    "TVAE": (partial(_sdv, "tvae"), GENERATOR),
    "GANOversampler": (_gan_oversampler, GENERATOR),
    # Not resamplers: class weights change the classifier's loss; AugmentedClassifierCV wraps the
    # classifier and fits its own GANs (their rows never reach the cell's shared training set).
    "class weights": (_none, CHEAP),
    "AugmentedClassifierCV": (_none, GENERATOR),
    "TabularGAN-minority": (_tabular_gan_minority, GENERATOR),
}


def augmenter_names() -> list[str]:
    """All names the registry knows, in presentation order."""
    return list(_FACTORIES)


def make_spec(name: str, options: dict | None = None) -> AugmenterSpec:
    """Build the spec for a registered augmenter, with factory options (e.g. ``epochs``).

    A variant is named ``base[label]`` (e.g. ``GANOversampler[epochs=50]``) and uses the factory of
    ``base``; its options come from ``options``.
    """
    base = name.split("[", 1)[0]
    if base not in _FACTORIES:
        raise KeyError(f"unknown augmenter {name!r}; known: {', '.join(_FACTORIES)}")
    factory, tier = _FACTORIES[base]
    return AugmenterSpec(name, factory, tier, dict(options or {}))
