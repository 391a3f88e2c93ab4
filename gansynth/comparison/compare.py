"""``compare``: does augmentation help *my* classifier on *my* table? Repeated CV of every method.

Every method is fitted on the same training folds and scored on the same held-out real rows, so
results are paired: :func:`summarize` tests each method against no augmentation fold by fold.
"""

from __future__ import annotations

import tempfile
import time
import warnings

import numpy as np
import pandas as pd
from joblib import Memory
from sklearn.model_selection import RepeatedStratifiedKFold
from threadpoolctl import threadpool_limits

from gansynth._columns import check_numbers
from gansynth._progress import progress_bar
from gansynth.comparison.classifiers import METRICS, classifier_name
from gansynth.comparison.methods import evaluate, registry
from gansynth.comparison.statistics import wilcoxon_row
from gansynth.errors import InputError
from gansynth.sampling.filters import SINGLE_THREAD_ROWS

DEFAULT_METHODS = tuple(registry())
# The columns ``summarize`` reports, in order, with their display names.
SUMMARY_METRICS = {
    "pr_auc": "PR-AUC",
    "roc_auc": "ROC-AUC",
    "balanced_accuracy_tuned": "balanced accuracy (tuned)",
    "f1_minority_tuned": "minority F1 (tuned)",
}


def _plain(label):
    """A label as users wrote it: 1, not np.int64(1)."""
    return label.item() if isinstance(label, np.generic) else label


def _binary_target(y: pd.Series, positive) -> tuple[np.ndarray, object]:
    """1 for the class of interest (``positive``, else the rarer of two classes), 0 for the rest."""
    values = pd.Series(y).reset_index(drop=True)
    if values.empty:
        raise InputError("the target is empty (0 rows)")
    if values.isna().any():
        raise InputError(f"the target has {int(values.isna().sum())} missing value(s); drop those rows first")
    counts = values.value_counts()
    if len(counts) < 2:
        only = _plain(counts.index[0])
        raise InputError(f"the target has one class ({only!r}): there is nothing to classify")
    if positive is None:
        if len(counts) > 2:
            raise InputError(
                f"the target has {len(counts)} classes ({', '.join(map(str, counts.index[:6]))}...); "
                "name the class of interest with positive= (--positive): it is compared against the rest"
            )
        positive = counts.index[-1]  # the rarer
    else:
        matches = [label for label in counts.index if label == positive or str(label) == str(positive)]
        if not matches:
            known = ", ".join(map(str, counts.index[:10]))
            raise InputError(f"positive class {positive!r} is not in the target; its classes are {known}")
        positive = matches[0]
    positive = _plain(positive)
    return (values == positive).to_numpy().astype(int), positive


def _check_features(X: pd.DataFrame) -> None:
    """Refuse, before any fold runs, what would fail deep inside a method: no rows, no columns,
    a column with no values, infinite or overflowing numbers."""
    if X.empty:
        raise InputError(
            f"the table has {len(X)} row(s) and {X.shape[1]} feature column(s): nothing to compare"
        )
    empty = [name for name in X.columns if X[name].isna().all()]
    if empty:
        raise InputError(
            f"column(s) {empty} are entirely missing (all NaN); drop or fill them before comparing"
        )
    for name in X.columns:
        if pd.api.types.is_numeric_dtype(X[name]) and not pd.api.types.is_bool_dtype(X[name]):
            check_numbers(name, X[name].to_numpy(dtype=np.float64, na_value=np.nan), "comparing")


def _as_features(X) -> pd.DataFrame:
    frame = X.copy() if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X))
    frame.columns = [str(c) for c in frame.columns]
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            # Days since 1970: the resamplers and classifiers here take numbers or categories.
            stamps = frame[column].dt.tz_localize(None) if frame[column].dt.tz else frame[column]
            frame[column] = (stamps - pd.Timestamp(0)) / pd.Timedelta(days=1)
        elif not pd.api.types.is_numeric_dtype(frame[column]) or pd.api.types.is_bool_dtype(frame[column]):
            frame[column] = frame[column].astype("category")
    return frame.reset_index(drop=True)


def _checked_methods(methods) -> dict:
    """The methods to run by name, ``none`` first when missing: it is the reference of every
    paired test."""
    known = registry()
    unknown = [m for m in methods if m not in known]
    if unknown or not len(methods):
        raise InputError(f"unknown method(s) {unknown}; known: {', '.join(known)}")
    names = list(methods) if "none" in methods else ["none", *methods]
    return {name: known[name] for name in names}


def _fold_results(methods: dict, classifier, X, target, fold, seed, memory):
    """``(method name, metrics with the seconds taken)`` for each method on one train/test split."""
    train, test = fold
    X_train, y_train = X.iloc[train].reset_index(drop=True), target[train]
    X_test, y_test = X.iloc[test].reset_index(drop=True), target[test]
    for name, method in methods.items():
        start = time.perf_counter()
        result = evaluate(method, classifier, X_train, y_train, X_test, y_test, seed, memory=memory)
        yield name, {**result, "seconds": time.perf_counter() - start}


def compare(
    X,
    y,
    *,
    classifier="hist_gb",
    methods=DEFAULT_METHODS,
    n_splits=5,
    n_repeats=2,
    positive=None,
    random_state=0,
    verbose=True,
) -> pd.DataFrame:
    """Repeated stratified CV of augmentation methods with one classifier on one table.

    Parameters
    ----------
    X : pandas.DataFrame or array-like of shape (n_rows, n_features)
        Features; numeric, boolean, categorical (object, category) and datetime columns, NaN allowed.
    y : array-like of shape (n_rows,)
        Labels. With two classes the rarer is the class of interest; with more, name it.
    classifier : {"hist_gb", "logreg", "random_forest", "mlp"} or "hgb", "lr", "rf", default="hist_gb"
        Fitted after one shared preprocessing (imputation, scaling, one-hot encoding).
    methods : sequence of str, default=all
        Names from ``none``, ``class weights``, ``RandomOverSampler``, ``SMOTE`` (SMOTE, SMOTENC or
        SMOTEN as the columns require), ``GANOversampler``, ``AugmentedClassifierCV``.
    n_splits, n_repeats : int, default=5, 2
        Repeated stratified k-fold: ``n_splits * n_repeats`` paired results per method.
    positive : label or None, default=None
        The class of interest (compared against all others).
    random_state : int, default=0
        Seeds the folds, the samplers and the classifiers.
    verbose : bool, default=True
        A progress bar over the folds.

    Returns
    -------
    pandas.DataFrame
        One row per (repeat, fold, method): ``METRICS`` (``pr_auc``, ``roc_auc``; ``f1_minority``,
        ``balanced_accuracy``, ``g_mean`` at the 0.5 threshold; ``f1_minority_tuned`` and
        ``balanced_accuracy_tuned`` at thresholds tuned on held-out training rows),
        ``n_synthetic``, ``amount`` (AugmentedClassifierCV's choice) and ``seconds``. ``attrs``
        holds the classifier, the positive class and the table's size.
    """
    classifier = classifier_name(classifier)
    methods = _checked_methods(methods)
    X = _as_features(X)
    _check_features(X)
    target, positive = _binary_target(y, positive)
    if len(target) != len(X):
        raise InputError(f"X has {len(X)} rows but y has {len(target)}")
    n_minority = int(target.sum())
    if n_minority < n_splits:
        raise InputError(
            f"the class of interest ({positive!r}) has {n_minority} row(s); {n_splits} folds need at least "
            f"{n_splits}: use fewer folds (n_splits, --folds)"
        )
    splitter = RepeatedStratifiedKFold(n_splits=n_splits, n_repeats=n_repeats, random_state=random_state)
    folds = list(splitter.split(X, target))
    rows = []
    # One OpenMP/BLAS thread on small tables, for the reason the quality filter uses one: threads
    # that wait for one another at every split multiply a fit's time on a busy machine.
    threads = 1 if len(X) <= SINGLE_THREAD_ROWS else None
    with (
        tempfile.TemporaryDirectory(prefix="gansynth-compare-") as cache,
        warnings.catch_warnings(),
        threadpool_limits(limits=threads),
    ):
        warnings.simplefilter("ignore")  # convergence and fit-failure warnings would drown the table
        memory = Memory(cache, verbose=0)  # GANOversampler and AugmentedClassifierCV share GAN draws
        bar = progress_bar(
            range(len(folds)), description=f"compare ({classifier})", verbose=verbose, unit="fold"
        )
        for k in bar:
            fold = {"repeat": k // n_splits, "fold": k % n_splits}
            seed = random_state * 1000 + k
            for name, result in _fold_results(methods, classifier, X, target, folds[k], seed, memory):
                rows.append({**fold, "method": name, **result})
    frame = pd.DataFrame(rows)
    for column in ("amount", "n_synthetic"):
        if column not in frame:
            frame[column] = np.nan
    frame = frame[["repeat", "fold", "method", *METRICS, "n_synthetic", "amount", "seconds"]]
    frame.attrs.update(
        classifier=classifier, positive=positive, n_rows=len(X), n_minority=n_minority, n_features=X.shape[1]
    )
    return frame


def summarize(results: pd.DataFrame, metrics=tuple(SUMMARY_METRICS)) -> pd.DataFrame:
    """Per method: mean and std of each metric over the folds, and a paired test against ``none``.

    Returns
    -------
    pandas.DataFrame
        Indexed by method, in the results' order: ``<metric>_mean``, ``<metric>_std``,
        ``<metric>_diff`` (mean difference to ``none`` over the same folds), ``<metric>_p``
        (two-sided Wilcoxon signed-rank over those folds), ``<metric>_wins`` (folds better than
        none), ``seconds`` (mean per fold).
    """
    order = list(dict.fromkeys(results["method"]))
    summary = pd.DataFrame(index=pd.Index(order, name="method"))
    keyed = results.set_index(["repeat", "fold", "method"])
    for metric in metrics:
        by_fold = keyed[metric].unstack("method")
        summary[f"{metric}_mean"] = by_fold.mean().reindex(order)
        summary[f"{metric}_std"] = by_fold.std().reindex(order)
        tests = {m: wilcoxon_row(by_fold, m, "none") for m in order}
        summary[f"{metric}_diff"] = [t["mean_diff"] if t else np.nan for t in tests.values()]
        summary[f"{metric}_p"] = [t["p"] if t else np.nan for t in tests.values()]
        summary[f"{metric}_wins"] = [f"{t['wins']}/{t['n']}" if t else "" for t in tests.values()]
    summary["seconds"] = results.groupby("method")["seconds"].mean().reindex(order)
    return summary


def format_summary(summary: pd.DataFrame, metrics=tuple(SUMMARY_METRICS)) -> str:
    """The summary as a plain-text table: mean ± std per metric, PR-AUC's difference and p vs none.

    Parameters
    ----------
    summary : pandas.DataFrame
        The output of :func:`summarize`, one row per method.
    metrics : sequence of str, default=all summary metrics
        The metrics to show, the first one also compared with no augmentation.

    Returns
    -------
    str
        The table, one line per method.
    """
    table = pd.DataFrame(index=summary.index)
    for metric in metrics:
        table[SUMMARY_METRICS.get(metric, metric)] = [
            f"{m:.3f} ± {s:.3f}" if np.isfinite(m) else "n/a"
            for m, s in zip(summary[f"{metric}_mean"], summary[f"{metric}_std"])
        ]
    first = metrics[0]
    name = SUMMARY_METRICS.get(first, first)
    table[f"Δ {name} vs none"] = [f"{d:+.4f}" if np.isfinite(d) else "" for d in summary[f"{first}_diff"]]
    table["wins"] = summary[f"{first}_wins"]
    table["p (Wilcoxon)"] = [f"{p:.3g}" if np.isfinite(p) else "" for p in summary[f"{first}_p"]]
    table["s / fold"] = [f"{s:.1f}" for s in summary["seconds"]]
    return table.to_string()
