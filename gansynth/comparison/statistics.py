"""Paired comparisons of two methods over the same blocks (folds, or datasets × settings)."""

from __future__ import annotations

import pandas as pd


def wilcoxon_row(means: pd.DataFrame, method: str, reference: str) -> dict | None:
    """Paired comparison of column ``method`` against column ``reference`` over the rows both cover.

    Returns the number of pairs ``n``, ``mean_diff`` and ``median_diff`` (method − reference),
    ``wins``, ``ties``, ``losses`` and the two-sided Wilcoxon signed-rank ``p`` (NaN when every
    difference is zero); None when either column is missing or they are the same.
    """
    from scipy.stats import wilcoxon

    if method not in means or reference not in means or method == reference:
        return None
    pair = means[[method, reference]].dropna()
    if pair.empty:
        return None
    diff = pair[method] - pair[reference]
    wins, losses = int((diff > 0).sum()), int((diff < 0).sum())
    p_value = float("nan")
    if (diff != 0).sum() >= 1:
        p_value = float(wilcoxon(diff, zero_method="wilcox", alternative="two-sided").pvalue)
    return {
        "n": len(pair),
        "mean_diff": diff.mean(),
        "median_diff": diff.median(),
        "wins": wins,
        "ties": len(pair) - wins - losses,
        "losses": losses,
        "p": p_value,
    }
