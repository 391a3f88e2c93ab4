"""A TabularGAN training step's time on Adult for several checkouts of gansynth, in alternating
processes: has the step regressed against the commit that measured an earlier figure?

Usage::

    git worktree add --detach /tmp/then 9b36b45
    python -m benchmarks step-versions . /tmp/then --data-dir ../shared/datasets --rounds 10

Each round starts one process per checkout, in turn, the order reversed every other round. A
process fits ``TabularGAN(epochs=1)`` on Adult with its checkout's defaults (so each version
trains on its own encoding), then times ``--blocks`` blocks of 8 training steps. Two versions of
a package cannot share a process, and a shared machine's speed moves between processes, so the
figure to read is the median over rounds of each checkout's time against the first checkout's
in the same round; medians and best blocks are reported beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

CHILD = Path(__file__).with_name("_step_timing_child.py")


def time_checkout(checkout: Path, csv_path: Path, threads: int, blocks: int) -> dict:
    """One child process's block times (ms per step) and encoding widths, for ``checkout``."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    result = subprocess.run(
        [sys.executable, str(CHILD), str(csv_path), str(threads), str(blocks)],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def round_order(checkouts: list[Path], round_index: int) -> list[Path]:
    """The checkouts in the order a round runs them: as given in even rounds, reversed in odd ones."""
    return list(checkouts) if round_index % 2 == 0 else list(reversed(checkouts))


def summary_lines(checkouts: list[Path], medians: dict, bests: dict, widths: dict) -> list[str]:
    """One line per checkout: median and best ms per step, and the paired ratio to the first checkout."""
    first = checkouts[0]
    lines = []
    for checkout in checkouts:
        paired = statistics.median(m / f for m, f in zip(medians[checkout], medians[first]))
        lines.append(
            f"{str(checkout):<30} {statistics.median(medians[checkout]):6.2f} ms median, "
            f"{min(bests[checkout]):6.2f} best; {paired:.3f}x the first checkout in the same round; "
            f"encoding: {widths[checkout]['data']} data and {widths[checkout]['condition']} condition columns"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks step-versions", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "checkouts", nargs="+", type=Path, help="gansynth checkouts; the first is the reference"
    )
    parser.add_argument("--data-dir", default=os.environ.get("GANSYNTH_DATA_DIR", "../shared/datasets"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--blocks", type=int, default=30)
    args = parser.parse_args(argv)
    csv_path = (Path(args.data_dir) / "adult.csv").resolve()
    if not csv_path.is_file():
        parser.error(f"adult.csv not found in {args.data_dir}")
    checkouts = [path.resolve() for path in args.checkouts]
    medians = {path: [] for path in checkouts}
    bests = {path: [] for path in checkouts}
    widths = {}
    for round_index in range(args.rounds):
        for checkout in round_order(checkouts, round_index):
            result = time_checkout(checkout, csv_path, args.threads, args.blocks)
            medians[checkout].append(statistics.median(result["ms_per_step"]))
            bests[checkout].append(min(result["ms_per_step"]))
            widths[checkout] = result["widths"]
        times = ", ".join(f"{medians[checkout][-1]:.2f}" for checkout in checkouts)
        print(f"round {round_index + 1}: {times} ms per step", flush=True)
    print(f"adult, {args.threads} threads, {args.rounds} rounds of {args.blocks} blocks of 8 steps each")
    print("\n".join(summary_lines(checkouts, medians, bests, widths)))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
