"""The ``make demo`` table of issue #12, regenerated: does the demo's output keep the table's logic?

Fits TabularGAN as ``make demo`` does (the embedded student placements table, 100 epochs,
batch 500, seed 0), samples 10,000 rows, and measures each row of the issue's table for the real
table and the synthetic one, with the logic kept (the default, ``constraints="auto"``) and,
in the same run, without it (``constraints=None``), plus SDMetrics quality and gansynth's
detection ROC-AUC (:func:`gansynth.evaluate`).

Usage::

    python -m benchmarks demo-fidelity --out benchmarks/results/demo_fidelity.md
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from gansynth import TabularGAN, evaluate
from gansynth.datasets import load_student_placements

GROUP = ["salary", "start_date", "end_date", "duration"]
# The issue's "synthetic" column, quoted (measured before this change, not by this script).
ISSUE_BEFORE = {
    "group": "13.7%",
    "end_without_start": "17.0%",
    "end_before_start": "5.7%",
    "unplaced_with_salary": "24.4%",
    "duration_outside": "most rows (10 distinct values)",
    "salary_grid": "3.8%",
    "at_maximum": "7–11%",
    "quality": "0.73",
    "detection_auc": "0.996",
}


def _share(mask, of=None) -> float:
    mask = np.asarray(mask, bool)
    of = np.ones_like(mask) if of is None else np.asarray(of, bool)
    return float(mask[of].mean()) if of.any() else float("nan")


def logic_rows(table: pd.DataFrame, real: pd.DataFrame) -> dict:
    """Each row of the issue's table, measured on ``table`` (``real`` gives the training maxima)."""
    missing = table[GROUP].isna()
    placed = table["placed"].astype(bool).to_numpy()
    has_duration = table["duration"].notna()
    at_max = {
        name: _share(table[name] == real[name].max())
        for name in real.columns
        if (pd.api.types.is_numeric_dtype(real[name]) and not pd.api.types.is_bool_dtype(real[name]))
        or pd.api.types.is_datetime64_any_dtype(real[name])
    }
    return {
        "group": _share((missing.all(axis=1) & ~placed) | (~missing.any(axis=1) & placed)),
        "end_without_start": _share(table["end_date"].notna() & table["start_date"].isna()),
        "end_before_start": _share(table["end_date"] < table["start_date"]),
        "unplaced_with_salary": _share(table["salary"].notna() & ~placed),
        "duration_outside": _share(~table["duration"].isin([3, 6, 12]), of=has_duration),
        "duration_values": int(table["duration"].nunique()),
        "salary_grid": _share(table["salary"] % 500 == 0, of=table["salary"].notna()),
        "at_maximum": at_max,
    }


def fit_and_sample(data, constraints, args) -> tuple[TabularGAN, pd.DataFrame, float]:
    start = time.perf_counter()
    model = TabularGAN(epochs=args.epochs, batch_size=500, verbose=False, random_state=args.seed)
    model.fit(data, constraints=constraints)
    seconds = time.perf_counter() - start
    return model, model.sample(args.rows, random_state=args.seed), seconds


def _pct(value: float) -> str:
    return "n/a" if np.isnan(value) else f"{100 * value:.1f}%"


def _max_range(values: dict) -> str:
    shares = list(values.values())
    return f"{_pct(min(shares))}–{_pct(max(shares))}"


def render(args, real_rows, runs, scores) -> str:
    kept, plain = runs["auto"], runs["none"]
    header = (
        "| what | real | synthetic, logic kept (default) | synthetic, `constraints=None` "
        "| issue #12 before (quoted) |"
    )
    lines = [
        "# The `make demo` table of issue #12, regenerated",
        "",
        f"Command: `nice -n 10 python -m benchmarks demo-fidelity --out {args.out}`"
        + (f" (epochs {args.epochs}, seed {args.seed}, rows {args.rows})" if args.epochs != 100 else ""),
        "",
        f"TabularGAN fitted as `make demo` does: the embedded student placements table (215 rows), "
        f"{args.epochs} epochs, batch 500, seed {args.seed}; {args.rows:,} rows sampled with seed "
        f"{args.seed}. Both fits ran in this one process on {platform.machine()} CPU, torch "
        f"{torch.__version__}, {torch.get_num_threads()} threads, a machine shared with other jobs "
        f"(fit: {kept['seconds']:.0f} s with the logic kept, {plain['seconds']:.0f} s without).",
        "",
        header,
        "|---|---:|---:|---:|---:|",
    ]
    table = [
        ("salary, start and end date, and duration all missing exactly when `placed=False`", "group"),
        ("end date without a start date", "end_without_start"),
        ("end before start", "end_before_start"),
        ("`placed=False` with a salary", "unplaced_with_salary"),
        ("`duration` outside {3, 6, 12} (share of rows with a duration)", "duration_outside"),
        ("salary a multiple of 500 (share of rows with a salary)", "salary_grid"),
    ]
    for label, key in table:
        cells = [_pct(real_rows[key]), _pct(kept["rows"][key]), _pct(plain["rows"][key])]
        if key == "duration_outside":
            cells = [
                f"{c} ({r['duration_values']} distinct values)"
                for c, r in zip(cells, (real_rows, kept["rows"], plain["rows"]))
            ]
        lines.append(f"| {label} | {' | '.join(cells)} | {ISSUE_BEFORE[key]} |")
    lines.append(
        "| rows exactly at a column's training maximum (range over the numeric and date columns) | "
        f"{_max_range(real_rows['at_maximum'])} | {_max_range(kept['rows']['at_maximum'])} | "
        f"{_max_range(plain['rows']['at_maximum'])} | {ISSUE_BEFORE['at_maximum']} |"
    )
    for metric, label in (("overall_quality", "SDMetrics quality"), ("detection_auc", "detection ROC-AUC")):
        key = "quality" if metric == "overall_quality" else "detection_auc"
        lines.append(
            f"| {label} (`gansynth.evaluate`) | n/a | {scores['auto'][metric]:.3f} | "
            f"{scores['none'][metric]:.3f} | {ISSUE_BEFORE[key]} |"
        )
    lines += [
        "",
        "Rows exactly at the training maximum, per column:",
        "",
        "| column | real | logic kept | `constraints=None` |",
        "|---|---:|---:|---:|",
    ]
    for name, share in real_rows["at_maximum"].items():
        lines.append(
            f"| {name} | {_pct(share)} | {_pct(kept['rows']['at_maximum'][name])} | "
            f"{_pct(plain['rows']['at_maximum'][name])} |"
        )
    lines += ["", "The logic `fit` detected (`model.constraints_`):", ""]
    lines += [f"- {record.describe({'start_date', 'end_date'})}" for record in kept["model"].constraints_]
    lines += [
        "",
        "Shares are of all rows unless the row says otherwise. The first row counts the rows whose "
        "four columns are all missing with `placed=False` or all present with `placed=True`; the "
        "issue's 13.7% came from a definition this script does not reproduce. The issue's column "
        "is quoted from the issue, measured before any of the work below.",
        "",
        "The missingness, date-order and salary rows are kept by construction (the table's "
        "logic, `constraints_`), which only the default column has. Duration values, the salary "
        "grid and the mass at the maximum come from numeric values as the data writes them, and "
        "both columns sample with the default marginal calibration, so those rows differ little "
        "between the two.",
    ]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks demo-fidelity", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/demo_fidelity.md"))
    parser.add_argument("--epochs", type=int, default=100, help="training epochs (make demo: 100)")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    real = load_student_placements()
    real_rows = logic_rows(real, real)
    runs, scores = {}, {}
    for name, constraints in (("auto", "auto"), ("none", None)):
        model, rows, seconds = fit_and_sample(real, constraints, args)
        runs[name] = {"model": model, "rows": logic_rows(rows, real), "seconds": seconds}
        scores[name] = evaluate(real, rows, random_state=0).scores
    text = render(args, real_rows, runs, scores)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
