"""How fast is one ImageGAN training step on CPU, by thread count, memory layout and Adam kernel?

Times :func:`gansynth.image.training.train` on Fashion-MNIST images at ImageGAN's defaults for
28x28 images (working size 32, width 16, batch 64, hinge loss with R1), for the settings ImageGAN
used before (torch's own thread count, default Adam, channels-first) and for each change the new
default adds (one thread, channels-last, fused Adam), and for the new default on two threads:
what one thread gives up when no other job wants the second core. The settings are interleaved
and each is repeated, so that a load change on a shared machine hits them all; the table gives
medians and the ratio to the old setting, and the time of a default fit of 2,500 images (1,014
updates) implied by the median step.

    python -m benchmarks.image_speed --data-dir ../shared/datasets/fashion_mnist
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks._load import load_average_note

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_FIT_STEPS = 26 * 39  # epochs="auto" on 2,500 images: ceil(1000 / 39) epochs of 39 batches

# name: (torch threads, None for torch's own count; channels-last; fused Adam)
SETTINGS = {
    "before: torch's thread count, channels-first, default Adam": (None, False, False),
    "1 thread": (1, False, False),
    "1 thread, channels-last": (1, True, False),
    "1 thread, channels-last, fused Adam (new default)": (1, True, True),
    # What the default gives up on a quiet machine, where a second thread is not fought over.
    "2 threads, channels-last, fused Adam": (2, True, True),
}


def time_steps(images, labels, threads, channels_last, fused, steps, seed=0):
    """Seconds per step of ``train`` over ``steps`` batches of 64, after one warm-up step."""
    import torch

    from gansynth._random import torch_generator
    from gansynth._torch_utils import torch_threads
    from gansynth.image.networks import Discriminator, Generator
    from gansynth.image.training import GANModules, train

    with torch_threads(threads):
        generator, discriminator = Generator(64, 10, 1, 32, 16, 32), Discriminator(10, 1, 32, 16, False)
        layout = torch.channels_last if channels_last else torch.contiguous_format
        generator.to(memory_format=layout)
        discriminator.to(memory_format=layout)
        options = {"lr": 2e-4, "betas": (0.5, 0.999), **({"fused": True} if fused else {})}
        modules = GANModules(
            generator,
            discriminator,
            torch.optim.Adam(generator.parameters(), **options),
            torch.optim.Adam(discriminator.parameters(), **options),
            latent_dim=64,
        )
        data = torch.nn.functional.pad(torch.as_tensor(images, dtype=torch.float32) / 127.5 - 1, (2, 2, 2, 2))
        data = data.unsqueeze(1).contiguous(memory_format=layout)
        targets = torch.as_tensor(labels, dtype=torch.long)
        rng = torch_generator(seed, "cpu")
        train(modules, data[:64], targets[:64], epochs=1, batch_size=64, rng=rng, verbose=False)
        started = time.perf_counter()
        train(modules, data, targets, epochs=1, batch_size=64, rng=rng, verbose=False)
        return (time.perf_counter() - started) / (len(data) // 64)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-dir", default=os.environ.get("GANSYNTH_DATA_DIR", "../shared/datasets") + "/fashion_mnist"
    )
    parser.add_argument("--steps", type=int, default=10, help="timed steps per measurement")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=str(RESULTS / "image_speed.md"))
    args = parser.parse_args(argv)

    import torch

    from benchmarks.image_datasets import load_fashion_mnist

    images, labels = load_fashion_mnist("train", data_dir=args.data_dir, download=False)
    images, labels = images[: 64 * args.steps], labels[: 64 * args.steps]
    own_threads, load_at_start = torch.get_num_threads(), os.getloadavg()[0]
    seconds = {name: [] for name in SETTINGS}
    for repeat in range(args.repeats):
        for name, setting in SETTINGS.items():
            seconds[name].append(time_steps(images, labels, *setting, steps=args.steps, seed=repeat))
            print(f"{name}: {seconds[name][-1]:.3f} s/step", flush=True)
    command = "python -m benchmarks.image_speed " + " ".join(sys.argv[1:] if argv is None else argv)
    before = float(np.median(seconds[next(iter(SETTINGS))]))
    lines = [
        "# ImageGAN training step on CPU: threads, memory layout, Adam kernel",
        "",
        f"Command: `{command.strip()}` (torch {torch.__version__}, torch's own thread count "
        f"{own_threads}; {os.cpu_count()} CPUs, {load_average_note(load_at_start)}; only the ratios of "
        "one run are comparable).",
        "",
        f"{args.steps} steps of 64 Fashion-MNIST images per measurement (28x28 padded to 32, width 16, "
        "hinge + R1, the defaults), after one warm-up step; settings interleaved, "
        f"{args.repeats} repeats. Default fit: {DEFAULT_FIT_STEPS} steps (2,500 images, "
        '`epochs="auto"`), from the median step.',
        "",
        "| setting | s/step (median) | all repeats | speed-up vs before | default fit of 2,500 images |",
        "|---|---|---|---|---|",
    ]
    for name, values in seconds.items():
        median = float(np.median(values))
        lines.append(
            f"| {name} | {median:.3f} | {', '.join(f'{v:.3f}' for v in values)} | "
            f"{before / median:.2f}x | {median * DEFAULT_FIT_STEPS / 60:.1f} min |"
        )
    Path(args.out).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
