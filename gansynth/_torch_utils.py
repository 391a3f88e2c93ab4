"""Device, thread and optimiser helpers shared by the tabular and image engines."""

from __future__ import annotations

import contextlib

import torch


def resolve_device(device) -> torch.device:
    """Resolve ``"auto"`` to CUDA when available, else CPU; pass anything else to torch."""
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


@contextlib.contextmanager
def torch_threads(n_threads):
    """Run a block with ``n_threads`` intra-op threads (``None``: leave as is), then restore."""
    if n_threads is None:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def adam(parameters, **options) -> torch.optim.Adam:
    """Adam with the fused kernel where this torch and device have one (CPU needs torch 2.4+).

    On the tabular GAN's CPU step the fused update is about 2.5 ms faster than the default
    multi-tensor one; older torch builds fall back to it.
    """
    parameters = list(parameters)
    try:
        return torch.optim.Adam(parameters, fused=True, **options)
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.Adam(parameters, **options)
