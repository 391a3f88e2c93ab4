"""``AugmentedClassifierCV``: augment only as much as cross-validation on the training rows says helps.

For each fold of the training rows, the sampler is fitted once and its largest amount of
synthetic rows drawn once; every smaller amount takes, per class, a prefix of those rows. So
the cost is one sampler fit per fold (plus one for the refit), not one per candidate amount.
"""

from __future__ import annotations

import inspect
import numbers
import warnings

import numpy as np
from joblib import Parallel, delayed
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.metrics import check_scoring, get_scorer, make_scorer
from sklearn.model_selection import check_cv
from sklearn.utils import check_random_state, get_tags
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _num_samples, check_is_fitted, check_memory, column_or_1d

from gansynth._augmented_folds import augmented, evaluate_fold, synthetic_rows
from gansynth.errors import InputError

DEFAULT_AMOUNTS = (0.25, 0.5, 1.0)


def score_table(amounts, scores) -> dict:
    """``cv_results_`` entries from per-fold scores (candidates x folds) of the sorted ``amounts``."""
    scores = np.asarray(scores, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a candidate failing on every fold
        means, stds = scores.mean(axis=1), scores.std(axis=1)
    # Ties (and failed candidates) go to the smaller amount: augmentation must earn its place.
    ranking = np.lexsort((np.asarray(amounts), -np.nan_to_num(means, nan=-np.inf)))
    ranks = np.empty(len(amounts), dtype=np.int32)
    ranks[ranking] = np.arange(1, len(amounts) + 1)
    return {
        "amount": np.asarray(amounts, dtype=float),
        "params": [{"amount": float(a)} for a in amounts],
        "mean_test_score": means,
        "std_test_score": stds,
        "rank_test_score": ranks,
        **{f"split{k}_test_score": scores[:, k] for k in range(scores.shape[1])},
    }


def best_mean(cv_results: dict) -> int:
    """Index of the amount with the best mean score; ties (and failures) go to the smaller amount."""
    return int(np.flatnonzero(cv_results["rank_test_score"] == 1)[0])


def fold_majority(cv_results: dict) -> int:
    """The best-mean amount if it beats no augmentation (index 0) on more than half of the folds,
    else no augmentation: a mean lifted by one lucky fold does not earn augmentation."""
    best = best_mean(cv_results)
    folds = [key for key in cv_results if key.startswith("split") and key.endswith("_test_score")]
    scores = np.array([cv_results[key] for key in folds], dtype=float)  # folds x candidates
    with np.errstate(invalid="ignore"):
        wins = np.sum(scores[:, best] > scores[:, 0])
    return best if wins > len(folds) / 2 else 0


SELECTIONS = {"mean": best_mean, "fold_majority": fold_majority}


def _default_sampler():
    from gansynth.sampling.tabular import GANOversampler  # lazy: torch only when it is used

    return GANOversampler()


def _rarer_class(y):
    """With two classes, the rarer one (on a tie the second, scikit-learn's usual positive class)."""
    classes, counts = np.unique(y, return_counts=True)
    if len(classes) != 2:
        return None
    return classes.tolist()[0 if counts[0] < counts[1] else 1]


def _estimator_has(attribute):
    def check(self):
        if hasattr(self, "best_estimator_"):
            return hasattr(self.best_estimator_, attribute)
        return hasattr(self.estimator, attribute)

    return check


class AugmentedClassifierCV(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """A classifier trained on as many synthetic rows as cross-validation says help, possibly none.

    ``fit`` splits the training rows into ``cv`` folds. On each fold it fits ``sampler`` once on
    the training part, keeps the synthetic rows it adds, and scores ``estimator`` trained on the
    real rows plus each candidate share of those rows (per class, a prefix of them, so the
    smaller amounts are nested in the larger ones). No augmentation (amount 0) is always a
    candidate. ``selection`` chooses the amount from the folds' scores (by default the best mean
    score, ties going to the smaller amount); ``estimator`` is then refitted on all training rows
    plus that share of synthetic rows from one more sampler fit on all of them. Test folds never
    see synthetic rows.

    Parameters
    ----------
    estimator : classifier
        Cloned for every fit.
    sampler : imbalanced-learn over-sampler or None, default=None
        Anything with ``fit_resample`` that returns the original rows first and appends synthetic
        ones. ``None`` is :class:`~gansynth.GANOversampler` with its defaults. Cloned per fit.
    amounts : sequence of float in [0, 1], default=(0.25, 0.5, 1.0)
        Shares of the synthetic rows the sampler makes (per class) to try. 1 is the sampler's own
        output (by default, up to balanced classes); 0 (no augmentation) is always added.
    cv : int, cross-validation generator or iterable, default=5
        As in scikit-learn (an int is a :class:`~sklearn.model_selection.StratifiedKFold`).
    scoring : str, callable or None, default="average_precision"
        What the amount is chosen for, as in scikit-learn. ``None`` is the estimator's ``score``.
        With two classes, a named scoring that has a positive class (``"average_precision"``,
        ``"f1"``, ``"precision"``, ``"recall"``, ...) takes the rarer class as positive.
    n_jobs : int or None, default=None
        Folds evaluated in parallel (scikit-learn's meaning).
    random_state : int, RandomState instance or None, default=None
        Seeds the sampler of each fold and of the refit, when it has a ``random_state``
        parameter; ``None`` leaves the sampler's own.
    selection : {"mean", "fold_majority"} or callable, default="mean"
        How the amount is chosen from ``cv_results_``. ``"mean"``: the best mean score, ties
        going to the smaller amount. ``"fold_majority"``: that amount only if it also beats no
        augmentation on more than half of the folds, else no augmentation. A callable takes
        ``cv_results_`` and returns the index of the chosen candidate, as ``refit`` does in
        :class:`~sklearn.model_selection.GridSearchCV`.
    error_score : "raise" or float, default=np.nan
        Score of a candidate whose sampler or estimator fails on a fold, with a
        ``FitFailedWarning``; ``"raise"`` raises instead. A failing sampler makes every augmented
        candidate fail on that fold, so no augmentation wins.
    memory : str, joblib.Memory or None, default=None
        Caches the sampler's draws (as in scikit-learn's ``Pipeline``): fits of several
        estimators on the same rows, folds and seeds then share one sampler fit per fold.

    Attributes
    ----------
    best_estimator_ : classifier
        ``estimator`` refitted on the training rows plus the chosen synthetic rows.
    best_params_ : dict
        ``{"amount": chosen amount}``.
    best_index_ : int
        Index of the chosen candidate in ``cv_results_``.
    best_score_ : float
        Its mean cross-validated score.
    cv_results_ : dict of numpy arrays
        Per candidate: ``amount``, ``params``, ``mean_test_score``, ``std_test_score``,
        ``rank_test_score``, ``split<k>_test_score``, ``mean_n_synthetic`` (rows added per fold).
    sampler_ : over-sampler or None
        The sampler fitted on all training rows; ``None`` when no augmentation won.
    n_synthetic_ : int
        Synthetic rows the refitted estimator was trained on.
    classes_ : numpy.ndarray
        Class labels.
    scorer_ : callable
        The scorer used.
    n_splits_ : int
        Number of folds.
    mean_sampler_seconds_ : float
        Mean wall-clock time of one sampler fit on a fold.
    positive_class_ : label or None
        With two classes, the rarer one (on a tie, the second); None otherwise.
    cv_predictions_ : numpy.ndarray of shape (n_candidates, n_samples) or None
        With two classes, each training row's score for ``positive_class_`` (probability, else
        decision function) from the fold model that did not see it, per candidate amount: rows no
        model saw, on which a decision threshold can be tuned. NaN where a candidate failed.

    Examples
    --------
    >>> from sklearn.ensemble import HistGradientBoostingClassifier
    >>> from gansynth import AugmentedClassifierCV
    >>> model = AugmentedClassifierCV(HistGradientBoostingClassifier(), cv=5, random_state=0)
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"])],
        "sampler": [HasMethods(["fit_resample"]), None],
        "amounts": ["array-like"],
        "cv": ["cv_object"],
        "scoring": [str, callable, None],
        "n_jobs": [numbers.Integral, None],
        "random_state": ["random_state"],
        "selection": [StrOptions(set(SELECTIONS)), callable],
        "error_score": [StrOptions({"raise"}), numbers.Real],
        "memory": [None, str, HasMethods(["cache"])],
    }

    def __init__(
        self,
        estimator,
        *,
        sampler=None,
        amounts=DEFAULT_AMOUNTS,
        cv=5,
        scoring="average_precision",
        n_jobs=None,
        random_state=None,
        selection="mean",
        error_score=np.nan,
        memory=None,
    ):
        self.estimator = estimator
        self.sampler = sampler
        self.amounts = amounts
        self.cv = cv
        self.scoring = scoring
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.selection = selection
        self.error_score = error_score
        self.memory = memory

    # ------------------------------------------------------------ checks
    def _fractions(self) -> list[float]:
        try:
            values = np.asarray(self.amounts, dtype=float).ravel()
        except (TypeError, ValueError):
            raise InputError(f"amounts must be numbers in [0, 1]; got {self.amounts!r}") from None
        if not len(values) or not np.all(np.isfinite(values)) or values.min() < 0 or values.max() > 1:
            raise InputError(f"amounts must be numbers in [0, 1]; got {self.amounts!r}")
        return sorted({0.0, *values.tolist()})

    def _check_scorer(self, y):
        scorer = self._minority_scorer(y) or check_scoring(self.estimator, scoring=self.scoring)
        needed = getattr(scorer, "_response_method", None)
        if needed is not None:
            methods = (needed,) if isinstance(needed, str) else tuple(needed)
            if not any(hasattr(self.estimator, method) for method in methods):
                raise InputError(
                    f"scoring={self.scoring!r} needs {' or '.join(methods)}, which "
                    f"{type(self.estimator).__name__} does not have; pass a scoring that uses predict "
                    "(e.g. 'balanced_accuracy' or 'f1') or an estimator with predicted probabilities"
                )
        return scorer

    def _minority_scorer(self, y):
        """For two classes and a named scoring with a positive class (average precision, F1, ...),
        that scoring with the rarer class as positive: the class augmentation is for."""
        if not isinstance(self.scoring, str):
            return None
        scorer = get_scorer(self.scoring)
        function = getattr(scorer, "_score_func", None)
        positive = _rarer_class(y)
        if positive is None or function is None or "pos_label" not in inspect.signature(function).parameters:
            return None
        return make_scorer(
            function,
            response_method=scorer._response_method,
            greater_is_better=scorer._sign > 0,
            **{**scorer._kwargs, "pos_label": positive},
        )

    def _check_y(self, y) -> np.ndarray:
        if y is None:
            raise InputError(f"{type(self).__name__} requires y to be passed, but the target y is None")
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        classes, counts = np.unique(y, return_counts=True)
        if len(classes) < 2:
            raise InputError(
                f"y has one class ({classes.tolist()[0]!r}): AugmentedClassifierCV needs at least two "
                "classes to train a classifier and choose an augmentation"
                if len(classes)
                else "y is empty"
            )
        if isinstance(self.cv, numbers.Integral) and self.cv > counts.min():
            rarest = classes.tolist()[int(np.argmin(counts))]
            raise InputError(
                f"cv={self.cv} is larger than the {counts.min()} row(s) of class {rarest!r}: every fold "
                f"needs one. Use cv={max(2, counts.min())} or fewer folds"
                + (" (or gather more rows of that class)." if counts.min() < 2 else ".")
            )
        return y

    def _sampler_for(self, seed):
        sampler = clone(self.sampler) if self.sampler is not None else _default_sampler()
        if seed is not None and "random_state" in sampler.get_params(deep=False):
            sampler.set_params(random_state=seed)
        return sampler

    # ------------------------------------------------------------ fit
    def fit(self, X, y):
        """Choose the augmentation amount by cross-validation, then refit on it.

        Parameters
        ----------
        X : array-like, sparse matrix or DataFrame of shape (n_samples, n_features)
            Training rows, as ``estimator`` and ``sampler`` accept them.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : AugmentedClassifierCV
        """
        self._refit(*self._cross_validate(X, y))
        return self

    def _cross_validate(self, X, y):
        """Everything ``fit`` does but the refit; returns what the refit needs: the checked ``X``
        and ``y``, the (possibly cached) draw function and the refit's sampler seed."""
        self._validate_params()
        fractions = self._fractions()
        y = self._check_y(y)
        if sparse.issparse(X):
            X = X.tocsr()  # row indexing; the formats without it (coo, dia, bsr) convert losslessly
        elif not hasattr(X, "shape") and not hasattr(X, "iloc"):
            X = np.asarray(X)
        if _num_samples(X) != len(y):
            raise InputError(f"X has {_num_samples(X)} rows but y has {len(y)} labels")
        scorer = self._check_scorer(y)
        self.positive_class_ = _rarer_class(y)
        splits = list(check_cv(self.cv, y, classifier=True).split(X, y))
        rng = check_random_state(self.random_state)
        seeds = (
            rng.randint(np.iinfo(np.int32).max, size=len(splits) + 1).tolist()
            if self.random_state is not None
            else [None] * (len(splits) + 1)
        )
        draw = check_memory(self.memory).cache(synthetic_rows)
        folds = Parallel(n_jobs=self.n_jobs)(
            delayed(evaluate_fold)(
                self.estimator,
                self._sampler_for(seed),
                draw,
                X,
                y,
                train,
                test,
                fractions,
                scorer,
                self.error_score,
                self.positive_class_,
            )
            for (train, test), seed in zip(splits, seeds)
        )
        self._store_results(fractions, folds)
        self.cv_predictions_ = None
        if self.positive_class_ is not None:
            self.cv_predictions_ = np.full((len(fractions), len(y)), np.nan)
            for (_, test), fold in zip(splits, folds):
                self.cv_predictions_[:, test] = np.asarray(fold[3])
        self.scorer_, self.n_splits_ = scorer, len(splits)
        return X, y, draw, seeds[-1]

    def _store_results(self, fractions, folds) -> None:
        scores = np.array([fold[0] for fold in folds], dtype=float).T  # candidates x folds
        counts = np.array([fold[1] for fold in folds], dtype=float).T
        self.cv_results_ = {**score_table(fractions, scores), "mean_n_synthetic": counts.mean(axis=1)}
        if np.isnan(self.cv_results_["mean_test_score"][0]):
            raise InputError(
                "the estimator failed without augmentation on at least one fold; "
                "pass error_score='raise' to see why"
            )
        best = self._select(fractions)
        self.best_index_ = best
        self.best_params_ = {"amount": fractions[best]}
        self.best_score_ = float(self.cv_results_["mean_test_score"][best])
        self.mean_sampler_seconds_ = float(np.mean([fold[2] for fold in folds]))

    def _select(self, fractions) -> int:
        select = SELECTIONS[self.selection] if isinstance(self.selection, str) else self.selection
        best = select(self.cv_results_)
        if not isinstance(best, numbers.Integral) or not 0 <= best < len(fractions):
            raise InputError(
                f"selection returned {best!r}; it must return the index of a candidate in "
                f"cv_results_, an integer from 0 to {len(fractions) - 1}"
            )
        return int(best)

    def _refit(self, X, y, draw, seed) -> None:
        fraction = self.best_params_["amount"]
        self.sampler_, self.n_synthetic_ = None, 0
        X_fit, y_fit = X, y
        if fraction > 0:
            sampler = self._sampler_for(seed)
            X_new, y_new = draw(sampler, X, y)
            X_fit, y_fit, self.n_synthetic_ = augmented(X, y, X_new, y_new, fraction)
            self.sampler_ = sampler if self.memory is None else None  # a cached draw fitted no sampler here
        self.best_estimator_ = clone(self.estimator).fit(X_fit, y_fit)
        self.classes_ = self.best_estimator_.classes_
        for name in ("n_features_in_", "feature_names_in_"):
            if hasattr(self.best_estimator_, name):
                setattr(self, name, getattr(self.best_estimator_, name))

    # ------------------------------------------------------------ delegation
    @available_if(_estimator_has("predict"))
    def predict(self, X):
        """Class labels from the refitted estimator."""
        check_is_fitted(self)
        return self.best_estimator_.predict(X)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities from the refitted estimator."""
        check_is_fitted(self)
        return self.best_estimator_.predict_proba(X)

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log class probabilities from the refitted estimator."""
        check_is_fitted(self)
        return self.best_estimator_.predict_log_proba(X)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """Decision function of the refitted estimator."""
        check_is_fitted(self)
        return self.best_estimator_.decision_function(X)

    def score(self, X, y):
        """The refitted estimator's ``score`` (mean accuracy for most classifiers)."""
        check_is_fitted(self)
        return self.best_estimator_.score(X, y)

    # ------------------------------------------------------------ display
    def plot(self, ax=None):
        """Mean cross-validated score against the amount, ± one standard deviation over folds.

        Parameters
        ----------
        ax : matplotlib Axes or None
            Where to draw; a new figure when None.

        Returns
        -------
        matplotlib.axes.Axes
        """
        check_is_fitted(self, "cv_results_")
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(5, 3.5))
        results = self.cv_results_
        ax.errorbar(
            results["amount"],
            results["mean_test_score"],
            yerr=results["std_test_score"],
            marker="o",
            capsize=4,
        )
        ax.scatter(
            [self.best_params_["amount"]],
            [self.best_score_],
            s=120,
            facecolors="none",
            edgecolors="tab:red",
            label=f"chosen: {self.best_params_['amount']:g}",
            zorder=3,
        )
        ax.set_xlabel("synthetic rows (share of the sampler's output; 0 = none)")
        scoring = self.scoring if isinstance(self.scoring, str) else "score"
        ax.set_ylabel(f"CV {scoring} (mean ± std over {self.n_splits_} folds)")
        ax.legend(loc="best")
        return ax

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        estimator_tags = get_tags(self.estimator)
        sampler = self.sampler if self.sampler is not None else None
        tags.input_tags.sparse = estimator_tags.input_tags.sparse and (
            sampler is None or get_tags(sampler).input_tags.sparse
        )
        tags.input_tags.allow_nan = estimator_tags.input_tags.allow_nan and (
            sampler is None or get_tags(sampler).input_tags.allow_nan
        )
        tags.input_tags.string = estimator_tags.input_tags.string
        tags.target_tags.single_output = True
        tags.non_deterministic = self.random_state is None
        return tags
