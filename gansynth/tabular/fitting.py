"""``TabularGAN.fit``'s set-up after encoding: the condition sampler, the networks and training.

Plain functions of a model whose columns and transformer are fitted; each returns what ``fit``
stores, so the estimator keeps only the order of the steps.
"""

from __future__ import annotations

import numpy as np
import torch

from gansynth._initialisation import build_network
from gansynth._torch_utils import adam, autocast_dtype, torch_threads
from gansynth.tabular.auxiliary import AuxiliaryLoss, target_block
from gansynth.tabular.conditions import ConditionSampler, condition_weights
from gansynth.tabular.data_parallel import epoch_mean, global_counts, share_buffers, synchronised
from gansynth.tabular.encoded import EncodedRows
from gansynth.tabular.networks import AuxiliaryClassifier, Discriminator, Generator, OutputActivation
from gansynth.tabular.training import GANModules, train

# Below this many multiply-adds per generator forward (batch x parameters), a training step is
# dominated by dispatch overhead: extra intra-op threads only add synchronisation, and on a
# loaded 2-core machine they made a small oversampler 5x slower (146 vs 31 ms per step).
SMALL_STEP_WORK = 5e7


def condition_sampler(model, rows: EncodedRows, condition_shares) -> ConditionSampler:
    """Training-by-sampling over the encoded rows' condition blocks."""
    blocks = model.transformer_.condition_blocks
    codes = (
        np.stack([rows.block_codes(s, w) for _, s, w in blocks], axis=1)
        if blocks
        else np.zeros((len(rows), 0))
    )
    counts = [np.bincount(codes[:, j], minlength=w) for j, (_, _, w) in enumerate(blocks)]
    return ConditionSampler(
        counts,
        [s for _, s, _ in blocks],
        codes=codes,
        log_frequency=model.log_frequency,
        column_weights=condition_weights(condition_shares, model.transformer_.specs_, blocks),
        device=model.device_,
    )


def build_networks(model, rng: torch.Generator) -> tuple[Generator, Discriminator, OutputActivation]:
    """Both networks, their initial weights drawn from ``rng``, and the output activation."""
    data_dim, cond_dim = model.transformer_.output_dim_, model.condition_sampler_.dim
    generator = build_network(
        lambda: Generator(model.embedding_dim + cond_dim, tuple(model.generator_dim), data_dim),
        model.device_,
        rng,
    )
    discriminator = build_network(
        lambda: Discriminator(data_dim + cond_dim, tuple(model.discriminator_dim), model.pac),
        model.device_,
        rng,
    )
    return generator, discriminator, OutputActivation(model.transformer_.spans_).to(model.device_)


def build_auxiliary_classifier(model, rng: torch.Generator) -> AuxiliaryClassifier | None:
    """The auxiliary classifier of ``model.auxiliary_target`` (the critic's widths), or ``None``.

    Built after the networks from the same ``rng``, so a model without it draws the same weights.
    """
    if model.auxiliary_target is None:
        return None
    _, width = target_block(model.auxiliary_target, model.transformer_)
    features = model.transformer_.output_dim_ - width
    return build_network(
        lambda: AuxiliaryClassifier(features, tuple(model.discriminator_dim), width), model.device_, rng
    )


def _auxiliary_loss(model, world) -> AuxiliaryLoss | None:
    """The classifier (synchronised across ranks) with its optimiser, as the critic's; ``None`` when off."""
    if model.auxiliary_classifier_ is None:
        return None
    start, width = target_block(model.auxiliary_target, model.transformer_)
    return AuxiliaryLoss(
        classifier=synchronised(model.auxiliary_classifier_, world, model.device_),
        optimizer=adam(
            model.auxiliary_classifier_.parameters(),
            lr=model.discriminator_lr,
            betas=(0.5, 0.9),
            weight_decay=model.discriminator_decay,
        ),
        start=start,
        width=width,
        weight=float(model.auxiliary_weight),
    )


def train_model(model, data: EncodedRows, rng: torch.Generator, world, batch_size: int, steps: int):
    """Adam with the paper's betas on both networks, then :func:`train`; returns the history.

    ``batch_size`` is this rank's share of the batch and ``steps`` the steps per epoch (the same
    on every data-parallel rank, see :mod:`gansynth.tabular.data_parallel`); ``world`` is
    ``None`` in a single process.
    """
    with torch_threads(_training_threads(model)):
        modules = GANModules(
            generator=synchronised(model.generator_, world, model.device_),
            discriminator=synchronised(model.discriminator_, world, model.device_),
            activation=model.activation_,
            generator_optimizer=adam(
                model.generator_.parameters(),
                lr=model.generator_lr,
                betas=(0.5, 0.9),
                weight_decay=model.generator_decay,
            ),
            discriminator_optimizer=adam(
                model.discriminator_.parameters(),
                lr=model.discriminator_lr,
                betas=(0.5, 0.9),
                weight_decay=model.discriminator_decay,
            ),
            embedding_dim=model.embedding_dim,
            discriminator_steps=model.discriminator_steps,
            penalty_interval=model.penalty_interval,
            auxiliary=_auxiliary_loss(model, world),
            autocast_dtype=autocast_dtype(model.training_precision, model.device_),
        )
        return train(
            modules,
            data,
            model.condition_sampler_,
            epochs=model.epochs_,
            batch_size=batch_size,
            rng=rng,
            verbose=model.verbose and (world is None or world.is_main),
            steps_per_epoch=steps,
            epoch_mean=epoch_mean(world),
        )


def finish_data_parallel(model, world, condition_shares) -> ConditionSampler:
    """Give every rank rank 0's batch-norm statistics; return the whole table's condition sampler."""
    share_buffers(model.generator_, world)
    counts = global_counts(model.condition_sampler_.counts, world, model.device_)
    blocks = model.transformer_.condition_blocks
    return ConditionSampler(
        counts,
        [s for _, s, _ in blocks],
        log_frequency=model.log_frequency,
        column_weights=condition_weights(condition_shares, model.transformer_.specs_, blocks),
        device=model.device_,
    )


def _training_threads(model):
    if model.torch_threads != "auto":
        return model.torch_threads
    if model.device_.type != "cpu":
        return None
    work = model.batch_size_ * sum(p.numel() for p in model.generator_.parameters())
    return 1 if work < SMALL_STEP_WORK else None
