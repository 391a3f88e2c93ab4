"""Feature matrices and gradient-boosting models shared by detection and ML efficacy."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gansynth._columns import as_text, numeric_values

# HistGradientBoosting treats a feature as categorical only below its bin count.
MAX_TREE_CATEGORIES = 255


def tree_features(frames, kinds, exclude=()):
    """Encode frames into float matrices for HistGradientBoosting, with one shared encoding.

    Categories are numbered over the union of all frames (an unsupervised relabelling, so nothing
    about a target leaks); missing values stay NaN, which the trees route natively.
    """
    columns = [c for c in kinds if c not in exclude]
    blocks = [[] for _ in frames]
    categorical = []
    for column in columns:
        kind = kinds[column]
        if kind in ("categorical", "boolean"):
            texts = [as_text(f[column], missing=None) for f in frames]
            categories = pd.Index(pd.concat(texts).dropna().unique())
            for block, values in zip(blocks, texts):
                codes = pd.Categorical(values, categories=categories).codes.astype(float)
                codes[codes < 0] = np.nan
                block.append(codes)
            categorical.append(len(categories) < MAX_TREE_CATEGORIES)
        else:
            for block, f in zip(blocks, frames):
                block.append(numeric_values(f[column], kind))
            categorical.append(False)
    matrices = [np.column_stack(b) if b else np.zeros((len(f), 0)) for b, f in zip(blocks, frames)]
    return matrices, np.array(categorical, dtype=bool)


def gradient_boosting(task, categorical, seed):
    """An unfitted HistGradientBoosting model for ``task``, told which features are categorical."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    mask = categorical if categorical.any() else None
    if task == "regression":
        return HistGradientBoostingRegressor(categorical_features=mask, random_state=seed)
    return HistGradientBoostingClassifier(categorical_features=mask, random_state=seed)


class FittedTrees:
    """A gradient-boosting model fitted on the features that have a value in its training rows.

    HistGradientBoosting cannot bin a number that is missing in every training row (a column
    missing in both tables, or in one cross-validation fold); such a feature says nothing in
    that fit, so it is left out of it. With every feature present this is the plain model.
    """

    def __init__(self, task, categorical, seed, x, y):
        self.columns = categorical | ~np.isnan(x).all(axis=0)
        self.model = gradient_boosting(task, categorical[self.columns], seed).fit(self._features(x), y)

    def _features(self, x):
        # With no feature left the model learns the class or mean prior from a constant.
        return x[:, self.columns] if self.columns.any() else np.zeros((len(x), 1))

    def predict(self, x):
        return self.model.predict(self._features(x))

    def predict_proba(self, x):
        return self.model.predict_proba(self._features(x))
