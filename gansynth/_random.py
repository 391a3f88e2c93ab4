"""Seeds and torch random state: the one place that turns ``random_state`` into randomness."""

from __future__ import annotations

import contextlib

import numpy as np
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
def seeded_torch(seed: int, device):
    """Seed torch's global generators for the duration of a block, then restore them.

    Training code draws from the global generators (weight init, dropout, noise); forking them
    keeps a user's own torch random state untouched by ``fit`` and ``sample``.
    """
    import torch  # here, not at the top: evaluation draws seeds without loading torch

    devices = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield
