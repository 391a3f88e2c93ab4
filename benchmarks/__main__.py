"""Entry point: ``python -m benchmarks <command> [options]``.

Each command is a module in this package with a ``main(argv) -> int`` function; adding a
benchmark means adding one line to ``COMMANDS``.
"""

from __future__ import annotations

import importlib
import sys

COMMANDS = {
    "downstream": ("benchmarks.downstream", "does augmentation help classifiers on real test sets"),
    "ctgan": ("benchmarks.ctgan_comparison", "TabularGAN vs the ctgan package on Adult: speed and fidelity"),
    "time-to-quality": (
        "benchmarks.time_to_quality",
        "TabularGAN vs ctgan: SDMetrics quality and fit time after several epoch counts",
    ),
    "calibration": (
        "benchmarks.marginal_calibration",
        "trial: TabularGAN rows raked to the training marginals against plain sampling",
    ),
    "penalty": (
        "benchmarks.penalty_interval",
        "lazy gradient penalty: TabularGAN fit time and fidelity per penalty_interval",
    ),
    "precision": (
        "benchmarks.training_precision",
        "mixed-precision training: TabularGAN fit time and fidelity, bfloat16 against float32",
    ),
    "selection": (
        "benchmarks.augmented_selection",
        "AugmentedClassifierCV's choice of amount: selection rules against none, always and the oracle",
    ),
    "image": ("benchmarks.image", "ImageGANOversampler vs random oversampling on Fashion-MNIST"),
    "image-mix": (
        "benchmarks.image_mix",
        "Fashion-MNIST: shares of ImageGAN images beside copies of real ones",
    ),
    "latency": ("benchmarks.fit_latency", "one GANOversampler fit against SMOTE-NC, on real tables"),
    "scale": ("benchmarks.scale", "rows/s and peak memory: plain, streamed and partitioned (Dask) sampling"),
    "cardinality": (
        "benchmarks.high_cardinality",
        "high-cardinality categorical columns: memory, epoch time, fidelity",
    ),
    "ddp": (
        "benchmarks.data_parallel",
        "data-parallel training with torchrun: 2 processes vs 1, quality and time",
    ),
    "values": (
        "benchmarks.column_values",
        "spikes, grids, few-valued integers and bounds: real vs synthetic shares",
    ),
    "drift": (
        "benchmarks.auxiliary_drift",
        "does a joint GAN's minority stay on its side: auxiliary classifier loss vs none vs per-class",
    ),
    "fingerprint": ("benchmarks.fingerprint", "seeded outputs of every estimator, to check a refactoring"),
    "timings": (
        "benchmarks.timings",
        "how long make demo and ImageGAN on digits take, per torch thread count",
    ),
    "figures": ("benchmarks.figures", "figures quoted in the README and docs, checked against their results"),
    "seed-quality": (
        "benchmarks.seed_quality",
        "SDMetrics quality of TabularGAN on the embedded table, per seed",
    ),
    "threads": ("benchmarks.thread_count", "whether seeded weights depend on torch's thread count"),
    "demo-fidelity": (
        "benchmarks.demo_fidelity",
        "the make-demo table of issue #12: does the demo's output keep the table's logic",
    ),
    "step": (
        "benchmarks.step_breakdown",
        "TabularGAN training step on Adult, with and without the gradient penalty",
    ),
    "step-versions": (
        "benchmarks.step_versions",
        "TabularGAN training step on Adult, one checkout against another, in alternating processes",
    ),
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        lines = ["usage: python -m benchmarks <command> [options]", "", "commands:"]
        lines += [f"  {name:<12} {summary}" for name, (_, summary) in COMMANDS.items()]
        known = not argv or argv[0] in ("-h", "--help")
        if not known:
            lines.insert(0, f"error: unknown command {argv[0]!r}")
        print("\n".join(lines), file=sys.stdout if known else sys.stderr)
        return 0 if known else 2
    module = importlib.import_module(COMMANDS[argv[0]][0])
    return module.main(argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
