"""The gallery examples run as scripts, as a reader who downloads one would run them.

``make docs`` executes every example too; these tests keep the fast ones checked in the fast tier,
and the GAN-training ones in the slow tier, without Sphinx.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SLOW = {
    "plot_quickstart.py",
    "plot_imbalanced_pipeline.py",
    "plot_evaluation_report.py",
    "plot_image_digits.py",
}


def run_example(name, *arguments):
    environment = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, name, *arguments],
        cwd=EXAMPLES,  # where sphinx-gallery runs them
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_every_example_is_listed_here():
    gallery = {path.name for path in EXAMPLES.glob("plot_*.py")}
    assert gallery == SLOW | {"plot_downstream_benchmark.py"}


@pytest.mark.parametrize(
    "name",
    [
        "plot_downstream_benchmark.py",
        *(pytest.param(name, marks=pytest.mark.slow) for name in sorted(SLOW)),
    ],
)
def test_example_runs(name):
    done = run_example(name)
    assert done.returncode == 0, done.stderr[-3000:]


def test_the_command_line_example_skips_without_its_datasets(tmp_path):
    done = run_example("oversampling_pipeline.py", "--data-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr[-3000:]
    assert "skipping" in done.stdout and "yeast4.csv not found" in done.stdout
