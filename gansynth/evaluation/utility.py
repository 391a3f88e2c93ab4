"""Machine-learning efficacy: train on synthetic rows vs on real rows, test both on real holdout rows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gansynth._columns import as_text
from gansynth.errors import InputError
from gansynth.evaluation.features import FittedTrees, tree_features

# A numeric target with more distinct values than this (or any non-integer value) is regressed.
MAX_CLASSES = 20
# The note of a training source whose target holds fewer than two classes; the report flags it.
TOO_FEW_CLASSES = "fewer than two classes to learn from"


def infer_task(values, kind):
    """``"classification"`` or ``"regression"`` for a target column of sdtype ``kind``."""
    if kind == "datetime":
        raise InputError("ML efficacy needs a categorical or numeric `target`, not a datetime column.")
    if kind in ("categorical", "boolean"):
        return "classification"
    numbers = pd.to_numeric(values, errors="coerce").dropna()
    is_integer = bool(np.all(np.mod(numbers, 1) == 0))
    return "classification" if is_integer and numbers.nunique() <= MAX_CLASSES else "regression"


def _labels(values, task):
    if task == "regression":
        return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    return as_text(values, missing="(missing)").to_numpy()


def _test_score(model, x_test, y_test, task):
    """Macro F1 over the test classes for classification, R^2 for regression; unlabelled rows skipped."""
    from sklearn.metrics import f1_score, r2_score

    labelled = ~pd.isna(y_test)
    predicted = model.predict(x_test[labelled])
    if task == "classification":
        return f1_score(
            y_test[labelled],
            predicted,
            average="macro",
            labels=np.unique(y_test[labelled]),
            zero_division=0,
        )
    return r2_score(y_test[labelled], predicted)


def ml_efficacy(train, synthetic, test, target, kinds, task, seed):
    """Train on real vs on synthetic rows, test both on held-out real rows.

    Returns one row per training source: macro F1 for classification (every class weighs the same,
    so a generator that drops a rare class is penalised), R^2 for regression.
    """
    (x_train, x_synthetic, x_test), categorical = tree_features(
        [train, synthetic, test], kinds, exclude=(target,)
    )
    y_train, y_synthetic, y_test = (_labels(f[target], task) for f in (train, synthetic, test))
    metric = "macro F1" if task == "classification" else "R2"
    rows = []
    for source, x, y in (("real", x_train, y_train), ("synthetic", x_synthetic, y_synthetic)):
        keep = ~pd.isna(y)
        note = ""
        classes = np.unique(y[keep]) if task == "classification" else None
        if classes is not None and len(classes) < 2:
            found = f"only {classes[0]!r}" if len(classes) else "no labelled row"
            score, note = np.nan, f"{TOO_FEW_CLASSES} ({found})"
        elif keep.sum() < 2:
            score, note = np.nan, "fewer than two labelled rows"
        else:
            model = FittedTrees(task, categorical, seed, x[keep], y[keep])
            score = _test_score(model, x_test, y_test, task)
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
