"""Data-parallel training with torchrun: a 2-process fit against a 1-process fit of the same length.

For each seed, ``gansynth fit TABLE --epochs E --seed S`` runs twice in fresh processes: once as a
plain process, once under ``torchrun --standalone --nproc_per_node=2``. Reported per run: the wall
time and the CPU seconds of the whole process tree (imports, the transformer fit, which every rank
does in full, and training), the last epoch's losses, and the SDMetrics QualityReport of as many
sampled rows as the table has (``random_state=0``) against the table.

Every process gets one torch thread (``OMP_NUM_THREADS=1``, what torchrun sets for its workers),
so the comparison is one worker against two of the same kind: on a machine whose cores are
shared, OpenMP threads spinning for a busy core would make a 2-thread plain process slower than
its work.

Usage::

    nice -n 10 python -m benchmarks ddp --data-dir ../shared/datasets --table credit_data.csv \
        --epochs 30 --seeds 0 1
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.ctgan_comparison import quality_score


def child_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def fit(table: Path, model: Path, *, workers: int, epochs: int, seed: int) -> dict:
    """One ``gansynth fit`` in fresh processes; its wall time and the process tree's CPU seconds."""
    command = [sys.executable]
    if workers > 1:
        command += ["-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={workers}"]
    command += ["-m", "gansynth.cli", "fit", str(table), "-o", str(model)]
    command += ["--epochs", str(epochs), "--seed", str(seed), "--quiet"]
    environment = {k: v for k, v in os.environ.items() if k not in ("WORLD_SIZE", "RANK", "LOCAL_RANK")}
    environment["OMP_NUM_THREADS"] = "1"
    cpu, started = child_cpu_seconds(), time.perf_counter()
    subprocess.run(command, check=True, env=environment, capture_output=True, text=True)
    return {"wall_s": time.perf_counter() - started, "cpu_s": child_cpu_seconds() - cpu}


def evaluate(model_path: Path, real) -> dict:
    import gansynth

    model = gansynth.load(model_path)
    synthetic = model.sample(len(real), random_state=0)
    last = model.loss_history_.iloc[-1]
    return {
        "quality": quality_score(real, synthetic),
        "world_size": model.world_size_,
        "generator_loss": float(last["generator_loss"]),
        "discriminator_loss": float(last["discriminator_loss"]),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks ddp", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--table", default="adult.csv", help="a CSV file in --data-dir")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--out", type=Path, default=None, help="JSON file for the runs")
    args = parser.parse_args(argv)
    from gansynth.io.tables import read_table

    table = args.data_dir / args.table
    if not table.is_file():
        print(f"{table} not found; pass --data-dir pointing at the shared datasets", file=sys.stderr)
        return 2
    real = read_table(table)
    runs = []
    with tempfile.TemporaryDirectory() as folder:
        for seed in args.seeds:
            for workers in (1, 2):
                model = Path(folder) / f"model_{seed}_{workers}.gsyn"
                run = {"seed": seed, "workers": workers, "epochs": args.epochs}
                run.update(fit(table, model, workers=workers, epochs=args.epochs, seed=seed))
                run.update(evaluate(model, real))
                runs.append(run)
                print(json.dumps(run), flush=True)
    print(f"\n{args.table}: {real.shape[0]} rows x {real.shape[1]} columns, {args.epochs} epochs")
    print(f"{platform.machine()}, {os.cpu_count()} cores, load average at the end {os.getloadavg()[0]:.1f}")
    print("| seed | processes | wall s | CPU s | QualityReport | last G loss | last D loss |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for run in runs:
        print(
            f"| {run['seed']} | {run['workers']} | {run['wall_s']:.0f} | {run['cpu_s']:.0f} | "
            f"{run['quality']:.4f} | {run['generator_loss']:.3f} | {run['discriminator_loss']:.3f} |"
        )
    if args.out:
        args.out.write_text(json.dumps(runs, indent=1) + "\n")
    return 0
