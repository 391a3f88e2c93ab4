"""Evaluation report of gansynth's TabularGAN on UCI Adult: HTML, screenshot and a summary table.

Adult is split into a training part (the GAN sees it) and a stratified holdout the GAN never sees;
TabularGAN is fitted on the training part, samples as many rows, and ``gansynth.evaluate`` compares
them with the training rows, using the holdout for ML efficacy and as the privacy baseline.

Usage (from the repository root)::

    OMP_NUM_THREADS=1 python benchmarks/evaluation_report.py --data-dir ../shared/datasets

Writes ``adult_evaluation.html``, ``adult_evaluation.md`` and, when Chromium is installed,
``adult_evaluation.png`` (a headless-Chromium screenshot of the HTML) to ``--out-dir``.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

_CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-dir",
        default=os.environ.get("GANSYNTH_DATA_DIR", "../shared/datasets"),
        help="folder holding adult.csv (default: $GANSYNTH_DATA_DIR or ../shared/datasets)",
    )
    parser.add_argument("--out-dir", default=str(Path(__file__).parent / "results"))
    parser.add_argument(
        "--epochs",
        type=_epochs,
        default="auto",
        help="TabularGAN epochs (default 'auto': TabularGAN's own default when fitted directly)",
    )
    parser.add_argument("--holdout-size", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--max-rows", type=int, default=10_000, help="evaluate(max_rows=...)")
    parser.add_argument("--window-size", default="1400,2400", help="screenshot size WIDTH,HEIGHT")
    return parser.parse_args(argv)


def _epochs(text):
    if text == "auto":
        return text
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"--epochs must be 'auto' or a positive integer, got {text!r}")
    return value


def table_logic(real, synthetic):
    """Adult's own logic, real vs synthetic: capital-gain's zero share, education <-> education-num."""
    pairs = lambda frame: frame[["education", "education-num"]].astype(str).agg("|".join, axis=1)  # noqa: E731
    real_pairs = set(pairs(real))
    return {
        "capital_gain_zero_share": (
            float((real["capital-gain"] == 0).mean()),
            float((synthetic["capital-gain"] == 0).mean()),
        ),
        "education_pairs_kept": float(pairs(synthetic).isin(real_pairs).mean()),
    }


def load_adult(data_dir):
    from benchmarks.datasets import load_dataset

    features, target = load_dataset("adult", data_dir=data_dir)
    return pd.concat([features, target], axis=1)


def screenshot(html_path, png_path, window_size):
    """Render ``html_path`` in headless Chromium; return the PNG path or None without Chromium."""
    binary = next(
        (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None
    )
    if binary is None:
        return None
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                binary,
                *_CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                f"--screenshot={png_path}",
                f"--window-size={window_size}",
                Path(html_path).resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
    return png_path


def markdown(report, reference, command, fit_seconds, rows, logic):
    """Summary table of TabularGAN's report next to the real holdout's (what real data scores)."""
    summary = report.summary()
    reference_scores = reference.scores
    lines = [
        "# gansynth evaluation report: TabularGAN on UCI Adult",
        "",
        f"Command: `{command}`",
        "",
        f"Rows: {rows['train']:,} training rows (the GAN's input), {rows['holdout']:,} holdout rows "
        f"the GAN never saw, {rows['synthetic']:,} synthetic rows. TabularGAN fit: "
        f"{fit_seconds:.0f} s; evaluation: {report.info['seconds']['total']:.0f} s. "
        "Full report: `adult_evaluation.html` (screenshot `adult_evaluation.png`).",
        "",
        f"TabularGAN was trained for {rows['epochs']} epochs"
        + (' (`epochs="auto"`, the library default).' if rows["default_epochs"] else "."),
        "",
        "The table's own logic: capital-gain is 0 on "
        f"{logic['capital_gain_zero_share'][0]:.1%} of the training rows and "
        f"{logic['capital_gain_zero_share'][1]:.1%} of the synthetic rows; "
        f"{logic['education_pairs_kept']:.2%} of the synthetic rows hold an (education, "
        "education-num) pair that occurs in the training rows.",
        "",
        "The *real holdout* column evaluates the holdout rows as if they were the synthetic table "
        "(fidelity and privacy only): it is what genuinely new real data scores, the practical "
        "ceiling.",
        "",
        "| metric | TabularGAN | real holdout | better | what it means |",
        "|---|---:|---:|---|---|",
    ]
    fmt = lambda v: "n/a" if v is None or not np.isfinite(v) else f"{v:.3f}"  # noqa: E731
    for row in summary.itertuples():
        lines.append(
            f"| {row.metric} | {fmt(row.score)} | {fmt(reference_scores.get(row.metric))} "
            f"| {row.better} | {row.description.replace('|', chr(92) + '|')} |"
        )
    lines += ["", "Flags:" if report.flags else "Flags: none."]
    lines += [f"- {flag}" for flag in report.flags]
    worst = report.details("columns").sort_values("score").head(3)
    pairs = report.details("pairs").sort_values("score").head(3)
    telltale = report.details("columns").sort_values("detection_auc", ascending=False).head(3)
    lines += [
        "",
        "Weakest columns: " + ", ".join(f"{r.column} ({r.score:.3f})" for r in worst.itertuples()) + ".",
        "Columns that give the synthetic rows away on their own (univariate detection ROC-AUC): "
        + ", ".join(f"{r.column} ({r.detection_auc:.3f})" for r in telltale.itertuples())
        + ".",
        "Weakest pairs: "
        + ", ".join(f"{r.column_1} x {r.column_2} ({r.score:.3f})" for r in pairs.itertuples())
        + ".",
        "",
    ]
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    import torch

    from gansynth import TabularGAN, evaluate

    torch.set_num_threads(args.threads)
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    adult = load_adult(args.data_dir)
    train, holdout = train_test_split(
        adult, test_size=args.holdout_size, random_state=args.seed, stratify=adult["income"]
    )
    train, holdout = train.reset_index(drop=True), holdout.reset_index(drop=True)

    started = time.perf_counter()
    model = TabularGAN(epochs=args.epochs, random_state=args.seed, verbose=False).fit(train)
    fit_seconds = time.perf_counter() - started
    synthetic = model.sample(len(train), random_state=args.seed)

    report = evaluate(
        train, synthetic, target="income", holdout=holdout, max_rows=args.max_rows, random_state=args.seed
    )
    print(report)
    reference = evaluate(train, holdout, max_rows=args.max_rows, random_state=args.seed)
    html_path = report.save_html(out_dir / "adult_evaluation.html")
    command = "OMP_NUM_THREADS=1 python benchmarks/evaluation_report.py " + shlex.join(
        argv if argv is not None else sys.argv[1:]
    )
    rows = {
        "train": len(train),
        "holdout": len(holdout),
        "synthetic": len(synthetic),
        "epochs": model.epochs_,
        "default_epochs": args.epochs == "auto",
    }
    logic = table_logic(train, synthetic)
    (out_dir / "adult_evaluation.md").write_text(
        markdown(report, reference, command, fit_seconds, rows, logic), encoding="utf-8"
    )
    png = screenshot(html_path, out_dir / "adult_evaluation.png", args.window_size)
    print(f"wrote {html_path}" + (f" and {png}" if png else " (no Chromium: no screenshot)"))


if __name__ == "__main__":
    main()
