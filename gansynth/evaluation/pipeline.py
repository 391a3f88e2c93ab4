"""The evaluation pipeline: check the arguments, split a holdout, run each measurement, assemble."""

from __future__ import annotations

import contextlib
import time

import pandas as pd

from gansynth._columns import as_text
from gansynth._random import draw_seed, numpy_random_state
from gansynth.errors import InputError
from gansynth.evaluation.checks import (
    DEFAULT_MAX_ROWS,
    check_arguments,
    coerce_like_real,
    column_kinds,
    sample_rows,
)
from gansynth.evaluation.detection import detection, univariate_detection
from gansynth.evaluation.fidelity import quality
from gansynth.evaluation.privacy import privacy
from gansynth.evaluation.report import EvaluationReport
from gansynth.evaluation.summary import detail_tables, flags, summary_frame
from gansynth.evaluation.utility import infer_task, ml_efficacy


@contextlib.contextmanager
def _timed(timings, name):
    tick = time.perf_counter()
    yield
    timings[name] = time.perf_counter() - tick


def _since(started):
    return round(time.perf_counter() - started, 2)


def _split_holdout(real, holdout, kinds, target, task, holdout_size, rng):
    """``(training rows, holdout rows, where the holdout came from)``, both indexed from 0.

    Without a given holdout, ``holdout_size`` of ``real`` is split off, stratified on a
    classification target whose every class has at least two rows.
    """
    from sklearn.model_selection import train_test_split

    if holdout is not None:
        holdout = coerce_like_real(holdout[list(real.columns)], kinds, "holdout")
        return real, holdout.reset_index(drop=True), "given separately"
    if len(real) < 4:
        raise InputError(f"`real` has {len(real)} rows; at least 4 are needed to split a holdout.")
    stratify = None
    if target is not None and task == "classification":
        counts = real[target].value_counts(dropna=False)
        if counts.min() >= 2 and len(counts) <= len(real) * holdout_size:
            stratify = as_text(real[target], missing="(missing)")
    real_train, holdout = train_test_split(
        real, test_size=holdout_size, random_state=draw_seed(rng), stratify=stratify
    )
    source = f"{holdout_size:.0%} of the real rows, split off"
    return real_train.reset_index(drop=True), holdout.reset_index(drop=True), source


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
        the same report. ``None`` seeds from fresh operating-system entropy (numpy's global
        generator is never used).

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
    started, timings = time.perf_counter(), {}
    check_arguments(real, synthetic, holdout, target, task, max_rows, cv, holdout_size)
    kinds = column_kinds(real)
    real = coerce_like_real(real, kinds, "real").reset_index(drop=True)
    synthetic = coerce_like_real(synthetic[list(real.columns)], kinds, "synthetic").reset_index(drop=True)
    rng = numpy_random_state(random_state)
    if target is not None and task == "auto":
        task = infer_task(real[target], kinds[target])
    real_train, holdout, holdout_source = _split_holdout(
        real, holdout, kinds, target, task, holdout_size, rng
    )
    samples = {"real": sample_rows(real, max_rows, rng), "synthetic": sample_rows(synthetic, max_rows, rng)}

    with _timed(timings, "quality"):
        shapes_score, pairs_score, shapes, pairs = quality(samples["real"], samples["synthetic"], kinds)
    with _timed(timings, "detection"):
        detection_auc, fold_aucs = detection(samples["real"], samples["synthetic"], kinds, cv, draw_seed(rng))
        column_aucs = univariate_detection(samples["real"], samples["synthetic"], kinds, draw_seed(rng))
    ml_table = None
    if target is not None:
        with _timed(timings, "ml_efficacy"):
            train, test = sample_rows(real_train, max_rows, rng), sample_rows(holdout, max_rows, rng)
            ml_table = ml_efficacy(train, samples["synthetic"], test, target, kinds, task, draw_seed(rng))
    with _timed(timings, "privacy"):
        measured_privacy = privacy(real, real_train, holdout, synthetic, kinds, max_rows, rng)

    tables = detail_tables(samples, kinds, shapes, pairs, column_aucs, fold_aucs, measured_privacy, ml_table)
    sizes = {"real": real, "synthetic": synthetic, "training": real_train, "holdout": holdout}
    info = _info(sizes, holdout_source, samples, measured_privacy, target, task, max_rows, random_state)
    info["seconds"] = {**{k: round(v, 2) for k, v in timings.items()}, "total": _since(started)}
    summary = summary_frame(
        shapes_score, pairs_score, pairs, detection_auc, cv, ml_table, target, measured_privacy
    )
    return EvaluationReport(
        summary_=summary,
        tables_=tables,
        flags=flags(measured_privacy, len(holdout), len(synthetic), detection_auc, ml_table),
        info=info,
        kinds=kinds,
        samples_=samples,
        dcr_={"synthetic": measured_privacy["dcr_synthetic"], "holdout": measured_privacy["dcr_holdout"]},
    )


def _info(frames, holdout_source, samples, measured_privacy, target, task, max_rows, random_state):
    """Row counts, sample sizes and settings behind the numbers (timings are added by the caller)."""
    return {
        "real_rows": len(frames["real"]),
        "synthetic_rows": len(frames["synthetic"]),
        "training_rows": len(frames["training"]),
        "holdout_rows": len(frames["holdout"]),
        "holdout": holdout_source,
        "quality_rows": {"real": len(samples["real"]), "synthetic": len(samples["synthetic"])},
        "dcr_rows": measured_privacy["rows"],
        "target": target,
        "task": task if target is not None else None,
        "max_rows": int(max_rows),
        "random_state": random_state if isinstance(random_state, (int, type(None))) else "instance",
    }
