"""How long the documented first steps take here: ``make demo``'s fit, and ImageGAN on digits.

Usage::

    python -m benchmarks timings [--repeats 1] [--threads 1 2] [--out benchmarks/results]

- ``demo``: what ``make demo`` runs, in process: ``gansynth sample --rows 10000 --epochs 100
  --seed 0`` (fit on the embedded 215-row table, then 10,000 rows).
- ``digits``: ``ImageGAN(random_state=0)`` at its default length on scikit-learn's 1,797 digits,
  once per torch thread count in ``--threads``: ImageGAN itself leaves torch's thread count alone,
  so the count a user gets is torch's default (one per core).

Each figure is the median over ``--repeats`` runs, in seconds. Writes ``timings.json`` and
``timings.md``. Timings depend on the machine and on what else runs on it; the report says which.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import shlex
import statistics
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import torch

RESULTS = Path(__file__).resolve().parent / "results"


def demo_seconds() -> float:
    from gansynth.cli import main as cli

    with tempfile.TemporaryDirectory() as folder, contextlib.redirect_stderr(io.StringIO()):
        start = time.perf_counter()
        cli(["sample", "--rows", "10000", "--epochs", "100", "--seed", "0", "-o", f"{folder}/out.csv"])
        return time.perf_counter() - start


def digits_seconds(threads: int) -> tuple[float, int]:
    """Seconds to fit ImageGAN's default on digits with ``threads`` torch threads, and its epochs."""
    from sklearn.datasets import load_digits

    from gansynth import ImageGAN

    digits = load_digits()
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        start = time.perf_counter()
        gan = ImageGAN(random_state=0, verbose=False, device="cpu").fit(digits.images, digits.target)
        return time.perf_counter() - start, gan.n_epochs_
    finally:
        torch.set_num_threads(previous)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks timings", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--note", default="", help="what else the machine was doing, for the report")
    args = parser.parse_args(argv)

    demo = statistics.median(demo_seconds() for _ in range(args.repeats))
    digits, epochs = {}, None
    for threads in args.threads:
        runs = [digits_seconds(threads) for _ in range(args.repeats)]
        digits[str(threads)] = statistics.median(seconds for seconds, _ in runs)
        epochs = runs[0][1]
    results = {
        "demo_seconds": demo,
        "digits_fit_seconds": digits,
        "digits_epochs": epochs,
        "repeats": args.repeats,
        "torch_default_threads": torch.get_num_threads(),
        "cpus": os.cpu_count(),
        "torch": torch.__version__,
        "machine": platform.machine(),
        "when": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "note": args.note,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "timings.json").write_text(json.dumps(results, indent=2) + "\n")
    report = _markdown(results, argv)
    (args.out / "timings.md").write_text(report)
    print(report)
    return 0


def _markdown(results: dict, argv) -> str:
    words = ["python", "-m", "benchmarks", "timings", *(argv if argv is not None else [])]
    command = " ".join(json.dumps(w) if "'" in w else shlex.quote(w) for w in words)
    lines = [
        "# Timings of the documented first steps",
        "",
        f"Command: `{command}` ({results['when']}; {results['note'] or 'no note on the load'})  ",
        f"Machine: {results['machine']}, {results['cpus']} CPUs, torch {results['torch']} "
        f"(default {results['torch_default_threads']} threads); median of {results['repeats']} run(s).",
        "",
        "| step | torch threads | seconds |",
        "|---|---|---|",
        f"| make demo (100 epochs on 215 rows, 10,000 rows) | default | {results['demo_seconds']:.1f} |",
    ]
    for threads, seconds in results["digits_fit_seconds"].items():
        lines.append(
            f"| ImageGAN on digits ({results['digits_epochs']} epochs) | {threads} | {seconds:.1f} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
