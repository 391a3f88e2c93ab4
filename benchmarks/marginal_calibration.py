"""Marginal calibration against plain sampling: ``TabularGAN(marginal_calibration=k)`` on real tables.

Unconditional sampling conditions each row on one condition block, so a discrete column's
marginal comes from the training frequencies on only a share of the rows, and on Adult the
categorical columns were the weakest in ``column_shapes``. With ``marginal_calibration=k`` the
model generates ``k`` candidate rows per row and keeps rows whose discrete marginals match the
training shares (:mod:`gansynth.tabular.calibration`). This benchmark fits one TabularGAN per
table and scores its samples at each factor; factor 1 is plain sampling.

Each table is split as ``benchmarks/evaluation_report.py`` splits Adult (80/20, stratified on
the target, seed 0), one TabularGAN is fitted on the training part, and every factor is scored
by ``gansynth.evaluate`` against the training rows, with the holdout for ML efficacy.

Usage::

    python -m benchmarks calibration --data-dir ../shared/datasets \
        --tables adult,bank_additional,credit_data,seismic_bumps,hpc_data \
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

import pandas as pd
import torch
from sklearn.model_selection import train_test_split

from benchmarks.datasets import load_dataset
from gansynth import TabularGAN, evaluate

METRICS = ("column_shapes", "column_pair_trends", "detection_auc", "ml_efficacy_ratio")


def split_table(name: str, data_dir: str, seed: int):
    """The table's 80% training and 20% holdout parts (stratified on the target), and the target's name."""
    features, target = load_dataset(name, data_dir=data_dir)
    data = pd.concat([features, target], axis=1)
    train, holdout = train_test_split(data, test_size=0.2, random_state=seed, stratify=data[target.name])
    return train.reset_index(drop=True), holdout.reset_index(drop=True), target.name


def scores(train, synthetic, target: str, holdout, seed: int) -> dict:
    """:data:`METRICS` of ``synthetic`` from ``gansynth.evaluate``, on at most 10,000 rows."""
    report = evaluate(train, synthetic, target=target, holdout=holdout, max_rows=10_000, random_state=seed)
    summary = report.summary().set_index("metric")["score"].to_dict()
    return {metric: float(summary[metric]) for metric in METRICS}


def measure(name: str, data_dir: str, epochs, factors, seed: int, log=print) -> list[dict]:
    train, holdout, target = split_table(name, data_dir, seed)
    started = time.perf_counter()
    model = TabularGAN(epochs=epochs, random_state=seed, verbose=False).fit(train)
    log(f"{name}: fitted in {time.perf_counter() - started:.0f} s")
    rows = []
    for factor in factors:
        started = time.perf_counter()
        synthetic = model.set_params(marginal_calibration=factor).sample(len(train), random_state=seed)
        seconds = time.perf_counter() - started
        row = {"table": name, "epochs": epochs, "factor": factor, "sample_seconds": seconds}
        row.update(scores(train, synthetic, target, holdout, seed))
        log(json.dumps(row))
        rows.append(row)
    return rows


def held_out_changes(rows, tuned_on, key: str = "factor", baseline=1) -> list[dict]:
    """Per value of ``key`` other than ``baseline``, the mean change of each metric against the
    baseline over the tables that played no part in choosing the method (runs of one table and
    value averaged first), and on how many of them it improved."""
    frame = pd.DataFrame(rows)
    frame = frame[~frame["table"].isin(tuned_on)]
    means = frame.groupby([key, "table"])[list(METRICS)].mean()
    if baseline not in means.index.get_level_values(0):
        return []
    plain = means.loc[baseline]
    changes = []
    for value in sorted(set(frame[key]) - {baseline}):
        delta = (means.loc[value] - plain).dropna()
        if delta.empty:
            continue
        better = {m: int(((-delta[m]) if m == "detection_auc" else delta[m]).gt(0).sum()) for m in METRICS}
        changes.append({key: value, "tables": len(delta), "mean": delta.mean().to_dict(), "better": better})
    return changes


def report_header(title: str, command: str, load) -> list[str]:
    """A report's title, command and machine lines (``load``: load averages before and after)."""
    return [
        f"# {title}",
        "",
        f"Command: `{command}`  ",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs shared with other jobs (load average "
        f"{load[0]:.1f} at the start, {load[1]:.1f} at the end), torch {torch.__version__}.  ",
    ]


def markdown(rows, command: str, load, tuned_on=()) -> str:
    lines = report_header(
        "Marginal calibration: `TabularGAN(marginal_calibration=k)` against plain sampling", command, load
    ) + [
        "One TabularGAN per table (seed 0), fitted on 80% of the rows; every variant scored by "
        "`gansynth.evaluate` on the training rows (at most 10,000), ML efficacy on the 20% holdout. "
        "*factor*: `marginal_calibration`, candidate rows generated per row kept (1 = plain "
        f"sampling). Tables that chose the method: {', '.join(tuned_on) or 'none'}; the others "
        "played no part in it.",
        "",
        "| table | epochs | factor | column_shapes | column_pair_trends | detection AUC | ML efficacy ratio "
        "| sampling (s) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['table']} | {r['epochs']} | {r['factor']} | {r['column_shapes']:.3f} | "
            f"{r['column_pair_trends']:.3f} | {r['detection_auc']:.3f} | {r['ml_efficacy_ratio']:.3f} | "
            f"{r['sample_seconds']:.1f} |"
        )
    lines += changes_table(
        held_out_changes(rows, tuned_on),
        "factor",
        "Change against plain sampling on the tables that played no part (mean; in brackets, on how "
        "many tables it improved; a lower detection AUC is better):",
    )
    return "\n".join(lines) + "\n"


def changes_table(changes, key: str, caption: str) -> list[str]:
    """:func:`held_out_changes` as Markdown lines under ``caption`` (none without changes)."""
    if not changes:
        return []
    lines = [
        "",
        caption,
        "",
        f"| {key} | tables | column_shapes | column_pair_trends | detection AUC | ML efficacy ratio |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for c in changes:
        cells = " | ".join(f"{c['mean'][m]:+.3f} ({c['better'][m]})" for m in METRICS)
        lines.append(f"| {c[key]} | {c['tables']} | {cells} |")
    return lines


def measure_tables(args, command: str, markdown, measure_table) -> None:
    """Rows of ``measure_table(name, epochs)`` for every table of ``args.tables`` (epochs from
    ``args.epochs``), reported by ``markdown`` to ``args.out`` with the load before and after."""
    epochs = epochs_by_table(args.epochs)
    load_before = os.getloadavg()[0]
    rows = []
    for name in args.tables.split(","):
        rows += measure_table(name, epochs.get(name, "auto"))
    tuned_on = [name for name in args.tuned_on.split(",") if name]
    report = markdown(rows, command, (load_before, os.getloadavg()[0]), tuned_on)
    write_results(args.out, report, command, rows)


def write_results(path, text: str, command: str, rows) -> None:
    """The Markdown report at ``path``, its rows as JSON beside it; the report is printed too."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    out.with_suffix(".json").write_text(json.dumps({"command": command, "rows": rows}, indent=2))
    print(text)


def epochs_by_table(text: str) -> dict:
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
    parser.add_argument("--tuned-on", default="adult", help="tables that chose the method (comma-separated)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default="benchmarks/results/marginal_calibration.md")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    factors = [int(f) for f in args.factors.split(",")]
    command = "python -m benchmarks calibration " + " ".join(argv if argv is not None else sys.argv[1:])
    measure_tables(
        args, command, markdown, lambda name, epochs: measure(name, args.data_dir, epochs, factors, args.seed)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
