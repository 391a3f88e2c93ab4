"""The methods compared: no augmentation, class weights, resamplers, GANOversampler, AugmentedClassifierCV.

A method either resamples the training rows (``augment(X, y, random_state)`` returns a training
set with the minority, labelled 1, grown to the majority count), weights the classes, or wraps the
classifier (:class:`~gansynth.AugmentedClassifierCV`). Every resampler is used the way a careful
user would use it: k-NN samplers get NaN imputed and ``k_neighbors`` shrunk for tiny classes.

:func:`evaluate` fits one method with one classifier and scores it on test rows, at the 0.5
threshold and at thresholds tuned on held-out training rows: for every method the training rows
are split into folds, the method is applied to each fold's training part (resampling included),
and the threshold is tuned on the held-out parts, which no model saw and which hold no synthetic
rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold

from gansynth._augmented_folds import positive_scores
from gansynth.comparison.classifiers import (
    as_imputable,
    balanced_fit_params,
    make_classifier,
    score,
    tuned_thresholds,
)
from gansynth.errors import InputError
from gansynth.model_selection import AugmentedClassifierCV

Augment = Callable[[pd.DataFrame, np.ndarray, int], tuple[pd.DataFrame, np.ndarray]]
INNER_FOLDS = 5


def categorical_columns(X: pd.DataFrame) -> list:
    return [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]


def impute(X: pd.DataFrame) -> pd.DataFrame:
    """Median for numeric columns, most frequent value for categorical ones; dtypes are kept."""
    out = X.copy()
    for column in out.columns:
        if not out[column].isna().any():
            continue
        if pd.api.types.is_numeric_dtype(out[column]):
            fill = out[column].median()
            fill = 0.0 if np.isnan(fill) else fill
        else:
            modes = out[column].mode(dropna=True)
            fill = modes.iloc[0] if len(modes) else None
        if fill is not None:
            out[column] = out[column].fillna(fill)
    return out


def neighbours(y: np.ndarray, wanted: int = 5) -> int:
    """``k`` for a k-NN sampler: ``wanted``, shrunk to the minority size − 1."""
    n_min = int(np.sum(y == 1))
    if n_min < 2:
        raise InputError(f"minority class has {n_min} row(s); k-NN oversampling needs at least 2")
    return min(wanted, n_min - 1)


def no_resampling(X, y, random_state):
    return X, y


def random_oversampler(X, y, random_state):
    from imblearn.over_sampling import RandomOverSampler

    return RandomOverSampler(random_state=random_state).fit_resample(X, y)


def smote_family(X, y, random_state):
    """SMOTE, SMOTENC or SMOTEN, whichever fits the column kinds, after imputation."""
    from imblearn.over_sampling import SMOTE, SMOTEN, SMOTENC

    X = impute(X)
    k = neighbours(y)
    categorical = categorical_columns(X)
    if not categorical:
        sampler = SMOTE(k_neighbors=k, random_state=random_state)
    elif len(categorical) == X.shape[1]:
        sampler = SMOTEN(k_neighbors=k, random_state=random_state)
    else:
        sampler = SMOTENC(categorical_features=categorical, k_neighbors=k, random_state=random_state)
    return sampler.fit_resample(X, y)


def gan_oversampler(**params) -> Augment:
    """``GANOversampler`` with ``params``: the sampler's own options go to the sampler, the rest to a
    clone of its default generator (``epochs=1500`` trains every GAN 1500 epochs)."""

    def augment(X, y, random_state):
        sampler = make_gan_oversampler(params, random_state)
        X_res, y_res = sampler.fit_resample(X, y)
        return X_res, np.asarray(y_res)

    return augment


def make_gan_oversampler(params: dict, random_state):
    """A ``GANOversampler`` seeded by ``random_state``: ``params`` it knows go to it, the rest to a
    clone of its default generator; a name neither knows is an error, not a silent default."""
    from gansynth.sampling.tabular import GANOversampler, default_generator  # lazy: torch when a GAN runs

    generator = clone(default_generator())
    own = set(GANOversampler().get_params(deep=False)) - set(generator.get_params())
    unknown = sorted(set(params) - own - set(generator.get_params()))
    if unknown:  # a variant whose options are ignored would silently equal the default
        raise TypeError(f"GANOversampler and TabularGAN accept neither of {unknown}")
    generator.set_params(**{k: v for k, v in params.items() if k not in own})
    return GANOversampler(
        generator=generator, random_state=random_state, **{k: v for k, v in params.items() if k in own}
    )


@dataclass(frozen=True)
class Method:
    """One way to train a classifier on imbalanced rows.

    ``augment`` resamples the training rows (None: they are used as they are); ``balanced``
    weights the classes; ``augmented_cv`` (options for :class:`~gansynth.AugmentedClassifierCV`,
    whose sampler is a ``GANOversampler`` built from ``gan_params``) wraps the classifier instead.
    ``gan_params`` also configures the GANOversampler that ``augment`` uses, so its threshold can
    be tuned from the same per-fold draws.
    """

    name: str
    augment: Augment | None = None
    balanced: bool = False
    augmented_cv: dict | None = None
    gan_params: dict | None = None
    options: dict = field(default_factory=dict)

    @property
    def uses_gan(self) -> bool:
        return self.gan_params is not None


def registry() -> dict[str, Method]:
    """The methods of ``gansynth compare``, by name, in presentation order."""
    return {
        "none": Method("none"),
        "class weights": Method("class weights", balanced=True),
        "RandomOverSampler": Method("RandomOverSampler", augment=random_oversampler),
        "SMOTE": Method("SMOTE", augment=smote_family),
        "GANOversampler": Method("GANOversampler", augment=gan_oversampler(), gan_params={}),
        "AugmentedClassifierCV": Method("AugmentedClassifierCV", augmented_cv={}, gan_params={}),
    }


def inner_folds(y, wanted: int = INNER_FOLDS) -> int:
    """Folds for tuning on the training rows: ``wanted``, at most the minority count."""
    return int(min(wanted, np.sum(np.asarray(y) == 1)))


def _augmented_cv(method: Method, classifier: str, X, y, seed, memory, inner_cv) -> AugmentedClassifierCV:
    options = {
        "cv": inner_folds(y, inner_cv),
        "random_state": seed,
        "memory": memory,
        **(method.augmented_cv or {}),
    }
    return AugmentedClassifierCV(
        make_classifier(classifier, X, seed, balanced=method.balanced),
        sampler=make_gan_oversampler(method.gan_params or {}, None),
        **options,
    )


def _fit_plain(method, classifier, X, y, seed):
    model = make_classifier(classifier, X, seed, balanced=method.balanced)
    params = balanced_fit_params(classifier, y) if method.balanced else {}
    return model.fit(X, y, **params)


def held_out_scores(
    method: Method, classifier: str, X, y, seed, memory=None, inner_cv=INNER_FOLDS
) -> np.ndarray | None:
    """Minority scores of every training row from a model of ``method`` that did not see it.

    The folds are ``inner_cv`` stratified folds of the training rows (fewer for a tiny
    minority); a GAN method takes AugmentedClassifierCV's per-fold draws, so that with a shared
    ``memory`` it costs no GAN fit that AugmentedClassifierCV did not make already.
    """
    folds = inner_folds(y, inner_cv)
    if folds < 2:
        return None
    if method.uses_gan:
        # The GAN draws of AugmentedClassifierCV's folds, shared through ``memory`` with it.
        options = {"amounts": (1.0,)} if method.augmented_cv is None else {}
        model = _augmented_cv(method, classifier, X, y, seed, memory, inner_cv).set_params(**options)
        model._cross_validate(as_imputable(X), y)
        return model.cv_predictions_[model.best_index_ if method.augmented_cv is not None else -1]
    scores = np.full(len(y), np.nan)
    for train, test in StratifiedKFold(folds).split(X, y):
        X_fit, y_fit = X.iloc[train].reset_index(drop=True), y[train]
        if method.augment is not None:
            X_fit, y_fit = method.augment(X_fit, y_fit, seed)
            X_fit, y_fit = pd.DataFrame(X_fit, columns=X.columns), np.asarray(y_fit)
        model = _fit_plain(method, classifier, as_imputable(X_fit), y_fit, seed)
        scores[test] = positive_scores(model, as_imputable(X.iloc[test]), 1)
    return scores


def evaluate(
    method: Method,
    classifier: str,
    X_train,
    y_train,
    X_test,
    y_test,
    seed,
    *,
    augmented=None,
    memory=None,
    tune=True,
    inner_cv=INNER_FOLDS,
) -> dict:
    """Fit ``method`` with ``classifier`` on the training rows and score it on the test rows.

    ``augmented`` is the method's resampled ``(X, y)`` when the caller made it already (it is
    shared between classifiers). ``inner_cv`` folds of the training rows tune the thresholds (and
    AugmentedClassifierCV's amount, unless its options set ``cv``); ``tune=False`` skips the
    tuning. Returns :data:`~gansynth.comparison.classifiers.METRICS` plus
    ``n_synthetic`` and ``amount`` (AugmentedClassifierCV's choice).
    """
    extra = {}
    if method.augmented_cv is not None:
        model = _augmented_cv(method, classifier, X_train, y_train, seed, memory, inner_cv)
        model.fit(as_imputable(X_train), y_train)
        held_out = model.cv_predictions_[model.best_index_] if tune else None
        extra = {"amount": model.best_params_["amount"], "n_synthetic": model.n_synthetic_}
    else:
        X_fit, y_fit = augmented if augmented is not None else (X_train, y_train)
        if augmented is None and method.augment is not None:
            X_fit, y_fit = method.augment(X_train, y_train, seed)
        X_fit, y_fit = pd.DataFrame(X_fit, columns=X_train.columns), np.asarray(y_fit)
        model = _fit_plain(method, classifier, as_imputable(X_fit), y_fit, seed)
        held_out = (
            held_out_scores(method, classifier, X_train, y_train, seed, memory, inner_cv) if tune else None
        )
        extra = {"n_synthetic": len(y_fit) - len(y_train)}
    test_scores = positive_scores(model, as_imputable(X_test), 1)
    thresholds = None
    if held_out is not None and not np.isnan(held_out).any():
        thresholds = tuned_thresholds(y_train, held_out)
    return {**score(y_test, test_scores, thresholds), **extra}
