"""Statistics, markdown tables and plots for the downstream benchmark's result CSV.

Statistics follow Demšar (2006): per block (dataset, setting, classifier) the metric is averaged
over the repeated splits, augmenters are ranked within each block (1 = best), and ranks are
averaged over blocks. Paired comparisons use the Wilcoxon signed-rank test on the block means.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from gansynth.comparison.statistics import wilcoxon_row

from ._cells import setting_group
from ._classifiers import METRICS

BLOCK = ["dataset", "setting", "classifier"]
# Augmenters present in no more than this share of blocks are kept out of the rank table (ranking them
# on a subset would compare different problems); they still get paired tests on what they cover.
RANK_COVERAGE = 0.5
# Paired PR-AUC tests are against these, where they ran: the old rival, doing nothing, and the
# baseline the literature asks for.
REFERENCES = ("SMOTE", "none", "class weights")
TUNED_METRICS = {"f1_minority_tuned": "minority F1", "balanced_accuracy_tuned": "balanced accuracy"}
# Bins of the training set's real minority rows for the breakdown by minority size.
MINORITY_BINS = [(2, 5), (6, 15), (16, 40), (41, 100), (101, None)]


def load_results(csv_path) -> pd.DataFrame:
    frame = pd.read_csv(csv_path, keep_default_na=True)
    frame["error"] = frame["error"].fillna("")
    frame["group"] = frame["setting"].map(setting_group)
    return frame


def block_means(ok: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Blocks x augmenters table of the metric averaged over splits."""
    return ok.groupby(BLOCK + ["augmenter"])[metric].mean().unstack("augmenter")


def rank_table(means: pd.DataFrame, order: list[str]) -> tuple[pd.Series, int, list[str]]:
    """Mean rank per augmenter over complete blocks, number of blocks, excluded augmenters."""
    coverage = means.notna().mean()
    kept = [a for a in order if a in means and coverage[a] > RANK_COVERAGE]
    excluded = [a for a in order if a in means and a not in kept]
    complete = means[kept].dropna()
    if complete.empty or len(kept) < 2:
        return pd.Series(dtype=float), 0, excluded
    ranks = complete.rank(axis=1, ascending=False, method="average")
    return ranks.mean().reindex(kept), len(complete), excluded


def friedman_line(means: pd.DataFrame, ranked: list[str]) -> str:
    """Friedman test over the complete blocks of the ranked augmenters, as one sentence."""
    from scipy.stats import friedmanchisquare

    complete = means[ranked].dropna()
    if len(ranked) < 3 or len(complete) < 2:
        return ""
    statistic, p_value = friedmanchisquare(*(complete[a] for a in ranked))
    return (
        f"Friedman test over these {len(ranked)} augmenters and {len(complete)} blocks: "
        f"χ² = {statistic:.2f}, p = {p_value:.2g}."
    )


def _fmt(value, digits=3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:.{digits}f}"


def _markdown(frame: pd.DataFrame) -> str:
    header = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(str(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *body])


def _augmenter_order(frame: pd.DataFrame, preferred: list[str]) -> list[str]:
    present = list(dict.fromkeys(frame["augmenter"]))
    return [a for a in preferred if a in present] + sorted(a for a in present if a not in preferred)


def summary_section(ok: pd.DataFrame, group: str, order: list[str]) -> list[str]:
    part = ok[ok["group"] == group]
    if part.empty:
        return [f"### {group}", "", "No finished runs in this group yet.", ""]
    lines = [f"### {group} settings: {', '.join(sorted(part['setting'].unique()))}", ""]
    means = block_means(part, "pr_auc")
    ranks, n_blocks, excluded = rank_table(means, order)

    rows = []
    for augmenter in order:
        sub = part[part["augmenter"] == augmenter]
        if sub.empty:
            continue
        row = {"augmenter": augmenter, "datasets": sub["dataset"].nunique(), "runs": len(sub)}
        for metric in METRICS:
            row[metric] = f"{sub[metric].mean():.3f} ± {sub[metric].std():.3f}"
        row["PR-AUC rank"] = _fmt(ranks.get(augmenter, float("nan")), 2)
        row["resample s"] = _fmt(
            sub.drop_duplicates(["dataset", "setting", "split"])["resample_seconds"].mean(), 2
        )
        rows.append(row)
    lines += [
        "Mean ± std over each augmenter's runs (dataset × setting × split × classifier); augmenters "
        "covering fewer datasets are not comparable on these means, use the ranks and paired tests. "
        "PR-AUC rank: mean rank "
        f"(1 = best) over {n_blocks} complete blocks (dataset × setting × classifier, averaged over splits).",
        "",
        _markdown(pd.DataFrame(rows)),
        "",
    ]
    friedman = friedman_line(means, list(ranks.index))
    if friedman:
        lines += [friedman, ""]
    if excluded:
        lines += [
            f"Not in the table's ranks (results in at most {RANK_COVERAGE:.0%} of blocks): "
            f"{', '.join(excluded)}. Each is ranked below against the ranked augmenters on the "
            "blocks it covers:",
            "",
        ]
        kept = [a for a in order if a in ranks.index]
        head_to_head = []
        for augmenter in excluded:
            sub_ranks, n_sub, _ = rank_table(
                means[[*kept, augmenter]].dropna(subset=[augmenter]), [*kept, augmenter]
            )
            if n_sub:
                head_to_head.append(
                    {
                        "augmenter": augmenter,
                        "blocks": n_sub,
                        **{a: _fmt(sub_ranks.get(a, float("nan")), 2) for a in [augmenter, *kept]},
                    }
                )
        if head_to_head:
            lines += [_markdown(pd.DataFrame(head_to_head).fillna("–")), ""]

    for reference in REFERENCES:
        lines += _paired_table(means, order, reference)
    lines += _tuned_threshold_tests(part, order)
    return lines


def _paired_table(means: pd.DataFrame, order: list[str], reference: str) -> list[str]:
    tests = []
    for augmenter in order:
        result = wilcoxon_row(means, augmenter, reference)
        if result is None:
            continue
        tests.append(
            {
                "augmenter": augmenter,
                "blocks": result["n"],
                "mean ΔPR-AUC": _fmt(result["mean_diff"], 4),
                "median ΔPR-AUC": _fmt(result["median_diff"], 4),
                "wins/ties/losses": f"{result['wins']}/{result['ties']}/{result['losses']}",
                "Wilcoxon p": _fmt(result["p"], 4),
            }
        )
    if not tests:
        return []
    return [
        f"Wilcoxon signed-rank on block-mean PR-AUC, vs **{reference}** (Δ = augmenter − {reference}):",
        "",
        _markdown(pd.DataFrame(tests)),
        "",
    ]


def _tuned_threshold_tests(part: pd.DataFrame, order: list[str]) -> list[str]:
    """Paired tests against ``none`` of the metrics at thresholds tuned on training rows."""
    metrics = [m for m in TUNED_METRICS if m in part and part[m].notna().any()]
    means = {m: block_means(part, m) for m in metrics}
    rows = []
    for augmenter in order:
        results = {m: wilcoxon_row(means[m], augmenter, "none") for m in metrics}
        if not metrics or any(r is None for r in results.values()):
            continue
        row = {"augmenter": augmenter, "blocks": next(iter(results.values()))["n"]}
        for metric, result in results.items():
            name = TUNED_METRICS[metric]
            row[f"Δ {name}"] = _fmt(result["mean_diff"], 4)
            row[f"wins/losses ({name})"] = f"{result['wins']}/{result['losses']}"
            row[f"p ({name})"] = _fmt(result["p"], 4)
        rows.append(row)
    if not rows:
        return []
    return [
        "At thresholds tuned on the training rows (each method's own), Wilcoxon signed-rank on block "
        "means vs **none** (Δ = augmenter − none):",
        "",
        _markdown(pd.DataFrame(rows)),
        "",
    ]


def minority_size_table(ok: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """Mean PR-AUC gain over ``none`` per run, by the training set's real minority rows and classifier.

    Each run is paired with ``none`` on the same dataset, setting, split and classifier; all
    settings count (the minority size is what the settings change).
    """
    keys = ["dataset", "setting", "split", "classifier"]
    none = ok[ok["augmenter"] == "none"].set_index(keys)
    others = ok[ok["augmenter"] != "none"]
    if none.empty or others.empty:  # e.g. every other augmenter failed
        return pd.DataFrame()
    runs = others.join(
        none[["pr_auc", "n_train_minority"]].rename(columns=lambda c: f"none_{c}"), on=keys, how="inner"
    )
    runs = runs.assign(gain=runs["pr_auc"] - runs["none_pr_auc"])
    labels = [f"{low}–{high}" if high else f"{low}+" for low, high in MINORITY_BINS]
    edges = [low - 0.5 for low, _ in MINORITY_BINS] + [np.inf]
    runs["minority rows"] = pd.cut(runs["none_n_train_minority"], edges, labels=labels)
    none_bins = pd.cut(none["n_train_minority"], edges, labels=labels)
    counts = none.groupby([none_bins, none.index.get_level_values("classifier")], observed=True).size()
    table = runs.pivot_table(
        index=["minority rows", "classifier"],
        columns="augmenter",
        values="gain",
        aggfunc="mean",
        observed=True,
    )
    table = table[[a for a in order if a in table]]
    table.insert(0, "runs of none", counts.reindex(table.index).fillna(0).astype(int))
    return table


def gain_table(ok: pd.DataFrame, order: list[str], group: str) -> pd.DataFrame:
    """Mean PR-AUC gain over ``none`` per dataset in one setting group, augmenters as columns."""
    part = ok[ok["group"] == group]
    means = block_means(part, "pr_auc")
    if "none" not in means or means.shape[1] < 2:
        return pd.DataFrame()
    gains = means.sub(means["none"], axis=0).drop(columns="none")
    table = gains.groupby(level="dataset").mean()
    return table[[a for a in order if a in table]]


def failure_table(frame: pd.DataFrame) -> pd.DataFrame:
    failed = frame[frame["status"] == "failed"].drop_duplicates(
        ["dataset", "setting", "split", "augmenter", "error"]
    )
    if failed.empty:
        return failed
    return (
        failed.groupby(["augmenter", "error"])
        .agg(cells=("dataset", "size"), datasets=("dataset", lambda d: ", ".join(sorted(set(d)))))
        .reset_index()
        .sort_values(["augmenter", "cells"], ascending=[True, False])
    )


def write_plots(ok: pd.DataFrame, order: list[str], out_dir: Path, stem: str) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    groups = [g for g in ("imbalanced", "low-data") if (ok["group"] == g).any()]
    if groups:
        fig, axes = plt.subplots(1, len(groups), figsize=(6 * len(groups), 4), squeeze=False)
        for ax, group in zip(axes[0], groups):
            ranks, n_blocks, _ = rank_table(block_means(ok[ok["group"] == group], "pr_auc"), order)
            if ranks.empty:
                ax.set_title(f"{group}: no complete blocks")
                continue
            ranks = ranks.sort_values()
            ax.barh(ranks.index[::-1], ranks.values[::-1], color="tab:blue")
            ax.set_xlabel("mean PR-AUC rank (lower is better)")
            ax.set_title(f"{group} settings ({n_blocks} blocks)")
        fig.tight_layout()
        path = out_dir / f"{stem}_ranks.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)

    panels = [(g, gain_table(ok, order, g)) for g in ("imbalanced", "low-data")]
    panels = [(g, t) for g, t in panels if not t.empty]
    if panels:
        width = 2.5 + 1.1 * max(t.shape[1] for _, t in panels)
        height = 2.2 + 0.45 * max(t.shape[0] for _, t in panels)
        fig, axes = plt.subplots(1, len(panels), figsize=(width * len(panels), height), squeeze=False)
        limit = max(float(np.nanmax(np.abs(t.to_numpy()))) for _, t in panels) or 1e-3
        for ax, (group, gains) in zip(axes[0], panels):
            image = ax.imshow(gains.to_numpy(), cmap="RdBu", vmin=-limit, vmax=limit, aspect="auto")
            ax.set_xticks(range(gains.shape[1]), gains.columns, rotation=35, ha="right")
            ax.set_yticks(range(gains.shape[0]), gains.index)
            for (i, j), value in np.ndenumerate(gains.to_numpy()):
                if not np.isnan(value):
                    ax.text(j, i, f"{value:+.3f}", ha="center", va="center", fontsize=7)
            ax.set_title(f"{group} settings: PR-AUC gain over none")
        fig.colorbar(image, ax=list(axes[0]), label="PR-AUC gain over no augmentation")
        path = out_dir / f"{stem}_gain.png"
        fig.savefig(path, dpi=110, bbox_inches="tight")
        plt.close(fig)
        written.append(path)

    low = ok[ok["group"] == "low-data"].copy()
    if not low.empty:
        low["rows"] = low["setting"].str[2:].astype(int)
        datasets = sorted(low["dataset"].unique())
        cols = min(4, len(datasets))
        rows = math.ceil(len(datasets) / cols)
        fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3.2 * rows), squeeze=False)
        for ax, dataset in zip(axes.flat, datasets):
            curves = (
                low[low["dataset"] == dataset].groupby(["augmenter", "rows"])["pr_auc"].mean().unstack("rows")
            )
            for augmenter in [a for a in order if a in curves.index]:
                ax.plot(
                    curves.columns,
                    curves.loc[augmenter],
                    marker="o",
                    label=augmenter,
                    linewidth=2.5 if augmenter in ("none", "GANOversampler") else 1.2,
                )
            ax.set_xscale("log")
            ax.set_xticks(list(curves.columns), [str(c) for c in curves.columns])
            ax.minorticks_off()
            ax.set_title(dataset)
            ax.set_xlabel("training rows")
            ax.set_ylabel("PR-AUC")
        for ax in list(axes.flat)[len(datasets) :]:
            ax.axis("off")
        handles, labels = axes.flat[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=min(6, len(labels)), fontsize=8)
        fig.tight_layout(rect=(0, 0.08, 1, 1))
        path = out_dir / f"{stem}_learning_curves.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    return written


def write_report(
    csv_path,
    out_dir,
    stem: str,
    header: list[str],
    preferred_order: list[str],
    planned_cells: int | None = None,
) -> Path:
    """Write ``<stem>.md`` and the PNG plots next to it from the result CSV; returns the markdown path."""
    out_dir = Path(out_dir)
    frame = load_results(csv_path)
    order = _augmenter_order(frame, preferred_order)
    ok = frame[frame["status"] == "ok"]
    done_cells = frame.drop_duplicates(["dataset", "setting", "split", "augmenter"])

    lines = list(header)
    coverage = done_cells.groupby("augmenter").size().reindex(order)
    cov_ds = done_cells.groupby("augmenter")["dataset"].nunique().reindex(order)
    lines += [
        "## Coverage",
        "",
        f"{len(done_cells)} finished cells"
        + (f" of {planned_cells} planned" if planned_cells else "")
        + " (a cell = dataset × setting × split × augmenter; each fits every classifier).",
        "",
        _markdown(pd.DataFrame({"augmenter": order, "cells": coverage.values, "datasets": cov_ds.values})),
        "",
        "Datasets: " + ", ".join(sorted(frame["dataset"].unique())) + ".",
        "Settings: " + ", ".join(sorted(frame["setting"].unique())) + ".",
        "Classifiers: " + ", ".join(sorted(frame["classifier"].unique())) + ".",
        "",
    ]

    lines += ["## Results", ""]
    for group in ("imbalanced", "low-data"):
        lines += summary_section(ok, group, order)

    for group in ("imbalanced", "low-data"):
        gains = gain_table(ok, order, group)
        if gains.empty:
            continue
        shown = gains.map(lambda v: _fmt(v, 3)).reset_index()
        better = [f"{(gains[a] > 0).sum()}/{gains[a].notna().sum()}" for a in gains.columns]
        shown.loc[len(shown)] = ["datasets improved", *better]
        lines += [
            f"### PR-AUC gain over no augmentation per dataset ({group} settings)",
            "",
            "Mean over that group's settings, classifiers and splits; positive = augmentation helped.",
            "",
            _markdown(shown),
            "",
        ]

    by_size = minority_size_table(ok, order)
    if not by_size.empty:
        shown = by_size.map(lambda v: v if isinstance(v, (int, np.integer)) else _fmt(v, 3)).reset_index()
        lines += [
            "### PR-AUC gain over no augmentation by the training set's real minority rows",
            "",
            "Every setting; each run paired with no augmentation on the same dataset, setting, split and "
            "classifier; mean gain, positive = augmentation helped.",
            "",
            _markdown(shown),
            "",
        ]

    failures = failure_table(frame)
    lines += ["## Failures", ""]
    if failures.empty:
        lines += ["None.", ""]
    else:
        lines += [
            "Recorded, not dropped: each failed cell counts once per distinct error.",
            "",
            _markdown(failures[["augmenter", "cells", "datasets", "error"]]),
            "",
        ]

    plots = write_plots(ok, order, out_dir, stem) if not ok.empty else []
    if plots:
        lines += ["## Plots", ""] + [f"![{p.stem}]({p.name})" for p in plots] + [""]
    path = out_dir / f"{stem}.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
