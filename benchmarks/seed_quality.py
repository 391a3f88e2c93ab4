"""SDMetrics quality of TabularGAN on the embedded table over several seeds, to compare two versions.

Fits the default TabularGAN (300 epochs unless told otherwise) on the student placements table
once per seed, samples as many rows as the table has, and scores them with SDMetrics' Column
Shapes and Column Pair Trends (through ``gansynth.evaluation.fidelity``). Run it on two checkouts
and compare the means: a change to the random streams should move single seeds, not the mean.

    python -m benchmarks seed-quality --seeds 0 1 2 --out quality.json
"""

from __future__ import annotations

import argparse
import json
import time
import warnings

import numpy as np


def measure(seed: int, epochs: int) -> dict:
    from gansynth import TabularGAN
    from gansynth.datasets import load_student_placements
    from gansynth.evaluation.checks import column_kinds
    from gansynth.evaluation.fidelity import quality

    data = load_student_placements()
    started = time.perf_counter()
    model = TabularGAN(epochs=epochs, n_jobs=1, verbose=False, random_state=seed).fit(data)
    fit_seconds = time.perf_counter() - started
    synthetic = model.sample(len(data), random_state=seed)
    shapes, pairs, _, _ = quality(data, synthetic, column_kinds(data))
    last = model.loss_history_.iloc[-1]
    return {
        "seed": seed,
        "column_shapes": round(shapes, 4),
        "column_pair_trends": round(pairs, 4),
        "quality": round((shapes + pairs) / 2, 4),
        "fit_seconds": round(fit_seconds, 2),
        "final_generator_loss": round(float(last["generator_loss"]), 4),
        "final_discriminator_loss": round(float(last["discriminator_loss"]), 4),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks seed-quality", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--out", help="JSON file to write (default: print only)")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    runs = [measure(seed, args.epochs) for seed in args.seeds]
    for run in runs:
        print(json.dumps(run))
    mean = {
        key: round(float(np.mean([r[key] for r in runs])), 4)
        for key in ("column_shapes", "column_pair_trends", "quality")
    }
    print("mean", json.dumps(mean))
    if args.out:
        with open(args.out, "w") as handle:
            json.dump({"epochs": args.epochs, "runs": runs, "mean": mean}, handle, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
