"""The self-contained HTML page of a comparison: the summary table and its plots, PNGs embedded."""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pandas as pd

from gansynth.comparison.compare import SUMMARY_METRICS, summarize
from gansynth.evaluation.render import _CSS, _png, _table


def plot_metrics(results: pd.DataFrame, metrics=tuple(SUMMARY_METRICS)):
    """One panel per metric: each method's score on every fold (dots) and their mean (bar)."""
    import matplotlib.pyplot as plt

    order = list(dict.fromkeys(results["method"]))
    figure, axes = plt.subplots(1, len(metrics), figsize=(4.2 * len(metrics), 3.6), squeeze=False)
    rng = np.random.default_rng(0)
    for ax, metric in zip(axes[0], metrics):
        for i, method in enumerate(order):
            values = results.loc[results["method"] == method, metric].dropna().to_numpy()
            if not len(values):
                continue
            ax.bar(i, values.mean(), color="tab:blue" if method != "none" else "tab:gray", alpha=0.35)
            ax.scatter(i + rng.uniform(-0.15, 0.15, len(values)), values, s=10, color="black", zorder=3)
        ax.set_xticks(range(len(order)), order, rotation=35, ha="right")
        low = np.nanmin(results[metric].to_numpy(dtype=float)) if results[metric].notna().any() else 0.0
        ax.set_ylim(max(0.0, low - 0.05), None)
        ax.set_title(SUMMARY_METRICS.get(metric, metric))
    figure.tight_layout()
    return figure


def plot_differences(results: pd.DataFrame, metric: str = "pr_auc"):
    """Each method's difference to ``none`` on every fold: above zero, augmentation helped."""
    import matplotlib.pyplot as plt

    by_fold = results.set_index(["repeat", "fold", "method"])[metric].unstack("method")
    order = [m for m in dict.fromkeys(results["method"]) if m != "none"]
    differences = by_fold[order].sub(by_fold["none"], axis=0)
    figure, ax = plt.subplots(figsize=(1.2 * len(order) + 2.5, 3.6))
    ax.axhline(0, color="gray", linewidth=1)
    ax.boxplot([differences[m].dropna() for m in order], showmeans=True)
    ax.set_xticks(range(1, len(order) + 1), order, rotation=35, ha="right")
    ax.set_ylabel(f"{SUMMARY_METRICS.get(metric, metric)} − none, per fold")
    figure.tight_layout()
    return figure


def _summary_rows(summary: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for method, row in summary.iterrows():
        entry = {"method": method}
        for metric, name in SUMMARY_METRICS.items():
            entry[name] = f"{row[f'{metric}_mean']:.3f} ± {row[f'{metric}_std']:.3f}"
            if method != "none":
                entry[f"{name}: Δ, wins, p"] = (
                    f"{row[f'{metric}_diff']:+.4f}, {row[f'{metric}_wins']}, p = {row[f'{metric}_p']:.3g}"
                )
            else:
                entry[f"{name}: Δ, wins, p"] = "reference"
        entry["seconds per fold"] = f"{row['seconds']:.1f}"
        rows.append(entry)
    return pd.DataFrame(rows)


def write_page(results: pd.DataFrame, path, *, title: str = "Does augmentation help?") -> Path:
    """Write the page for ``compare``'s results to ``path``; returns the path."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    attrs = results.attrs
    summary = summarize(results)
    figures = [plot_metrics(results), plot_differences(results)]
    images = [_png(f) for f in figures]
    for figure in figures:
        plt.close(figure)
    folds = results[["repeat", "fold"]].drop_duplicates()
    chosen = results.loc[results["method"] == "AugmentedClassifierCV", "amount"].dropna()
    choice = (
        "<p>AugmentedClassifierCV chose, per fold, the share of GANOversampler's rows: "
        + html.escape(", ".join(f"{a:g} ({n}×)" for a, n in chosen.value_counts().sort_index().items()))
        + " (0 = no augmentation).</p>"
        if len(chosen)
        else ""
    )
    body = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{_CSS}</style></head><body><main>
<h1>{html.escape(title)}</h1>
<p class="sub">{attrs.get("n_rows", "?")} rows, {attrs.get("n_features", "?")} features; class of interest
{html.escape(repr(attrs.get("positive")))} ({attrs.get("n_minority", "?")} rows); classifier
{html.escape(str(attrs.get("classifier")))}; {len(folds)} folds ({folds["repeat"].nunique()} repeats of
{folds["fold"].nunique()}-fold stratified CV), every method on the same folds.</p>
<h2>Summary</h2>
{_table(_summary_rows(summary))}
<p class="note">Mean ± std over the folds. Δ: mean difference to no augmentation over the same folds;
wins: folds where the method scored higher; p: two-sided Wilcoxon signed-rank test over the folds
(folds of repeated CV share rows, so p is optimistic). PR-AUC is average precision; "tuned":
at the decision threshold that maximised the metric on held-out training rows.</p>
{choice}
<h2>Scores per fold</h2><img src="{images[0]}" alt="scores per fold">
<h2>Difference to no augmentation</h2><img src="{images[1]}" alt="differences to none">
</main></body></html>"""
    path = Path(path)
    path.write_text(body, encoding="utf-8")
    return path
