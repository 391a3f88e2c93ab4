"""Seeding and device helpers shared by the tabular and image engines."""

from __future__ import annotations

import contextlib

import numpy as np
import torch
from sklearn.utils import check_random_state


def draw_seed(random_state) -> int:
    """Turn a scikit-learn style ``random_state`` into one integer seed.

    Parameters
    ----------
    random_state : int, numpy.random.RandomState, numpy.random.Generator or None
        ``None`` draws from numpy's global generator, as scikit-learn does.

    Returns
    -------
    int
        A seed in ``[0, 2**31 - 1)``.
    """
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**31 - 1))
    return int(check_random_state(random_state).randint(0, 2**31 - 1))


@contextlib.contextmanager
def seeded_torch(seed: int, device: torch.device):
    """Seed torch's global generators for the duration of a block, then restore them.

    Training code draws from the global generators (weight init, dropout, noise); forking them
    keeps a user's own torch random state untouched by ``fit`` and ``sample``.
    """
    devices = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


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
