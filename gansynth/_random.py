"""Seeds and random generators: the one place that turns ``random_state`` into randomness.

Nothing here reads or changes numpy's or torch's global random state. Each ``fit`` and
``sample`` call makes its own numpy and torch generators from an integer seed, so calls on one
model can run in several threads at once and give what they give one after the other, and a
caller's own ``np.random.seed`` or ``torch.manual_seed`` stream is never advanced.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_random_state

# Seeds are drawn below 2**31 - 1, the bound of scikit-learn's integer random_state.
_SEED_BOUND = 2**31 - 1


def draw_seed(random_state) -> int:
    """Turn a scikit-learn style ``random_state`` into one integer seed.

    Parameters
    ----------
    random_state : int, numpy.random.RandomState, numpy.random.Generator or None
        An integer or an instance seeds as in scikit-learn (an instance is advanced by one draw).
        ``None`` takes fresh entropy from the operating system; unlike scikit-learn, it does not
        draw from numpy's global generator, which stays untouched.

    Returns
    -------
    int
        A seed in ``[0, 2**31 - 1)``.
    """
    if random_state is None:
        return int(np.random.SeedSequence().generate_state(1)[0] % _SEED_BOUND)
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, _SEED_BOUND))
    return int(check_random_state(random_state).randint(0, _SEED_BOUND))


def numpy_random_state(random_state) -> np.random.RandomState:
    """scikit-learn's ``check_random_state``, except that ``None`` never means the global generator.

    ``None`` gives a ``RandomState`` seeded from fresh entropy; a ``Generator`` seeds one by a
    draw; an integer or a ``RandomState`` is taken as scikit-learn takes it.
    """
    if random_state is None or isinstance(random_state, np.random.Generator):
        return np.random.RandomState(draw_seed(random_state))
    return check_random_state(random_state)


def torch_generator(seed: int, device):
    """A ``torch.Generator`` on ``device``, seeded with ``seed``.

    Torch draws on a device only from a generator on that device, so each device that draws
    (the CPU, or a CUDA device for a model trained there) gets its own generator from its own
    seed. On CPU the same seed gives the same stream; CUDA streams differ from CPU ones.
    """
    import torch  # here, not at the top: evaluation draws seeds without loading torch

    generator = torch.Generator(device=torch.device(device))
    generator.manual_seed(int(seed))
    return generator
