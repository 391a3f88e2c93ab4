"""What a notebook user sees: the report's HTML, inline figures, progress bars and estimator reprs."""

from __future__ import annotations

import html
import io
import re
import sys
import types
import warnings

import numpy as np
import pandas as pd
import pytest
import tqdm.notebook
import tqdm.std

from gansynth import TabularGAN, _progress
from gansynth.evaluation import evaluate
from gansynth.evaluation.plots import GOOD, POOR
from gansynth.tabular import training
from tests.test_evaluation import make_table


@pytest.fixture(scope="module")
def copied_report():
    real = make_table(300, seed=0)
    return evaluate(real, real.sample(frac=1, random_state=1), target="label", random_state=0)


def test_report_html_shows_flags_dots_and_left_aligned_text(copied_report):
    text = copied_report._repr_html_()
    assert copied_report.flags and all(flag.split(":")[0] in text for flag in copied_report.flags)
    assert text.index("Privacy failure") < text.index("<table")  # flags above the table
    # The status dots are sized and coloured inline: a notebook has none of the page's CSS.
    dots = re.findall(r'<span class="dot" style="([^"]*)"', text)
    assert len(dots) == len(copied_report.summary_)
    assert all("display:inline-block" in dot and "width:10px" in dot for dot in dots)
    assert any(GOOD in dot for dot in dots) and any(POOR in dot for dot in dots)
    # Jupyter right-aligns cells unless told otherwise; every description cell is told.
    for description in copied_report.summary_["description"]:
        cell = re.search(r'<td style="([^"]*)">' + re.escape(html.escape(description)), text)
        assert cell is not None and "text-align:left" in cell.group(1)


def test_report_html_without_flags_says_so():
    real = make_table(300, seed=0)
    report = evaluate(real, make_table(300, seed=5), random_state=0)
    assert not report.flags
    assert "No flags" in report._repr_html_()


def test_report_figures_display_inline_without_the_matplotlib_magic(copied_report):
    interactiveshell = pytest.importorskip("IPython.core.interactiveshell")
    shell = interactiveshell.InteractiveShell.instance()
    try:
        figure = copied_report.plot_scores()
        formatted, _ = shell.display_formatter.format(figure)
        assert formatted["image/png"].startswith(b"\x89PNG")
    finally:
        interactiveshell.InteractiveShell.clear_instance()


def test_progress_bar_is_plain_tqdm_outside_a_notebook():
    assert _progress._bar_class() is tqdm.std.tqdm


@pytest.mark.parametrize("has_widgets", [False, True])
def test_progress_bar_in_a_notebook_uses_the_widget_only_with_ipywidgets(monkeypatch, has_widgets):
    shell = types.SimpleNamespace(config={"IPKernelApp": {}})
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: shell))
    find_spec = _progress.importlib.util.find_spec
    monkeypatch.setattr(
        _progress.importlib.util,
        "find_spec",
        lambda name: (object() if has_widgets else None) if name == "ipywidgets" else find_spec(name),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "IProgress not found"
        bar_class = _progress._bar_class()
    assert bar_class is (tqdm.notebook.tqdm if has_widgets else tqdm.std.tqdm)


def test_training_writes_one_progress_line_per_epoch(monkeypatch):
    log = io.StringIO()

    def unthrottled_bar(iterable, *, description, verbose):
        # mininterval=0 redraws on every update, as a slow epoch would: what remains is whether
        # the loss postfix forces a second redraw per epoch.
        return tqdm.std.tqdm(iterable, desc=description, file=log, mininterval=0, unit="epoch")

    monkeypatch.setattr(training, "progress_bar", unthrottled_bar)
    data = pd.DataFrame({"x": np.random.default_rng(0).normal(size=60), "c": ["a", "b", "c"] * 20})
    TabularGAN(epochs=4, batch_size=30, pac=10, random_state=0).fit(data)
    lines = [line for line in log.getvalue().replace("\r", "\n").splitlines() if line.strip()]
    assert "G=" in lines[-1] and "4/4" in lines[-1]
    assert len(lines) <= 4 + 2  # the empty bar, one redraw per epoch, and the closing one


def test_estimators_keep_scikit_learns_html_repr():
    from gansynth import GANOversampler, ImageGAN

    for estimator in (TabularGAN(epochs=5), GANOversampler(generator=TabularGAN(epochs=5)), ImageGAN()):
        text = estimator._repr_html_()
        assert "sk-estimator" in text or "sk-top-container" in text
        assert type(estimator).__name__ in text
