"""Do a joint GAN's generated minority rows stay on the minority's side? With and without the
auxiliary classifier loss, against per-class GANs.

Usage::

    python -m benchmarks drift --data-dir ../shared/datasets --datasets yeast4,wilt,seismic_bumps \\
        --seeds 0,1,2 --out benchmarks/results/auxiliary_drift.csv

Per dataset and seed: a stratified 75/25 split; a reference classifier (HistGradientBoosting with
balanced class weights, the downstream benchmark's preprocessing) fitted on the training rows;
each GANOversampler variant fitted on the same training rows *without* its quality filter (the
filter would pick rows by a classifier much like the reference, and hide the drift). The figure
is the share of the generated minority rows that the reference classifier calls minority, beside
the same share for the real held-out minority rows (its recall) and majority rows (its false
positive rate), and the mean minority probability it gives them. Fit times are recorded too.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

VARIANTS = {
    "joint": {"per_class": False},
    "joint+aux": {"per_class": False, "auxiliary_loss": True},
    "per-class": {"per_class": True},
}


def run_one(dataset: str, seed: int, data_dir: str) -> list[dict]:
    from gansynth.comparison.classifiers import as_imputable, make_classifier
    from gansynth.comparison.methods import make_gan_oversampler

    from ._cells import load_registered, make_split

    X, y = load_registered(dataset, data_dir)
    train, test = make_split(y, seed)
    X_train, y_train = X.iloc[train].reset_index(drop=True), y[train]
    X_test, y_test = X.iloc[test].reset_index(drop=True), y[test]
    reference = make_classifier("hist_gb", X_train, seed, balanced=True)
    reference.fit(as_imputable(X_train), y_train)

    def judged(rows: pd.DataFrame) -> tuple[float, float]:
        probability = reference.predict_proba(as_imputable(rows))[:, 1]
        return float(np.mean(probability > 0.5)), float(np.mean(probability))

    base = {"dataset": dataset, "seed": seed, "n_train": len(y_train), "n_minority": int(y_train.sum())}
    rows = []
    for name, labels in (("real minority (test)", 1), ("real majority (test)", 0)):
        share, mean = judged(X_test[y_test == labels])
        rows.append({**base, "rows": name, "share_minority": share, "mean_probability": mean})
    for name, options in VARIANTS.items():
        sampler = make_gan_oversampler({**options, "quality_filter": None}, seed)
        start = time.perf_counter()
        X_res, y_res = sampler.fit_resample(X_train, y_train)
        seconds = time.perf_counter() - start
        generated = pd.DataFrame(X_res).iloc[len(y_train) :]
        share, mean = judged(generated[np.asarray(y_res)[len(y_train) :] == 1])
        rows.append(
            {**base, "rows": name, "share_minority": share, "mean_probability": mean, "fit_seconds": seconds}
        )
        print(f"{dataset} seed {seed} {name}: {share:.3f} called minority, fit {seconds:.1f} s", flush=True)
    return rows


def summary(frame: pd.DataFrame) -> str:
    """Markdown: per dataset and rows, the mean (and range over seeds) of the share called minority."""
    order = ["real minority (test)", "real majority (test)", *VARIANTS]
    lines = [
        "| dataset | rows | share called minority: mean (min-max over seeds) | mean P(minority) "
        "| fit s (median) |",
        "|---|---|---|---|---|",
    ]
    for dataset, part in frame.groupby("dataset", sort=False):
        for name in order:
            rows = part[part["rows"] == name]
            share = rows["share_minority"]
            timed = rows["fit_seconds"].dropna() if "fit_seconds" in rows else rows.iloc[:0, 0]
            seconds = timed.median() if len(timed) else np.nan
            lines.append(
                f"| {dataset} | {name} | {share.mean():.3f} ({share.min():.3f}-{share.max():.3f}) "
                f"| {rows['mean_probability'].mean():.3f} | {'' if np.isnan(seconds) else f'{seconds:.1f}'} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks drift", description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default=os.environ.get("GANSYNTH_DATA_DIR"))
    parser.add_argument("--datasets", default="yeast4,wilt,seismic_bumps")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--out", default="benchmarks/results/auxiliary_drift.csv")
    parser.add_argument("--report-only", action="store_true", help="print the summary of an existing CSV")
    args = parser.parse_args(argv)
    out = Path(args.out)
    if not args.report_only:
        if not args.data_dir or not Path(args.data_dir).is_dir():
            parser.error("pass --data-dir (or set GANSYNTH_DATA_DIR) to the shared datasets folder")
        import torch

        torch.set_num_threads(1)
        rows = []
        for seed in [int(s) for s in args.seeds.split(",")]:
            for dataset in args.datasets.split(","):
                rows += run_one(dataset, seed, args.data_dir)
                pd.DataFrame(rows).to_csv(out, index=False)  # kept as it grows: a cut run keeps its rows
    print(summary(pd.read_csv(out)))
    return 0
