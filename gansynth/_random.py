"""Seeds and torch random state: the one place that turns ``random_state`` into randomness."""

from __future__ import annotations

import contextlib
import threading

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


class TorchStream:
    """One seeded torch random stream that can be paused between chunks.

    Each ``with stream:`` block draws from torch's global generators exactly as if all the
    blocks had run back to back inside one :func:`seeded_torch` block with the same seed, and
    between blocks the caller's own random state is in place. This is what lets a generator
    yield a chunk and resume: the rows are the same whatever the consumer does in between.

    Parameters
    ----------
    seed : int
        Seed of the stream.
    device : torch.device
        The device whose generator is also forked and resumed (CUDA only; CPU always is).

    Notes
    -----
    The global generators are process-wide, so blocks are serialised by a lock: two threads
    streaming at once take turns per block instead of interleaving their draws.
    """

    _lock = threading.Lock()

    def __init__(self, seed: int, device):
        self.seed = seed
        self.device = device
        self._states = None  # (cpu state, cuda state or None) after the last block
        self._blocks = contextlib.ExitStack()

    def __enter__(self):
        import torch

        cuda = self.device.type == "cuda"
        self._lock.acquire()
        try:
            self._blocks.enter_context(torch.random.fork_rng(devices=[self.device] if cuda else []))
            if self._states is None:
                torch.manual_seed(self.seed)
            else:
                torch.set_rng_state(self._states[0])
                if cuda:
                    torch.cuda.set_rng_state(self._states[1], self.device)
        except BaseException:
            self._blocks.close()
            self._lock.release()
            raise
        return self

    def __exit__(self, *exc_info):
        import torch

        try:
            cuda = self.device.type == "cuda"
            self._states = (torch.get_rng_state(), torch.cuda.get_rng_state(self.device) if cuda else None)
        finally:
            self._blocks.close()
            self._lock.release()
        return False
