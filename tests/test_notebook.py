"""What a notebook user sees: the report's HTML, inline figures, progress bars and estimator reprs."""

from __future__ import annotations

import contextlib
import html
import io
import os
import re
import shutil
import sys
import types
import warnings
from pathlib import Path

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


# ---------------------------------------------------------------- a downloaded notebook, run by nbclient

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "plot_evaluation_report.py"
BUILT_NOTEBOOK = ROOT / "docs" / "auto_examples" / "plot_evaluation_report.ipynb"


def gallery_notebook(tmp_path) -> Path:
    """The notebook the docs offer: the built one if current, else sphinx-gallery's own conversion."""
    if BUILT_NOTEBOOK.exists() and BUILT_NOTEBOOK.stat().st_mtime >= EXAMPLE.stat().st_mtime:
        return BUILT_NOTEBOOK
    notebook = pytest.importorskip("sphinx_gallery.notebook")
    script = tmp_path / EXAMPLE.name
    shutil.copy(EXAMPLE, script)
    with contextlib.redirect_stdout(io.StringIO()):
        notebook.python_to_jupyter_cli([str(script)])
    return script.with_suffix(".ipynb")


@pytest.mark.slow  # a kernel, and a GAN trained for 100 epochs
def test_a_gallery_notebook_runs_in_a_kernel_and_shows_the_report_and_its_figures(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    notebook = nbformat.read(gallery_notebook(tmp_path), as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    # As a user's kernel: this checkout's gansynth, and no backend forced, so that IPython's
    # inline backend is the one in use (matplotlib displays nothing without it).
    environment = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), environment.get("PYTHONPATH")]))
    try:
        client.km = client.create_kernel_manager()
        client.start_new_kernel(env=environment)
        client.start_new_kernel_client()
    except Exception as exc:  # no kernel spec, no ZMQ sockets, a sandbox: not this test's subject
        client._cleanup_kernel()
        pytest.skip(f"no Jupyter kernel could start: {type(exc).__name__}: {exc}")
    client.execute()  # raises CellExecutionError on the first cell that fails

    cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    outputs = {cell.source.strip().splitlines()[-1]: cell.outputs for cell in cells}
    assert not [o for cell in cells for o in cell.outputs if o.output_type == "error"]
    report_html = [o.data["text/html"] for o in outputs["report"] if "text/html" in o.get("data", {})]
    assert len(report_html) == 1 and "<table" in report_html[0] and 'class="dot"' in report_html[0]
    printed = "".join(o.get("text", "") for o in outputs["    print(flag)"])
    for flag in filter(None, printed.splitlines()):
        assert flag.split(":")[0] in report_html[0]  # every flag, above the table
    if not printed.strip():
        assert "No flags" in report_html[0]
    figure_cells = [cell for cell in cells if "report.plot_" in cell.source]
    assert len(figure_cells) == 3
    for cell in figure_cells:
        images = [o for o in cell.outputs if "image/png" in o.get("data", {})]
        assert len(images) == 1, cell.source  # inline, once, without %matplotlib inline
