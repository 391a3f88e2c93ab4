"""Sampling at scale: rows/s and peak memory of plain, streamed and partitioned (Dask) sampling.

Usage::

    python -m benchmarks scale --rows 10000000 --partitions 1 2 4 --stream-rows 100000000

Fits a TabularGAN with the default networks on the embedded student-placements table (5
epochs: the speed of sampling does not depend on how well the model is trained; ``--table tiny``:
a three-column table and small networks, fast enough to stream 10^8 rows), saves it, and
times each case in a fresh process, watched by psutil every 0.1 s:

- ``plain``: ``model.sample(rows)`` into one DataFrame;
- ``stream``: ``gansynth sample -m model --rows R -o out.parquet`` (chunks of 100,000 rows);
- ``partitioned P``: ``gansynth sample -m model --rows R --partitions P -o out_dir``, a local
  Dask cluster of ``min(P, cores)`` single-threaded worker processes.

Streamed and partitioned cases check that the Parquet output holds exactly the rows asked for.
Peak memory is the largest sum of the resident set sizes of the process and all its children at
one poll (the Dask workers included); CPU time is the user + system time of the finished process
tree (``getrusage(RUSAGE_CHILDREN)``), a figure that a loaded machine disturbs less than wall
time. Each case is also run with 1,000 rows, whose time and
memory are the fixed cost (interpreter, torch, the cluster's start). Output files are deleted
after each case. Writes a Markdown table to ``--out`` (default: print only).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

_PLAIN = (
    "import sys, gansynth; m = gansynth.load(sys.argv[1]); "
    "rows = m.sample(int(sys.argv[2]), random_state=0); print(len(rows))"
)


def _watch(command: list[str]) -> tuple[float, float, float]:
    """Run ``command``; return wall seconds, CPU seconds and peak RSS (MiB) of its process tree."""
    import psutil

    cpu_before = _children_cpu()
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    watched, peak, done = psutil.Process(process.pid), 0, threading.Event()

    def poll():
        nonlocal peak
        while not done.is_set():
            try:
                tree = [watched, *watched.children(recursive=True)]
                peak = max(peak, sum(_rss(p) for p in tree))
            except psutil.Error:
                pass
            done.wait(0.1)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    _, stderr = process.communicate()
    done.set()
    poller.join()
    if process.returncode:
        raise RuntimeError(f"{' '.join(command)} failed:\n{stderr.decode()[-2000:]}")
    return time.perf_counter() - start, _children_cpu() - cpu_before, peak / 2**20


def _children_cpu() -> float:
    """User + system CPU seconds of every finished child process, theirs included when waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _rss(process) -> int:
    import psutil

    try:
        return process.memory_info().rss
    except psutil.Error:
        return 0


def _command(case: str, model: Path, rows: int, scratch: Path) -> list[str]:
    cli = [
        sys.executable,
        "-m",
        "gansynth.cli",
        "sample",
        "-m",
        str(model),
        "--rows",
        str(rows),
        "--seed",
        "0",
    ]
    if case == "plain":
        return [sys.executable, "-c", _PLAIN, str(model), str(rows)]
    if case == "stream":
        return [*cli, "-o", str(scratch / "out.parquet")]
    partitions = case.split()[1]
    return [*cli, "--partitions", partitions, "-o", str(scratch / f"out_{partitions}")]


def _check_rows_written(case: str, scratch: Path, count: int) -> None:
    """A streamed or partitioned case wrote exactly ``count`` rows (read from Parquet metadata)."""
    if case == "plain":
        return
    import pyarrow.parquet as pq

    files = sorted(scratch.rglob("*.parquet"))
    written = sum(pq.ParquetFile(path).metadata.num_rows for path in files)
    if written != count:
        raise RuntimeError(f"{case}: {written:,} rows written, {count:,} asked for")


def _run_case(case: str, model: Path, rows: int) -> dict:
    results = {}
    for label, count in (("fixed", 1_000), ("full", rows)):
        with tempfile.TemporaryDirectory(prefix="gansynth_scale_") as scratch:
            seconds, cpu, peak = _watch(_command(case, model, count, Path(scratch)))
            _check_rows_written(case, Path(scratch), count)
        results[label] = (seconds, cpu, peak)
        print(
            f"{case:<16} {count:>12,} rows  {seconds:8.1f} s  CPU {cpu:8.1f} s  peak {peak:8.0f} MiB",
            flush=True,
        )
    (fixed_s, fixed_cpu, fixed_mb), (full_s, full_cpu, full_mb) = results["fixed"], results["full"]
    return {
        "case": case,
        "rows": rows,
        "seconds": full_s,
        "rows_per_s": rows / full_s,
        # Only meaningful when the rows take longer than the start-up.
        "rows_per_s_after_start": rows / (full_s - fixed_s) if full_s > 2 * fixed_s else float("nan"),
        "rows_per_cpu_s": rows / max(full_cpu - fixed_cpu, 1e-9),
        "peak_mib": full_mb,
        "fixed_s": fixed_s,
        "fixed_mib": fixed_mb,
    }


def _fit_model(path: Path, table: str) -> None:
    from gansynth import TabularGAN

    if table == "tiny":
        # Three columns and small networks: a model that samples fast enough to stream 10^8 rows
        # on a small machine, to measure that the peak does not grow with the row count.
        import numpy as np
        import pandas as pd

        rng = np.random.default_rng(0)
        frame = pd.DataFrame(
            {
                "x": rng.normal(size=5_000),
                "count": rng.poisson(3, size=5_000),
                "kind": rng.choice(["a", "b", "c", "d"], size=5_000),
            }
        )
        small = dict(embedding_dim=8, generator_dim=(16,), discriminator_dim=(16,), batch_size=500, pac=10)
        TabularGAN(epochs=2, verbose=False, random_state=0, **small).fit(frame).save(path)
        return
    from gansynth.datasets import load_student_placements

    TabularGAN(epochs=5, verbose=False, random_state=0).fit(load_student_placements()).save(path)


def _table(results: list[dict]) -> str:
    lines = [
        "| case | rows | wall s | rows/s | rows/s after start-up | rows per CPU-second after start-up "
        "| peak MiB (process tree) | start-up: s, MiB (1,000 rows) |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['case']} | {r['rows']:,} | {r['seconds']:.0f} | {r['rows_per_s']:,.0f} "
            f"| {_after_start(r['rows_per_s_after_start'])} | {r['rows_per_cpu_s']:,.0f} "
            f"| {r['peak_mib']:,.0f} "
            f"| {r['fixed_s']:.0f} s, {r['fixed_mib']:,.0f} MiB |"
        )
    return "\n".join(lines)


def _after_start(rows_per_s: float) -> str:
    # Undefined (NaN) when the run took less than twice its start-up: the difference is noise.
    return "–" if rows_per_s != rows_per_s else f"{rows_per_s:,.0f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks scale", description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10**7, help="rows for plain and partitioned sampling")
    parser.add_argument("--partitions", type=int, nargs="*", default=[1, 2, 4])
    parser.add_argument(
        "--stream-rows", type=int, nargs="*", default=[10**8], help="rows streamed to Parquet"
    )
    parser.add_argument("--skip-plain", action="store_true", help="do not run plain sample()")
    parser.add_argument(
        "--table",
        choices=("demo", "tiny"),
        default="demo",
        help="demo: the embedded table, default networks; tiny: three columns, small networks",
    )
    parser.add_argument("--out", type=Path, default=None, help="Markdown file for the table")
    args = parser.parse_args(argv)

    results = []
    with tempfile.TemporaryDirectory(prefix="gansynth_scale_model_") as folder:
        model = Path(folder) / "model.gsyn"
        _fit_model(model, args.table)
        cases = ([] if args.skip_plain else [("plain", args.rows)]) + [
            (f"partitioned {p}", args.rows) for p in args.partitions
        ]
        cases += [("stream", rows) for rows in args.stream_rows]
        for case, rows in cases:
            results.append(_run_case(case, model, rows))
    table = _table(results)
    header = (
        f"python -m benchmarks scale {' '.join(argv if argv is not None else sys.argv[1:])}\n"
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"load average at the end {os.getloadavg()[0]:.1f}\n"
    )
    print(header + table)
    if args.out:
        args.out.write_text("```\n" + header + "```\n\n" + table + "\n")
    return 0
