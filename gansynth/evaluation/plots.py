"""Plots of an evaluation report, and the colour that says how good a score is.

Figures are built on :class:`matplotlib.figure.Figure` directly rather than through pyplot, so they
neither open windows nor pile up in pyplot's global state, and a notebook shows each returned figure
once. matplotlib is imported inside the plotting functions, so that importing the evaluation stays
light. Each function takes the report object and reads only its public fields.
"""

from __future__ import annotations

import math
import sys

import numpy as np
import pandas as pd

from gansynth._columns import numeric_values
from gansynth.errors import InputError

REAL_COLOUR = "#3b6ea8"
SYNTHETIC_COLOUR = "#e0803a"
GOOD, FAIR, POOR, NEUTRAL = "#2e8b57", "#d4a017", "#c0392b", "#7f8c8d"
_TOP_CATEGORIES = 12


# --------------------------------------------------------------------------------------------------
# How good is a score?
# --------------------------------------------------------------------------------------------------


def goodness(report, metric, score):
    """Map a summary score onto [0, 1], 1 being ideal, or None for reference values."""
    if score is None or not np.isfinite(score):
        return None
    if metric == "detection_auc":
        # Far below 0.5 is no better than far above: the classifier is misled by rows present in
        # both tables (copies), which is itself a finding.
        return float(np.clip(1 - 2 * abs(score - 0.5), 0, 1))
    if metric == "exact_copy_rate":
        return 0.0 if any(flag.startswith("Privacy failure") for flag in report.flags) else 1.0
    if metric in ("ml_efficacy_real", "ml_efficacy_synthetic"):
        return None
    return float(np.clip(score, 0, 1))


def colour(value):
    if value is None:
        return NEUTRAL
    return GOOD if value >= 0.8 else FAIR if value >= 0.6 else POOR


# --------------------------------------------------------------------------------------------------
# Plots
# --------------------------------------------------------------------------------------------------


def _new_figure(figsize):
    from matplotlib.figure import Figure

    _display_figures_in_notebook(Figure)
    return Figure(figsize=figsize)


def _display_figures_in_notebook(figure_class):
    """Let IPython draw a figure a cell returns, without ``%matplotlib inline``.

    IPython learns to draw figures when pyplot loads its inline backend; these figures bypass
    pyplot, so register the same PNG formatter, unless the user's session already has one.
    """
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    formatters = getattr(getattr(shell, "display_formatter", None), "formatters", {})
    png = formatters.get("image/png")
    if png is None:
        return
    try:
        png.lookup_by_type(figure_class)
        return
    except KeyError:
        pass
    from IPython.core.pylabtools import print_figure

    png.for_type(figure_class, lambda figure: print_figure(figure, "png", bbox_inches="tight"))


def plot_scores(report):
    summary = report.summary_
    figure = _new_figure((9, 0.5 * len(summary) + 1.2))
    axes = figure.add_subplot()
    positions = np.arange(len(summary))[::-1]
    for y, row in zip(positions, summary.itertuples()):
        value = row.score if np.isfinite(row.score) else 0.0
        axes.barh(
            y, min(max(value, 0.0), 1.0), color=colour(goodness(report, row.metric, row.score)), height=0.6
        )
        text = "n/a" if not np.isfinite(row.score) else f"{row.score:.3f}"
        axes.text(1.02, y, f"{text}  ({row.better} is better)", va="center", fontsize=9)
        if row.metric == "detection_auc":
            axes.plot([0.5, 0.5], [y - 0.35, y + 0.35], color="black", lw=1.5)
    axes.set_yticks(positions, list(summary["metric"]))
    axes.set_xlim(0, 1)
    axes.set_xlabel("score (black tick on detection: 0.5 = indistinguishable)")
    axes.set_title("Scores at a glance")
    axes.spines[["top", "right"]].set_visible(False)
    figure.subplots_adjust(left=0.25, right=0.72)
    return figure


def _numeric_panel(axes, real, synthetic, kind):
    # Dates become days since 1970-01-01, which is matplotlib's own date axis unit.
    scale = 86_400.0 if kind == "datetime" else 1.0
    real = numeric_values(real, kind) / scale
    synthetic = numeric_values(synthetic, kind) / scale
    missing_real, missing_synthetic = np.isnan(real).mean(), np.isnan(synthetic).mean()
    if missing_real or missing_synthetic:
        axes.text(
            0.02,
            0.95,
            f"missing: real {missing_real:.0%}, synthetic {missing_synthetic:.0%}",
            transform=axes.transAxes,
            va="top",
            fontsize=7.5,
            bbox={"facecolor": "white", "alpha": 0.8, "lw": 0},
        )
    real, synthetic = real[~np.isnan(real)], synthetic[~np.isnan(synthetic)]
    both = np.r_[real, synthetic]
    if both.size == 0:
        axes.text(0.5, 0.5, "all values missing", ha="center", transform=axes.transAxes)
        return
    low, high = np.quantile(both, [0.005, 0.995])
    integer = np.all(np.mod(both, 1) == 0)
    if integer and high - low <= 60:
        edges = np.arange(low - 0.5, high + 1.5)
    else:
        edges = np.linspace(low, high if high > low else low + 1, 31)
    for values, colour_, label in ((real, REAL_COLOUR, "real"), (synthetic, SYNTHETIC_COLOUR, "synthetic")):
        if values.size:
            axes.hist(
                np.clip(values, edges[0], edges[-1]),
                bins=edges,
                density=True,
                alpha=0.45,
                color=colour_,
                label=label,
                histtype="stepfilled",
                edgecolor=colour_,
            )
    if kind == "datetime":
        import matplotlib.dates as mdates

        locator = mdates.AutoDateLocator(maxticks=5)
        axes.xaxis.set_major_locator(locator)
        axes.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        # A date spike is labelled by its date, not by its day number.
        return _spike_note(axes, real, synthetic, lambda day: str(mdates.num2date(day).date()))
    return _spike_note(axes, real, synthetic, lambda value: f"{value:g}")


def _spike_note(axes, real, synthetic, label):
    # A spike (e.g. capital-gain is 0 for 92% of people) hides inside one histogram bin together
    # with near-spike values a generator may produce instead; its exact share tells them apart.
    values, counts = np.unique(real, return_counts=True)
    if real.size and counts.max() >= 0.2 * real.size:
        spike = values[np.argmax(counts)]
        share_synthetic = float(np.mean(synthetic == spike)) if synthetic.size else float("nan")
        axes.text(
            0.98,
            0.95,
            f"exactly {label(spike)}: real {counts.max() / real.size:.0%}, synthetic {share_synthetic:.0%}",
            transform=axes.transAxes,
            ha="right",
            va="top",
            fontsize=7.5,
            bbox={"facecolor": "white", "alpha": 0.8, "lw": 0},
        )


def _categorical_panel(axes, real, synthetic):
    as_text = lambda s: s.map(lambda v: "(missing)" if pd.isna(v) else str(v).strip())  # noqa: E731
    real, synthetic = as_text(real), as_text(synthetic)
    real_share = real.value_counts(normalize=True)
    synthetic_share = synthetic.value_counts(normalize=True)
    top = list(real_share.index[:_TOP_CATEGORIES])
    rest = [c for c in synthetic_share.index if c not in real_share.index[:_TOP_CATEGORIES]]
    labels = top + (["(other)"] if len(real_share) > len(top) or rest else [])
    real_values = [real_share.get(c, 0.0) for c in top]
    synthetic_values = [synthetic_share.get(c, 0.0) for c in top]
    if len(labels) > len(top):
        real_values.append(1 - sum(real_values))
        synthetic_values.append(1 - sum(synthetic_values))
    y = np.arange(len(labels))[::-1]
    axes.barh(y + 0.2, real_values, height=0.4, color=REAL_COLOUR, label="real")
    axes.barh(y - 0.2, synthetic_values, height=0.4, color=SYNTHETIC_COLOUR, label="synthetic")
    axes.set_yticks(y, [label if len(label) <= 22 else label[:20] + "…" for label in labels], fontsize=7)
    axes.set_xlabel("share of rows", fontsize=8)


def plot_distributions(report, columns=None, n_columns=3):
    columns = list(report.kinds) if columns is None else list(columns)
    unknown = [c for c in columns if c not in report.kinds]
    if unknown:
        raise InputError(f"Unknown columns {unknown}; the report has {list(report.kinds)}.")
    columns_table = report.tables_["columns"].set_index("column")
    shapes = columns_table["score"]
    alone = columns_table.get("detection_auc", {})
    n_rows = max(1, math.ceil(len(columns) / n_columns))
    figure = _new_figure((4.6 * n_columns, 3.2 * n_rows))
    real, synthetic = report.samples_["real"], report.samples_["synthetic"]
    for index, column in enumerate(columns):
        axes = figure.add_subplot(n_rows, n_columns, index + 1)
        kind = report.kinds[column]
        if kind in ("numerical", "datetime"):
            _numeric_panel(axes, real[column], synthetic[column], kind)
        else:
            _categorical_panel(axes, real[column], synthetic[column])
        score = shapes.get(column, np.nan)
        title = f"{column}" + (f"  ·  shape {score:.2f}" if np.isfinite(score) else "")
        auc = alone.get(column, np.nan)
        title += f"  ·  detection {auc:.2f}" if np.isfinite(auc) else ""
        axes.set_title(title, fontsize=10, color=colour(score if np.isfinite(score) else None))
        axes.tick_params(labelsize=7)
        axes.spines[["top", "right"]].set_visible(False)
        if index == 0:
            axes.legend(fontsize=8, frameon=False)
    figure.suptitle("Real vs synthetic distributions", fontsize=13)
    figure.tight_layout(rect=(0, 0, 1, 0.97))
    return figure


def correlation_difference_matrix(report):
    """Square matrix of 1 - SDMetrics pair score (0 = relationship preserved), NaN on the diagonal."""
    columns = list(report.kinds)
    matrix = pd.DataFrame(np.nan, index=columns, columns=columns)
    for row in report.tables_["pairs"].itertuples():
        matrix.loc[row.column_1, row.column_2] = 1 - row.score
        matrix.loc[row.column_2, row.column_1] = 1 - row.score
    return matrix


def plot_correlation_difference(report):
    matrix = correlation_difference_matrix(report)
    n = len(matrix)
    size = min(14, 2.5 + 0.55 * n)
    figure = _new_figure((size + 1.2, size))
    axes = figure.add_subplot()
    image = axes.imshow(matrix.to_numpy(dtype=float), cmap="Reds", vmin=0, vmax=1)
    labels = [c if len(str(c)) <= 18 else str(c)[:16] + "…" for c in matrix.columns]
    axes.set_xticks(np.arange(n), labels, rotation=60, ha="right", fontsize=8)
    axes.set_yticks(np.arange(n), labels, fontsize=8)
    if n <= 20:
        for i in range(n):
            for j in range(n):
                value = matrix.iat[i, j]
                if np.isfinite(value):
                    axes.text(
                        j,
                        i,
                        f"{value:.2f}",
                        ha="center",
                        va="center",
                        fontsize=6.5,
                        color="white" if value > 0.5 else "black",
                    )
    figure.colorbar(
        image, ax=axes, fraction=0.046, pad=0.04, label="1 − pair trend score (0 = relationship preserved)"
    )
    axes.set_title("Column-pair trend difference, real vs synthetic")
    figure.tight_layout()
    return figure


def plot_dcr(report):
    synthetic, holdout = report.dcr_["synthetic"], report.dcr_["holdout"]
    figure = _new_figure((9, 4.2))
    axes = figure.add_subplot()
    top = float(np.quantile(np.r_[synthetic, holdout], 0.99))
    edges = np.linspace(0, top if top > 0 else 1, 41)
    for values, colour_, label in (
        (holdout, REAL_COLOUR, "real holdout rows"),
        (synthetic, SYNTHETIC_COLOUR, "synthetic rows"),
    ):
        axes.hist(
            np.clip(values, 0, edges[-1]),
            bins=edges,
            alpha=0.45,
            color=colour_,
            density=True,
            histtype="stepfilled",
            edgecolor=colour_,
            label=f"{label} (median {np.median(values):.3f})",
        )
        axes.axvline(np.median(values), color=colour_, ls="--", lw=1.2)
    copies = report.scores.get("exact_copy_rate", np.nan)
    axes.set_title(f"Distance to the closest real training row  ·  exact copies {copies:.1%}")
    axes.set_xlabel("Gower distance (0 = identical row, 1 = every column differs)")
    axes.set_ylabel("density")
    axes.legend(frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    return figure
