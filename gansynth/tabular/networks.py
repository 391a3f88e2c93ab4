"""The tabular GAN's networks: a residual generator, a PacGAN critic, and the output activation."""

from __future__ import annotations

import torch
from torch import nn

from gansynth.tabular.transformer import Span


class Residual(nn.Module):
    """Linear + batch norm + ReLU whose output is concatenated with its input."""

    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.fc = nn.Linear(in_features, out_features)
        self.bn = nn.BatchNorm1d(out_features)
        self.relu = nn.ReLU()

    def forward(self, x):
        if self.training:
            return torch.cat([self.relu(self.bn(self.fc(x))), x], dim=1)
        # Eval mode: batch norm is affine, so fold it into the linear layer (one pass fewer).
        scale = self.bn.weight / torch.sqrt(self.bn.running_var + self.bn.eps)
        weight = self.fc.weight * scale[:, None]
        bias = (self.fc.bias - self.bn.running_mean) * scale + self.bn.bias
        return torch.cat([torch.relu_(torch.nn.functional.linear(x, weight, bias)), x], dim=1)


class Generator(nn.Module):
    """Maps ``[noise, condition]`` to raw (pre-activation) encoded rows."""

    def __init__(self, input_dim: int, hidden_dims, output_dim: int):
        super().__init__()
        layers, width = [], input_dim
        for hidden in hidden_dims:
            layers.append(Residual(width, hidden))
            width += hidden
        layers.append(nn.Linear(width, output_dim))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


class Discriminator(nn.Module):
    """A PacGAN critic: scores groups of ``pac`` rows at once, which discourages mode collapse."""

    def __init__(self, input_dim: int, hidden_dims, pac: int = 10):
        super().__init__()
        self.pac = pac
        self.pac_dim = input_dim * pac
        layers, width = [], self.pac_dim
        for hidden in hidden_dims:
            layers += [nn.Linear(width, hidden), nn.LeakyReLU(0.2), nn.Dropout(0.5)]
            width = hidden
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x.reshape(-1, self.pac_dim))


def gradient_penalty(critic: Discriminator, real, fake, weight: float = 10.0) -> torch.Tensor:
    """WGAN-GP penalty on interpolates, with one mixing weight per pac group."""
    pac, dim = critic.pac, real.shape[1]
    alpha = torch.rand(real.shape[0] // pac, 1, 1, device=real.device)
    alpha = alpha.expand(-1, pac, dim).reshape(-1, dim)
    interpolates = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    scores = critic(interpolates)
    (gradients,) = torch.autograd.grad(scores.sum(), interpolates, create_graph=True)
    norms = gradients.reshape(-1, pac * dim).norm(2, dim=1)
    return weight * ((norms - 1) ** 2).mean()


class OutputActivation(nn.Module):
    """tanh on every alpha column and Gumbel-softmax on every one-hot block, in one pass.

    The one-hot blocks have different widths, so they are gathered into a padded
    ``(batch, n_blocks, max_width)`` tensor with ``-inf`` padding, activated together, and put
    back in place with a single permutation.
    """

    def __init__(self, spans: list[Span], tau: float = 0.2):
        super().__init__()
        self.tau = tau
        tanh_index = [s.start for s in spans if s.activation == "tanh"]
        soft = [s for s in spans if s.activation == "softmax"]
        max_width = max((s.width for s in soft), default=1)
        soft_index = torch.zeros(len(soft), max_width, dtype=torch.long)
        valid = torch.zeros(len(soft), max_width, dtype=torch.bool)
        for j, span in enumerate(soft):
            soft_index[j, : span.width] = torch.arange(span.start, span.start + span.width)
            valid[j, : span.width] = True
        placed = torch.cat([torch.tensor(tanh_index, dtype=torch.long), soft_index[valid]])
        self.register_buffer("tanh_index", torch.tensor(tanh_index, dtype=torch.long), persistent=False)
        self.register_buffer("soft_index", soft_index, persistent=False)
        self.register_buffer("valid", valid, persistent=False)
        self.register_buffer("restore", torch.argsort(placed), persistent=False)

    def forward(self, raw: torch.Tensor) -> torch.Tensor:
        alphas = torch.tanh(raw[:, self.tanh_index])
        logits = raw[:, self.soft_index].masked_fill(~self.valid, float("-inf"))
        uniform = torch.rand_like(logits).clamp_(1e-10, 1.0 - 1e-7)
        gumbel = -torch.log(-torch.log(uniform))
        probabilities = torch.softmax((logits + gumbel) / self.tau, dim=-1)
        placed = torch.cat([alphas, probabilities[:, self.valid]], dim=1)
        return placed[:, self.restore]

    def sample(self, raw: torch.Tensor) -> torch.Tensor:
        """Output for decoding: tanh alphas, and one-hot blocks whose argmax is a categorical draw.

        Adding Gumbel noise to the logits and taking the argmax draws from the softmax exactly,
        so sampling needs neither the padded softmax nor the temperature.
        """
        out = raw.clone()
        out[:, self.tanh_index] = torch.tanh(raw[:, self.tanh_index])
        soft = self.soft_index[self.valid]
        gumbel = torch.rand(raw.shape[0], len(soft), device=raw.device).clamp_(1e-10, 1.0 - 1e-7)
        out[:, soft] -= gumbel.log_().neg_().log_()
        return out
