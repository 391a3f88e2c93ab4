"""Benchmark cells: one (dataset, setting, split, augmenter) unit of work.

A split holds out a stratified, untouched test set of real rows. A setting then shapes only the
training part: ``natural`` keeps it, ``ratio_1:R`` keeps every majority row and cuts the minority
to one per R, ``n_N`` draws a stratified subset of N rows. Every augmenter of one
(dataset, setting, split) sees exactly the same training rows, and every classifier is fitted on
that augmenter's output, so results are paired for the statistics.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedShuffleSplit

from gansynth.comparison.methods import evaluate

from ._augmenters import AugmenterSpec
from ._classifiers import METRICS

TEST_SIZE = 0.25
# Settings never leave fewer minority rows than this: with one positive, no k-NN sampler and no
# class-conditional generator has anything to learn from, and a user would not train on it.
MIN_MINORITY = 2

RESULT_COLUMNS = [
    "dataset",
    "setting",
    "split",
    "augmenter",
    "classifier",
    "status",
    "error",
    "n_train",
    "n_train_minority",
    "n_synthetic",
    "resample_seconds",
    "fit_seconds",
    *METRICS,
    "amount",
]
# Folds of the training rows that tune decision thresholds and AugmentedClassifierCV's amount
# (fewer for a tinier minority). Three, not scikit-learn's five, to fit the GAN fits in the budget.
INNER_FOLDS = 3


@dataclass(frozen=True)
class Cell:
    dataset: str
    setting: str
    split: int
    augmenter: str

    @property
    def key(self) -> tuple:
        return (self.dataset, self.setting, self.split, self.augmenter)


def setting_group(setting: str) -> str:
    """``imbalanced`` for the natural and cut-ratio settings, ``low-data`` for the subsets."""
    return "low-data" if setting.startswith("n_") else "imbalanced"


def split_seed(split: int) -> int:
    return 1000 + split


def make_split(y: np.ndarray, split: int) -> tuple[np.ndarray, np.ndarray]:
    """Train and test indices of repeat ``split``; independent of how many repeats there are."""
    splitter = StratifiedShuffleSplit(n_splits=1, test_size=TEST_SIZE, random_state=split_seed(split))
    return next(splitter.split(np.zeros(len(y)), y))


def setting_indices(y_train: np.ndarray, setting: str, seed: int) -> np.ndarray | None:
    """Positions within the training part that the setting keeps; None if it does not apply.

    A ratio cut that would not remove minority rows (the data are already that imbalanced), and
    a subset at least as large as the training part, do not apply.
    """
    rng = np.random.default_rng(seed)
    minority, majority = np.flatnonzero(y_train == 1), np.flatnonzero(y_train == 0)
    if setting == "natural":
        return np.arange(len(y_train))
    if setting.startswith("ratio_1:"):
        ratio = float(setting.split(":", 1)[1])
        keep = max(MIN_MINORITY, int(round(len(majority) / ratio)))
        if keep >= len(minority):
            return None
        return np.sort(np.concatenate([majority, rng.choice(minority, keep, replace=False)]))
    if setting.startswith("n_"):
        size = int(setting[2:])
        if size >= len(y_train):
            return None
        n_min = max(MIN_MINORITY, int(round(size * len(minority) / len(y_train))))
        picked = [
            rng.choice(minority, n_min, replace=False),
            rng.choice(majority, size - n_min, replace=False),
        ]
        return np.sort(np.concatenate(picked))
    raise ValueError(f"unknown setting {setting!r}: use natural, ratio_1:<R> or n_<rows>")


def cell_applies(X: pd.DataFrame, y: np.ndarray, setting: str, split: int) -> bool:
    train, _ = make_split(y, split)
    return setting_indices(y[train], setting, split_seed(split)) is not None


Loader = Callable[[str], tuple[pd.DataFrame, np.ndarray]]


def run_cell(
    cell: Cell,
    loader: Loader,
    augmenter: AugmenterSpec,
    classifiers: tuple[str, ...],
    cache_dir: str | None = None,
    tune: bool = True,
) -> list[dict]:
    """Resample once, fit every classifier, and return one result row per classifier.

    Each classifier is scored at the 0.5 threshold and at thresholds tuned on held-out training
    rows (``gansynth.comparison.methods.evaluate``; ``tune=False`` leaves the tuned metrics NaN and
    fits no fold). ``cache_dir`` holds GAN draws that
    GANOversampler's threshold tuning and AugmentedClassifierCV share (same folds, same seeds).

    Failures are results too: an augmenter that raises yields one ``failed`` row per classifier
    carrying the error, so it is never silently missing from the tables.
    """
    X, y = loader(cell.dataset)
    train, test = make_split(y, cell.split)
    keep = setting_indices(y[train], cell.setting, split_seed(cell.split))
    train = train[keep]
    X_train, y_train = X.iloc[train].reset_index(drop=True), y[train]
    X_test, y_test = X.iloc[test].reset_index(drop=True), y[test]
    base = {
        "dataset": cell.dataset,
        "setting": cell.setting,
        "split": cell.split,
        "augmenter": cell.augmenter,
        "n_train": len(y_train),
        "n_train_minority": int(np.sum(y_train == 1)),
    }
    seed = split_seed(cell.split)
    start = time.perf_counter()
    try:
        X_res, y_res = augmenter.build()(X_train, y_train, seed)
        X_res, y_res = pd.DataFrame(X_res, columns=X_train.columns), np.asarray(y_res)
    except Exception as error:  # noqa: BLE001 - every failure is recorded, whatever its type
        message = _describe(error)
        return [
            {**base, "classifier": c, "status": "failed", "error": f"augmenter: {message}"}
            for c in classifiers
        ]
    resample_seconds = time.perf_counter() - start
    base.update(n_synthetic=len(y_res) - len(y_train), resample_seconds=resample_seconds)

    method = augmenter.method()
    memory = None
    if cache_dir is not None:
        from joblib import Memory

        memory = Memory(cache_dir, verbose=0)
    rows = []
    for name in classifiers:
        start = time.perf_counter()
        try:
            scores = evaluate(
                method,
                name,
                X_train,
                y_train,
                X_test,
                y_test,
                seed,
                augmented=(X_res, y_res) if method.augment is not None else None,
                memory=memory,
                tune=tune,
                inner_cv=INNER_FOLDS,
            )
        except Exception as error:  # noqa: BLE001
            rows.append(
                {**base, "classifier": name, "status": "failed", "error": f"classifier: {_describe(error)}"}
            )
            continue
        rows.append(
            {
                **base,
                "classifier": name,
                "status": "ok",
                "error": "",
                "fit_seconds": time.perf_counter() - start,
                **scores,
            }
        )
    return rows


def _describe(error: Exception) -> str:
    where = traceback.extract_tb(error.__traceback__)[-1] if error.__traceback__ else None
    location = f" [{where.filename.rsplit('/', 1)[-1]}:{where.lineno}]" if where else ""
    return f"{type(error).__name__}: {error}".replace("\n", " ")[:300] + location


@lru_cache(maxsize=4)
def load_registered(dataset: str, data_dir: str) -> tuple[pd.DataFrame, np.ndarray]:
    """Registry loader with the target binarised: 1 for the registered positive class."""
    from benchmarks.datasets import dataset_spec, load_dataset

    X, y = load_dataset(dataset, data_dir=data_dir)
    return X, (y == dataset_spec(dataset).positive).to_numpy().astype(int)


@dataclass(frozen=True)
class RegistryLoader:
    """Picklable loader for worker processes: reads datasets from ``data_dir``."""

    data_dir: str

    def __call__(self, dataset: str) -> tuple[pd.DataFrame, np.ndarray]:
        return load_registered(dataset, self.data_dir)
