"""The auxiliary classifier loss (AC-GAN, CTAB-GAN+): generated rows that look like their class.

A small classifier learns, from real encoded rows with one discrete column's block removed, to
predict that column (the *target*). The generator pays an extra loss: the cross-entropy of the
classifier's prediction on its own rows, target block removed, against the category its rows
carry in that block. The critic alone judges rows as a whole, so a joint class-conditional GAN
can put a rare class's label on rows that look like the common class; this loss charges for it.

Everything here works on batches of tensors on the training device; the classifier's dropout
masks come from the training ``rng``, like the critic's.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

from gansynth.errors import InputError
from gansynth.tabular.networks import AuxiliaryClassifier


@dataclass
class AuxiliaryLoss:
    """The classifier, its optimiser, the target's block in the encoded matrix and the loss weight."""

    classifier: AuxiliaryClassifier
    optimizer: torch.optim.Optimizer
    start: int
    width: int
    weight: float

    def split(self, rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The rows without the target block, and the target category each row carries."""
        stop = self.start + self.width
        features = torch.cat([rows[:, : self.start], rows[:, stop:]], dim=1)
        return features, rows[:, self.start : stop].argmax(dim=1)

    def classifier_step(self, real: torch.Tensor, rng: torch.Generator) -> torch.Tensor:
        """One update of the classifier on real encoded rows; returns its detached loss."""
        features, labels = self.split(real)
        loss = F.cross_entropy(self.classifier(features, rng), labels)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return loss.detach()

    def generator_loss(self, fake: torch.Tensor, rng: torch.Generator) -> torch.Tensor:
        """The weighted cross-entropy of the classifier on generated rows against their own target.

        The label is the slot the generated row's (Gumbel-softmax) target block puts first, so
        the gradient reaches the generator through the other columns only.
        """
        # As with the critic: the generator's pass goes through the module itself, not a
        # DistributedDataParallel wrapper, which would expect a gradient reduction of its own.
        local = (
            self.classifier.module
            if isinstance(self.classifier, DistributedDataParallel)
            else self.classifier
        )
        features, labels = self.split(fake)
        local.requires_grad_(False)  # the generator's loss must not train the classifier
        loss = F.cross_entropy(local(features, rng), labels)
        local.requires_grad_(True)
        return self.weight * loss


def check_auxiliary_target(target, specs) -> None:
    """Refuse a target that is not a discrete column of the table, naming it.

    Parameters
    ----------
    target : hashable or None
        ``TabularGAN``'s ``auxiliary_target``.
    specs : list of ColumnSpec
        The table's columns.
    """
    if target is None:
        return
    names = [spec.name for spec in specs]
    if target not in names:
        raise InputError(f"auxiliary_target {target!r} is not a column of the table; the columns are {names}")
    spec = specs[names.index(target)]
    if not spec.is_discrete:
        raise InputError(
            f"auxiliary_target {target!r} is a {spec.kind} column; the auxiliary classifier needs a "
            "discrete one (boolean or categorical, or named in discrete_columns)"
        )
    if len(specs) < 2:
        raise InputError(
            f"auxiliary_target {target!r} is the only column: the classifier has nothing to read"
        )


def target_block(target, transformer) -> tuple[int, int]:
    """``(start, width)`` of the target column's one-hot block in the encoded matrix."""
    names = [spec.name for spec in transformer.specs_]
    index = names.index(target)
    for column, start, width in transformer.condition_blocks:
        if column == index:
            return start, width
    raise RuntimeError(f"the discrete column {target!r} has no one-hot block")  # a bug, not bad input
