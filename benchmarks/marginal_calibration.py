"""Trial of sample-time marginal calibration: does raking candidate rows fix TabularGAN's marginals?

Unconditional sampling conditions each row on one discrete block, so a discrete column's
marginal is exact on only a share of the rows, and on Adult the categorical columns are the
weakest in ``column_shapes``. This trial, which is not a library feature, asks what calibrating
them would buy. It samples ``factor * n`` candidate rows, rakes their weights (iterative
proportional fitting) until every discrete column's weighted frequencies equal the training
frequencies, then draws ``n`` rows without replacement with probability proportional to the
weights (Efraimidis-Spirakis keys). ``factor`` 1 is plain sampling. Drawing a large share of
the candidates without replacement pulls the heaviest rows' share back toward uniform, so the
kept rows' marginals move toward the training ones but do not reach them exactly.

Each table is split as ``benchmarks/evaluation_report.py`` splits Adult (80/20, stratified on
the target, seed 0), one TabularGAN is fitted on the training part, and every variant is scored
by ``gansynth.evaluate`` against the training rows, with the holdout for ML efficacy.

Usage::

    python -m benchmarks calibration --data-dir ../shared/datasets --epochs adult=100 \
        --out benchmarks/results/marginal_calibration.md
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.model_selection import train_test_split

from benchmarks.datasets import load_dataset
from gansynth import TabularGAN, evaluate

METRICS = ("column_shapes", "column_pair_trends", "detection_auc", "ml_efficacy_ratio")
RAKING_ROUNDS = 20
FEW_VALUES = 20  # a numeric column with at most this many distinct values is raked as discrete


def discrete_columns(train: pd.DataFrame) -> list[str]:
    """Non-numeric columns and numeric ones with few distinct values."""
    return [
        c
        for c in train.columns
        if not pd.api.types.is_numeric_dtype(train[c]) or train[c].nunique() <= FEW_VALUES
    ]


def raking_weights(candidates: pd.DataFrame, train: pd.DataFrame, columns) -> np.ndarray:
    """Row weights under which each of ``columns`` has its training frequencies (as far as the
    candidates allow; a level that no candidate has cannot be raised)."""
    weights = np.ones(len(candidates))
    keys = {c: candidates[c].astype(str).to_numpy() for c in columns}
    targets = {c: train[c].astype(str).value_counts(normalize=True) for c in columns}
    for _ in range(RAKING_ROUNDS):
        for c in columns:
            current = pd.Series(weights).groupby(keys[c]).sum() / weights.sum()
            ratio = (targets[c] / current).reindex(current.index).fillna(0.0)
            weights = weights * pd.Series(keys[c]).map(ratio).fillna(0.0).to_numpy()
    # A few extreme weights would repeat rows' information; cap them.
    cap = np.quantile(weights[weights > 0], 0.99) * 3
    return np.minimum(weights, cap)


def calibrated_sample(model, train, n: int, factor: int, seed: int) -> pd.DataFrame:
    candidates = model.sample(factor * n, random_state=seed)
    if factor == 1:
        return candidates
    weights = raking_weights(candidates, train, discrete_columns(train))
    keys = np.log(np.random.default_rng(seed).random(len(candidates))) / np.maximum(weights, 1e-300)
    chosen = np.sort(np.argsort(-keys)[:n])
    return candidates.iloc[chosen].reset_index(drop=True)


def measure(name: str, data_dir: str, epochs, factors, seed: int, log=print) -> list[dict]:
    features, target = load_dataset(name, data_dir=data_dir)
    data = pd.concat([features, target], axis=1)
    train, holdout = train_test_split(data, test_size=0.2, random_state=seed, stratify=data[target.name])
    train, holdout = train.reset_index(drop=True), holdout.reset_index(drop=True)
    started = time.perf_counter()
    model = TabularGAN(epochs=epochs, random_state=seed, verbose=False).fit(train)
    log(f"{name}: fitted in {time.perf_counter() - started:.0f} s")
    rows = []
    for factor in factors:
        started = time.perf_counter()
        synthetic = calibrated_sample(model, train, len(train), factor, seed)
        seconds = time.perf_counter() - started
        report = evaluate(
            train, synthetic, target=target.name, holdout=holdout, max_rows=10_000, random_state=seed
        )
        scores = report.summary().set_index("metric")["score"].to_dict()
        row = {"table": name, "epochs": epochs, "factor": factor, "sample_seconds": seconds}
        row.update({metric: float(scores[metric]) for metric in METRICS})
        log(json.dumps(row))
        rows.append(row)
    return rows


def markdown(rows, command: str, load) -> str:
    lines = [
        "# Marginal calibration trial: raked candidate rows against plain sampling",
        "",
        f"Command: `{command}`  ",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs shared with other jobs (load average "
        f"{load[0]:.1f} at the start, {load[1]:.1f} at the end), torch {torch.__version__}.  ",
        "One TabularGAN per table (seed 0), fitted on 80% of the rows; every variant scored by "
        "`gansynth.evaluate` on the training rows (at most 10,000), ML efficacy on the 20% holdout. "
        "*factor*: candidate rows sampled per row kept (1 = plain sampling). The raking is this "
        "script's, not a library feature.",
        "",
        "| table | epochs | factor | column_shapes | column_pair_trends | detection AUC | ML efficacy ratio "
        "| sampling + raking (s) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['table']} | {r['epochs']} | {r['factor']} | {r['column_shapes']:.3f} | "
            f"{r['column_pair_trends']:.3f} | {r['detection_auc']:.3f} | {r['ml_efficacy_ratio']:.3f} | "
            f"{r['sample_seconds']:.1f} |"
        )
    return "\n".join(lines) + "\n"


def _epochs_by_table(text: str) -> dict:
    pairs = [item.split("=") for item in text.split(",") if item]
    return {name: (value if value == "auto" else int(value)) for name, value in pairs}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks calibration", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--data-dir", default=os.environ.get("GANSYNTH_DATA_DIR", "../shared/datasets"))
    parser.add_argument("--tables", default="adult,bank_additional")
    parser.add_argument("--epochs", default="", help="per table, e.g. adult=100 (default: TabularGAN's own)")
    parser.add_argument("--factors", default="1,2,4")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default="benchmarks/results/marginal_calibration.md")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    epochs = _epochs_by_table(args.epochs)
    factors = [int(f) for f in args.factors.split(",")]
    command = "python -m benchmarks calibration " + " ".join(argv if argv is not None else sys.argv[1:])
    load_before = os.getloadavg()[0]
    rows = []
    for name in args.tables.split(","):
        rows += measure(name, args.data_dir, epochs.get(name, "auto"), factors, args.seed)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(markdown(rows, command, (load_before, os.getloadavg()[0])))
    out.with_suffix(".json").write_text(json.dumps({"command": command, "rows": rows}, indent=2))
    print(out.read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
