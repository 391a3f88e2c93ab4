"""Classifiers and metrics for the downstream benchmark.

Every classifier sits behind the same preprocessing (median/most-frequent imputation, standard
scaling, one-hot encoding), so differences between augmenters are not differences in encoding.
"""

from __future__ import annotations

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

METRICS = ("pr_auc", "roc_auc", "f1_minority", "balanced_accuracy", "g_mean")


def _estimator(name: str, random_state: int):
    if name == "logreg":
        return LogisticRegression(max_iter=2000)
    if name == "random_forest":
        return RandomForestClassifier(n_estimators=200, n_jobs=1, random_state=random_state)
    if name == "hist_gb":
        return HistGradientBoostingClassifier(random_state=random_state)
    if name == "mlp":
        return MLPClassifier(hidden_layer_sizes=(64, 32), max_iter=500, random_state=random_state)
    raise KeyError(f"unknown classifier {name!r}; known: {', '.join(CLASSIFIERS)}")


CLASSIFIERS = ("logreg", "random_forest", "hist_gb", "mlp")


def make_classifier(name: str, X: pd.DataFrame, random_state: int) -> Pipeline:
    """Shared preprocessing followed by the named classifier."""
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
    return Pipeline([("preprocess", preprocess), ("model", _estimator(name, random_state))])


def _as_imputable(X: pd.DataFrame) -> pd.DataFrame:
    # SimpleImputer cannot take pandas categoricals with NaN; plain objects work everywhere.
    categorical = [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]
    return X.astype(dict.fromkeys(categorical, object)) if categorical else X


def fit_and_score(name: str, X_train, y_train, X_test, y_test, random_state: int) -> dict:
    """Fit one classifier and return the threshold-free and thresholded (0.5) metrics."""
    X_train, X_test = _as_imputable(X_train), _as_imputable(X_test)
    model = make_classifier(name, X_train, random_state).fit(X_train, y_train)
    scores = model.predict_proba(X_test)[:, list(model.classes_).index(1)]
    predicted = (scores >= 0.5).astype(int)
    return {
        "pr_auc": average_precision_score(y_test, scores),
        "roc_auc": roc_auc_score(y_test, scores),
        "f1_minority": f1_score(y_test, predicted, pos_label=1, zero_division=0),
        "balanced_accuracy": balanced_accuracy_score(y_test, predicted),
        "g_mean": geometric_mean_score(y_test, predicted),
    }
