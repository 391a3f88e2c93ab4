"""The conditional DCGAN networks: a transposed-convolution generator and a projection discriminator.

Both work on square images whose side is a power of two, from 8 to 64 pixels; ``ImageGAN`` pads
other sizes up to that working size. Images are in ``[-1, 1]``, channels first.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

MIN_SIZE = 8
MAX_SIZE = 64


def _n_resamplings(size: int) -> int:
    """Number of factor-2 up/down steps between a 4x4 map and a ``size`` x ``size`` image."""
    steps = int(round(math.log2(size))) - 2
    if size < MIN_SIZE or size > MAX_SIZE or 4 * 2**steps != size:
        raise ValueError(f"working size must be a power of two in [{MIN_SIZE}, {MAX_SIZE}], got {size}")
    return steps


def _width_at(base: int, steps_from_top: int, cap: int) -> int:
    # Halve the channel count at every doubling of resolution, as DCGAN does.
    return min(cap, base * 2**steps_from_top)


class Generator(nn.Module):
    """Noise and a class label to an image in ``[-1, 1]``.

    The latent vector is concatenated with a learned class embedding, projected to a 4x4 map, then
    doubled in resolution by transposed convolutions with batch norm and ReLU, DCGAN style. A final
    3x3 convolution maps to the image channels through ``tanh``.

    Parameters
    ----------
    latent_dim : int
        Size of the noise vector.
    n_classes : int
        Number of labels; 1 for an unconditional model.
    channels : int
        Image channels.
    size : int
        Working image side, a power of two in [8, 64].
    width : int
        Channels at the highest resolution; doubled at each lower resolution (capped at 8x).
    embedding_dim : int
        Size of the class embedding.
    """

    def __init__(self, latent_dim, n_classes, channels, size, width=32, embedding_dim=32):
        super().__init__()
        steps = _n_resamplings(size)
        cap = 8 * width
        self.embedding = nn.Embedding(n_classes, embedding_dim)
        top = _width_at(width, steps, cap)
        self.project = nn.Sequential(
            nn.Linear(latent_dim + embedding_dim, top * 16, bias=False),
            nn.BatchNorm1d(top * 16),
            nn.ReLU(inplace=True),
        )
        self.top = top
        blocks = []
        in_ch = top
        for level in range(steps - 1, -1, -1):
            out_ch = _width_at(width, level, cap)
            blocks += [
                nn.ConvTranspose2d(in_ch, out_ch, kernel_size=4, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(out_ch),
                nn.ReLU(inplace=True),
            ]
            in_ch = out_ch
        self.blocks = nn.Sequential(*blocks)
        self.to_image = nn.Conv2d(in_ch, channels, kernel_size=3, padding=1)

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        hidden = self.project(torch.cat([z, self.embedding(labels)], dim=1))
        hidden = hidden.view(z.shape[0], self.top, 4, 4)
        return torch.tanh(self.to_image(self.blocks(hidden)))


class Discriminator(nn.Module):
    """Image and class label to a realness score, with a projection head (Miyato & Koyama, 2018).

    Strided 4x4 convolutions with LeakyReLU halve the resolution down to 4x4; the features are
    summed over space into ``h``, and the score is ``linear(h) + <embedding(label), h>``. The
    projection term makes the discriminator judge whether an image fits its label, which is what
    forces the generator to respect labels.

    Parameters
    ----------
    n_classes : int
        Number of labels; 1 for an unconditional model.
    channels : int
        Image channels.
    size : int
        Working image side, a power of two in [8, 64].
    width : int
        Channels after the first convolution; doubled at each lower resolution (capped at 8x).
    spectral : bool
        Wrap every weight layer in spectral normalisation.
    """

    def __init__(self, n_classes, channels, size, width=32, spectral=True):
        super().__init__()
        steps = _n_resamplings(size)
        cap = 8 * width
        wrap = spectral_norm if spectral else (lambda module: module)
        layers = [wrap(nn.Conv2d(channels, width, kernel_size=3, padding=1)), nn.LeakyReLU(0.2, inplace=True)]
        in_ch = width
        for level in range(1, steps + 1):
            out_ch = _width_at(width, level, cap)
            layers += [
                wrap(nn.Conv2d(in_ch, out_ch, kernel_size=4, stride=2, padding=1)),
                nn.LeakyReLU(0.2, inplace=True),
            ]
            in_ch = out_ch
        self.features = nn.Sequential(*layers)
        self.linear = wrap(nn.Linear(in_ch, 1))
        self.embedding = wrap(nn.Embedding(n_classes, in_ch))

    def forward(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        hidden = self.features(images).sum(dim=(2, 3))
        projection = (self.embedding(labels) * hidden).sum(dim=1, keepdim=True)
        return (self.linear(hidden) + projection).squeeze(1)
