"""DiffAugment (Zhao et al., 2020): differentiable augmentation of the discriminator's inputs.

With few training images the discriminator memorises them and its gradients stop guiding the
generator. DiffAugment applies random colour, translation and cutout transforms to every batch
the discriminator sees, real and generated alike, in both networks' updates; the transforms are
differentiable, so the generator learns through them, and it is not pushed to produce augmented
images because real ones are augmented the same way. Each image gets its own draw, every draw
comes from the ``torch.Generator`` passed in, in a fixed order.

A policy is a comma-separated subset of :data:`TRANSFORMS`, in that order, e.g.
``"color,translation,cutout"`` (the paper's choice for small data).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

TRANSFORMS = ("color", "translation", "cutout")
# Every non-empty subset of TRANSFORMS, written in their order: the valid policy strings.
POLICIES = frozenset(
    ",".join(subset)
    for k in range(1, len(TRANSFORMS) + 1)
    for subset in itertools.combinations(TRANSFORMS, k)
)
FULL_POLICY = ",".join(TRANSFORMS)
# The paper's strengths: shifts of up to 1/8 of the side, a square hole of half the side.
_TRANSLATION_RATIO = 0.125
_CUTOUT_RATIO = 0.5


def _uniform(images: torch.Tensor, rng: torch.Generator) -> torch.Tensor:
    """One uniform draw in [0, 1) per image, shaped to broadcast over (c, h, w)."""
    return torch.rand(images.shape[0], 1, 1, 1, generator=rng, device=images.device, dtype=images.dtype)


def color(images: torch.Tensor, rng: torch.Generator) -> torch.Tensor:
    """Random brightness (+-0.5), saturation (x0 to x2; none for grey images) and contrast (x0.5 to x1.5)."""
    images = images + (_uniform(images, rng) - 0.5)
    mean = images.mean(dim=1, keepdim=True)
    images = (images - mean) * (_uniform(images, rng) * 2) + mean
    mean = images.mean(dim=(1, 2, 3), keepdim=True)
    return (images - mean) * (_uniform(images, rng) + 0.5) + mean


def translation(
    images: torch.Tensor, rng: torch.Generator, ratio: float = _TRANSLATION_RATIO
) -> torch.Tensor:
    """Shift each image by up to ``ratio`` of its side in each direction, filling with zeros."""
    n, _, height, width = images.shape
    reach_y, reach_x = int(height * ratio + 0.5), int(width * ratio + 0.5)
    device = images.device
    shift_y = torch.randint(-reach_y, reach_y + 1, (n, 1, 1), generator=rng, device=device)
    shift_x = torch.randint(-reach_x, reach_x + 1, (n, 1, 1), generator=rng, device=device)
    batch, rows, cols = torch.meshgrid(
        torch.arange(n, device=device),
        torch.arange(height, device=device),
        torch.arange(width, device=device),
        indexing="ij",
    )
    # Index a copy padded by one zero pixel: sources outside the image land on the padding.
    rows = torch.clamp(rows + shift_y + 1, 0, height + 1)
    cols = torch.clamp(cols + shift_x + 1, 0, width + 1)
    padded = F.pad(images, [1, 1, 1, 1]).permute(0, 2, 3, 1)
    return padded[batch, rows, cols].permute(0, 3, 1, 2)


def cutout(images: torch.Tensor, rng: torch.Generator, ratio: float = _CUTOUT_RATIO) -> torch.Tensor:
    """Zero a square of ``ratio`` of the side at a random place in each image (clipped at the border)."""
    n, _, height, width = images.shape
    size_y, size_x = int(height * ratio + 0.5), int(width * ratio + 0.5)
    device = images.device
    centre_y = torch.randint(0, height + (1 - size_y % 2), (n, 1, 1), generator=rng, device=device)
    centre_x = torch.randint(0, width + (1 - size_x % 2), (n, 1, 1), generator=rng, device=device)
    batch, rows, cols = torch.meshgrid(
        torch.arange(n, device=device),
        torch.arange(size_y, device=device),
        torch.arange(size_x, device=device),
        indexing="ij",
    )
    rows = torch.clamp(rows + centre_y - size_y // 2, 0, height - 1)
    cols = torch.clamp(cols + centre_x - size_x // 2, 0, width - 1)
    mask = torch.ones(n, height, width, dtype=images.dtype, device=device)
    mask[batch, rows, cols] = 0
    return images * mask.unsqueeze(1)


_APPLY = {"color": color, "translation": translation, "cutout": cutout}


def diff_augment(
    images: torch.Tensor, policy: str | None, rng: torch.Generator, probability: float = 1.0
) -> torch.Tensor:
    """Apply ``policy``'s transforms in :data:`TRANSFORMS` order, each image its own random draw.

    Parameters
    ----------
    images : torch.Tensor of shape (n, c, h, w)
        Images in ``[-1, 1]``.
    policy : str or None
        One of :data:`POLICIES`; ``None`` returns ``images`` unchanged.
    rng : torch.Generator
        Source of every draw, on ``images``' device; it is advanced.
    probability : float, default=1.0
        Share of images augmented, each chosen apart (ADA's augmentation probability); at 1
        every image is, with no draw for the choice, and at 0 none is, with no draw at all.

    Returns
    -------
    torch.Tensor of shape (n, c, h, w)
        Differentiable in ``images``.
    """
    if policy is None or probability <= 0:
        return images
    if policy not in POLICIES:
        raise ValueError(f"unknown augmentation policy {policy!r}; expected one of {sorted(POLICIES)}")
    augmented = images
    for name in policy.split(","):
        augmented = _APPLY[name](augmented, rng)
    if probability >= 1:
        return augmented
    chosen = _uniform(images, rng) < probability
    return torch.where(chosen, augmented, images)


@dataclass
class AdaptiveProbability:
    """ADA's controller (Karras et al., 2020): the augmentation probability follows overfitting.

    An overfitting discriminator scores nearly every real image above zero. Every ``interval``
    updates, ``r = mean(sign(real scores))`` over them is compared with ``target`` (0.6: about
    80% of real images scored above zero), and the probability moves up (``r > target``) or
    down by ``interval / updates_to_full``, within [0, 1]. StyleGAN2-ADA moves it from 0 to 1
    over 500k images; a CPU fit here runs about a thousand updates, so ``updates_to_full``
    counts updates, not images.
    """

    target: float = 0.6
    interval: int = 4
    updates_to_full: int = 250
    probability: float = 0.0
    _sign_sum: torch.Tensor | None = field(default=None, repr=False)
    _seen: int = 0

    def observe(self, real_score: torch.Tensor) -> None:
        """Record one update's real scores; adjust the probability once per ``interval`` updates."""
        signs = torch.sign(real_score.detach()).mean()
        self._sign_sum = signs if self._sign_sum is None else self._sign_sum + signs
        self._seen += 1
        if self._seen == self.interval:
            overfitting = float(self._sign_sum) / self._seen  # one device sync per interval
            step = (1 if overfitting > self.target else -1) * self.interval / self.updates_to_full
            self.probability = min(1.0, max(0.0, self.probability + step))
            self._sign_sum, self._seen = None, 0
