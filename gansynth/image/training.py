"""The ImageGAN training loop: hinge or non-saturating loss with an R1 penalty, one step at a time.

:func:`train_step` sees one batch of real images and their class codes, already on the device;
:func:`train` draws the batches (shuffled, or class-balanced with replacement) and records the
per-epoch mean losses. Every random draw comes from the ``rng`` passed in, never from torch's
global generator, in a fixed order (one permutation or multinomial draw per epoch, one noise
draw per step, then DiffAugment's draws when it is on), so a seeded fit is repeatable on CPU
and fits in several threads do not disturb each other.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import torch
import torch.nn.functional as F

from gansynth._progress import progress_bar
from gansynth.image.augment import AdaptiveProbability, diff_augment
from gansynth.image.networks import Discriminator, Generator

LOSSES = ("hinge", "non_saturating")


@dataclass
class GANModules:
    """The networks, optimisers and loss settings one training step uses."""

    generator: Generator
    discriminator: Discriminator
    generator_optimizer: torch.optim.Optimizer
    discriminator_optimizer: torch.optim.Optimizer
    latent_dim: int
    loss: str = "hinge"
    r1_gamma: float = 1.0
    augment: str | None = None  # a DiffAugment policy applied to the discriminator's inputs
    # Which share of those inputs it applies to: a fixed probability, or ADA's adaptive one.
    augment_probability: float | AdaptiveProbability = 1.0


def discriminator_loss(loss: str, real_score: torch.Tensor, fake_score: torch.Tensor) -> torch.Tensor:
    """Adversarial loss of the discriminator for ``loss`` in :data:`LOSSES`."""
    if loss == "hinge":
        return F.relu(1.0 - real_score).mean() + F.relu(1.0 + fake_score).mean()
    return F.softplus(-real_score).mean() + F.softplus(fake_score).mean()


def generator_loss(loss: str, fake_score: torch.Tensor) -> torch.Tensor:
    """Adversarial loss of the generator for ``loss`` in :data:`LOSSES`."""
    return -fake_score.mean() if loss == "hinge" else F.softplus(-fake_score).mean()


def train_step(modules: GANModules, real: torch.Tensor, labels: torch.Tensor, rng: torch.Generator):
    """One discriminator update, then one generator update on the same fake batch.

    Parameters
    ----------
    modules : GANModules
        Networks, optimisers and loss settings.
    real : torch.Tensor of shape (batch, c, s, s)
        Real images in ``[-1, 1]``, on the training device; a fresh tensor (it may be given
        ``requires_grad`` for the R1 penalty).
    labels : torch.Tensor of shape (batch,)
        Class codes of ``real``; the fake batch is generated for the same classes.
    rng : torch.Generator
        Source of the noise and of the augmentations, on ``real``'s device.

    Returns
    -------
    generator_loss, discriminator_loss : torch.Tensor
        Detached scalars (the discriminator's includes the R1 penalty).
    """
    generator, discriminator = modules.generator, modules.discriminator
    noise = torch.randn(len(labels), modules.latent_dim, device=real.device, generator=rng)
    fake = generator(noise, labels)

    adaptive = (
        modules.augment_probability if isinstance(modules.augment_probability, AdaptiveProbability) else None
    )
    probability = adaptive.probability if adaptive else modules.augment_probability

    def judge(images):
        return discriminator(diff_augment(images, modules.augment, rng, probability), labels)

    penalise = modules.r1_gamma > 0
    real.requires_grad_(penalise)
    real_score = judge(real)  # R1 penalises the gradient with respect to the un-augmented images
    fake_score = judge(fake.detach())
    d_loss = discriminator_loss(modules.loss, real_score, fake_score)
    if penalise:
        (grad,) = torch.autograd.grad(real_score.sum(), real, create_graph=True)
        d_loss = d_loss + 0.5 * modules.r1_gamma * grad.pow(2).sum(dim=(1, 2, 3)).mean()
    modules.discriminator_optimizer.zero_grad(set_to_none=True)
    d_loss.backward()
    modules.discriminator_optimizer.step()
    if adaptive is not None and modules.augment is not None:
        adaptive.observe(real_score)

    g_loss = generator_loss(modules.loss, judge(fake))
    modules.generator_optimizer.zero_grad(set_to_none=True)
    g_loss.backward()
    modules.generator_optimizer.step()
    return g_loss.detach(), d_loss.detach()


def train(
    modules: GANModules,
    data: torch.Tensor,
    targets: torch.Tensor,
    *,
    epochs: int,
    batch_size: int,
    rng: torch.Generator,
    class_balance: bool = False,
    verbose: bool = True,
    description: str = "ImageGAN",
) -> pd.DataFrame:
    """Run ``epochs`` passes of ``len(data) // batch_size`` steps each (the ragged last batch is dropped).

    Parameters
    ----------
    modules : GANModules
        Networks, optimisers and loss settings.
    data : torch.Tensor of shape (n, c, s, s)
        All training images in ``[-1, 1]``, on the training device.
    targets : torch.Tensor of shape (n,)
        Class code of each image.
    epochs : int
        Passes over the data.
    batch_size : int
        Images per step, at most ``n``.
    rng : torch.Generator
        The only source of randomness, on ``data``'s device; it is advanced.
    class_balance : bool, default=False
        Draw each epoch's images with replacement, with equal total probability per class,
        instead of a shuffled pass.
    verbose : bool, default=True
        Show a progress bar.
    description : str, default="ImageGAN"
        Label of the progress bar.

    Returns
    -------
    pandas.DataFrame
        Per-epoch mean ``generator_loss`` and ``discriminator_loss``, indexed by ``epoch``.
    """
    steps_per_epoch = len(data) // batch_size  # batch norm dislikes a tiny ragged last batch
    modules.generator.train()
    modules.discriminator.train()
    if class_balance:
        weights = (1.0 / torch.bincount(targets).to(torch.float64))[targets]
    history = []
    progress = progress_bar(range(epochs), description=description, verbose=verbose)
    for epoch in progress:
        if class_balance:
            order = torch.multinomial(weights, steps_per_epoch * batch_size, replacement=True, generator=rng)
        else:
            order = torch.randperm(len(data), device=data.device, generator=rng)
        g_total = d_total = 0.0
        for step in range(steps_per_epoch):
            index = order[step * batch_size : (step + 1) * batch_size]
            g_loss, d_loss = train_step(modules, data[index], targets[index], rng)
            d_total += d_loss.item()
            g_total += g_loss.item()
        g_mean, d_mean = g_total / steps_per_epoch, d_total / steps_per_epoch
        history.append((epoch, g_mean, d_mean))
        progress.set_postfix(d=f"{d_mean:.3f}", g=f"{g_mean:.3f}", refresh=False)
    # Left in eval mode: sampling never switches modes, so concurrent sample calls cannot race.
    modules.generator.eval()
    modules.discriminator.eval()
    return pd.DataFrame(history, columns=["epoch", "generator_loss", "discriminator_loss"]).set_index("epoch")
