"""Where a TabularGAN training step's time goes, on Adult: the step with the WGAN-GP penalty on
every critic update (CTGAN's and TabularGAN's default), with it on every ``--interval``-th
update (``TabularGAN(penalty_interval=...)``, lazy regularisation), without it (the floor
that no penalty trick could go below), the full step with the networks' forward passes in
bfloat16 (``TabularGAN(training_precision="bfloat16")``), and the full step as it was before three
exact speed-ups: with torch's own LeakyReLU in the critic (whose slope pattern the penalty's
double backward differentiates, to zero, through every layer), with dropout masks from
``bernoulli_``, and with the generator multiplying its layers' weights by one-hot conditional
vectors instead of looking up the active positions' columns.

Usage::

    python -m benchmarks step --data-dir ../shared/datasets --threads 2

All variants run in one process on the same networks, taking turns: each repeat times ``--steps``
consecutive steps (rounded up to a whole number of penalty intervals) of every variant. Reported:
the median and the best of each variant's timings, and the median over repeats of its time
against the full step's in the same repeat, which a machine whose speed moves from second to
second (a shared one) still measures. Run it on a quiet machine, with many short repeats.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import time
from pathlib import Path
from unittest import mock

import pandas as pd
import torch
import torch.nn.functional as F

from benchmarks._step_timing_child import training_modules
from gansynth import TabularGAN
from gansynth.tabular import networks
from gansynth.tabular.training import train_step


def _bernoulli_dropout(x, p, rng):
    """The critic's dropout before commit d29282e: masks from ``bernoulli_``."""
    return x * torch.empty_like(x).bernoulli_(1.0 - p, generator=rng).div_(1.0 - p)


# Taken before any patch, so that the dense variant can call the generator's own float path.
_GENERATOR_FORWARD = networks.Generator.forward


def _dense_condition_forward(generator, noise, cond):
    """The generator's training pass before the lookup of positions: a product with one-hot vectors."""
    if not cond.is_floating_point():
        cond = F.one_hot(cond, generator.input_dim - noise.shape[1]).float()
    return _GENERATOR_FORWARD(generator, noise, cond)


def _before(leaky_relu: bool, bernoulli: bool, dense_condition: bool = False):
    """The step's code as it was before the exact speed-ups named, for the variants that ask."""
    stack = contextlib.ExitStack()
    if dense_condition:
        stack.enter_context(mock.patch.object(networks.Generator, "forward", _dense_condition_forward))
    if leaky_relu:
        stack.enter_context(
            mock.patch.object(networks.LeakyReLUConstantSlope, "apply", lambda x: F.leaky_relu(x, 0.2))
        )
    if bernoulli:
        stack.enter_context(mock.patch.object(networks, "dropout", _bernoulli_dropout))
    return stack


def _ms_per_step(modules, data, sampler, batch_size, steps) -> float:
    rng = torch.Generator().manual_seed(0)
    for _ in range(5):  # warm-up: allocator, thread pool
        train_step(modules, data, sampler, batch_size, rng)
    modules.critic_updates = 0
    start = time.perf_counter()
    for _ in range(steps):
        train_step(modules, data, sampler, batch_size, rng)
    return (time.perf_counter() - start) / steps * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks step", description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default=os.environ.get("GANSYNTH_DATA_DIR", "../shared/datasets"))
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--interval", type=int, default=4, help="penalty_interval of the lazy variant")
    args = parser.parse_args(argv)
    path = Path(args.data_dir) / "adult.csv"
    if not path.is_file():
        parser.error(f"adult.csv not found in {args.data_dir}")
    torch.set_num_threads(args.threads)
    frame = pd.read_csv(path, skipinitialspace=True)
    model = TabularGAN(epochs=1, verbose=False, random_state=0, torch_threads=args.threads).fit(frame)
    data = torch.from_numpy(model.transformer_.transform(frame))
    modules = training_modules(model)
    interval = args.interval
    steps = -(-args.steps // interval) * interval
    variants = {
        "full step:": (1, 10.0, None, (False, False)),
        f"penalty every {interval}th:": (interval, 10.0, None, (False, False)),
        "without the penalty:": (1, 0.0, None, (False, False)),
        "bfloat16 forwards:": (1, 10.0, torch.bfloat16, (False, False)),
        "torch's LeakyReLU:": (1, 10.0, None, (True, False)),
        "bernoulli_ masks:": (1, 10.0, None, (False, True)),
        "both, as before:": (1, 10.0, None, (True, True)),
        "one-hot products:": (1, 10.0, None, (False, False, True)),
        "all three, as before:": (1, 10.0, None, (True, True, True)),
    }
    timings = {name: [] for name in variants}
    for _ in range(args.repeats):
        for name, (penalty_interval, penalty_weight, dtype, before) in variants.items():
            modules.penalty_interval, modules.penalty_weight = penalty_interval, penalty_weight
            modules.autocast_dtype = dtype
            with _before(*before):
                timings[name].append(
                    _ms_per_step(modules, data, model.condition_sampler_, model.batch_size_, steps)
                )
    steps_per_epoch = len(data) // model.batch_size_
    print(
        f"adult: {len(data)} rows, batch {model.batch_size_}, {steps_per_epoch} steps per epoch, "
        f"{args.threads} threads"
    )
    for name, values in timings.items():
        ms = statistics.median(values)
        paired = statistics.median(v / full for v, full in zip(values, timings["full step:"]))
        print(
            f"{name:<22}{ms:6.2f} ms median, {min(values):6.2f} best  ({ms * steps_per_epoch / 1000:.2f} s "
            f"per epoch); {paired:.3f}x the full step"
        )
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
