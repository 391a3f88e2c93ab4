"""The selection study of AugmentedClassifierCV's amount: rules with known answers, and its report."""

import json

import numpy as np
import pandas as pd
import pytest

from benchmarks import selection_report
from benchmarks.augmented_selection import run_task
from benchmarks.selection_report import RULES, choices, write_report

AMOUNTS = (0.0, 0.25, 0.5, 1.0)


def _run(fold_scores, pooled, tests, **key) -> list[dict]:
    base = {"grid": "small", "dataset": "t", "setting": "natural", "split": 0, "classifier": "logreg"}
    base.update(key)
    return [
        {
            **base,
            "amount": a,
            "fold_scores": list(f),
            "pooled_cv_ap": p,
            "test_pr_auc": t,
            "n_train_minority": 9,
        }
        for a, f, p, t in zip(AMOUNTS, fold_scores, pooled, tests)
    ]


def _frame(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    frame["group"] = "imbalanced"
    return frame


def test_each_rule_picks_its_known_answer():
    folds = [(0.50, 0.50, 0.50), (0.60, 0.40, 0.45), (0.52, 0.52, 0.52), (0.70, 0.45, 0.40)]
    # means: 0.5, 0.483, 0.52, 0.517; pooled favours 0.25; the test rows favour 1.0
    row = choices(_frame(_run(folds, [0.3, 0.6, 0.4, 0.5], [0.1, 0.2, 0.3, 0.4]))).iloc[0]
    assert row["none|amount"] == 0.0
    assert row["always (1.0)|amount"] == 1.0
    assert row["mean of folds (today's rule)|amount"] == 0.5
    assert row["pooled out-of-fold AP|amount"] == 0.25
    # 0.5's folds are all 0.52: no spread, so nothing else is within one standard error of it
    assert row["one standard error|amount"] == 0.5
    # 0.5 beats none's 0.50 on all three folds
    assert row["fold majority|amount"] == 0.5
    assert row["oracle (test rows)|amount"] == 1.0
    assert row["oracle (test rows)"] == 0.4 and row["none"] == 0.1


def test_ties_and_noise_go_to_no_augmentation():
    folds = [(0.5, 0.3, 0.4), (0.6, 0.2, 0.4), (0.4, 0.2, 0.6), (0.6, 0.3, 0.3)]
    # means: 0.4 for all but 1.0 (0.4 too): a four-way tie
    row = choices(_frame(_run(folds, [0.5, 0.5, 0.5, 0.5], [0.2, 0.3, 0.3, 0.2]))).iloc[0]
    assert row["mean of folds (today's rule)|amount"] == 0.0
    assert row["pooled out-of-fold AP|amount"] == 0.0
    assert row["one standard error|amount"] == 0.0
    assert row["fold majority|amount"] == 0.0
    # the oracle's tie on the test rows also goes to the smaller amount
    assert row["oracle (test rows)|amount"] == 0.25


def test_fold_majority_refuses_an_amount_that_wins_on_one_fold_only():
    folds = [(0.5, 0.5, 0.5), (0.9, 0.45, 0.45), (0.1, 0.1, 0.1), (0.1, 0.1, 0.1)]
    row = choices(_frame(_run(folds, [0.1] * 4, [0.1] * 4))).iloc[0]
    assert row["mean of folds (today's rule)|amount"] == 0.25
    assert row["fold majority|amount"] == 0.0


def test_report_tables_each_grid_and_group(tmp_path):
    rng = np.random.default_rng(0)
    lines = []
    for dataset in ("a", "b", "c"):
        for setting in ("natural", "n_100"):
            for classifier in ("logreg", "hist_gb"):
                folds = rng.uniform(0.2, 0.8, size=(4, 3))
                rows = _run(
                    folds,
                    rng.uniform(0.2, 0.8, 4),
                    rng.uniform(0.2, 0.8, 4),
                    dataset=dataset,
                    setting=setting,
                    classifier=classifier,
                )
                lines += [json.dumps(r) for r in rows]
    (tmp_path / "augmented_selection_runs.jsonl").write_text("\n".join(lines) + "\n")
    text = write_report(tmp_path, "augmented_selection").read_text()
    assert "## small grid, imbalanced settings (a, b, c)" in text
    assert "## small grid, low-data settings (a, b, c)" in text
    for name in RULES:
        assert f"| small: imbalanced | {name} | 6 |" in text
    # the oracle is never worse than none, so its regret is 0 and its Δ is not negative
    oracle = next(line for line in text.splitlines() if line.startswith("| small: all | oracle"))
    assert "| 0.0000 |" in oracle and "| -" not in oracle.split("|")[5]


def test_skipped_tasks_are_left_out(tmp_path):
    rows = _run([(0.5,) * 3] * 4, [0.5] * 4, [0.5] * 4)
    lines = [json.dumps(r) for r in rows] + [
        json.dumps({"grid": "small", "dataset": "x", "setting": "n_100", "split": 0, "skipped": True})
    ]
    (tmp_path / "runs.jsonl").write_text("\n".join(lines))
    frame = selection_report.load_runs(tmp_path / "runs.jsonl")
    assert set(frame["dataset"]) == {"t"}


@pytest.mark.slow  # four GAN fits on a 1,113-row table
def test_a_task_scores_every_amount_on_the_test_rows(data_dir):
    rows = run_task("yeast4", "ratio_1:100", 0, str(data_dir))
    assert sorted({r["classifier"] for r in rows}) == ["hist_gb", "logreg"]
    for classifier in ("logreg", "hist_gb"):
        mine = [r for r in rows if r["classifier"] == classifier]
        assert [r["amount"] for r in mine] == list(AMOUNTS)
        # nested prefixes: more synthetic rows for each larger amount, none at 0
        assert [r["n_synthetic"] for r in mine][0] == 0
        assert np.all(np.diff([r["n_synthetic"] for r in mine]) > 0)
        assert all(0 <= r["test_pr_auc"] <= 1 and len(r["fold_scores"]) == r["folds"] for r in mine)
    # one sampler draw per fold, shared: both classifiers see the same synthetic counts
    counts = {c: [r["n_synthetic"] for r in rows if r["classifier"] == c] for c in ("logreg", "hist_gb")}
    assert counts["logreg"] == counts["hist_gb"]
