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
CONDITIONINGS = ("concat", "batchnorm")


def _n_resamplings(size: int) -> int:
    """Number of factor-2 up/down steps between a 4x4 map and a ``size`` x ``size`` image."""
    steps = int(round(math.log2(size))) - 2
    if size < MIN_SIZE or size > MAX_SIZE or 4 * 2**steps != size:
        raise ValueError(f"working size must be a power of two in [{MIN_SIZE}, {MAX_SIZE}], got {size}")
    return steps


def _width_at(base: int, steps_from_top: int, cap: int) -> int:
    # Halve the channel count at every doubling of resolution, as DCGAN does.
    return min(cap, base * 2**steps_from_top)


class ConditionalBatchNorm(nn.Module):
    """Batch norm over all classes, then a gain and bias computed from the class embedding.

    The normalisation statistics and the linear maps from embedding to gain and bias are shared by
    every class, so a rare class's scaling is learned in the same space as the frequent ones'
    (de Vries et al., 2017; BigGAN's shared embedding, Brock et al., 2019), not from its own images
    alone.

    Parameters
    ----------
    channels : int
        Features normalised.
    embedding_dim : int
        Size of the class embedding.
    spatial : bool
        Inputs are (n, channels, h, w) maps rather than (n, channels) vectors.
    """

    def __init__(self, channels, embedding_dim, spatial):
        super().__init__()
        self.norm = (nn.BatchNorm2d if spatial else nn.BatchNorm1d)(channels, affine=False)
        self.gain = nn.Linear(embedding_dim, channels, bias=False)
        self.bias = nn.Linear(embedding_dim, channels, bias=False)

    def forward(self, hidden: torch.Tensor, embedded: torch.Tensor) -> torch.Tensor:
        shape = (len(hidden), -1) + (1,) * (hidden.dim() - 2)
        gain = 1.0 + self.gain(embedded).view(shape)
        return self.norm(hidden) * gain + self.bias(embedded).view(shape)


class Generator(nn.Module):
    """Noise and a class label to an image in ``[-1, 1]``.

    The latent vector is concatenated with a learned class embedding, projected to a 4x4 map, then
    doubled in resolution by transposed convolutions with batch norm and ReLU, DCGAN style. A final
    3x3 convolution maps to the image channels through ``tanh``. With
    ``conditioning="batchnorm"`` every batch norm is also class-conditional
    (:class:`ConditionalBatchNorm`, from the same embedding), so the label acts at every
    resolution through maps all classes share.

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
    conditioning : {"concat", "batchnorm"}
        Where the label enters: the input only, or also every batch norm.
    """

    def __init__(
        self, latent_dim, n_classes, channels, size, width=32, embedding_dim=32, conditioning="concat"
    ):
        super().__init__()
        if conditioning not in CONDITIONINGS:
            raise ValueError(f"conditioning must be one of {CONDITIONINGS}, got {conditioning!r}")
        steps = _n_resamplings(size)
        cap = 8 * width
        self.embedding = nn.Embedding(n_classes, embedding_dim)
        top = _width_at(width, steps, cap)

        def norm(features, plain):
            if conditioning == "batchnorm":
                return ConditionalBatchNorm(
                    features, embedding_dim, spatial=isinstance(plain, nn.BatchNorm2d)
                )
            return plain

        # Flat Sequentials keep the state-dict names of files written before conditioning existed.
        self.project = nn.Sequential(
            nn.Linear(latent_dim + embedding_dim, top * 16, bias=False),
            norm(top * 16, nn.BatchNorm1d(top * 16)),
            nn.ReLU(inplace=True),
        )
        self.top = top
        blocks = []
        in_ch = top
        for level in range(steps - 1, -1, -1):
            out_ch = _width_at(width, level, cap)
            blocks += [
                nn.ConvTranspose2d(in_ch, out_ch, kernel_size=4, stride=2, padding=1, bias=False),
                norm(out_ch, nn.BatchNorm2d(out_ch)),
                nn.ReLU(inplace=True),
            ]
            in_ch = out_ch
        self.blocks = nn.Sequential(*blocks)
        self.to_image = nn.Conv2d(in_ch, channels, kernel_size=3, padding=1)

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        embedded = self.embedding(labels)
        hidden = _run(self.project, torch.cat([z, embedded], dim=1), embedded)
        hidden = hidden.view(z.shape[0], self.top, 4, 4)
        return torch.tanh(self.to_image(_run(self.blocks, hidden, embedded)))


def _run(layers: nn.Sequential, hidden: torch.Tensor, embedded: torch.Tensor) -> torch.Tensor:
    """``layers(hidden)``, with the class embedding handed to the conditional batch norms."""
    for layer in layers:
        hidden = layer(hidden, embedded) if isinstance(layer, ConditionalBatchNorm) else layer(hidden)
    return hidden


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

    def hidden(self, images: torch.Tensor) -> torch.Tensor:
        """The convolutions' output summed over space: what the linear and projection heads read."""
        return self.features(images).sum(dim=(2, 3))

    def forward(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        hidden = self.hidden(images)
        projection = (self.embedding(labels) * hidden).sum(dim=1, keepdim=True)
        return (self.linear(hidden) + projection).squeeze(1)
