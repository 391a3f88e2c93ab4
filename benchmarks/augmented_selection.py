"""How well does AugmentedClassifierCV choose? Every candidate amount scored on the real test rows.

For each dataset x setting x split of a grid and each classifier, it fits
:class:`~gansynth.AugmentedClassifierCV` as the downstream benchmark does (the same training
rows, seeds and inner folds, so the same choice), keeps every candidate's inner-fold scores and
out-of-fold predictions, and then refits the classifier on *every* candidate amount (nested
prefixes of one sampler draw) and scores each on the untouched test rows. Selection rules are
compared afterwards, from the stored rows: what each would have chosen, and the test PR-AUC of
that choice, against no augmentation, always augmenting and the oracle (the best amount on the
test rows, which no rule can know).

Usage::

    python -m benchmarks selection --data-dir ../shared/datasets --grid small --jobs 2
    python -m benchmarks selection --data-dir ../shared/datasets --grid held-out --jobs 2
    python -m benchmarks selection --report-only --out benchmarks/results

Rows are appended to ``<out>/augmented_selection_runs.jsonl`` as each task ends, so an
interrupted run resumes; the report is ``<out>/augmented_selection.md``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import shlex
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from joblib import Memory
from sklearn.base import clone
from sklearn.metrics import average_precision_score

from benchmarks._cells import INNER_FOLDS, RegistryLoader, make_split, setting_indices, split_seed
from benchmarks.downstream import _single_thread_worker
from benchmarks.selection_report import write_report
from gansynth._augmented_folds import augmented, positive_scores
from gansynth.comparison.classifiers import as_imputable
from gansynth.comparison.methods import _augmented_cv, registry

GRIDS = {
    # The five small tables on which GANOversampler's defaults were chosen, in the reduced
    # downstream profile's settings (benchmarks/results/baselines.md).
    "small": (
        ("yeast4", "flare_F", "car_good", "oil", "ozone_level"),
        ("natural", "ratio_1:100", "n_100", "n_250"),
    ),
    # Tables that played no part in choosing a selection rule.
    "held-out": (
        ("seismic_bumps", "wilt", "mammography", "credit_data"),
        ("natural", "ratio_1:100", "n_100", "n_250"),
    ),
}
CLASSIFIERS = ("logreg", "hist_gb")
SPLITS = 3
STEM = "augmented_selection"


def run_task(dataset: str, setting: str, split: int, data_dir: str) -> list[dict]:
    """One (dataset, setting, split): every classifier, every candidate amount, inner and test scores."""
    X, y = RegistryLoader(data_dir)(dataset)
    train, test = make_split(y, split)
    keep = setting_indices(y[train], setting, split_seed(split))
    if keep is None:
        return []
    train = train[keep]
    X_train, y_train = as_imputable(X.iloc[train].reset_index(drop=True)), y[train]
    X_test, y_test = as_imputable(X.iloc[test].reset_index(drop=True)), y[test]
    seed = split_seed(split)
    rows = []
    with tempfile.TemporaryDirectory() as cache:
        memory = Memory(cache, verbose=0)  # one sampler draw per fold, shared by the classifiers
        for classifier in CLASSIFIERS:
            start = time.perf_counter()
            model = _augmented_cv(
                registry()["AugmentedClassifierCV"], classifier, X_train, y_train, seed, memory, INNER_FOLDS
            )
            X_fit, y_fit, draw, refit_seed = model._cross_validate(X_train, y_train)
            X_new, y_new = draw(model._sampler_for(refit_seed), X_fit, y_fit)
            results = model.cv_results_
            for index, amount in enumerate(results["amount"]):
                X_aug, y_aug, n_new = augmented(X_fit, y_fit, X_new, y_new, float(amount))
                fitted = clone(model.estimator).fit(X_aug, y_aug)
                held_out = model.cv_predictions_[index]
                rows.append(
                    {
                        "dataset": dataset,
                        "setting": setting,
                        "split": split,
                        "classifier": classifier,
                        "amount": float(amount),
                        "n_train": int(len(y_train)),
                        "n_train_minority": int(np.sum(y_train == 1)),
                        "folds": int(model.n_splits_),
                        "fold_scores": [
                            float(results[f"split{k}_test_score"][index]) for k in range(model.n_splits_)
                        ],
                        "pooled_cv_ap": float(average_precision_score(y_train, held_out))
                        if not np.isnan(held_out).any()
                        else float("nan"),
                        "n_synthetic": int(n_new),
                        "test_pr_auc": float(
                            average_precision_score(y_test, positive_scores(fitted, X_test, 1))
                        ),
                        "seconds": time.perf_counter() - start,
                    }
                )
    return rows


def tasks(grid: str) -> list[tuple[str, str, int]]:
    datasets, settings = GRIDS[grid]
    return [(d, s, k) for d in datasets for s in settings for k in range(SPLITS)]


def _done(path: Path) -> set[tuple]:
    if not path.exists():
        return set()
    done = set()
    for line in path.read_text().splitlines():
        row = json.loads(line)
        done.add((row["dataset"], row["setting"], row["split"]))
    return done


def run(grid: str, data_dir: str, out: Path, jobs: int, log=print) -> None:
    path = out / f"{STEM}_runs.jsonl"
    done = _done(path)
    pending = [t for t in tasks(grid) if t not in done]
    log(f"{grid}: {len(pending)} of {len(tasks(grid))} tasks to run with {jobs} job(s)")
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_single_thread_worker) as pool:
        futures = [pool.submit(run_task, *task, data_dir) for task in pending]
        for task, future in zip(pending, futures):
            rows = future.result() or [
                {"dataset": task[0], "setting": task[1], "split": task[2], "skipped": True}
            ]
            with path.open("a") as handle:
                handle.writelines(json.dumps({"grid": grid, **row}) + "\n" for row in rows)
            log(f"  {task} done")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks selection", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--data-dir", default="../shared/datasets")
    parser.add_argument("--grid", choices=sorted(GRIDS), default="small")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.report_only:
        started = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        run(args.grid, args.data_dir, args.out, args.jobs)
        with (args.out / f"{STEM}_commands.txt").open("a") as handle:
            command = " ".join(
                shlex.quote(a) for a in ["python", "-m", "benchmarks", "selection", *(argv or sys.argv[1:])]
            )
            handle.write(f"{command}   # started {started}\n")
    print(write_report(args.out, STEM))
    return 0
