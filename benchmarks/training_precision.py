"""Mixed-precision training: ``TabularGAN(training_precision="bfloat16")`` against float32.

The networks' forward passes run under ``torch.autocast`` to bfloat16; weights, optimiser state,
losses, the output activation and sampling stay float32. On a CPU with AVX512-BF16 or AMX the
matrix products, most of a training step, run about 2.5 times as fast. This benchmark fits one
TabularGAN per table, seed and precision on the same split (``benchmarks/penalty_interval.py``'s
procedure) and reports each fit's time next to the fidelity of its samples, to show whether
bfloat16 costs fidelity.

Usage::

    python -m benchmarks precision --data-dir ../shared/datasets \\
        --tables adult,bank_additional,credit_data,seismic_bumps,hpc_data,wilt --epochs adult=100 \\
        --seeds 0,1 --out benchmarks/results/training_precision.md
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import torch

from benchmarks.marginal_calibration import measure_tables
from benchmarks.penalty_interval import Study, markdown, measure
from gansynth._torch_utils import native_cpu_bfloat16

PRECISION = Study(
    "training_precision",
    "precision",
    "float32",
    "Mixed-precision training: `TabularGAN(training_precision=...)`",
    "`training_precision`, the dtype of the networks' forward passes in training (float32 as CTGAN)",
)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks precision", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--data-dir", default=os.environ.get("GANSYNTH_DATA_DIR", "../shared/datasets"))
    parser.add_argument("--tables", default="adult,bank_additional")
    parser.add_argument("--epochs", default="", help="per table, e.g. adult=100 (default: TabularGAN's own)")
    parser.add_argument("--precisions", default="float32,bfloat16")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--tuned-on", default="", help="tables that chose the default (comma-separated)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default="benchmarks/results/training_precision.md")
    parser.add_argument("--resume", default=None, help="JSON of an earlier run whose rows are reused")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    precisions = args.precisions.split(",")
    seeds = [int(s) for s in args.seeds.split(",")]
    command = "python -m benchmarks precision " + " ".join(argv if argv is not None else sys.argv[1:])
    done = json.loads(Path(args.resume).read_text())["rows"] if args.resume else []
    print(f"native bfloat16 on this CPU: {native_cpu_bfloat16()}")

    def measure_table(name, epochs):
        return measure(name, args.data_dir, epochs, precisions, seeds, args.threads, done, study=PRECISION)

    def report(rows, command, load, tuned_on):
        return markdown(rows, command, load, tuned_on, study=PRECISION)

    measure_tables(args, command, report, measure_table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
