"""Classifiers and metrics for comparing augmentation methods on real test rows.

Every classifier sits behind the same preprocessing (median/most-frequent imputation, standard
scaling, one-hot encoding), so differences between methods are not differences in encoding.
Thresholded metrics come twice: at the 0.5 threshold, and at a threshold tuned on held-out
training rows (out-of-fold scores), as :class:`~sklearn.model_selection.TunedThresholdClassifierCV`
tunes it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from imblearn.metrics import geometric_mean_score
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, balanced_accuracy_score, f1_score, roc_auc_score
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from gansynth.errors import InputError

CLASSIFIERS = ("logreg", "random_forest", "hist_gb", "mlp")
# Short names the command line accepts.
ALIASES = {"hgb": "hist_gb", "rf": "random_forest", "lr": "logreg"}
THRESHOLD_METRICS = ("f1_minority_tuned", "balanced_accuracy_tuned")
METRICS = ("pr_auc", "roc_auc", "f1_minority", "balanced_accuracy", "g_mean", *THRESHOLD_METRICS)


def classifier_name(name: str) -> str:
    """The full name of a classifier given by full or short name; ValueError naming the known ones."""
    full = ALIASES.get(name, name)
    if full not in CLASSIFIERS:
        known = ", ".join(list(CLASSIFIERS) + [f"{a} ({b})" for a, b in ALIASES.items()])
        raise InputError(f"unknown classifier {name!r}; known: {known}")
    return full


def _estimator(name: str, random_state: int, balanced: bool):
    weight = "balanced" if balanced else None
    if name == "logreg":
        return LogisticRegression(max_iter=2000, class_weight=weight)
    if name == "random_forest":
        return RandomForestClassifier(
            n_estimators=200, n_jobs=1, random_state=random_state, class_weight=weight
        )
    if name == "hist_gb":
        return HistGradientBoostingClassifier(random_state=random_state, class_weight=weight)
    # MLPClassifier has no class_weight: balanced sample weights are passed to fit instead.
    return MLPClassifier(hidden_layer_sizes=(64, 32), max_iter=500, random_state=random_state)


def make_classifier(name: str, X: pd.DataFrame, random_state: int, *, balanced: bool = False) -> Pipeline:
    """Shared preprocessing followed by the named classifier (``balanced``: class weights)."""
    name = classifier_name(name)
    categorical = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    numeric = [c for c in X.columns if c not in categorical]
    preprocess = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
            (
                "cat",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                ),
                categorical,
            ),
        ]
    )
    return Pipeline([("preprocess", preprocess), ("model", _estimator(name, random_state, balanced))])


def balanced_fit_params(name: str, y) -> dict:
    """Fit parameters that weight the classes equally where the classifier has no ``class_weight``."""
    if classifier_name(name) != "mlp":
        return {}
    from sklearn.utils.class_weight import compute_sample_weight

    return {"model__sample_weight": compute_sample_weight("balanced", y)}


def as_imputable(X: pd.DataFrame) -> pd.DataFrame:
    """Pandas categoricals as plain objects: SimpleImputer cannot take categoricals with NaN."""
    categorical = [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]
    return X.astype(dict.fromkeys(categorical, object)) if categorical else X


def tuned_thresholds(y_true, scores) -> dict:
    """The thresholds that maximise minority F1 and balanced accuracy on held-out scores.

    ``y_true`` is 1 for the minority; a row is predicted minority when its score is at least the
    threshold. Every distinct score is a candidate; the first best one wins.
    """
    y_true = np.asarray(y_true).astype(bool)
    scores = np.asarray(scores, dtype=float)
    keep = ~np.isnan(scores)
    y_true, scores = y_true[keep], scores[keep]
    if not len(scores) or y_true.all() or not y_true.any():
        return {"f1_minority_tuned": 0.5, "balanced_accuracy_tuned": 0.5}
    order = np.argsort(-scores, kind="stable")
    sorted_scores, sorted_true = scores[order], y_true[order]
    # Predicting every row down to position i positive, at each distinct score's last position.
    last = np.r_[np.flatnonzero(np.diff(sorted_scores) != 0), len(sorted_scores) - 1]
    true_pos = np.cumsum(sorted_true)[last]
    predicted = last + 1
    positives, negatives = y_true.sum(), (~y_true).sum()
    f1 = 2 * true_pos / (predicted + positives)
    balanced = 0.5 * (true_pos / positives + 1 - (predicted - true_pos) / negatives)
    thresholds = sorted_scores[last]
    return {
        "f1_minority_tuned": float(thresholds[np.argmax(f1)]),
        "balanced_accuracy_tuned": float(thresholds[np.argmax(balanced)]),
    }


def score(y_test, scores, thresholds: dict | None = None) -> dict:
    """Every metric of :data:`METRICS` from minority scores on the test rows (NaN for the tuned
    ones without ``thresholds``)."""
    y_test = np.asarray(y_test)
    predicted = (scores >= 0.5).astype(int)
    result = {
        "pr_auc": average_precision_score(y_test, scores),
        "roc_auc": roc_auc_score(y_test, scores),
        "f1_minority": f1_score(y_test, predicted, pos_label=1, zero_division=0),
        "balanced_accuracy": balanced_accuracy_score(y_test, predicted),
        "g_mean": geometric_mean_score(y_test, predicted),
        **dict.fromkeys(THRESHOLD_METRICS, np.nan),
    }
    if thresholds:
        at_f1 = (scores >= thresholds["f1_minority_tuned"]).astype(int)
        at_balanced = (scores >= thresholds["balanced_accuracy_tuned"]).astype(int)
        result["f1_minority_tuned"] = f1_score(y_test, at_f1, pos_label=1, zero_division=0)
        result["balanced_accuracy_tuned"] = balanced_accuracy_score(y_test, at_balanced)
    return result
