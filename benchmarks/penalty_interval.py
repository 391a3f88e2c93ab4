"""Lazy gradient penalty: ``TabularGAN(penalty_interval=k)`` against a penalty on every critic update.

WGAN-GP's penalty needs a double backward pass through the critic, about a quarter of a training
step. With ``penalty_interval=k`` it is computed on every k-th critic update only, at k times the
weight (StyleGAN2's lazy regularisation). This benchmark fits one TabularGAN per table, seed and
interval, on the same split, and reports each fit's wall-clock time next to the fidelity of its
samples (default sampling). Interval 1 is CTGAN's training.

Each table is split as ``benchmarks/marginal_calibration.py`` splits it (80/20, stratified on the
target, split seed 0), and the samples are scored by ``gansynth.evaluate`` against the training
rows, with the holdout for ML efficacy. Fits of one table run one after the other, the intervals
in turn within each seed, so a change in the machine's load falls on all of them alike; compare
times within a table.

Usage::

    python -m benchmarks penalty --data-dir ../shared/datasets \\
        --tables adult,bank_additional,credit_data,seismic_bumps,hpc_data,wilt --epochs adult=100 \\
        --intervals 1,2,4 --out benchmarks/results/penalty_interval.md
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch

from benchmarks.marginal_calibration import (
    changes_table,
    held_out_changes,
    measure_tables,
    report_header,
    scores,
    split_table,
)
from gansynth import TabularGAN


@dataclass(frozen=True)
class Study:
    """One TabularGAN parameter measured at several values: how its rows and report name it."""

    parameter: str
    key: str
    baseline: object
    title: str
    meaning: str


PENALTY = Study(
    "penalty_interval",
    "interval",
    1,
    "Lazy gradient penalty: `TabularGAN(penalty_interval=k)`",
    "`penalty_interval`, critic updates per gradient penalty (1 = every update, as CTGAN)",
)


def measure(
    name: str, data_dir: str, epochs, values, seeds, threads: int, done=(), log=print, study=PENALTY
) -> list[dict]:
    """One row per (seed, value of ``study.parameter``): fit seconds and the samples' :data:`METRICS`.

    Rows in ``done`` (an earlier run's, same table, epochs, seed and value) are reused, not
    measured again.
    """
    train, holdout, target = split_table(name, data_dir, 0)
    rows = []
    for seed in seeds:
        for value in values:
            wanted = (name, epochs, seed, value)
            earlier = [r for r in done if (r["table"], r["epochs"], r["seed"], r[study.key]) == wanted]
            if earlier:
                rows.append(earlier[0])
                continue
            model = TabularGAN(
                epochs=epochs,
                torch_threads=threads,
                verbose=False,
                random_state=seed,
                **{study.parameter: value},
            )
            started = time.perf_counter()
            model.fit(train)
            seconds = time.perf_counter() - started
            synthetic = model.sample(len(train), random_state=seed)
            row = {"table": name, "epochs": epochs, "seed": seed, study.key: value, "fit_seconds": seconds}
            row.update(scores(train, synthetic, target, holdout, seed))
            log(json.dumps(row))
            rows.append(row)
    return rows


def time_ratios(rows, study=PENALTY) -> pd.DataFrame:
    """Per table and value, the median over seeds of fit time / the same seed's baseline fit time."""
    frame = pd.DataFrame(rows)
    base = frame[frame[study.key] == study.baseline].set_index(["table", "seed"])["fit_seconds"]
    frame["ratio"] = (
        frame["fit_seconds"].to_numpy()
        / base.reindex(pd.MultiIndex.from_frame(frame[["table", "seed"]])).to_numpy()
    )
    return frame.groupby(["table", study.key], sort=False)["ratio"].median().unstack()


def markdown(rows, command: str, load, tuned_on=(), study=PENALTY) -> str:
    key = study.key
    lines = report_header(study.title, command, load) + [
        f"One TabularGAN per table, seed and {key}, fitted on 80% of the rows (split seed 0); its "
        "samples (default sampling, as many rows as the training part) scored by `gansynth.evaluate` "
        f"on the training rows (at most 10,000), ML efficacy on the 20% holdout. *{key}*: "
        f"{study.meaning}. "
        f"Tables that chose the default: {', '.join(tuned_on) or 'none'}; the others played no part in it.",
        "",
        f"| table | epochs | seed | {key} | fit (s) | column_shapes | column_pair_trends | detection AUC "
        "| ML efficacy ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['table']} | {r['epochs']} | {r['seed']} | {r[key]} | {r['fit_seconds']:.0f} | "
            f"{r['column_shapes']:.3f} | {r['column_pair_trends']:.3f} | {r['detection_auc']:.3f} | "
            f"{r['ml_efficacy_ratio']:.3f} |"
        )
    if not any(r[key] == study.baseline for r in rows):
        return "\n".join(lines) + "\n"
    ratios = time_ratios(rows, study)
    lines += [
        "",
        f"Fit time against {key} {study.baseline} (median over seeds of the same seed's ratio):",
        "",
        "| table | " + " | ".join(f"{key} {k}" for k in ratios.columns) + " |",
        "|---|" + "---:|" * len(ratios.columns),
    ]
    for table, ratio in ratios.iterrows():
        lines.append(f"| {table} | " + " | ".join(f"{v:.2f}x" for v in ratio) + " |")
    lines += changes_table(
        held_out_changes(rows, tuned_on, key=key, baseline=study.baseline),
        key,
        f"Change against {key} {study.baseline} on the tables that played no part (seeds averaged first; "
        "mean over tables; in brackets, on how many tables it improved; a lower detection AUC is better):",
    )
    return "\n".join(lines) + "\n"


def study_main(
    argv, study: Study, *, command: str, option: str, parse, values: str, tuned_on: str, out: str
) -> int:
    """The command line of a study: ``option`` lists the values of ``study.parameter`` to fit
    (read by ``parse``), the other options are common to every study."""
    parser = argparse.ArgumentParser(prog=f"python -m benchmarks {command}", description=study.title)
    parser.add_argument("--data-dir", default=os.environ.get("GANSYNTH_DATA_DIR", "../shared/datasets"))
    parser.add_argument("--tables", default="adult,bank_additional")
    parser.add_argument("--epochs", default="", help="per table, e.g. adult=100 (default: TabularGAN's own)")
    parser.add_argument(f"--{option}", dest="values", default=values)
    parser.add_argument("--seeds", default="0")
    parser.add_argument(
        "--tuned-on", default=tuned_on, help="tables that chose the default (comma-separated)"
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default=out)
    parser.add_argument("--resume", default=None, help="JSON of an earlier run whose rows are reused")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    chosen = [parse(v) for v in args.values.split(",")]
    seeds = [int(s) for s in args.seeds.split(",")]
    line = f"python -m benchmarks {command} " + " ".join(argv if argv is not None else sys.argv[1:])
    done = json.loads(Path(args.resume).read_text())["rows"] if args.resume else []

    def measure_table(name, epochs):
        return measure(name, args.data_dir, epochs, chosen, seeds, args.threads, done, study=study)

    def report(rows, line, load, tuned):
        return markdown(rows, line, load, tuned, study=study)

    measure_tables(args, line, report, measure_table)
    return 0


def main(argv=None) -> int:
    return study_main(
        argv,
        PENALTY,
        command="penalty",
        option="intervals",
        parse=int,
        values="1,2,4",
        tuned_on="adult",
        out="benchmarks/results/penalty_interval.md",
    )


if __name__ == "__main__":
    raise SystemExit(main())
