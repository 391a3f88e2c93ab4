"""Networks built without touching torch's global generator, then initialised from an explicit one.

``torch.nn`` layers draw their initial weights from the process-wide generator as they are
constructed. :func:`build_network` constructs a network on the meta device instead (no storage,
no draws), gives it uninitialised storage on the target device, and :func:`initialise` draws
every parameter from the generator it is given, with the distributions torch's own
``reset_parameters`` would use. The meta-device context is a per-thread torch function mode, so
other threads keep building on their own devices meanwhile.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import _SpectralNorm

_AFFINE = (
    nn.Linear,
    nn.Conv1d,
    nn.Conv2d,
    nn.Conv3d,
    nn.ConvTranspose1d,
    nn.ConvTranspose2d,
    nn.ConvTranspose3d,
)
_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.LayerNorm)
# torch's spectral_norm runs 15 power iterations on a freshly initialised weight, and one more when
# register_parametrization checks the result; the same 16 give the same u and v from the same draws.
_SPECTRAL_WARMUP_ITERATIONS = 16


def build_network(factory, device, generator: torch.Generator) -> nn.Module:
    """``factory()`` built with no random draws, on ``device``, initialised from ``generator``.

    Parameters
    ----------
    factory : callable
        Returns the network; it is called under the meta device, so it must not fill tensors.
    device : torch.device
        Where the network's storage lives; ``generator`` must be on the same device.
    generator : torch.Generator
        The only source of the initial weights.

    Returns
    -------
    torch.nn.Module
    """
    with torch.device("meta"):
        network = factory()
    return initialise(network.to_empty(device=device), generator)


def empty_network(factory, device) -> nn.Module:
    """``factory()`` with uninitialised storage on ``device``, for weights loaded right after."""
    with torch.device("meta"):
        network = factory()
    return network.to_empty(device=device)


def initialise(network: nn.Module, generator: torch.Generator) -> nn.Module:
    """Draw every parameter of ``network`` from ``generator``, as torch's defaults would; in place.

    Raises
    ------
    TypeError
        For a layer type with parameters or buffers this function does not know, rather than
        leaving its storage uninitialised.
    """
    with torch.no_grad():
        for layer in network.modules():
            if isinstance(layer, _AFFINE):
                _initialise_affine(layer, generator)
            elif isinstance(layer, nn.Embedding):
                _weight_of(layer).normal_(generator=generator)
            elif isinstance(layer, _NORMS):
                layer.reset_parameters()
            elif isinstance(layer, _SpectralNorm):
                for vector in (getattr(layer, "_u", None), getattr(layer, "_v", None)):
                    if vector is None:  # a 1-d weight is normalised without power iteration
                        continue
                    vector.normal_(generator=generator)
                    vector.div_(vector.norm().clamp_min(layer.eps))
            elif not isinstance(layer, parametrize.ParametrizationList) and _holds_tensors(layer):
                raise TypeError(
                    f"no initialiser for {type(layer).__name__}; add one to gansynth._initialisation"
                )
        _settle_spectral_norms(network)
    return network


def _weight_of(layer: nn.Module) -> torch.Tensor:
    """The stored weight: the unnormalised original when a parametrisation (spectral norm) wraps it."""
    if parametrize.is_parametrized(layer, "weight"):
        return layer.parametrizations.weight.original
    return layer.weight


def _initialise_affine(layer: nn.Module, generator: torch.Generator) -> None:
    """Kaiming-uniform weight (a = sqrt(5)) and a uniform bias in +-1/sqrt(fan_in), as torch does."""
    weight = _weight_of(layer)
    nn.init.kaiming_uniform_(weight, a=math.sqrt(5), generator=generator)
    if layer.bias is not None:
        fan_in = weight.shape[1] * weight[0][0].numel()
        bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        nn.init.uniform_(layer.bias, -bound, bound, generator=generator)


def _holds_tensors(layer: nn.Module) -> bool:
    own = list(layer.parameters(recurse=False)) + list(layer.buffers(recurse=False))
    return bool(own)


def _settle_spectral_norms(network: nn.Module) -> None:
    """Run spectral norm's warm-up power iterations on the new weights (each read of a
    spectrally normalised weight in training mode runs one iteration, deterministically)."""
    for layer in network.modules():
        if not parametrize.is_parametrized(layer):
            continue
        for name, chain in layer.parametrizations.items():
            if any(isinstance(p, _SpectralNorm) for p in chain):
                for _ in range(_SPECTRAL_WARMUP_ITERATIONS):
                    getattr(layer, name)
