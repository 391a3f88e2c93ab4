"""The report of ``python -m benchmarks selection``: selection rules against none, always and the oracle.

Each rule sees only what AugmentedClassifierCV sees on the training rows (every candidate's
inner-fold scores and out-of-fold predictions) and picks one amount per run (dataset x setting x
split x classifier); the run's test PR-AUC at that amount is the rule's result. Blocks
(dataset x setting x classifier) average the splits, and paired Wilcoxon tests compare blocks.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks._cells import setting_group
from gansynth.comparison.statistics import wilcoxon_row
from gansynth.model_selection import SELECTIONS, best_mean, score_table


def _pick(amounts: np.ndarray, values: np.ndarray) -> float:
    """The amount with the highest value, by AugmentedClassifierCV's own ranking: ties (and NaN)
    go to the smaller amount."""
    return float(amounts[best_mean(score_table(amounts, np.asarray(values, dtype=float)[:, None]))])


def _selected(selection: str) -> Callable[[pd.DataFrame], float]:
    """AugmentedClassifierCV's own ``selection`` rule, applied to the run's inner-fold scores."""

    def rule(run: pd.DataFrame) -> float:
        amounts = run["amount"].to_numpy()
        return float(
            amounts[SELECTIONS[selection](score_table(amounts, np.stack(run["fold_scores"].to_numpy())))]
        )

    return rule


def _pooled(run: pd.DataFrame) -> float:
    return _pick(run["amount"].to_numpy(), run["pooled_cv_ap"].to_numpy())


def _one_standard_error(run: pd.DataFrame) -> float:
    """The smallest amount within one standard error (over folds) of the best mean."""
    folds = np.stack(run["fold_scores"].to_numpy())
    means = folds.mean(axis=1)
    best = int(np.nanargmax(means))
    error = folds[best].std(ddof=1) / np.sqrt(folds.shape[1]) if folds.shape[1] > 1 else 0.0
    return float(run["amount"].to_numpy()[np.flatnonzero(means >= means[best] - error)[0]])


def _oracle(run: pd.DataFrame) -> float:
    return _pick(run["amount"].to_numpy(), run["test_pr_auc"].to_numpy())


RULES: dict[str, Callable[[pd.DataFrame], float]] = {
    "none": lambda run: 0.0,
    "always (1.0)": lambda run: 1.0,
    "mean of folds (today's rule)": _selected("mean"),
    "pooled out-of-fold AP": _pooled,
    "one standard error": _one_standard_error,
    "fold majority": _selected("fold_majority"),
    "oracle (test rows)": _oracle,
}


def load_runs(path: Path) -> pd.DataFrame:
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    frame = pd.DataFrame([r for r in rows if not r.get("skipped")])
    frame["group"] = frame["setting"].map(setting_group)
    return frame


def choices(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per run: each rule's chosen amount and its test PR-AUC."""
    keys = ["grid", "group", "dataset", "setting", "split", "classifier"]
    out = []
    for key, run in frame.sort_values("amount").groupby(keys, sort=False):
        tests = dict(zip(run["amount"], run["test_pr_auc"]))
        row = dict(zip(keys, key), n_train_minority=int(run["n_train_minority"].iloc[0]))
        for name, rule in RULES.items():
            amount = rule(run)
            row[f"{name}|amount"], row[name] = amount, tests[amount]
        out.append(row)
    return pd.DataFrame(out)


def _table(picked: pd.DataFrame, label: str) -> list[str]:
    """One row per rule; ``label`` (the grid and settings) leads each row, so that a figure quoted
    from one table names it."""
    blocks = picked.groupby(["dataset", "setting", "classifier"])[list(RULES)].mean()
    lines = [
        "| grid: settings | rule | blocks | mean PR-AUC | Δ vs none | wins / ties / losses | Wilcoxon p | "
        "Δ vs always | p vs always | regret vs oracle | runs choosing none |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name in RULES:
        against_none = wilcoxon_row(blocks, name, "none")
        against_always = wilcoxon_row(blocks, name, "always (1.0)")
        none_share = (picked[f"{name}|amount"] == 0).mean()
        cells = [label, name, str(len(blocks)), f"{blocks[name].mean():.4f}"]
        if against_none is None:
            cells += ["–", "–", "–"]
        else:
            cells += [
                f"{against_none['mean_diff']:+.4f}",
                f"{against_none['wins']}/{against_none['ties']}/{against_none['losses']}",
                f"{against_none['p']:.3f}",
            ]
        cells += (
            ["–", "–"]
            if against_always is None
            else [f"{against_always['mean_diff']:+.4f}", f"{against_always['p']:.3f}"]
        )
        cells += [f"{(blocks['oracle (test rows)'] - blocks[name]).mean():.4f}", f"{none_share:.0%}"]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def write_report(out: Path, stem: str) -> Path:
    path = Path(out) / f"{stem}_runs.jsonl"
    picked = choices(load_runs(path))
    commands = Path(out) / f"{stem}_commands.txt"
    lines = [
        "# AugmentedClassifierCV: how well the amount is chosen",
        "",
        "Produced by (from the repository root; each resumes the same JSON lines):",
        "",
        *(f"    {line}" for line in (commands.read_text().splitlines() if commands.exists() else [])),
        "",
        "Each run (dataset × setting × split × classifier; classifiers logreg and hist_gb, the downstream "
        "benchmark's splits, settings, seeds and 3 inner folds) fits AugmentedClassifierCV's folds once and "
        "then scores every candidate amount (0, 0.25, 0.5, 1 of GANOversampler's output) on the real test "
        "rows. A rule picks an amount from the inner folds only; its result is the test PR-AUC there. "
        "Blocks are dataset × setting × classifier, averaged over the splits; p is the two-sided Wilcoxon "
        "signed-rank test over blocks. The oracle picks on the test rows: an upper bound, not a method.",
        "",
    ]
    for (grid, group), part in picked.groupby(["grid", "group"]):
        datasets = ", ".join(sorted(part["dataset"].unique()))
        lines += [f"## {grid} grid, {group} settings ({datasets})", "", *_table(part, f"{grid}: {group}"), ""]
    for grid, part in picked.groupby("grid"):
        lines += [f"## {grid} grid, all settings", "", *_table(part, f"{grid}: all"), ""]
    report = Path(out) / f"{stem}.md"
    report.write_text("\n".join(lines))
    return report
