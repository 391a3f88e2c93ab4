"""The result of :func:`~gansynth.evaluation.evaluate`: scores, detail tables, plots and HTML."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from gansynth.errors import InputError
from gansynth.evaluation import plots, render


@dataclass(repr=False)
class EvaluationReport:
    """Scores, tables and plots comparing a synthetic table with the real one.

    Built by :func:`evaluate`; not meant to be constructed by hand.

    Attributes
    ----------
    scores : dict
        ``{metric: score}`` for every row of :meth:`summary`.
    flags : list of str
        Plain-language warnings, e.g. synthetic rows copied from the real data.
    info : dict
        Row counts, sample sizes, seed and timings behind the numbers.
    """

    summary_: pd.DataFrame
    tables_: dict
    flags: list
    info: dict
    kinds: dict
    samples_: dict = field(repr=False)
    dcr_: dict = field(repr=False)

    @property
    def scores(self) -> dict:
        """``{metric: score}`` for every row of :meth:`summary`."""
        return dict(zip(self.summary_["metric"], self.summary_["score"]))

    def summary(self) -> pd.DataFrame:
        """Named scores with the direction that is better.

        Returns
        -------
        pandas.DataFrame
            Columns ``metric``, ``score``, ``better`` (``"higher"`` or ``"lower"``) and
            ``description``.
        """
        return self.summary_.copy()

    def details(self, table: str | None = None):
        """Per-column, per-pair and per-metric tables.

        Parameters
        ----------
        table : str, optional
            One of ``"columns"`` (missing shares, shape score and the ROC-AUC of telling the
            tables apart from that column alone), ``"pairs"`` (column-pair trends), ``"detection"``
            (per-fold ROC-AUC), ``"ml_efficacy"`` (only with a target) and ``"privacy"`` (DCR
            quantiles and copy rates). ``None`` returns them all in a dict.

        Returns
        -------
        pandas.DataFrame or dict of pandas.DataFrame
            A copy of the table, or of every table keyed by name.
        """
        if table is None:
            return {name: frame.copy() for name, frame in self.tables_.items()}
        if table not in self.tables_:
            raise InputError(f"Unknown details table {table!r}; choose from {sorted(self.tables_)}.")
        return self.tables_[table].copy()

    def plot_scores(self):
        """Bar chart of the summary scores, coloured from good (green) to bad (red).

        Returns
        -------
        matplotlib.figure.Figure
            A figure made without pyplot; a notebook displays it when a cell returns it.
        """
        return plots.plot_scores(self)

    def plot_distributions(self, columns=None, n_columns: int = 3):
        """Real-vs-synthetic distribution of each column (histograms or category bars).

        Parameters
        ----------
        columns : list of str, optional
            Columns to draw; all by default.
        n_columns : int, default=3
            Panels per row.

        Returns
        -------
        matplotlib.figure.Figure
            One panel per column.
        """
        return plots.plot_distributions(self, columns=columns, n_columns=n_columns)

    def plot_correlation_difference(self):
        """Heatmap of how much each column pair's relationship differs (1 - SDMetrics pair score).

        Returns
        -------
        matplotlib.figure.Figure
            The heatmap, 0 meaning the same relationship in both tables.
        """
        return plots.plot_correlation_difference(self)

    def plot_dcr(self):
        """Histogram of distances to the closest real training row: synthetic vs real holdout rows.

        Returns
        -------
        matplotlib.figure.Figure
            Both histograms on shared axes.
        """
        return plots.plot_dcr(self)

    def to_html(self) -> str:
        """The report as one self-contained HTML page (plots embedded as PNG, no external files).

        Returns
        -------
        str
            The whole page.
        """
        return render.render(self)

    def save_html(self, path):
        """Write :meth:`to_html` to ``path`` and return the path.

        Parameters
        ----------
        path : str or os.PathLike
            Destination file, overwritten if it exists.

        Returns
        -------
        pathlib.Path
            The path written.
        """
        path = Path(path)
        path.write_text(self.to_html(), encoding="utf-8")
        return path

    def _repr_html_(self):
        return render.notebook_html(self)

    def __repr__(self):
        scores = ", ".join(f"{k}={v:.3f}" for k, v in self.scores.items())
        return f"EvaluationReport({scores}, flags={len(self.flags)})"

    def __str__(self):
        table = self.summary_[["metric", "score", "better"]].to_string(
            index=False, float_format=lambda v: f"{v:.3f}"
        )
        flags = "".join(f"\n! {flag}" for flag in self.flags)
        return table + flags
