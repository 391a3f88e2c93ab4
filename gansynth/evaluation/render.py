"""The self-contained HTML page of an evaluation report (plots embedded as PNG) and its summary table."""

from __future__ import annotations

import base64
import html
import io

import numpy as np
import pandas as pd

from gansynth.evaluation.fidelity import PAIR_COLUMNS
from gansynth.evaluation.plots import (
    colour,
    goodness,
    plot_correlation_difference,
    plot_dcr,
    plot_distributions,
    plot_scores,
)

_CSS = """
body{font-family:-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
  margin:0;background:#f4f6f8;color:#222}
main{max-width:1320px;margin:0 auto;padding:24px 32px 48px}
h1{margin:0 0 4px;font-size:28px}
h2{margin:32px 0 8px;font-size:20px;border-bottom:2px solid #dde3ea;padding-bottom:4px}
.sub{color:#5f6b76;margin:0 0 16px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
.card{background:#fff;border-radius:8px;padding:12px 16px;min-width:150px;
  box-shadow:0 1px 3px rgba(0,0,0,.08);border-top:5px solid #7f8c8d}
.card .v{font-size:26px;font-weight:600}.card .k{font-size:12px;color:#5f6b76}
.flag{background:#fdecea;border-left:5px solid #c0392b;padding:10px 14px;margin:8px 0;border-radius:4px}
.ok{background:#e9f6ef;border-left:5px solid #2e8b57;padding:10px 14px;margin:8px 0;border-radius:4px}
table{border-collapse:collapse;background:#fff;font-size:13px;margin:8px 0;
  box-shadow:0 1px 3px rgba(0,0,0,.06)}
th,td{padding:5px 10px;border-bottom:1px solid #e6eaee;text-align:left;vertical-align:top}
th{background:#eef2f6}td:first-child{white-space:nowrap}td.num{text-align:right;font-variant-numeric:tabular-nums}
.dot{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:6px}
img{max-width:100%;background:#fff;border-radius:6px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
.note{font-size:12px;color:#5f6b76}
"""

_CARD_METRICS = ("overall_quality", "detection_auc", "ml_efficacy_ratio", "dcr_ratio", "exact_copy_rate")
_PAIR_TABLE_COLUMNS = tuple(c for c in PAIR_COLUMNS if c != "error")


def _png(figure):
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _format(value):
    if isinstance(value, (float, np.floating)):
        return "n/a" if not np.isfinite(value) else f"{value:.3f}"
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value)


def _table(frame, max_rows=None):
    if max_rows is not None:
        frame = frame.head(max_rows)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = []
    for row in frame.itertuples(index=False):
        cells = []
        for value in row:
            numeric = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
            cells.append(f'<td class="{"num" if numeric else ""}">{html.escape(_format(value))}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


# Inline styles as well as the page's classes, so that the table and flags also look right in a
# notebook cell, where the page's CSS is absent and Jupyter's own right-aligns table cells.
_CELL = "text-align:left;vertical-align:top;padding:4px 10px"
_NUMBER_CELL = "text-align:right;vertical-align:top;padding:4px 10px;font-variant-numeric:tabular-nums"
_DOT = "display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:6px"
_FLAG = "background:#fdecea;border-left:5px solid #c0392b;padding:8px 12px;margin:6px 0;border-radius:4px"
_OK = "background:#e9f6ef;border-left:5px solid #2e8b57;padding:8px 12px;margin:6px 0;border-radius:4px"


def summary_table_html(report):
    rows = []
    for row in report.summary_.itertuples():
        dot = colour(goodness(report, row.metric, row.score))
        rows.append(
            f'<tr><td style="{_CELL};white-space:nowrap"><span class="dot" style="{_DOT};background:{dot}">'
            f"</span>{html.escape(row.metric)}</td>"
            f'<td class="num" style="{_NUMBER_CELL}">{_format(row.score)}</td>'
            f'<td style="{_CELL}">{html.escape(row.better)}</td>'
            f'<td style="{_CELL}">{html.escape(row.description)}</td></tr>'
        )
    head = "".join(
        f'<th style="{_CELL}">{name}</th>' for name in ("metric", "score", "better", "what it means")
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def notebook_html(report):
    """The report in a notebook cell: its flags, then the summary table with a status dot per score."""
    return (
        f"<div>{_flags(report)}{summary_table_html(report)}"
        '<p style="font-size:12px;color:#5f6b76">Plots: <code>plot_scores()</code>, '
        "<code>plot_distributions()</code>, <code>plot_correlation_difference()</code>, "
        "<code>plot_dcr()</code>; the whole report as one page: <code>save_html(path)</code>.</p></div>"
    )


def _cards(report):
    scores = report.scores
    cards = []
    for metric in (m for m in _CARD_METRICS if m in scores):
        value = scores[metric]
        text = (
            "n/a"
            if not np.isfinite(value)
            else (f"{value:.1%}" if metric == "exact_copy_rate" else f"{value:.2f}")
        )
        cards.append(
            f'<div class="card" style="border-top-color:{colour(goodness(report, metric, value))}">'
            f'<div class="v">{text}</div><div class="k">{metric}</div></div>'
        )
    return f'<div class="cards">{"".join(cards)}</div>'


def _flags(report):
    flags = "".join(f'<div class="flag" style="{_FLAG}">{html.escape(flag)}</div>' for flag in report.flags)
    return flags or (
        f'<div class="ok" style="{_OK}">No flags: no exact-copy excess, no DCR collapse, detection AUC '
        "and ML efficacy within their thresholds.</div>"
    )


def _least_preserved_pairs(report):
    pairs = report.tables_["pairs"].sort_values("score").copy()
    return _table(pairs[[c for c in _PAIR_TABLE_COLUMNS if c in pairs.columns]], max_rows=15)


def _fidelity_sections(report):
    return [
        "<h2>Scores</h2>",
        summary_table_html(report),
        f'<p><img alt="scores" src="{_png(plot_scores(report))}"></p>',
        "<h2>Column distributions</h2>",
        '<p class="note">Each panel overlays the real (blue) and synthetic (orange) distribution; the '
        "title carries SDMetrics' shape score for the column (1 = same distribution) and the ROC-AUC "
        "of telling the tables apart from this column alone (0.5 = impossible).</p>",
        f'<p><img alt="distributions" src="{_png(plot_distributions(report))}"></p>',
        "<h2>Column-pair trends</h2>",
        "<p class=\"note\">Each cell is 1 − SDMetrics' pair score: 0 means the pair's correlation "
        "(numbers) or contingency table (categories, binned numbers) is the same in both tables.</p>",
        f'<p><img alt="pair trends" src="{_png(plot_correlation_difference(report))}"></p>',
        "<h3>The 15 least preserved pairs</h3>",
        _least_preserved_pairs(report),
    ]


def _privacy_and_utility_sections(report):
    sections = [
        "<h2>Privacy: distance to the closest real record</h2>",
        '<p class="note">Gower distance from each row to its nearest real training row (numbers '
        "scaled by the training range, categories as mismatches, averaged over columns). Synthetic "
        "rows should be no closer to training rows than real rows the generator never saw.</p>",
        f'<p><img alt="DCR" src="{_png(plot_dcr(report))}"></p>',
        _table(report.tables_["privacy"]),
    ]
    if "ml_efficacy" in report.tables_:
        sections += [
            f"<h2>ML efficacy: predicting <code>{html.escape(str(report.info['target']))}</code></h2>",
            _table(report.tables_["ml_efficacy"]),
        ]
    return sections


def _provenance(info):
    sampled, dcr_rows = info["quality_rows"], info["dcr_rows"]
    return (
        f'<p class="note">Real rows: {info["real_rows"]:,}; synthetic rows: {info["synthetic_rows"]:,}; '
        f"holdout: {info['holdout_rows']:,} real rows ({html.escape(info['holdout'])}). "
        f"Quality and detection used {sampled['real']:,} real and {sampled['synthetic']:,} synthetic "
        f"rows; DCR compared {dcr_rows['synthetic']:,} synthetic and {dcr_rows['holdout']:,} holdout "
        f"rows with {dcr_rows['reference']:,} training rows (max_rows={info['max_rows']:,}, "
        f"random_state={html.escape(str(info['random_state']))}). Seconds: "
        f"{html.escape(', '.join(f'{k} {v}' for k, v in info['seconds'].items()))}.</p>"
    )


def _detail_sections(report):
    return [
        "<h2>Per-column details</h2>",
        '<p class="note">score: SDMetrics\' shape score. detection_auc: how well this column alone '
        "tells synthetic from real rows (0.5 = not at all); the highest values point at what gives "
        "the synthetic data away.</p>",
        _table(report.tables_["columns"]),
        "<h2>Detection folds</h2>",
        _table(report.tables_["detection"]),
        "<h2>How these numbers were made</h2>",
        _provenance(report.info),
    ]


def render(report):
    """The whole report as one self-contained HTML page."""
    sections = _fidelity_sections(report) + _privacy_and_utility_sections(report) + _detail_sections(report)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>gansynth evaluation report</title><style>{_CSS}</style></head><body><main>"
        "<h1>Synthetic data evaluation</h1>"
        '<p class="sub">Is the synthetic data faithful, useful and private? Generated by '
        "<code>gansynth.evaluate</code>.</p>"
        f"{_cards(report)}{_flags(report)}{''.join(sections)}"
        "</main></body></html>"
    )
