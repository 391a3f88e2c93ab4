"""The folds of :class:`~gansynth.AugmentedClassifierCV`: one sampler draw per fold, nested
per-class prefixes of it for the smaller amounts, and each candidate scored on the fold's real
held-out rows."""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import clone
from sklearn.exceptions import FitFailedWarning
from sklearn.utils import _safe_indexing

from gansynth.errors import InputError


def synthetic_rows(sampler, X, y):
    """The rows ``sampler`` adds to ``(X, y)``: its output after the original rows."""
    X_res, y_res = sampler.fit_resample(X, y)
    n = len(y)
    if len(y_res) < n or not np.array_equal(np.asarray(y_res)[:n], np.asarray(y)):
        raise InputError(
            f"sampler {type(sampler).__name__} must return the original rows first and append the "
            "synthetic ones, as imbalanced-learn's over-samplers do"
        )
    return _safe_indexing(X_res, np.arange(n, len(y_res))), np.asarray(y_res)[n:]


def _prefix_per_class(y_new, fraction: float) -> np.ndarray:
    """Indices of the first ``fraction`` of each class's synthetic rows, in their drawn order."""
    keep = []
    for label in np.unique(y_new):
        rows = np.flatnonzero(y_new == label)
        keep.append(rows[: int(round(fraction * len(rows)))])
    return np.sort(np.concatenate(keep)) if keep else np.zeros(0, dtype=int)


def _stack(X, X_new):
    if hasattr(X, "iloc"):
        return pd.concat([X, X_new], ignore_index=True)
    if sparse.issparse(X):
        return sparse.vstack([X, X_new]).asformat(X.format)
    return np.concatenate([np.asarray(X), np.asarray(X_new)], axis=0)


def augmented(X, y, X_new, y_new, fraction: float):
    keep = _prefix_per_class(y_new, fraction) if fraction > 0 else np.zeros(0, dtype=int)
    if not len(keep):
        return X, y, 0
    return _stack(X, _safe_indexing(X_new, keep)), np.concatenate([y, y_new[keep]]), len(keep)


def _fit_failed(error_score, what: str, error: Exception):
    if error_score == "raise":
        raise error
    warnings.warn(
        f"{what} failed; its score is {error_score}: {type(error).__name__}: {error}",
        FitFailedWarning,
        stacklevel=3,
    )
    return error_score


def positive_scores(model, X, positive) -> np.ndarray | None:
    """The model's score for class ``positive`` per row (probability, else decision function);
    None when it has neither or ``positive`` is None."""
    if positive is None:
        return None
    if hasattr(model, "predict_proba"):
        return model.predict_proba(X)[:, list(model.classes_).index(positive)]
    if hasattr(model, "decision_function"):
        decision = np.asarray(model.decision_function(X), dtype=float)
        return decision if positive == model.classes_[1] else -decision
    return None


def evaluate_fold(estimator, sampler, draw, X, y, train, test, fractions, scorer, error_score, positive):
    """Per candidate amount on one fold: score, synthetic rows added, held-out positive-class scores.

    The estimator without augmentation comes first and its errors propagate: they are the
    user's to see, not a candidate's failure.
    """
    X_train, y_train = _safe_indexing(X, train), y[train]
    X_test, y_test = _safe_indexing(X, test), y[test]
    missing = np.full(len(test), np.nan)

    def score(X_fit, y_fit):
        model = clone(estimator).fit(X_fit, y_fit)
        held_out = positive_scores(model, X_test, positive)
        return scorer(model, X_test, y_test), missing if held_out is None else held_out

    first, first_held_out = score(X_train, y_train)
    scores, counts, held_out = [first], [0], [first_held_out]
    start = time.perf_counter()
    try:
        X_new, y_new = draw(sampler, X_train, y_train)
    except Exception as error:  # noqa: BLE001 - every failure becomes error_score, as in GridSearchCV
        _fit_failed(error_score, f"sampler {type(sampler).__name__} on a training fold", error)
        rest = len(fractions) - 1
        return scores + [error_score] * rest, counts + [0] * rest, 0.0, held_out + [missing] * rest
    draw_seconds = time.perf_counter() - start
    for fraction in fractions[1:]:
        X_fit, y_fit, n_new = augmented(X_train, y_train, X_new, y_new, fraction)
        try:
            value, predictions = score(X_fit, y_fit)
        except Exception as error:  # noqa: BLE001
            value, predictions = _fit_failed(error_score, f"estimator at amount {fraction}", error), missing
        scores.append(value)
        counts.append(n_new)
        held_out.append(predictions)
    return scores, counts, draw_seconds, held_out
