"""Figures quoted in the README and the docs agree with the committed results that hold them.

``python -m benchmarks figures --check`` is the same check; the docs build runs it on each
``:figure:`` role too. See CONTRIBUTING.md for how to quote a figure.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from benchmarks import _figure_sources, downstream_figures, figures
from benchmarks._figure_sources import FigureError, figure_value

ROOT = Path(__file__).resolve().parent.parent


def test_every_quoted_figure_matches_its_results_file_and_none_is_bare():
    assert figures.check(figures.page_paths()) == []


def test_the_pages_quote_figures_at_all():
    quoted = {path.name: figures.quotes_in(*figures._page(path)) for path in figures.page_paths()}
    assert len(quoted["README.md"]) > 50 and len(quoted["benchmarks.rst"]) > 20


@pytest.mark.parametrize(
    "written, value, agrees",
    [
        ("0.42", 0.4159, True),
        ("0.41", 0.4159, False),
        ("0.030", 0.02947, False),  # rounded twice by hand: 0.0295 -> 0.030
        ("0.029", 0.02947, True),
        ("5e-13", 4.6e-13, True),
        ("4e-7", 4.4e-7, True),
        ("+0.0025", 0.00252, True),
        ("−0.025", -0.0251, True),
        ("0.025", -0.0251, False),  # the sign is part of the figure
        ("1,797", 1797, True),
        ("32", 31.8, True),
        ("338", 338.0, True),
        ("340", 338.0, False),
    ],
)
def test_a_quote_agrees_when_it_is_the_value_rounded_as_written(written, value, agrees):
    assert (figures.disagreement(written, value) is None) == agrees


def test_write_keeps_the_way_a_figure_is_written():
    assert figures.formatted(-0.01234, "−0.025") == "−0.012"
    assert figures.formatted(0.0043, "+0.0025") == "+0.0043"
    assert figures.formatted(3.3e-12, "5e-13") == "3e-12"
    assert figures.formatted(12345.6, "1,797") == "12,346"


@pytest.fixture
def results(tmp_path, monkeypatch):
    monkeypatch.setattr(_figure_sources, "RESULTS", tmp_path)
    (tmp_path / "run.json").write_text(json.dumps({"ratios": {"epoch": 0.4159}, "counts": [104, 104]}))
    (tmp_path / "table.md").write_text(
        "Command: `python -m benchmarks x` (run from the repository root; 31.8 min in total)\n\n"
        "| variant | method | accuracy |\n|---|---|---|\n"
        "| imbalanced | real only | 0.659 ± 0.002 |\n| lowdata | real only | **0.738** |\n"
    )
    return tmp_path


def test_sources_json_paths_table_cells_and_text(results):
    assert figure_value("run.json", "ratios.epoch") == 0.4159
    assert figure_value("run.json", "counts.1") == 104
    assert figure_value("table.md", "imbalanced :: real only :: accuracy") == 0.659
    assert figure_value("table.md", "lowdata :: real only :: accuracy") == 0.738
    assert figure_value("table.md", "run from the repository root;") == 31.8
    with pytest.raises(FigureError, match="did you mean ratios.epoch"):
        figure_value("run.json", "ratios.epochs")
    with pytest.raises(FigureError, match="no table cell"):
        figure_value("table.md", "balanced :: real only :: accuracy")
    with pytest.raises(FigureError, match="no results file"):
        figure_value("missing.json", "x")


def test_a_page_with_a_wrong_or_bare_figure_fails_and_write_fixes_the_quotes(results, tmp_path):
    page = tmp_path / "README.md"
    page.write_text(
        "Per epoch 0.40x<!-- figure: run.json ratios.epoch --> and 0.659<!-- figure: table.md "
        "imbalanced :: real only :: accuracy --> in 33 s, 1.5x faster.\n\n```bash\nsleep 0.25\n```\n"
    )
    problems = figures.check([page])
    assert any("0.40x" not in p and "0.40" in p and "0.42 as written here" in p for p in problems)
    assert sum("quoted without its source" in p for p in problems) == 2  # 33 s and 1.5x, not the code
    assert figures.write([page]) == 1
    assert "Per epoch 0.42x<!--" in page.read_text()
    assert len(figures.check([page])) == 2


def test_rst_roles_are_quotes_and_literals_are_not_measurements(results, tmp_path):
    page = tmp_path / "page.rst"
    page.write_text(
        "Epoch :figure:`0.42x <run.json\n   ratios.epoch>`, ``0.5`` literal.\n\n"
        ".. code-block:: bash\n\n   sleep 0.25\n\n.. list-table::\n\n   * - 0.77\n"
    )
    (quote,) = figures.quotes_in("page.rst", page.read_text())
    assert (quote.text, quote.key, quote.problem()) == ("0.42", "ratios.epoch", None)
    assert figures.bare_measurements("page.rst", page.read_text()) == [(10, "0.77")]


def test_the_docs_role_fails_on_a_figure_that_disagrees():
    docutils_core = pytest.importorskip("docutils.core")
    from docutils import nodes
    from docutils.parsers.rst import roles

    spec = importlib.util.spec_from_file_location("quoted_figures", ROOT / "docs" / "quoted_figures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    roles.register_local_role("figure", module.figure_role)
    settings = {"report_level": 5, "halt_level": 5}
    # The committed value, whatever a rerun made it; a wrong one is that value plus 0.1.
    right = f"{figure_value('ctgan_comparison.json', 'ratios.epoch_time'):.2f}"
    wrong = f"{float(right) + 0.1:.2f}"
    key = "ctgan_comparison.json ratios.epoch_time"
    good = docutils_core.publish_doctree(f"Epoch :figure:`{right}x <{key}>`.", settings_overrides=settings)
    assert f"{right}x" in good.astext() and not list(good.findall(nodes.system_message))
    bad = docutils_core.publish_doctree(f"Epoch :figure:`{wrong}x <{key}>`.", settings_overrides=settings)
    (message,) = bad.findall(nodes.system_message)
    assert f"which is {right} as written here" in message.astext()


def test_the_downstream_figures_are_recomputed_from_the_runs():
    values = _figure_sources._computed("downstream_runs.csv")
    # downstream.md's own Wilcoxon table, made by the report command from the same CSV.
    assert round(values["imbalanced.GANOversampler.vs.SMOTE.delta"], 4) == 0.0295
    assert values["imbalanced.GANOversampler.vs.SMOTE.wins"] == 100
    assert round(values["low-data.GANOversampler.vs.none.delta"], 4) == 0.0028


def test_no_augmentation_chosen_counts_augmented_cv_runs_in_percent():
    runs = pd.DataFrame(
        {
            "augmenter": ["AugmentedClassifierCV"] * 4 + ["none"],
            "classifier": ["logreg", "logreg", "hist_gb", "hist_gb", "logreg"],
            "amount": [0.0, 0.5, 0.0, 0.0, 0.0],
        }
    )
    values = downstream_figures._no_augmentation_chosen(runs)
    assert values == {
        "augmented_cv.none_chosen": 75.0,
        "augmented_cv.none_chosen.hist_gb": 100.0,
        "augmented_cv.none_chosen.logreg": 50.0,
    }
    assert downstream_figures._no_augmentation_chosen(runs.drop(columns="amount")) == {}


@pytest.mark.slow  # trains GANOversampler on yeast4 (about 20 s)
def test_the_yeast4_example_prints_the_figures_its_committed_output_holds():
    data_dir = Path(os.environ.get("GANSYNTH_DATA_DIR", ROOT.parent / "shared" / "datasets"))
    if not (data_dir / "yeast4.csv").exists():
        pytest.skip(f"yeast4.csv not found in {data_dir}")
    done = subprocess.run(
        [sys.executable, "examples/oversampling_pipeline.py", "--data-dir", str(data_dir)],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    committed = (ROOT / "benchmarks" / "results" / "oversampling_pipeline_yeast4.md").read_text()

    def scores(text):  # augmenter -> (PR-AUC, balanced accuracy); the seconds column is not seeded
        rows = [line.strip("|").split("|") for line in text.splitlines() if line.startswith("| ")]
        return {row[0].strip(): (row[1].strip(), row[2].strip()) for row in rows[1:]}

    printed, recorded = scores(done.stdout), scores(committed)
    assert printed.keys() == recorded.keys() and len(recorded) == 3
    # Logistic regression on the same rows repeats exactly everywhere. The GAN repeats exactly on
    # one machine only: torch's CPU kernels take different paths on different processors (AVX2 or
    # AVX-512, Intel or AMD), and 500 training steps carry the last-bit differences into the
    # samples. On an AMD EPYC (AVX-512) an earlier committed 0.320 / 0.763 came out as 0.294 / 0.783.
    assert printed["none"] == recorded["none"] and printed["SMOTE"] == recorded["SMOTE"]
    gaps = [abs(float(a) - float(b)) for a, b in zip(printed["GANOversampler"], recorded["GANOversampler"])]
    assert max(gaps) <= 0.05, (printed, recorded)
