"""Fidelity by SDMetrics: column shapes and column-pair trends, with their detail tables."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from gansynth._columns import CONTINUOUS_SDTYPES, numeric_values

# SDMetrics' quality report counts a pair in its average only when the real data relates the two
# columns this strongly; weakly related pairs would otherwise dilute the score towards 1.
REAL_CORRELATION_THRESHOLD = 0.5
REAL_ASSOCIATION_THRESHOLD = 0.3
_PAIR_BINS = 10
PAIR_COLUMNS = [
    "column_1",
    "column_2",
    "metric",
    "score",
    "real_correlation",
    "synthetic_correlation",
    "real_association",
    "counted",
    "error",
]


def _sdmetrics_ready(frame, kinds):
    """Dates as float seconds (SDMetrics' metrics take numbers), everything else unchanged."""
    out = frame.copy()
    for column, kind in kinds.items():
        if kind == "datetime":
            out[column] = numeric_values(frame[column], kind)
    return out


def _column_shapes(real, synthetic, kinds):
    """SDMetrics' Column Shapes: KSComplement for numbers and dates, TVComplement otherwise."""
    from sdmetrics.single_column import KSComplement, TVComplement

    rows = []
    for column, kind in kinds.items():
        metric = KSComplement if kind in CONTINUOUS_SDTYPES else TVComplement
        try:
            score, error = float(metric.compute(real[column], synthetic[column])), ""
        except Exception as exc:  # SDMetrics raises assorted types on degenerate columns
            score, error = np.nan, f"{type(exc).__name__}: {exc}"
        rows.append({"column": column, "metric": metric.__name__, "score": score, "error": error})
    return pd.DataFrame(rows)


def _cramers_v(pair):
    from scipy.stats.contingency import association

    table = pair.groupby(list(pair.columns), dropna=False).size().unstack(fill_value=0)
    if min(table.shape) < 2:
        return np.nan
    return float(association(table.to_numpy(), method="cramer"))


def _correlation_row(real, synthetic, pair):
    """CorrelationSimilarity (Pearson) of two continuous columns, counted when |real r| > 0.5."""
    from sdmetrics.column_pairs import CorrelationSimilarity

    breakdown = CorrelationSimilarity.compute_breakdown(real[pair], synthetic[pair])
    return {
        "metric": "CorrelationSimilarity",
        "score": float(breakdown["score"]),
        "real_correlation": breakdown["real"],
        "synthetic_correlation": breakdown["synthetic"],
        "counted": abs(breakdown["real"]) > REAL_CORRELATION_THRESHOLD,
    }


def _contingency_row(real, synthetic, pair, continuous):
    """ContingencySimilarity with numbers binned on the real range, counted when real V > 0.3."""
    from sdmetrics.column_pairs import ContingencySimilarity
    from sdmetrics.utils import discretize_column

    score = ContingencySimilarity.compute(
        real[pair], synthetic[pair], continuous_column_names=continuous, num_discrete_bins=_PAIR_BINS
    )
    binned = real[pair].copy()
    for column in continuous:
        binned[column], _ = discretize_column(real[column], real[column], _PAIR_BINS)
    association = _cramers_v(binned)
    return {
        "metric": "ContingencySimilarity",
        "score": float(score),
        "real_association": association,
        "counted": association > REAL_ASSOCIATION_THRESHOLD,
    }


def _pair_row(real, synthetic, kinds, first, second):
    pair = [first, second]
    continuous = [c for c in pair if kinds[c] in CONTINUOUS_SDTYPES]
    row = {
        "column_1": first,
        "column_2": second,
        "real_correlation": np.nan,
        "synthetic_correlation": np.nan,
        "real_association": np.nan,
        "error": "",
    }
    row["metric"] = "CorrelationSimilarity" if len(continuous) == 2 else "ContingencySimilarity"
    try:
        if len(continuous) == 2:
            row.update(_correlation_row(real, synthetic, pair))
        else:
            row.update(_contingency_row(real, synthetic, pair, continuous))
    except Exception as exc:  # one degenerate pair must not sink the whole report
        row.update(score=np.nan, counted=False, error=f"{type(exc).__name__}: {exc}")
    return row


def _column_pair_trends(real, synthetic, kinds):
    """SDMetrics' Column Pair Trends, with numbers binned on the real data's range for both tables.

    Two numeric columns are compared with CorrelationSimilarity (Pearson); any other pair with
    ContingencySimilarity, numbers cut into 10 equal-width bins over the real range. SDMetrics'
    quality *report* bins each table over its own range, so a synthetic column with a slightly
    narrower range (a clipped outlier) shifts every bin and scores a pair whose relationship is intact
    as broken; the metric-level binning used here does not. As in the report, the average counts
    pairs whose real |correlation| exceeds 0.5 or whose real Cramer's V exceeds 0.3, and every pair
    when none does.
    """
    columns = list(kinds)
    rows = [
        _pair_row(real, synthetic, kinds, first, second)
        for i, first in enumerate(columns)
        for second in columns[i + 1 :]
    ]
    pairs = pd.DataFrame(rows, columns=PAIR_COLUMNS)
    pairs["counted"] = pairs["counted"].fillna(False).astype(bool) & pairs["score"].notna()
    if not pairs["counted"].any():
        pairs["counted"] = pairs["score"].notna()
    score = float(pairs.loc[pairs["counted"], "score"].mean()) if pairs["counted"].any() else np.nan
    return score, pairs


def quality(real, synthetic, kinds):
    """Column shapes and column-pair trends: both property scores and their detail tables.

    Returns
    -------
    tuple
        ``(shapes_score, pairs_score, shapes, pairs)``.
    """
    real, synthetic = _sdmetrics_ready(real, kinds), _sdmetrics_ready(synthetic, kinds)
    with warnings.catch_warnings():
        # scipy's KS test falls back from its exact to its asymptotic p-value on big samples; the
        # statistic SDMetrics uses is unaffected. SDMetrics' own deprecation chatter is not ours.
        warnings.filterwarnings("ignore", message="ks_2samp", category=RuntimeWarning)
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        shapes = _column_shapes(real, synthetic, kinds)
        pair_score, pairs = _column_pair_trends(real, synthetic, kinds)
    for table in (shapes, pairs):
        if not table["error"].astype(bool).any():
            table.drop(columns="error", inplace=True)
    return float(shapes["score"].mean()), pair_score, shapes, pairs
