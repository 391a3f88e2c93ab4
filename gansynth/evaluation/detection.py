"""Detection: how well real rows can be told from synthetic rows, all columns and column by column."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gansynth._columns import CONTINUOUS_SDTYPES, as_text, numeric_values
from gansynth.evaluation.features import FittedTrees, tree_features


def detection(real, synthetic, kinds, cv, seed):
    """Cross-validated ROC-AUC of gradient boosting telling real rows (0) from synthetic rows (1).

    Returns
    -------
    tuple
        ``(mean_auc, fold_aucs)``; ``(nan, [])`` when a table has fewer than two rows.
    """
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    (x_real, x_synthetic), categorical = tree_features([real, synthetic], kinds)
    x = np.vstack([x_real, x_synthetic])
    y = np.r_[np.zeros(len(x_real)), np.ones(len(x_synthetic))]
    folds = min(cv, len(x_real), len(x_synthetic))
    if folds < 2:
        return np.nan, []
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    aucs = []
    for train, test in splitter.split(x, y):
        model = FittedTrees("classification", categorical, seed, x[train], y[train])
        aucs.append(roc_auc_score(y[test], model.predict_proba(x[test])[:, 1]))
    return float(np.mean(aucs)), aucs


def _column_cells(real, synthetic, kind, bins=20):
    """Put each value of one column into a cell shared by both tables, for univariate detection.

    Categories are their own cells. Numbers get quantile bins over both tables, and every value
    holding at least 5% of the real rows (a spike such as capital-gain = 0) gets a cell of its own,
    so that "exactly 0" and "close to 0" are told apart. Missing values share one cell.
    """
    if kind not in CONTINUOUS_SDTYPES:
        text = as_text(pd.concat([real, synthetic]))
        return pd.factorize(text)[0]
    values = np.r_[numeric_values(real, kind), numeric_values(synthetic, kind)]
    present = ~np.isnan(values)
    cells = np.full(len(values), -1)
    if present.any():
        edges = np.unique(np.quantile(values[present], np.linspace(0, 1, bins + 1)))
        cells[present] = np.digitize(values[present], edges[1:-1])
        spikes, counts = np.unique(values[: len(real)][present[: len(real)]], return_counts=True)
        for offset, spike in enumerate(spikes[counts >= 0.05 * len(real)]):
            cells[values == spike] = bins + 1 + offset
    return cells


def _cross_fitted_scores(cells, y, half):
    """Each row's cell share of synthetic rows, estimated on the other half of the rows."""
    score = np.empty(len(y))
    for fold in (0, 1):
        fit, apply = half != fold, half == fold
        counts = np.zeros((cells.max() + 1, 2))
        np.add.at(counts, (cells[fit], y[fit]), 1)
        shares = counts / np.maximum(counts.sum(axis=0), 1)
        total = shares.sum(axis=1)
        cell_score = np.divide(shares[:, 1], total, out=np.full(len(total), 0.5), where=total > 0)
        score[apply] = cell_score[cells[apply]]
    return score


def univariate_detection(real, synthetic, kinds, seed):
    """Per column, the ROC-AUC of telling the tables apart from that column alone.

    Each row is scored by the synthetic share of its cell (tables weighted equally), the shares
    estimated on the other half of the rows (two-fold cross-fitting), so that a cell holding a
    handful of rows cannot fit noise; a cell unseen in the other half scores 0.5. Milliseconds per
    column instead of a model fit per column.
    """
    from sklearn.metrics import roc_auc_score

    y = np.r_[np.zeros(len(real), dtype=int), np.ones(len(synthetic), dtype=int)]
    half = np.random.RandomState(seed).permutation(len(y)) % 2
    out = {}
    for column, kind in kinds.items():
        cells = pd.factorize(_column_cells(real[column], synthetic[column], kind))[0]
        out[column] = float(roc_auc_score(y, _cross_fitted_scores(cells, y, half)))
    return out
