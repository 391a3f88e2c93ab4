"""How ImageGAN's default objective was chosen: hinge vs non-saturating loss, spectral norm vs R1.

Each configuration trains on scikit-learn's 1,797 8x8 digits for 36 epochs (about 1,000 updates) with
two seeds. A ``FeatureClassifier`` CNN trained for 30 epochs on the first 1,400 real digits judges
1,000 samples: the Fréchet distance to the features of the 397 held-out real digits, and the
conditional accuracy. Run from the repository root::

    python -m benchmarks.image_loss_choice
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

CONFIGS = {
    "hinge + spectral norm": dict(loss="hinge", spectral_norm=True, r1_gamma=0.0),
    "non-saturating + spectral norm": dict(loss="non_saturating", spectral_norm=True, r1_gamma=0.0),
    "non-saturating + R1 (gamma 1)": dict(loss="non_saturating", spectral_norm=False, r1_gamma=1.0),
    "hinge + R1 (gamma 1)": dict(loss="hinge", spectral_norm=False, r1_gamma=1.0),
    "hinge + R1 (gamma 0.1)": dict(loss="hinge", spectral_norm=False, r1_gamma=0.1),
    "hinge + R1 (gamma 10)": dict(loss="hinge", spectral_norm=False, r1_gamma=10.0),
    "hinge + spectral norm + R1 (gamma 1)": dict(loss="hinge", spectral_norm=True, r1_gamma=1.0),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    parser.add_argument("--epochs", type=int, default=36)
    parser.add_argument(
        "--out", default=str(Path(__file__).resolve().parent / "results" / "image_loss_choice.md")
    )
    args = parser.parse_args(argv)

    import torch
    from sklearn.datasets import load_digits

    from gansynth.image.gan import ImageGAN
    from gansynth.image.metrics import FeatureClassifier, conditional_accuracy, frechet_distance

    torch.set_num_threads(1)
    digits = load_digits()
    images, labels = (digits.images / 16.0).astype(np.float32), digits.target
    judge = FeatureClassifier(epochs=30, random_state=0, device="cpu").fit(images[:1400], labels[:1400])
    held_out = judge.transform(images[1400:])
    rows = []
    for name, config in CONFIGS.items():
        for seed in args.seeds:
            tick = time.time()
            gan = ImageGAN(epochs=args.epochs, random_state=seed, verbose=False, device="cpu", **config).fit(
                images, labels
            )
            generated, wanted = gan.sample(1000, random_state=0, return_labels=True)
            rows.append(
                {
                    "objective": name,
                    "seed": seed,
                    "frechet_distance": frechet_distance(judge.transform(generated), held_out),
                    "conditional_accuracy": conditional_accuracy(judge, generated, wanted),
                    "seconds": time.time() - tick,
                }
            )
            print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    summary = table.groupby("objective", sort=False).agg(["mean", "min", "max"])
    command = (
        "python -m benchmarks.image_loss_choice " + " ".join(sys.argv[1:] if argv is None else argv)
    ).strip()
    lines = [
        "# ImageGAN objective: measured on scikit-learn digits",
        "",
        f"Command: `{command}`. {args.epochs} epochs (about 1,000 updates) per fit, seeds "
        f"{', '.join(map(str, args.seeds))}; judge: FeatureClassifier trained on 1,400 real digits "
        f"(held-out accuracy {np.mean(judge.predict(images[1400:]) == labels[1400:]):.3f}); "
        "Fréchet distance of "
        "1,000 samples to the 397 held-out real digits (real training digits score "
        f"{frechet_distance(judge.transform(images[:1400]), held_out):.2f}).",
        "",
        "| objective | Fréchet distance (mean, min–max) | conditional accuracy (mean, min–max) |",
        "|---|---|---|",
    ]
    for name, row in summary.iterrows():
        fd, acc = row["frechet_distance"], row["conditional_accuracy"]
        lines.append(
            f"| {name} | {fd['mean']:.1f} ({fd['min']:.1f}–{fd['max']:.1f}) | "
            f"{acc['mean']:.3f} ({acc['min']:.3f}–{acc['max']:.3f}) |"
        )
    Path(args.out).write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
