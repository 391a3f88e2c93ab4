"""Values as the data writes them: spikes, grids, few-valued integers and bounds, real vs synthetic.

Fits TabularGAN on a table, samples rows, and compares the shapes of numeric values that a user
sees with pandas: the share of rows at a column's training minimum and maximum, of synthetic
values the real column never holds when it has few values, of values on the real column's
grid, and of rows on the real column's most common value. On the embedded student table it adds
the figures of issue #12's ``make demo`` table (``duration`` in {3, 6, 12}, salary on multiples
of 500); on Adult, capital-gain's and capital-loss's zero shares.

Usage::

    python -m benchmarks values                          # the embedded table, make demo's settings
    python -m benchmarks values --table adult --epochs 30 --data-dir ../shared/datasets
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from gansynth import TabularGAN, evaluate
from gansynth._columns import numeric_values

_SCORES = ("column_shapes", "column_pair_trends", "overall_quality", "detection_auc")


def _grid(values: np.ndarray) -> float | None:
    """The real column's step, in units of at most 6 decimals, or None."""
    for decimals in range(7):
        units = np.round(values * 10**decimals)
        if np.allclose(values * 10**decimals, units, rtol=0, atol=1e-6) and np.abs(units).max() < 2**50:
            step = math.gcd(*(int(u) for u in units - units.min())) if len(units) > 1 else 0
            return (step or 1) / 10**decimals
    return None


def column_table(real: pd.DataFrame, synthetic: pd.DataFrame) -> pd.DataFrame:
    """Per numeric column, real and synthetic shares of the value shapes above (of non-missing rows)."""
    rows = []
    for name in real.columns:
        kind = "datetime" if pd.api.types.is_datetime64_any_dtype(real[name]) else "numerical"
        if kind != "datetime" and not (
            pd.api.types.is_numeric_dtype(real[name]) and not pd.api.types.is_bool_dtype(real[name])
        ):
            continue
        r = numeric_values(real[name], kind)
        s = numeric_values(synthetic[name], kind)
        r, s = r[~np.isnan(r)], s[~np.isnan(s)]
        low, high = r.min(), r.max()
        values, counts = np.unique(r, return_counts=True)
        top = values[np.argmax(counts)]
        grid = _grid(r) if kind != "datetime" else None
        row = {
            "column": name,
            "at max real": np.mean(r == high),
            "at max synth": np.mean(s == high),
            "at min real": np.mean(r == low),
            "at min synth": np.mean(s == low),
            "top value": f"{top:g}" if kind != "datetime" else str(pd.Timestamp(top, unit="s").date()),
            "top real": np.mean(r == top),
            "top synth": np.mean(s == top),
            "grid": f"{grid:g}" if grid else "",
            "on grid synth": np.mean(np.isclose((s - low) / grid, np.round((s - low) / grid)))
            if grid
            else None,
            "unseen synth": np.mean(~np.isin(s, values)) if len(values) <= 20 else None,
        }
        rows.append(row)
    return pd.DataFrame(rows)


def headline(table: str, real: pd.DataFrame, synthetic: pd.DataFrame, columns: pd.DataFrame) -> list[str]:
    """The named figures of issue #12 for this table, as markdown rows."""
    lines = ["| what | real | synthetic |", "|---|---|---|"]

    def add(what, r, s):
        lines.append(f"| {what} | {r:.1%} | {s:.1%} |")

    if table == "student":
        for frame in (real, synthetic):
            frame.attrs["duration"] = frame["duration"].dropna()
            frame.attrs["salary"] = frame["salary"].dropna()
        add(
            "`duration` outside {3, 6, 12}",
            (~real.attrs["duration"].isin([3, 6, 12])).mean(),
            (~synthetic.attrs["duration"].isin([3, 6, 12])).mean(),
        )
        lines.append(
            f"| `duration` distinct values | {real.attrs['duration'].nunique()} "
            f"| {synthetic.attrs['duration'].nunique()} |"
        )
        add(
            "salary a multiple of 500",
            (real.attrs["salary"] % 500 == 0).mean(),
            (synthetic.attrs["salary"] % 500 == 0).mean(),
        )
    if table == "adult":
        for name in ("capital-gain", "capital-loss"):
            add(f"`{name}` = 0", (real[name] == 0).mean(), (synthetic[name] == 0).mean())
        add(
            "`hours-per-week` = 40",
            (real["hours-per-week"] == 40).mean(),
            (synthetic["hours-per-week"] == 40).mean(),
        )
    many = columns[columns["unseen synth"].isna()]  # columns with more than 20 distinct values
    for end in ("max", "min"):
        lines.append(
            f"| rows at a column's training {end} (range over numeric columns of > 20 values) "
            f"| {many[f'at {end} real'].min():.1%}–{many[f'at {end} real'].max():.1%} "
            f"| {many[f'at {end} synth'].min():.1%}–{many[f'at {end} synth'].max():.1%} |"
        )
    return lines


def markdown(frame: pd.DataFrame) -> list[str]:
    """A frame as markdown table rows (shares as percentages, missing cells empty)."""

    def cell(value):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return ""
        if isinstance(value, float):
            return f"{value:.1%}" if 0 <= value <= 1 else f"{value:g}"
        return str(value)

    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * frame.shape[1]]
    for _, row in frame.iterrows():
        lines.append("| " + " | ".join(cell(v) for v in row) + " |")
    return lines


def load(table: str, data_dir: Path) -> pd.DataFrame:
    if table == "student":
        from gansynth.datasets import load_student_placements

        return load_student_placements()
    path = Path(data_dir) / "adult.csv"
    if not path.is_file():
        sys.exit(f"adult.csv not found in {data_dir}; pass --data-dir pointing at the shared datasets")
    return pd.read_csv(path, skipinitialspace=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks values", description=__doc__.splitlines()[0])
    parser.add_argument("--table", choices=["student", "adult"], default="student")
    parser.add_argument("--epochs", type=int, default=100, help="default: make demo's 100")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--out", type=Path, help="also write the markdown here")
    parser.add_argument("--verbose", action="store_true", help="show the training progress bar")
    args = parser.parse_args(argv)

    real = load(args.table, args.data_dir)
    start = time.perf_counter()
    model = TabularGAN(epochs=args.epochs, verbose=args.verbose, random_state=args.seed).fit(real)
    fit_seconds = time.perf_counter() - start
    synthetic = model.sample(args.rows, random_state=args.seed)
    columns = column_table(real, synthetic)
    # Against the training rows themselves (no holdout): SDMetrics quality and detection ROC-AUC.
    scores = evaluate(real, synthetic, random_state=args.seed).scores
    command = "python -m benchmarks values " + " ".join(argv if argv is not None else sys.argv[1:])
    lines = [
        f"# Numeric values as the data writes them: {args.table}",
        "",
        f"`{command.strip()}`: TabularGAN(epochs={args.epochs}, random_state={args.seed}) "
        f"fitted in {fit_seconds:.0f} s, {args.rows} rows sampled with random_state={args.seed}.",
        "",
        *headline(args.table, real, synthetic, columns),
        "",
        "Quality against the training table (`gansynth.evaluate(real, synthetic)`, at most 10,000 rows "
        "of each; detection: gradient boosting, 3-fold CV; lower is better):",
        "",
        "| score | value |",
        "|---|---:|",
        *(f"| {name} | {scores[name]:.3f} |" for name in _SCORES),
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPU cores shared with other jobs, torch "
        f"{torch.__version__} with {torch.get_num_threads()} threads; the fit time is not a clean timing.",
        "",
        "Per numeric column (shares of non-missing rows):",
        "",
        *markdown(columns),
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
