"""Do ImageGAN's images add anything beside copies of the real ones? Fashion-MNIST, 3 seeds.

``benchmarks/image.py`` compares ImageGANOversampler with random over-sampling, each filling the
whole gap of a class. This fills the same gap with a mix: a share of the GAN's images (the first
ones it added, so the shares are nested) and copies of real images for the rest. It also puts all
the GAN's images on top of random over-sampling, against the control that matters for that: random
over-sampling to the same, doubled, count. One ImageGAN per (variant, seed), at the default
length (``--gan-steps``), judged by the same logistic regression and CNN as ``image.py``.

    python -m benchmarks image-mix --data-dir ../shared/datasets/fashion_mnist
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks._load import load_average_note
from benchmarks.image import _judge_scores, add_run_arguments, epochs_for, make_variant

RESULTS = Path(__file__).resolve().parent / "results"
SHARES = (0.0, 0.25, 0.5, 1.0)
ON_TOP = "random oversampling, then every GAN image on top"
DOUBLED = "random oversampling to twice the gap"
METRICS = {
    "balanced_accuracy": "balanced accuracy (LR)",
    "minority_recall": "minority recall (LR)",
    "cnn_balanced_accuracy": "balanced accuracy (CNN)",
    "cnn_minority_recall": "minority recall (CNN)",
}


def share_name(share: float) -> str:
    return "random oversampling" if share == 0 else f"{share:.0%} of the gap generated"


def mixes(flat, y, generated, copied):
    """Training sets named by method: every share of the gap generated, and the two doubled ones.

    ``generated`` and ``copied`` are the (images, labels) that ImageGANOversampler and random
    over-sampling appended to ``(flat, y)``, for the same target counts.
    """
    (gen_x, gen_y), (copy_x, copy_y) = generated, copied
    sets = {}
    for share in SHARES:
        parts_x, parts_y = [flat], [y]
        for label in np.unique(gen_y):
            new, old = np.flatnonzero(gen_y == label), np.flatnonzero(copy_y == label)
            take = int(round(share * len(new)))
            parts_x += [gen_x[new[:take]], copy_x[old[: len(new) - take]]]
            parts_y += [gen_y[new[:take]], copy_y[old[: len(new) - take]]]
        sets[share_name(share)] = (np.concatenate(parts_x), np.concatenate(parts_y))
    sets[ON_TOP] = (np.concatenate([flat, copy_x, gen_x]), np.concatenate([y, copy_y, gen_y]))
    return sets


def run_seed(args, variant, seed, train, test):
    from imblearn.over_sampling import RandomOverSampler

    from gansynth.image.gan import ImageGAN
    from gansynth.sampling.image import ImageGANOversampler

    x, y, strategy, minority = make_variant(variant, *train, np.random.default_rng(seed))
    flat = x.reshape(len(x), -1) / 255.0
    started = time.time()
    gan = ImageGANOversampler(
        image_shape=(28, 28),
        sampling_strategy=strategy,
        random_state=seed,
        generator=ImageGAN(epochs=epochs_for(args.gan_steps, len(x)), class_balance=True, verbose=False),
    )
    gan_x, gan_y = gan.fit_resample(flat, y)
    gan_seconds = time.time() - started
    ros_x, ros_y = RandomOverSampler(sampling_strategy=strategy, random_state=seed).fit_resample(flat, y)
    sets = mixes(flat, y, (gan_x[len(x) :], gan_y[len(x) :]), (ros_x[len(x) :], ros_y[len(x) :]))
    counts = dict(zip(*np.unique(y, return_counts=True)))
    doubled = {int(c): int(2 * np.sum(ros_y == c) - counts[c]) for c in np.unique(gan_y[len(x) :])}
    sets[DOUBLED] = RandomOverSampler(sampling_strategy=doubled, random_state=seed).fit_resample(flat, y)
    for method, (set_x, set_y) in sets.items():
        scores = _judge_scores(args, seed, set_x, set_y, minority, test, {}, {})
        yield {
            "variant": variant,
            "seed": seed,
            "method": method,
            "images": len(set_x),
            "gan_seconds": round(gan_seconds, 1),
            **scores,
        }


def write_markdown(path, rows: pd.DataFrame, command: str, machine: str):
    means = rows.groupby(["variant", "method"], sort=False)[list(METRICS)].agg(["mean", "std"])
    header = [
        "| variant | method | " + " | ".join(METRICS.values()) + " |",
        "|---|---|" + "---|" * len(METRICS),
    ]
    lines = [
        "# Fashion-MNIST: ImageGAN images beside copies of real ones",
        "",
        f"Command: `{command}` ({machine}). Module docstring: `benchmarks/image_mix.py`.",
        "",
        "Mean ± standard deviation over seeds " + ", ".join(map(str, sorted(rows["seed"].unique()))) + ".",
        "",
        *header,
    ]
    for (variant, method), row in means.iterrows():
        cells = [f"{row[(m, 'mean')]:.3f} ± {row[(m, 'std')]:.3f}" for m in METRICS]
        lines.append(f"| {variant} | {method} | " + " | ".join(cells) + " |")
    lines += ["", "Paired by seed against random over-sampling: mean difference (seeds higher / seeds).", ""]
    lines += [header[0].replace("| method |", "| method | against |"), header[1] + "---|"]
    for variant, group in rows.groupby("variant", sort=False):
        base = group[group["method"] == share_name(0)].set_index("seed")
        for method, runs in group[group["method"] != share_name(0)].groupby("method", sort=False):
            diff = runs.set_index("seed")[list(METRICS)] - base[list(METRICS)]
            cells = [f"{diff[m].mean():+.3f} ({int((diff[m] > 0).sum())}/{len(diff)})" for m in METRICS]
            lines.append(f"| {variant} | {method} | {share_name(0)} | " + " | ".join(cells) + " |")
    Path(path).write_text("\n".join(lines) + "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_run_arguments(parser)
    parser.add_argument("--gan-steps", type=int, default=1000, help="ImageGAN updates per fit")
    parser.add_argument("--cnn-updates", type=int, default=300)
    parser.add_argument("--out", default=str(RESULTS / "image_fashion_mnist_mix.md"))
    parser.add_argument("--runs", default=None, help="JSON lines of earlier runs to report with these")
    parser.add_argument("--report-only", action="store_true", help="only report --runs (with --machine)")
    parser.add_argument("--machine", default="machine load not recorded", help="with --report-only")
    args = parser.parse_args(argv)

    rows = [json.loads(line) for line in Path(args.runs).read_text().splitlines()] if args.runs else []
    command = "python -m benchmarks image-mix " + " ".join(sys.argv[1:] if argv is None else argv)
    if args.report_only:
        write_markdown(args.out, pd.DataFrame(rows), command.strip(), args.machine)
        return 0

    import torch
    from threadpoolctl import threadpool_limits

    from benchmarks.image_datasets import load_fashion_mnist

    torch.set_num_threads(1)
    threadpool_limits(1)
    load_at_start = os.getloadavg()[0]
    train = load_fashion_mnist("train", data_dir=args.data_dir, download=False)
    test_x, test_y = load_fashion_mnist("test", data_dir=args.data_dir, download=False)
    for seed in args.seeds:
        for variant in args.variants:
            for row in run_seed(args, variant, seed, train, (test_x, test_y, None)):
                rows.append(row)
                print(json.dumps(row), flush=True)
    write_markdown(
        args.out, pd.DataFrame(rows), command.strip(), f"one thread, {load_average_note(load_at_start)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
