"""Child process of ``python -m benchmarks step-versions``: one checkout's training step on Adult.

Run by path with the checkout on ``PYTHONPATH``, so it must work with any version of gansynth
that has ``gansynth.tabular.training.train_step``: older ones drew from torch's global generator
and took no ``rng``. Prints one JSON line: the block times (ms per step) and the encoding's
widths. ``python -m benchmarks step`` builds its modules with :func:`training_modules` too.
"""

import inspect
import json
import sys
import time

import pandas as pd
import torch

from gansynth import TabularGAN
from gansynth._torch_utils import adam
from gansynth.tabular.training import GANModules, train_step

STEPS_PER_BLOCK = 8


def training_modules(model) -> GANModules:
    """A fitted TabularGAN's networks with fresh Adam optimisers, in training mode, for timing steps."""
    modules = GANModules(
        model.generator_,
        model.discriminator_,
        model.activation_,
        adam(model.generator_.parameters(), lr=2e-4, betas=(0.5, 0.9), weight_decay=1e-6),
        adam(model.discriminator_.parameters(), lr=2e-4, betas=(0.5, 0.9), weight_decay=1e-6),
        model.embedding_dim,
    )
    model.generator_.train()
    model.discriminator_.train()
    return modules


def _step_function(model, data):
    modules = training_modules(model)
    # batch_size_ (the batch after rounding to a multiple of pac) is newer than some checkouts.
    sampler, batch_size = model.condition_sampler_, getattr(model, "batch_size_", model.batch_size)
    if "rng" in inspect.signature(train_step).parameters:
        rng = torch.Generator().manual_seed(0)
        return lambda: train_step(modules, data, sampler, batch_size, rng)
    torch.manual_seed(0)
    return lambda: train_step(modules, data, sampler, batch_size)


def main(csv_path: str, threads: int, blocks: int) -> None:
    torch.set_num_threads(threads)
    frame = pd.read_csv(csv_path, skipinitialspace=True)
    model = TabularGAN(epochs=1, verbose=False, random_state=0).fit(frame)
    data = torch.from_numpy(model.transformer_.transform(frame))
    step = _step_function(model, data)
    for _ in range(10):  # warm-up: allocator, thread pool
        step()
    times = []
    for _ in range(blocks):
        start = time.perf_counter()
        for _ in range(STEPS_PER_BLOCK):
            step()
        times.append((time.perf_counter() - start) / STEPS_PER_BLOCK * 1000)
    widths = {"data": int(data.shape[1]), "condition": int(model.condition_sampler_.dim)}
    print(json.dumps({"ms_per_step": times, "widths": widths}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
