"""The CTGAN training loop: WGAN-GP with a conditional loss, one step at a time.

:func:`train_step` sees one data shard (a float32 tensor on the device) and its condition
sampler, and knows nothing about where they came from. Data-parallel training can give each
process its own shard and sampler, wrap the networks in DistributedDataParallel, and call the
same function.

Every random draw of a step (conditions, real rows, noise, Gumbel noise, dropout masks, penalty
weights) comes from the ``rng`` passed in, never from torch's global generator, so fits
in several threads do not disturb each other. A data-parallel process passes its own generator,
seeded apart from the other processes'.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import pandas as pd
import torch
from torch.nn.parallel import DistributedDataParallel

from gansynth._progress import progress_bar
from gansynth.tabular.auxiliary import AuxiliaryLoss
from gansynth.tabular.conditions import ConditionSampler
from gansynth.tabular.networks import Discriminator, Generator, OutputActivation, gradient_penalty


@dataclass
class GANModules:
    """The pieces one training step updates."""

    generator: Generator
    discriminator: Discriminator
    activation: OutputActivation
    generator_optimizer: torch.optim.Optimizer
    discriminator_optimizer: torch.optim.Optimizer
    embedding_dim: int
    discriminator_steps: int = 1
    # WGAN-GP's weight; 0 skips the penalty (the step benchmark measures what it costs).
    penalty_weight: float = 10.0
    # Lazy regularisation: the penalty on every penalty_interval-th critic update only, at
    # penalty_interval times the weight, so its average pull on the critic is unchanged.
    penalty_interval: int = 1
    # Critic updates made so far; which of them carry the penalty follows from it, so a
    # data-parallel rank, which makes the same updates as the others, agrees with them.
    critic_updates: int = 0
    # The auxiliary classifier loss on one discrete column (TabularGAN's auxiliary_target).
    auxiliary: AuxiliaryLoss | None = None
    # Mixed precision: the networks' forward passes run under autocast to this dtype (weights,
    # optimiser state, losses and the output activation stay float32); None trains in float32.
    autocast_dtype: torch.dtype | None = None


def train_step(
    modules: GANModules,
    data: torch.Tensor,
    sampler: ConditionSampler,
    batch_size: int,
    rng: torch.Generator,
):
    """One critic update (or ``discriminator_steps`` of them) and one generator update.

    The critic's gradient penalty comes on every ``modules.penalty_interval``-th critic update,
    counted by ``modules.critic_updates``, at ``penalty_interval`` times the weight.

    With ``modules.autocast_dtype``, each network's forward pass runs under :class:`torch.autocast`
    and its output is cast back to float32, so the activation, the losses and the backward
    passes' accumulation into float32 weights are unchanged.

    With ``modules.auxiliary``, the auxiliary classifier is also updated once on the last critic
    step's real rows, and the generator's loss includes its weighted cross-entropy.

    Parameters
    ----------
    modules : GANModules
        Networks and optimisers.
    data : torch.Tensor of shape (n_rows, data_dim)
        Encoded real rows of this shard, already on the training device.
    sampler : ConditionSampler
        Conditions and matching row indices for ``data``.
    batch_size : int
        Rows per step; a multiple of the critic's ``pac``.
    rng : torch.Generator
        The source of every random draw of the step, on ``data``'s device.

    Returns
    -------
    generator_loss, critic_loss : torch.Tensor
        Detached scalars.
    """
    generator, critic, activate = modules.generator, modules.discriminator, modules.activation
    # The penalty's double backward and the generator's pass through a frozen critic go through
    # the critic itself: under DistributedDataParallel each forward of the wrapper expects one
    # gradient reduction, which only the critic loss's backward gives.
    local_critic = critic.module if isinstance(critic, DistributedDataParallel) else critic
    noise_shape = (batch_size, modules.embedding_dim)
    precision = partial(
        torch.autocast,
        data.device.type,
        dtype=modules.autocast_dtype,
        enabled=modules.autocast_dtype is not None,
    )

    for step in range(modules.discriminator_steps):
        cond, column, category, rows = sampler.sample_train(batch_size, rng)
        # The generator reads one-hot conditions fastest as their active positions.
        generator_cond = cond if column is None else sampler.offsets[column] + category
        # Only the last critic step's fake batch is kept with gradients: the generator update
        # reuses it, which saves one generator forward pass per step.
        with torch.set_grad_enabled(step == modules.discriminator_steps - 1):
            noise = torch.randn(noise_shape, device=data.device, generator=rng)
            with precision():
                raw = generator(noise, generator_cond).float()
            fake = activate(raw, rng)
        real_rows = data[rows]
        real_input = torch.cat([real_rows, cond], dim=1)
        fake_input = torch.cat([fake.detach(), cond], dim=1)
        with precision():
            scores = critic(torch.cat([real_input, fake_input]), rng).float()
        real_score, fake_score = scores.chunk(2)
        critic_loss = fake_score.mean() - real_score.mean()
        penalty_due = modules.critic_updates % modules.penalty_interval == 0
        modules.critic_updates += 1
        if modules.penalty_weight and penalty_due:
            critic_loss_total = critic_loss + gradient_penalty(
                local_critic,
                real_input,
                fake_input,
                rng,
                weight=modules.penalty_weight * modules.penalty_interval,
                precision=precision,
            )
        else:
            critic_loss_total = critic_loss
        modules.discriminator_optimizer.zero_grad(set_to_none=True)
        critic_loss_total.backward()
        modules.discriminator_optimizer.step()

    critic.requires_grad_(False)  # skip weight gradients the generator step would throw away
    with precision():
        adversarial = -local_critic(torch.cat([fake, cond], dim=1), rng).float().mean()
    critic.requires_grad_(True)
    generator_loss = adversarial + sampler.conditional_loss(raw, column, category)
    if modules.auxiliary is not None:
        modules.auxiliary.classifier_step(real_rows, rng)
        generator_loss = generator_loss + modules.auxiliary.generator_loss(fake, rng)
    modules.generator_optimizer.zero_grad(set_to_none=True)
    generator_loss.backward()
    modules.generator_optimizer.step()
    return generator_loss.detach(), critic_loss.detach()


def train(
    modules: GANModules,
    data: torch.Tensor,
    sampler: ConditionSampler,
    *,
    epochs: int,
    batch_size: int,
    rng: torch.Generator,
    verbose: bool = True,
    description: str = "TabularGAN",
    steps_per_epoch: int | None = None,
    epoch_mean=None,
) -> pd.DataFrame:
    """Run ``epochs`` passes of ``len(data) // batch_size`` steps (at least one) each.

    ``rng`` (on ``data``'s device) is the only source of randomness; it is advanced. A
    data-parallel worker passes ``steps_per_epoch`` (the same on every rank, whatever its shard's
    size) and ``epoch_mean``, which turns this rank's loss totals into the ranks' mean.

    Returns
    -------
    pandas.DataFrame
        Per-epoch mean ``generator_loss`` and ``discriminator_loss``, indexed by ``epoch``.
    """
    if steps_per_epoch is None:
        steps_per_epoch = max(1, len(data) // batch_size)
    modules.generator.train()
    modules.discriminator.train()
    if modules.auxiliary is not None:
        modules.auxiliary.classifier.train()
    history = []
    progress = progress_bar(range(epochs), description=description, verbose=verbose)
    for epoch in progress:
        totals = torch.zeros(2, device=data.device)
        for _ in range(steps_per_epoch):
            generator_loss, critic_loss = train_step(modules, data, sampler, batch_size, rng)
            totals += torch.stack([generator_loss, critic_loss])
        if epoch_mean is not None:
            totals = epoch_mean(totals)
        generator_mean, critic_mean = (totals / steps_per_epoch).tolist()
        history.append((epoch, generator_mean, critic_mean))
        progress.set_postfix(G=f"{generator_mean:.3f}", D=f"{critic_mean:.3f}", refresh=False)
    modules.generator.eval()
    modules.discriminator.eval()
    if modules.auxiliary is not None:
        modules.auxiliary.classifier.eval()
    return pd.DataFrame(history, columns=["epoch", "generator_loss", "discriminator_loss"]).set_index("epoch")
