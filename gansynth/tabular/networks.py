"""The tabular GAN's networks: a residual generator, a PacGAN critic, and the output activation."""

from __future__ import annotations

import contextlib

import torch
import torch.nn.functional as F
from torch import nn

from gansynth.tabular.layout import Span, runs


class Residual(nn.Module):
    """Linear + batch norm + ReLU whose output is concatenated with its input."""

    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.fc = nn.Linear(in_features, out_features)
        self.bn = nn.BatchNorm1d(out_features)
        self.relu = nn.ReLU()

    def forward(self, x):
        return torch.cat([self.relu(self.bn(self.fc(x))), x], dim=1)

    def folded(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Weight and bias of the linear layer with eval-mode batch norm folded in."""
        scale = self.bn.weight / torch.sqrt(self.bn.running_var + self.bn.eps)
        return self.fc.weight * scale[:, None], (self.fc.bias - self.bn.running_mean) * scale + self.bn.bias


class Generator(nn.Module):
    """Maps ``[noise, condition]`` to raw (pre-activation) encoded rows."""

    def __init__(self, input_dim: int, hidden_dims, output_dim: int):
        super().__init__()
        self.input_dim = input_dim
        layers, width = [], input_dim
        for hidden in hidden_dims:
            layers.append(Residual(width, hidden))
            width += hidden
        layers.append(nn.Linear(width, output_dim))
        self.net = nn.Sequential(*layers)

    def forward(self, noise: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """Raw rows for ``noise`` under the conditions ``cond``.

        Parameters
        ----------
        noise : torch.Tensor of shape (n, embedding_dim)
        cond : torch.Tensor
            Float conditional vectors, of shape (n, condition_dim); or, when each row's condition
            is one-hot, the long tensor of shape (n,) of its active positions. Every layer reads
            the condition (the residual blocks pass their input on), and positions turn each
            layer's product with a matrix that is zero but for one entry per row into a lookup of
            the weight's condition columns: the same values up to rounding, in less time.
        """
        if cond.is_floating_point():
            return self.net(torch.cat([noise, cond], dim=1))
        *blocks, head = self.net
        condition_dim = self.input_dim - noise.shape[1]
        dense = noise
        for block in blocks:
            hidden = block.relu(block.bn(_linear_one_hot(block.fc, dense, cond, condition_dim)))
            dense = torch.cat([hidden, dense], dim=1)
        return _linear_one_hot(head, dense, cond, condition_dim)

    @torch.no_grad()
    def generate(self, noise: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """Eval-mode forward without the residual concatenations.

        Each residual block's input is ``[its own output, everything before]``, so all
        activations fit in one buffer laid out right to left: the block reads a suffix of the
        buffer and writes its output just before it. Batch norm is folded into the linear layers.
        """
        *blocks, head = self.net
        widths = [block.fc.out_features for block in blocks]
        buffer = noise.new_empty(len(noise), sum(widths) + noise.shape[1] + cond.shape[1])
        start = sum(widths)
        buffer[:, start : start + noise.shape[1]] = noise
        buffer[:, start + noise.shape[1] :] = cond
        for block, width in zip(blocks, widths):
            weight, bias = block.folded()
            torch.addmm(bias, buffer[:, start:], weight.T, out=buffer[:, start - width : start])
            buffer[:, start - width : start].relu_()
            start -= width
        return head(buffer)


def _linear_one_hot(
    layer: nn.Linear, dense: torch.Tensor, positions: torch.Tensor, width: int
) -> torch.Tensor:
    """``layer`` applied to ``[dense, one-hot rows of the given width, active at positions]``."""
    split = layer.in_features - width
    product = F.linear(dense, layer.weight[:, :split], layer.bias)
    return product + F.embedding(positions, layer.weight[:, split:].T).to(product.dtype)


class Discriminator(nn.Module):
    """A PacGAN critic: scores groups of ``pac`` rows at once, which discourages mode collapse.

    Hidden layers are linear, LeakyReLU(0.2) and, in training mode, dropout whose masks come
    from the ``rng`` given to :meth:`forward` (``nn.Dropout`` would draw from torch's
    global generator).
    """

    def __init__(self, input_dim: int, hidden_dims, pac: int = 10, dropout: float = 0.5):
        super().__init__()
        self.pac = pac
        self.pac_dim = input_dim * pac
        self.dropout = dropout
        widths = [self.pac_dim, *hidden_dims]
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:]))
        self.head = nn.Linear(widths[-1], 1)

    def forward(self, x, rng: torch.Generator | None = None):
        """Scores, one per group of ``pac`` rows; training mode needs ``rng`` for dropout."""
        x = x.reshape(-1, self.pac_dim)
        for layer in self.hidden:
            x = LeakyReLUConstantSlope.apply(layer(x))
            if self.training:
                x = dropout(x, self.dropout, rng)
        return self.head(x)


class LeakyReLUConstantSlope(torch.autograd.Function):
    """LeakyReLU(0.2) whose backward treats the slope pattern as a constant of the input.

    The values and first derivatives are LeakyReLU's own, computed by the same kernels. The
    difference is in the gradient penalty's double backward: the derivative of the slope with
    respect to the input is zero almost everywhere, and autograd's own LeakyReLU would carry
    that zero back through each layer's forward pass anyway, a weight-sized matrix product per
    layer that adds exactly nothing. Cutting the path leaves every gradient bit for bit the same.
    """

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return F.leaky_relu(x, 0.2)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return torch.ops.aten.leaky_relu_backward(grad, x.detach(), 0.2, False)


def dropout(x: torch.Tensor, p: float, rng: torch.Generator) -> torch.Tensor:
    """Inverted dropout: zero each entry with probability ``p`` (masks from ``rng``), scale the rest."""
    if rng is None:
        raise ValueError("dropout needs a torch.Generator: training never draws from torch's global one")
    # A uniform draw below 1 - p keeps an entry with probability 1 - p; on CPU this is about three
    # times as fast as bernoulli_ for the critic's shapes. The draw is float32 whatever x's dtype,
    # so that under bfloat16 autocast p is still met to within 2**-24.
    uniform = torch.rand(x.shape, dtype=torch.float32, device=x.device, generator=rng)
    keep = (uniform < 1.0 - p).to(x.dtype).div_(1.0 - p)
    return x * keep


def gradient_penalty(
    critic: Discriminator,
    real,
    fake,
    rng: torch.Generator,
    weight: float = 10.0,
    precision=contextlib.nullcontext,
):
    """WGAN-GP penalty on interpolates, with one mixing weight per pac group.

    The mixing weights and the critic's dropout masks come from ``rng``. ``precision`` makes the
    context the critic's forward pass runs in (the training step's autocast); the gradient and
    its norm are taken outside it, in float32.
    """
    pac, dim = critic.pac, real.shape[1]
    alpha = torch.rand(real.shape[0] // pac, 1, 1, device=real.device, generator=rng)
    alpha = alpha.expand(-1, pac, dim).reshape(-1, dim)
    interpolates = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    with precision():
        scores = critic(interpolates, rng).float()
    (gradients,) = torch.autograd.grad(scores.sum(), interpolates, create_graph=True)
    norms = gradients.reshape(-1, pac * dim).norm(2, dim=1)
    return weight * ((norms - 1) ** 2).mean()


def gumbel_noise(like: torch.Tensor, rng: torch.Generator) -> torch.Tensor:
    """Standard Gumbel noise shaped like ``like``, from ``rng``; uniforms are clamped away from 0 and 1."""
    uniform = torch.rand(like.shape, dtype=like.dtype, device=like.device, generator=rng)
    return uniform.clamp_(1e-10, 1.0 - 1e-7).log_().neg_().log_().neg_()


class OutputActivation(nn.Module):
    """tanh on every alpha column and Gumbel-softmax on every one-hot block.

    The transformer lays the matrix out as runs: tanh columns together, and one-hot blocks of
    equal width side by side. Each run of ``count`` blocks of one width is activated as a single
    ``(batch, count, width)`` view, so a step costs one softmax per distinct width, whatever the
    number of columns. Any layout works; fewer runs are just faster.
    """

    def __init__(self, spans: list[Span], tau: float = 0.2):
        super().__init__()
        self.tau = tau
        self.runs = runs(spans)

    def _runs_of(self, raw: torch.Tensor):
        """Each run as ``(activation, view)``: tanh runs as columns, softmax runs as (n, count, width)."""
        for start, count, width, activation in self.runs:
            block = raw[:, start : start + count * width]
            yield activation, (block if activation == "tanh" else block.reshape(len(raw), count, width))

    def forward(self, raw: torch.Tensor, rng: torch.Generator) -> torch.Tensor:
        """Training output: tanh alphas and Gumbel-softmax blocks, the Gumbel noise from ``rng``."""
        pieces = [
            torch.tanh(view)
            if activation == "tanh"
            else torch.softmax((view + gumbel_noise(view, rng)) / self.tau, dim=-1).flatten(1)
            for activation, view in self._runs_of(raw)
        ]
        return torch.cat(pieces, dim=1) if len(pieces) > 1 else pieces[0]

    def sample(self, raw: torch.Tensor, rng: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """Decode-ready output: tanh alphas, and one categorical draw per one-hot block (from ``rng``).

        The argmax of logits plus Gumbel noise is an exact draw from the block's softmax, so
        sampling needs neither the softmax nor the temperature, and it runs on the chunk while
        the chunk is still in cache.

        Returns
        -------
        alphas : torch.Tensor of shape (n, n_tanh_spans)
        choices : torch.Tensor of shape (n, n_softmax_spans)
            Index of the chosen slot within each block, blocks in matrix order.
        """
        alphas, choices = [], []
        for activation, view in self._runs_of(raw):
            if activation == "tanh":
                alphas.append(torch.tanh(view))
            else:
                choices.append((view + gumbel_noise(view, rng)).argmax(dim=-1))
        empty = raw.new_zeros(len(raw), 0)
        return (
            torch.cat(alphas, dim=1) if alphas else empty,
            torch.cat(choices, dim=1) if choices else empty.long(),
        )


class AuxiliaryClassifier(nn.Module):
    """An MLP that predicts one discrete column's category from the rest of an encoded row.

    Hidden layers are linear, LeakyReLU(0.2) and, in training mode, dropout whose masks come from
    the ``rng`` given to :meth:`forward`, as in the critic; the head gives one logit per slot.
    """

    def __init__(self, input_dim: int, hidden_dims, n_classes: int, dropout: float = 0.5):
        super().__init__()
        self.dropout = dropout
        widths = [input_dim, *hidden_dims]
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:]))
        self.head = nn.Linear(widths[-1], n_classes)

    def forward(self, x, rng: torch.Generator | None = None):
        """Logits, one row per input row; training mode needs ``rng`` for dropout."""
        for layer in self.hidden:
            x = F.leaky_relu(layer(x), 0.2)
            if self.training:
                x = dropout(x, self.dropout, rng)
        return self.head(x)
