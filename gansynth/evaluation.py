"""Judge a synthetic table against the real one: is it faithful, useful and private?

One call, :func:`evaluate`, answers the three questions a user asks before trusting synthetic data:

* **fidelity** - SDMetrics' column shapes and column-pair trends, and the ROC-AUC of a classifier
  that tries to tell real rows from synthetic rows (detection);
* **usefulness** - machine-learning efficacy: a model trained on synthetic rows and tested on held-out
  real rows, against the same model trained on real rows;
* **privacy** - the distance from each synthetic row to its closest real training row (DCR) compared
  with the same distance for real rows the generator never saw, and the share of exact copies.

The result is an :class:`EvaluationReport` with a summary table, detail tables, matplotlib plots and a
self-contained HTML export.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# scikit-learn, scipy, SDMetrics and matplotlib are imported where they are used, so that the
# command line can register `gansynth evaluate` without paying for them.

__all__ = ["evaluate", "EvaluationReport"]

DEFAULT_MAX_ROWS = 10_000
# The nearest-record search costs queries x reference rows x columns; this many query rows per side
# keeps it to about a second per side on one core with 10,000 reference rows of Adult.
DCR_QUERY_ROWS = 2_000
# HistGradientBoosting treats a feature as categorical only below its bin count.
_MAX_TREE_CATEGORIES = 255
# A numeric target with more distinct values than this (or any non-integer value) is regressed.
_MAX_CLASSES = 20

# Thresholds behind the report's flags; each flag says which threshold it crossed.
FLAG_DETECTION_AUC = 0.9
FLAG_DCR_RATIO = 0.5
FLAG_ML_EFFICACY_RATIO = 0.8

# --------------------------------------------------------------------------------------------------
# Input checks and column kinds
# --------------------------------------------------------------------------------------------------


def _check_frame(frame, name):
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"`{name}` must be a pandas DataFrame, got {type(frame).__name__}.")
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise ValueError(f"`{name}` is empty ({frame.shape[0]} rows, {frame.shape[1]} columns).")
    if not frame.columns.is_unique:
        duplicated = sorted(map(str, frame.columns[frame.columns.duplicated()].unique()))
        raise ValueError(f"`{name}` has duplicated column names: {duplicated}.")


def _check_same_columns(real, other, name):
    missing = [c for c in real.columns if c not in other.columns]
    extra = [c for c in other.columns if c not in real.columns]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing {missing}")
        if extra:
            parts.append(f"not in the real data {extra}")
        raise ValueError(f"`{name}` does not have the real data's columns: " + "; ".join(parts) + ".")


def column_kinds(frame: pd.DataFrame) -> dict:
    """Classify each column as ``numerical``, ``datetime``, ``boolean`` or ``categorical``.

    These are SDMetrics' *sdtypes*; they decide which metric scores a column (Kolmogorov-Smirnov for
    numbers and dates, total variation for the others) and how distances are measured.
    """
    kinds = {}
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_bool_dtype(values):
            kinds[column] = "boolean"
        elif pd.api.types.is_datetime64_any_dtype(values):
            kinds[column] = "datetime"
        elif pd.api.types.is_numeric_dtype(values):
            kinds[column] = "numerical"
        else:
            kinds[column] = "categorical"
    return kinds


_BOOLEAN_TEXT = {"True": True, "False": False, "true": True, "false": False, 1: True, 0: False}


def _coerce_like_real(frame, kinds, name):
    """Give ``frame`` the real data's column kinds, or say which column cannot take them.

    CSV files read separately can disagree on dtypes (an integer column with a missing value becomes
    float, a date stays text); values are converted, never silently dropped.
    """
    out = {}
    for column, kind in kinds.items():
        values = frame[column]
        if kind == "numerical" and not pd.api.types.is_numeric_dtype(values):
            converted = pd.to_numeric(values, errors="coerce")
        elif kind == "datetime" and not pd.api.types.is_datetime64_any_dtype(values):
            converted = pd.to_datetime(values, errors="coerce")
        elif kind == "boolean" and not pd.api.types.is_bool_dtype(values):
            converted = values.map(lambda v: _BOOLEAN_TEXT.get(v, v) if not pd.isna(v) else v)
            bad = converted.notna() & ~converted.map(lambda v: isinstance(v, (bool, np.bool_)))
            if bad.any():
                example = values[bad].iloc[0]
                raise ValueError(
                    f"Column {column!r} is boolean in the real data but `{name}` holds {example!r}."
                )
        elif kind == "categorical" and isinstance(values.dtype, pd.CategoricalDtype):
            converted = values.astype(object)
        else:
            out[column] = values
            continue
        broken = converted.isna() & values.notna()
        if broken.any():
            example = values[broken].iloc[0]
            raise ValueError(
                f"Column {column!r} is {kind} in the real data but `{name}` holds {example!r}, "
                "which cannot be read as one."
            )
        out[column] = converted
    return pd.DataFrame(out, index=frame.index)


def _as_text(values, missing="\0missing"):
    """Values as strings with missing ones as ``missing``: one vectorised pass, no Python loop."""
    values = pd.Series(values)
    return values.astype(str).where(values.notna().to_numpy(), missing)


def _sample(frame, n_rows, rng):
    """At most ``n_rows`` rows of ``frame``, drawn without replacement."""
    if len(frame) <= n_rows:
        return frame.reset_index(drop=True)
    rows = np.sort(rng.choice(len(frame), size=n_rows, replace=False))
    return frame.iloc[rows].reset_index(drop=True)


def _seed(rng):
    return int(rng.randint(0, 2**31 - 1))


# --------------------------------------------------------------------------------------------------
# Fidelity: SDMetrics column shapes and column-pair trends
# --------------------------------------------------------------------------------------------------

# SDMetrics' quality report counts a pair in its average only when the real data relates the two
# columns this strongly; weakly related pairs would otherwise dilute the score towards 1.
REAL_CORRELATION_THRESHOLD = 0.5
REAL_ASSOCIATION_THRESHOLD = 0.3
_PAIR_BINS = 10
_CONTINUOUS = ("numerical", "datetime")


def _sdmetrics_ready(frame, kinds):
    """Dates as float nanoseconds (SDMetrics' metrics take numbers), everything else unchanged."""
    out = frame.copy()
    for column, kind in kinds.items():
        if kind == "datetime":
            out[column] = _as_float(frame[column], kind)
    return out


def _column_shapes(real, synthetic, kinds):
    """SDMetrics' Column Shapes: KSComplement for numbers and dates, TVComplement otherwise."""
    from sdmetrics.single_column import KSComplement, TVComplement

    rows = []
    for column, kind in kinds.items():
        metric = KSComplement if kind in _CONTINUOUS else TVComplement
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
    from sdmetrics.column_pairs import ContingencySimilarity, CorrelationSimilarity
    from sdmetrics.utils import discretize_column

    rows = []
    columns = list(kinds)
    for i, first in enumerate(columns):
        for second in columns[i + 1 :]:
            pair = [first, second]
            continuous = [c for c in pair if kinds[c] in _CONTINUOUS]
            row = {
                "column_1": first,
                "column_2": second,
                "real_correlation": np.nan,
                "synthetic_correlation": np.nan,
                "real_association": np.nan,
                "error": "",
            }
            try:
                if len(continuous) == 2:
                    row["metric"] = "CorrelationSimilarity"
                    breakdown = CorrelationSimilarity.compute_breakdown(real[pair], synthetic[pair])
                    row.update(
                        score=float(breakdown["score"]),
                        real_correlation=breakdown["real"],
                        synthetic_correlation=breakdown["synthetic"],
                    )
                    row["counted"] = abs(row["real_correlation"]) > REAL_CORRELATION_THRESHOLD
                else:
                    row["metric"] = "ContingencySimilarity"
                    row["score"] = float(
                        ContingencySimilarity.compute(
                            real[pair],
                            synthetic[pair],
                            continuous_column_names=continuous,
                            num_discrete_bins=_PAIR_BINS,
                        )
                    )
                    binned = real[pair].copy()
                    for column in continuous:
                        binned[column], _ = discretize_column(real[column], real[column], _PAIR_BINS)
                    row["real_association"] = _cramers_v(binned)
                    row["counted"] = row["real_association"] > REAL_ASSOCIATION_THRESHOLD
            except Exception as exc:  # one degenerate pair must not sink the whole report
                row.update(score=np.nan, counted=False, error=f"{type(exc).__name__}: {exc}")
            rows.append(row)
    pairs = pd.DataFrame(
        rows,
        columns=[
            "column_1",
            "column_2",
            "metric",
            "score",
            "real_correlation",
            "synthetic_correlation",
            "real_association",
            "counted",
            "error",
        ],
    )
    pairs["counted"] = pairs["counted"].fillna(False).astype(bool) & pairs["score"].notna()
    if not pairs["counted"].any():
        pairs["counted"] = pairs["score"].notna()
    score = float(pairs.loc[pairs["counted"], "score"].mean()) if pairs["counted"].any() else np.nan
    return score, pairs


def _quality(real, synthetic, kinds):
    """Column shapes and column-pair trends: both property scores and their detail tables."""
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


# --------------------------------------------------------------------------------------------------
# Tree-model features, detection and ML efficacy
# --------------------------------------------------------------------------------------------------


def _tree_features(frames, kinds, exclude=()):
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
            as_text = [_as_text(f[column], missing=None) for f in frames]
            categories = pd.Index(pd.concat(as_text).dropna().unique())
            for block, values in zip(blocks, as_text):
                codes = pd.Categorical(values, categories=categories).codes.astype(float)
                codes[codes < 0] = np.nan
                block.append(codes)
            categorical.append(len(categories) < _MAX_TREE_CATEGORIES)
        else:
            for block, f in zip(blocks, frames):
                block.append(_as_float(f[column], kind))
            categorical.append(False)
    matrices = [np.column_stack(b) if b else np.zeros((len(f), 0)) for b, f in zip(blocks, frames)]
    return matrices, np.array(categorical, dtype=bool)


def _as_float(values, kind):
    if kind == "datetime":
        stamps = pd.to_datetime(values)
        out = stamps.astype("int64").to_numpy(dtype=float)
        out[stamps.isna().to_numpy()] = np.nan
        return out
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)


def _gradient_boosting(task, categorical, seed):
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    mask = categorical if categorical.any() else None
    if task == "regression":
        return HistGradientBoostingRegressor(categorical_features=mask, random_state=seed)
    return HistGradientBoostingClassifier(categorical_features=mask, random_state=seed)


def _detection(real, synthetic, kinds, cv, seed):
    """Cross-validated ROC-AUC of gradient boosting telling real rows (0) from synthetic rows (1)."""
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    (x_real, x_synthetic), categorical = _tree_features([real, synthetic], kinds)
    x = np.vstack([x_real, x_synthetic])
    y = np.r_[np.zeros(len(x_real)), np.ones(len(x_synthetic))]
    folds = min(cv, len(x_real), len(x_synthetic))
    if folds < 2:
        return np.nan, []
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    aucs = []
    for train, test in splitter.split(x, y):
        model = _gradient_boosting("classification", categorical, seed).fit(x[train], y[train])
        aucs.append(roc_auc_score(y[test], model.predict_proba(x[test])[:, 1]))
    return float(np.mean(aucs)), aucs


def _column_cells(real, synthetic, kind, bins=20):
    """Put each value of one column into a cell shared by both tables, for univariate detection.

    Categories are their own cells. Numbers get quantile bins over both tables, and every value
    holding at least 5% of the real rows (a spike such as capital-gain = 0) gets a cell of its own,
    so that "exactly 0" and "close to 0" are told apart. Missing values share one cell.
    """
    if kind not in _CONTINUOUS:
        text = _as_text(pd.concat([real, synthetic]))
        return pd.factorize(text)[0]
    values = np.r_[_as_float(real, kind), _as_float(synthetic, kind)]
    present = ~np.isnan(values)
    cells = np.full(len(values), -1)
    if present.any():
        edges = np.unique(np.quantile(values[present], np.linspace(0, 1, bins + 1)))
        cells[present] = np.digitize(values[present], edges[1:-1])
        spikes, counts = np.unique(values[: len(real)][present[: len(real)]], return_counts=True)
        for offset, spike in enumerate(spikes[counts >= 0.05 * len(real)]):
            cells[values == spike] = bins + 1 + offset
    return cells


def _univariate_detection(real, synthetic, kinds, seed):
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
        score = np.empty(len(y))
        for fold in (0, 1):
            fit, apply = half != fold, half == fold
            counts = np.zeros((cells.max() + 1, 2))
            np.add.at(counts, (cells[fit], y[fit]), 1)
            shares = counts / np.maximum(counts.sum(axis=0), 1)
            total = shares.sum(axis=1)
            cell_score = np.divide(shares[:, 1], total, out=np.full(len(total), 0.5), where=total > 0)
            score[apply] = cell_score[cells[apply]]
        out[column] = float(roc_auc_score(y, score))
    return out


def _infer_task(values, kind):
    if kind == "datetime":
        raise ValueError("ML efficacy needs a categorical or numeric `target`, not a datetime column.")
    if kind in ("categorical", "boolean"):
        return "classification"
    numbers = pd.to_numeric(values, errors="coerce").dropna()
    is_integer = bool(np.all(np.mod(numbers, 1) == 0))
    return "classification" if is_integer and numbers.nunique() <= _MAX_CLASSES else "regression"


def _labels(values, task):
    if task == "regression":
        return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    return _as_text(values, missing="(missing)").to_numpy()


def _ml_efficacy(train, synthetic, test, target, kinds, task, seed):
    """Train on real vs on synthetic rows, test both on held-out real rows.

    Returns one row per training source: macro F1 for classification (every class weighs the same,
    so a generator that drops a rare class is penalised), R^2 for regression.
    """
    from sklearn.metrics import f1_score, r2_score

    (x_train, x_synthetic, x_test), categorical = _tree_features(
        [train, synthetic, test], kinds, exclude=(target,)
    )
    y_train, y_synthetic, y_test = (_labels(f[target], task) for f in (train, synthetic, test))
    metric = "macro F1" if task == "classification" else "R2"
    rows = []
    for source, x, y in (("real", x_train, y_train), ("synthetic", x_synthetic, y_synthetic)):
        keep = ~pd.isna(y)
        note = ""
        if task == "classification" and len(np.unique(y[keep])) < 2:
            score, note = np.nan, "fewer than two classes to learn from"
        elif keep.sum() < 2:
            score, note = np.nan, "fewer than two labelled rows"
        else:
            model = _gradient_boosting(task, categorical, seed).fit(x[keep], y[keep])
            test_keep = ~pd.isna(y_test)
            predicted = model.predict(x_test[test_keep])
            if task == "classification":
                score = f1_score(
                    y_test[test_keep],
                    predicted,
                    average="macro",
                    labels=np.unique(y_test[test_keep]),
                    zero_division=0,
                )
            else:
                score = r2_score(y_test[test_keep], predicted)
        rows.append(
            {
                "trained_on": source,
                "tested_on": "real holdout",
                "train_rows": int(keep.sum()),
                "test_rows": len(y_test),
                "metric": metric,
                "score": float(score),
                "note": note,
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------------
# Privacy: distance to closest record and exact copies
# --------------------------------------------------------------------------------------------------


def _distance_encoding(frames, reference, kinds):
    """Arrays for Gower-style distances: numbers scaled by the reference range, categories as codes."""
    numeric_columns = [c for c, k in kinds.items() if k in ("numerical", "datetime")]
    category_columns = [c for c, k in kinds.items() if k in ("categorical", "boolean")]
    numeric = []
    for frame in frames:
        numeric.append(
            np.column_stack([_as_float(frame[c], kinds[c]) for c in numeric_columns])
            if numeric_columns
            else np.zeros((len(frame), 0))
        )
    reference_numeric = (
        np.column_stack([_as_float(reference[c], kinds[c]) for c in numeric_columns])
        if numeric_columns
        else np.zeros((len(reference), 0))
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-missing column has no range
        low = np.nanmin(reference_numeric, axis=0) if numeric_columns else np.zeros(0)
        spread = (np.nanmax(reference_numeric, axis=0) - low) if numeric_columns else np.zeros(0)
    low = np.nan_to_num(low)
    spread = np.where(np.isfinite(spread) & (spread > 0), spread, 1.0)
    # Missing numbers sit far outside [0, 1]: after clipping each column's distance at 1, missing vs
    # present costs a full mismatch and missing vs missing costs nothing, as in Gower's distance.
    scaled = [np.nan_to_num((m - low) / spread, nan=1e6) for m in numeric + [reference_numeric]]

    codes = [[] for _ in range(len(frames) + 1)]
    for column in category_columns:
        as_text = [_as_text(f[column]) for f in list(frames) + [reference]]
        categories = pd.Index(pd.concat(as_text).unique())
        for block, values in zip(codes, as_text):
            block.append(categories.get_indexer(values))
    codes = [
        np.column_stack(b) if b else np.zeros((len(f), 0), dtype=int)
        for b, f in zip(codes, list(frames) + [reference])
    ]
    return list(zip(scaled, codes))


def _closest_distance(query, reference, n_columns):
    """Gower distance from each query row to its nearest reference row, in [0, 1].

    A chunked, vectorised exact search: per column, |a - b| / range clipped at 1 for numbers and a 0/1
    mismatch for categories, averaged over columns.
    """
    (q_num, q_cat), (r_num, r_cat) = query, reference
    # float32 and in-place operations: the search is memory-bound, so halving the bytes and
    # avoiding temporaries roughly halves the time; distances are averaged, not accumulated finely.
    q_num, r_num = q_num.astype(np.float32), r_num.astype(np.float32)
    out = np.empty(len(q_num))
    chunk = max(1, 1_000_000 // max(1, len(r_num)))
    total = np.empty((chunk, len(r_num)), dtype=np.float32)
    scratch = np.empty_like(total)
    for start in range(0, len(q_num), chunk):
        stop = min(start + chunk, len(q_num))
        rows = stop - start
        acc, tmp = total[:rows], scratch[:rows]
        acc.fill(0)
        for j in range(q_num.shape[1]):
            np.subtract(q_num[start:stop, j, None], r_num[None, :, j], out=tmp)
            np.abs(tmp, out=tmp)
            np.minimum(tmp, 1.0, out=tmp)
            acc += tmp
        for j in range(q_cat.shape[1]):
            acc += q_cat[start:stop, j, None] != r_cat[None, :, j]
        out[start:stop] = acc.min(axis=1)
    return out / n_columns


def _row_hashes(frame, kinds):
    """One hash per row over values normalised by kind, so equal rows hash equally across files."""
    normalised = {}
    for column, kind in kinds.items():
        if kind in ("numerical", "datetime"):
            normalised[column] = _as_float(frame[column], kind)
        else:
            normalised[column] = _as_text(frame[column])
    return pd.util.hash_pandas_object(pd.DataFrame(normalised), index=False).to_numpy()


def _copy_flag_margin(baseline, n_holdout, n_synthetic):
    """How far the copy rate may exceed the holdout's before it is flagged: 1 point or 2 std errors."""
    variance = baseline * (1 - baseline) * (1 / n_holdout + 1 / n_synthetic)
    return max(0.01, 2 * float(np.sqrt(variance)))


def _privacy(real, real_train, holdout, synthetic, kinds, max_rows, rng):
    """Distances to the closest training row (synthetic vs holdout rows) and exact-copy rates.

    Distances use a sample of at most ``max_rows`` training rows and ``DCR_QUERY_ROWS`` query rows
    per side; copies are counted over every row, synthetic against all real rows and, as the
    baseline, holdout rows against training rows.
    """
    query_rows = min(max_rows, DCR_QUERY_ROWS)
    reference = _sample(real_train, max_rows, rng)
    synthetic_queries = _sample(synthetic, query_rows, rng)
    holdout_queries = _sample(holdout, query_rows, rng)
    encoded_synthetic, encoded_holdout, encoded_reference = _distance_encoding(
        [synthetic_queries, holdout_queries], reference, kinds
    )
    dcr_synthetic = _closest_distance(encoded_synthetic, encoded_reference, len(kinds))
    dcr_holdout = _closest_distance(encoded_holdout, encoded_reference, len(kinds))
    median_synthetic, median_holdout = float(np.median(dcr_synthetic)), float(np.median(dcr_holdout))

    copy_rate = float(np.isin(_row_hashes(synthetic, kinds), _row_hashes(real, kinds)).mean())
    holdout_copy_rate = float(np.isin(_row_hashes(holdout, kinds), _row_hashes(real_train, kinds)).mean())
    quantiles = [0.0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95]
    table = pd.DataFrame(
        {
            "rows": ["synthetic", "real holdout"],
            "compared_rows": [len(dcr_synthetic), len(dcr_holdout)],
            **{
                f"dcr_q{int(q * 100):02d}": [
                    float(np.quantile(dcr_synthetic, q)),
                    float(np.quantile(dcr_holdout, q)),
                ]
                for q in quantiles
            },
            "dcr_mean": [float(dcr_synthetic.mean()), float(dcr_holdout.mean())],
            "exact_copy_rate": [copy_rate, holdout_copy_rate],
        }
    )
    return {
        "dcr_synthetic": dcr_synthetic,
        "dcr_holdout": dcr_holdout,
        "median_synthetic": median_synthetic,
        "median_holdout": median_holdout,
        "dcr_ratio": 1.0 if median_holdout == 0 else min(1.0, median_synthetic / median_holdout),
        "copy_rate": copy_rate,
        "holdout_copy_rate": holdout_copy_rate,
        "rows": {
            "synthetic": len(synthetic_queries),
            "holdout": len(holdout_queries),
            "reference": len(reference),
        },
        "table": table,
    }


def _flags(privacy, n_holdout, n_synthetic, detection_auc, ml_efficacy):
    """Plain-language warnings for scores past the module's FLAG_* thresholds."""
    flags = []
    copy_rate, baseline = privacy["copy_rate"], privacy["holdout_copy_rate"]
    if copy_rate > baseline + _copy_flag_margin(baseline, n_holdout, n_synthetic):
        flags.append(
            f"Privacy failure: {copy_rate:.1%} of synthetic rows are exact copies of real rows, "
            f"against {baseline:.1%} of real holdout rows repeating a training row."
        )
    if privacy["dcr_ratio"] < FLAG_DCR_RATIO:
        flags.append(
            f"Privacy risk: synthetic rows sit much closer to real training rows than unseen real "
            f"rows do (DCR ratio {privacy['dcr_ratio']:.2f} < {FLAG_DCR_RATIO})."
        )
    if detection_auc >= FLAG_DETECTION_AUC:
        flags.append(
            f"Low fidelity: a classifier tells synthetic from real rows with ROC-AUC "
            f"{detection_auc:.2f} (>= {FLAG_DETECTION_AUC})."
        )
    if ml_efficacy is not None:
        ratio, metric = ml_efficacy
        if np.isfinite(ratio) and ratio < FLAG_ML_EFFICACY_RATIO:
            flags.append(
                f"Low usefulness: a model trained on synthetic rows reaches {ratio:.0%} of the "
                f"real-trained model's {metric} (< {FLAG_ML_EFFICACY_RATIO:.0%})."
            )
    return flags


# --------------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------------


@dataclass(repr=False)
class EvaluationReport:
    """Scores, tables and plots comparing a synthetic table with the real one.

    Built by :func:`evaluate`; not meant to be constructed by hand.

    Attributes
    ----------
    scores : dict
        ``{metric: score}`` for every row of :meth:`summary`.
    flags : list of str
        Plain-language warnings, e.g. synthetic rows copied from the real data.
    info : dict
        Row counts, sample sizes, seed and timings behind the numbers.
    """

    summary_: pd.DataFrame
    tables_: dict
    flags: list
    info: dict
    kinds: dict
    samples_: dict = field(repr=False)
    dcr_: dict = field(repr=False)

    @property
    def scores(self) -> dict:
        return dict(zip(self.summary_["metric"], self.summary_["score"]))

    def summary(self) -> pd.DataFrame:
        """Named scores with the direction that is better.

        Returns
        -------
        pandas.DataFrame
            Columns ``metric``, ``score``, ``better`` (``"higher"`` or ``"lower"``) and
            ``description``.
        """
        return self.summary_.copy()

    def details(self, table: str | None = None):
        """Per-column, per-pair and per-metric tables.

        Parameters
        ----------
        table : str, optional
            One of ``"columns"`` (missing shares, shape score and the ROC-AUC of telling the
            tables apart from that column alone), ``"pairs"`` (column-pair trends), ``"detection"``
            (per-fold ROC-AUC), ``"ml_efficacy"`` (only with a target) and ``"privacy"`` (DCR
            quantiles and copy rates). ``None`` returns them all in a dict.

        Returns
        -------
        pandas.DataFrame or dict of pandas.DataFrame
        """
        if table is None:
            return {name: frame.copy() for name, frame in self.tables_.items()}
        if table not in self.tables_:
            raise ValueError(f"Unknown details table {table!r}; choose from {sorted(self.tables_)}.")
        return self.tables_[table].copy()

    def plot_scores(self):
        """Bar chart of the summary scores, coloured from good (green) to bad (red)."""
        from gansynth import _report_html

        return _report_html.plot_scores(self)

    def plot_distributions(self, columns=None, n_columns: int = 3):
        """Real-vs-synthetic distribution of each column (histograms or category bars).

        Parameters
        ----------
        columns : list of str, optional
            Columns to draw; all by default.
        n_columns : int, default=3
            Panels per row.
        """
        from gansynth import _report_html

        return _report_html.plot_distributions(self, columns=columns, n_columns=n_columns)

    def plot_correlation_difference(self):
        """Heatmap of how much each column pair's relationship differs (1 - SDMetrics pair score)."""
        from gansynth import _report_html

        return _report_html.plot_correlation_difference(self)

    def plot_dcr(self):
        """Histogram of distances to the closest real training row: synthetic vs real holdout rows."""
        from gansynth import _report_html

        return _report_html.plot_dcr(self)

    def to_html(self) -> str:
        """The report as one self-contained HTML page (plots embedded as PNG, no external files)."""
        from gansynth import _report_html

        return _report_html.render(self)

    def save_html(self, path):
        """Write :meth:`to_html` to ``path`` and return the path."""
        from pathlib import Path

        path = Path(path)
        path.write_text(self.to_html(), encoding="utf-8")
        return path

    def _repr_html_(self):
        from gansynth import _report_html

        return _report_html.summary_table_html(self)

    def __repr__(self):
        scores = ", ".join(f"{k}={v:.3f}" for k, v in self.scores.items())
        return f"EvaluationReport({scores}, flags={len(self.flags)})"

    def __str__(self):
        table = self.summary_[["metric", "score", "better"]].to_string(
            index=False, float_format=lambda v: f"{v:.3f}"
        )
        flags = "".join(f"\n! {flag}" for flag in self.flags)
        return table + flags


def evaluate(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    target: str | None = None,
    *,
    holdout: pd.DataFrame | None = None,
    holdout_size: float = 0.3,
    task: str = "auto",
    max_rows: int = DEFAULT_MAX_ROWS,
    cv: int = 3,
    random_state=0,
) -> EvaluationReport:
    """Evaluate how faithful, useful and private a synthetic table is.

    Parameters
    ----------
    real : pandas.DataFrame
        The real rows the generator was trained on.
    synthetic : pandas.DataFrame
        Synthetic rows with the same columns (in any order). Values are read with the real data's
        column kinds, so CSV files that disagree on dtypes still compare.
    target : str, optional
        A column to predict. When given, ML efficacy is measured: gradient boosting trained on the
        synthetic rows and trained on real rows, both tested on real holdout rows.
    holdout : pandas.DataFrame, optional
        Real rows the generator never saw. They are the test set of ML efficacy and the privacy
        baseline (how close do genuinely new rows come to the training rows?). When omitted,
        ``holdout_size`` of ``real`` is split off; if the generator was trained on all of ``real``,
        those rows were seen, which makes ML efficacy optimistic and the privacy baseline lenient.
    holdout_size : float, default=0.3
        Share of ``real`` split off as holdout when ``holdout`` is not given (stratified on a
        classification target).
    task : {"auto", "classification", "regression"}, default="auto"
        How to treat ``target``. ``"auto"`` regresses numeric targets with non-integer values or
        more than 20 distinct values and classifies everything else.
    max_rows : int, default=10_000
        Bound on the work for big tables: the quality report and detection use at most this many
        rows of the real and of the synthetic table; ML efficacy trains and tests on at most this
        many rows per set; the DCR search compares at most ``min(max_rows, 2000)`` synthetic and
        holdout rows against at most ``max_rows`` training rows. Rows are drawn without replacement,
        seeded by ``random_state``. Exact copies are always counted over every row.
    cv : int, default=3
        Cross-validation folds of the detection classifier.
    random_state : int, RandomState instance or None, default=0
        Seeds the row samples, the holdout split, the folds and the models; the same seed gives
        the same report.

    Returns
    -------
    EvaluationReport
        ``.summary()``, ``.details()``, ``.plot_*()`` and ``.save_html(path)``.

    Raises
    ------
    ValueError
        On empty tables, mismatched columns, a ``target`` missing from either table, or values that
        cannot be read with the real column's kind.
    """
    from sklearn.model_selection import train_test_split
    from sklearn.utils import check_random_state

    started = time.perf_counter()
    _check_frame(real, "real")
    _check_frame(synthetic, "synthetic")
    _check_same_columns(real, synthetic, "synthetic")
    if holdout is not None:
        _check_frame(holdout, "holdout")
        _check_same_columns(real, holdout, "holdout")
    if target is not None:
        where = [
            name
            for name, frame in (("real", real), ("synthetic", synthetic), ("holdout", holdout))
            if frame is not None and target not in frame.columns
        ]
        if where:
            raise ValueError(f"target {target!r} is not a column of the {' and '.join(where)} data.")
    if task not in ("auto", "classification", "regression"):
        raise ValueError(f"task must be 'auto', 'classification' or 'regression', got {task!r}.")
    if not (isinstance(max_rows, (int, np.integer)) and max_rows >= 10):
        raise ValueError(f"max_rows must be an integer of at least 10, got {max_rows!r}.")
    if not (isinstance(cv, (int, np.integer)) and cv >= 2):
        raise ValueError(f"cv must be an integer of at least 2, got {cv!r}.")
    if holdout is None and not 0 < holdout_size < 1:
        raise ValueError(f"holdout_size must be between 0 and 1, got {holdout_size!r}.")

    kinds = column_kinds(real)
    real = _coerce_like_real(real, kinds, "real").reset_index(drop=True)
    synthetic = _coerce_like_real(synthetic[list(real.columns)], kinds, "synthetic")
    synthetic = synthetic.reset_index(drop=True)
    rng = check_random_state(random_state)
    timings = {}

    if target is not None and task == "auto":
        task = _infer_task(real[target], kinds[target])

    # The real rows are split into those the synthetic rows are compared with and a holdout.
    if holdout is None:
        if len(real) < 4:
            raise ValueError(f"`real` has {len(real)} rows; at least 4 are needed to split a holdout.")
        stratify = None
        if target is not None and task == "classification":
            counts = real[target].value_counts(dropna=False)
            if counts.min() >= 2 and len(counts) <= len(real) * holdout_size:
                stratify = _as_text(real[target], missing="(missing)")
        real_train, holdout = train_test_split(
            real, test_size=holdout_size, random_state=_seed(rng), stratify=stratify
        )
        holdout_source = f"{holdout_size:.0%} of the real rows, split off"
    else:
        holdout = _coerce_like_real(holdout[list(real.columns)], kinds, "holdout")
        real_train = real
        holdout_source = "given separately"
    real_train = real_train.reset_index(drop=True)
    holdout = holdout.reset_index(drop=True)

    real_sample = _sample(real, max_rows, rng)
    synthetic_sample = _sample(synthetic, max_rows, rng)

    tick = time.perf_counter()
    shapes_score, pairs_score, shapes, pairs = _quality(real_sample, synthetic_sample, kinds)
    timings["quality"] = time.perf_counter() - tick
    missing = pd.DataFrame(
        {
            "column": list(kinds),
            "kind": list(kinds.values()),
            "real_missing": [float(real_sample[c].isna().mean()) for c in kinds],
            "synthetic_missing": [float(synthetic_sample[c].isna().mean()) for c in kinds],
        }
    )
    columns_table = missing.merge(shapes, on="column", how="left")

    tick = time.perf_counter()
    detection_auc, fold_aucs = _detection(real_sample, synthetic_sample, kinds, cv, _seed(rng))
    columns_table["detection_auc"] = columns_table["column"].map(
        _univariate_detection(real_sample, synthetic_sample, kinds, _seed(rng))
    )
    timings["detection"] = time.perf_counter() - tick
    detection_table = pd.DataFrame({"fold": np.arange(1, len(fold_aucs) + 1), "roc_auc": fold_aucs})

    ml_table = None
    if target is not None:
        tick = time.perf_counter()
        ml_table = _ml_efficacy(
            _sample(real_train, max_rows, rng),
            synthetic_sample,
            _sample(holdout, max_rows, rng),
            target,
            kinds,
            task,
            _seed(rng),
        )
        timings["ml_efficacy"] = time.perf_counter() - tick

    tick = time.perf_counter()
    privacy = _privacy(real, real_train, holdout, synthetic, kinds, max_rows, rng)
    timings["privacy"] = time.perf_counter() - tick
    dcr_ratio, copy_rate = privacy["dcr_ratio"], privacy["copy_rate"]
    holdout_copy_rate = privacy["holdout_copy_rate"]
    median_synthetic, median_holdout = privacy["median_synthetic"], privacy["median_holdout"]

    rows = [
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
    if ml_table is not None:
        by_source = ml_table.set_index("trained_on")["score"]
        real_score, synthetic_score = float(by_source["real"]), float(by_source["synthetic"])
        metric = ml_table["metric"].iloc[0]
        ratio = synthetic_score / real_score if real_score > 0 else np.nan
        rows += [
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
    rows += [
        (
            "dcr_ratio",
            dcr_ratio,
            "higher",
            f"Median distance to the closest real training row: synthetic ({median_synthetic:.3f}) / "
            f"real holdout ({median_holdout:.3f}), capped at 1. 1 = synthetic rows are no closer to "
            "training rows than unseen real rows are; near 0 = near-copies.",
        ),
        (
            "exact_copy_rate",
            copy_rate,
            "lower",
            f"Share of synthetic rows identical to a real row (real holdout rows that repeat a "
            f"training row: {holdout_copy_rate:.1%}).",
        ),
    ]
    summary = pd.DataFrame(rows, columns=["metric", "score", "better", "description"])

    flags = _flags(
        privacy,
        len(holdout),
        len(synthetic),
        detection_auc,
        None if ml_table is None else (ratio, metric),
    )

    tables = {
        "columns": columns_table,
        "pairs": pairs,
        "detection": detection_table,
        "privacy": privacy["table"],
    }
    if ml_table is not None:
        tables["ml_efficacy"] = ml_table
    info = {
        "real_rows": len(real),
        "synthetic_rows": len(synthetic),
        "training_rows": len(real_train),
        "holdout_rows": len(holdout),
        "holdout": holdout_source,
        "quality_rows": {"real": len(real_sample), "synthetic": len(synthetic_sample)},
        "dcr_rows": privacy["rows"],
        "target": target,
        "task": task if target is not None else None,
        "max_rows": int(max_rows),
        "random_state": random_state if isinstance(random_state, (int, type(None))) else "instance",
        "seconds": {
            **{k: round(v, 2) for k, v in timings.items()},
            "total": round(time.perf_counter() - started, 2),
        },
    }
    return EvaluationReport(
        summary_=summary,
        tables_=tables,
        flags=flags,
        info=info,
        kinds=kinds,
        samples_={"real": real_sample, "synthetic": synthetic_sample},
        dcr_={"synthetic": privacy["dcr_synthetic"], "holdout": privacy["dcr_holdout"]},
    )


# --------------------------------------------------------------------------------------------------
# Command line: gansynth evaluate
# --------------------------------------------------------------------------------------------------


def add_subcommand(subparsers) -> None:
    """Add ``evaluate`` to the ``gansynth`` command's argparse subparsers (see ``gansynth.cli``)."""
    parser = subparsers.add_parser(
        "evaluate",
        help="compare a synthetic table with the real one: fidelity, ML efficacy, privacy",
        description="Evaluate synthetic rows against real rows and print the summary table. Tables "
        "are CSV files (or .parquet). With --target, ML efficacy is measured as well; -o writes a "
        "self-contained HTML report with plots.",
    )
    parser.add_argument("real", help="real table (.csv or .parquet)")
    parser.add_argument("synthetic", help="synthetic table with the same columns")
    parser.add_argument("--target", default=None, help="column to predict for ML efficacy")
    parser.add_argument(
        "--holdout", default=None, help="real rows the generator never saw (default: split 30%% off REAL)"
    )
    parser.add_argument("-o", "--output", default=None, help="HTML report to write")
    parser.add_argument(
        "--max-rows",
        type=int,
        default=DEFAULT_MAX_ROWS,
        help=f"row sample bound for the costly metrics (default {DEFAULT_MAX_ROWS})",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--fail-on-flags",
        action="store_true",
        help="exit with status 1 when the report raises a flag (copies, low fidelity...)",
    )
    parser.set_defaults(handler=_run_evaluate)


def _run_evaluate(args) -> None:
    import sys

    from gansynth.cli import read_table

    real = read_table(args.real)
    synthetic = read_table(args.synthetic)
    holdout = read_table(args.holdout) if args.holdout else None
    report = evaluate(
        real, synthetic, target=args.target, holdout=holdout, max_rows=args.max_rows, random_state=args.seed
    )
    print(report)
    if args.output:
        print(f"wrote {report.save_html(args.output)}", file=sys.stderr)
    if args.fail_on_flags and report.flags:
        raise SystemExit(1)
