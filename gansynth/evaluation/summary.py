"""The report's summary rows, flags and detail tables, assembled from each measurement's results."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gansynth.evaluation.utility import TOO_FEW_CLASSES

# Thresholds behind the report's flags; each flag says which threshold it crossed.
FLAG_DETECTION_AUC = 0.9
FLAG_DCR_RATIO = 0.5
FLAG_ML_EFFICACY_RATIO = 0.8

SUMMARY_COLUMNS = ["metric", "score", "better", "description"]


def columns_table(real_sample, synthetic_sample, kinds, shapes, column_aucs):
    """Per column: sdtype, missing shares, SDMetrics shape score and univariate detection ROC-AUC."""
    missing = pd.DataFrame(
        {
            "column": list(kinds),
            "kind": list(kinds.values()),
            "real_missing": [float(real_sample[c].isna().mean()) for c in kinds],
            "synthetic_missing": [float(synthetic_sample[c].isna().mean()) for c in kinds],
        }
    )
    table = missing.merge(shapes, on="column", how="left")
    table["detection_auc"] = table["column"].map(column_aucs)
    return table


def detail_tables(samples, kinds, shapes, pairs, column_aucs, fold_aucs, privacy, ml_table):
    """The report's detail tables by name; ``ml_efficacy`` only when ``ml_table`` is not None."""
    tables = {
        "columns": columns_table(samples["real"], samples["synthetic"], kinds, shapes, column_aucs),
        "pairs": pairs,
        "detection": pd.DataFrame({"fold": np.arange(1, len(fold_aucs) + 1), "roc_auc": fold_aucs}),
        "privacy": privacy["table"],
    }
    if ml_table is not None:
        tables["ml_efficacy"] = ml_table
    return tables


def ml_scores(ml_table):
    """``(real_score, synthetic_score, ratio, metric)`` of an ML efficacy table."""
    by_source = ml_table.set_index("trained_on")["score"]
    real_score, synthetic_score = float(by_source["real"]), float(by_source["synthetic"])
    ratio = synthetic_score / real_score if real_score > 0 else np.nan
    return real_score, synthetic_score, ratio, ml_table["metric"].iloc[0]


def _fidelity_rows(shapes_score, pairs_score, pairs, detection_auc, cv):
    return [
        (
            "column_shapes",
            shapes_score,
            "higher",
            "Similarity of each column's distribution (SDMetrics KSComplement for numbers and dates, "
            "TVComplement for categories), averaged over columns. 1 = identical.",
        ),
        (
            "column_pair_trends",
            pairs_score,
            "higher",
            "Similarity of each column pair's correlation or contingency table (SDMetrics "
            "CorrelationSimilarity / ContingencySimilarity, numbers binned on the real range), averaged "
            f"over the {int(pairs['counted'].sum())} of {len(pairs)} pairs strongly related in the real "
            "data (|r| > 0.5 or Cramer's V > 0.3, SDMetrics' rule). 1 = identical.",
        ),
        (
            "overall_quality",
            float(np.nanmean([shapes_score, pairs_score])),
            "higher",
            "Mean of column shapes and column-pair trends (SDMetrics' overall quality score).",
        ),
        (
            "detection_auc",
            detection_auc,
            "lower",
            f"ROC-AUC of gradient boosting telling real from synthetic rows ({cv}-fold CV). "
            "0.5 = indistinguishable, 1 = trivially told apart; well below 0.5 happens when synthetic "
            "rows copy real rows (a copy in the training fold misleads the classifier).",
        ),
    ]


def _ml_rows(ml_table, target):
    real_score, synthetic_score, ratio, metric = ml_scores(ml_table)
    return [
        (
            "ml_efficacy_real",
            real_score,
            "higher",
            f"{metric} on real holdout rows predicting {target!r}, model trained on real rows "
            "(the reference).",
        ),
        (
            "ml_efficacy_synthetic",
            synthetic_score,
            "higher",
            f"{metric} on real holdout rows predicting {target!r}, model trained on synthetic rows.",
        ),
        (
            "ml_efficacy_ratio",
            ratio,
            "higher",
            "Trained-on-synthetic score / trained-on-real score. 1 = as useful as the real data.",
        ),
    ]


def _privacy_rows(privacy):
    return [
        (
            "dcr_ratio",
            privacy["dcr_ratio"],
            "higher",
            f"Median distance to the closest real training row: synthetic "
            f"({privacy['median_synthetic']:.3f}) / real holdout ({privacy['median_holdout']:.3f}), "
            "capped at 1. 1 = synthetic rows are no closer to training rows than unseen real rows are; "
            "near 0 = near-copies.",
        ),
        (
            "exact_copy_rate",
            privacy["copy_rate"],
            "lower",
            f"Share of synthetic rows identical to a real row (real holdout rows that repeat a "
            f"training row: {privacy['holdout_copy_rate']:.1%}).",
        ),
    ]


def summary_frame(shapes_score, pairs_score, pairs, detection_auc, cv, ml_table, target, privacy):
    """One row per score: ``metric``, ``score``, ``better`` (higher/lower) and ``description``.

    ``ml_table`` is None without a target; ``privacy`` is
    :func:`~gansynth.evaluation.privacy.privacy`'s result.
    """
    rows = _fidelity_rows(shapes_score, pairs_score, pairs, detection_auc, cv)
    if ml_table is not None:
        rows += _ml_rows(ml_table, target)
    rows += _privacy_rows(privacy)
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def _copy_flag_margin(baseline, n_holdout, n_synthetic):
    """How far the copy rate may exceed the holdout's before it is flagged: 1 point or 2 std errors."""
    variance = baseline * (1 - baseline) * (1 / n_holdout + 1 / n_synthetic)
    return max(0.01, 2 * float(np.sqrt(variance)))


def flags(privacy, n_holdout, n_synthetic, detection_auc, ml_table):
    """Plain-language warnings for scores past the FLAG_* thresholds."""
    found = []
    copy_rate, baseline = privacy["copy_rate"], privacy["holdout_copy_rate"]
    if copy_rate > baseline + _copy_flag_margin(baseline, n_holdout, n_synthetic):
        found.append(
            f"Privacy failure: {copy_rate:.1%} of synthetic rows are exact copies of real rows, "
            f"against {baseline:.1%} of real holdout rows repeating a training row."
        )
    if privacy["dcr_ratio"] < FLAG_DCR_RATIO:
        found.append(
            f"Privacy risk: synthetic rows sit much closer to real training rows than unseen real "
            f"rows do (DCR ratio {privacy['dcr_ratio']:.2f} < {FLAG_DCR_RATIO})."
        )
    if detection_auc >= FLAG_DETECTION_AUC:
        found.append(
            f"Low fidelity: a classifier tells synthetic from real rows with ROC-AUC "
            f"{detection_auc:.2f} (>= {FLAG_DETECTION_AUC})."
        )
    if ml_table is not None:
        synthetic_note = ml_table.set_index("trained_on")["note"].get("synthetic", "")
        if synthetic_note.startswith(TOO_FEW_CLASSES):
            found.append(
                "Unusable for ML: the synthetic rows' target has fewer than two classes "
                f"{synthetic_note[len(TOO_FEW_CLASSES) :].strip()}, so no classifier can be trained on "
                "them and ML efficacy was not measured."
            )
        _, _, ratio, metric = ml_scores(ml_table)
        if np.isfinite(ratio) and ratio < FLAG_ML_EFFICACY_RATIO:
            found.append(
                f"Low usefulness: a model trained on synthetic rows reaches {ratio:.0%} of the "
                f"real-trained model's {metric} (< {FLAG_ML_EFFICACY_RATIO:.0%})."
            )
    return found
