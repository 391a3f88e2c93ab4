"""Randomness without global state: every estimator draws from generators of its own.

Concurrent ``sample`` calls on one model give what sequential calls give, fits in two threads
with one seed give identical models, the caller's global torch and numpy streams are never
advanced, and no random torch operation runs without an explicit generator on its tensor's device.
"""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import load_digits, make_classification
from torch.overrides import TorchFunctionMode

from gansynth import GANOversampler, ImageGAN, ImageGANOversampler, TabularGAN, evaluate
from gansynth._initialisation import build_network, initialise
from gansynth._random import draw_seed, numpy_random_state, torch_generator
from gansynth._torch_utils import torch_threads
from gansynth.image.metrics import FeatureClassifier
from gansynth.sampling.tabular import default_generator
from tests.conftest import TINY

IMAGE_TINY = dict(
    epochs=1, batch_size=16, latent_dim=8, generator_width=4, discriminator_width=4, embedding_dim=4
)
IMAGE_TINY.update(verbose=False, device="cpu")


@pytest.fixture(scope="module")
def table():
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "x": rng.normal(size=120),
            "i": np.arange(120) % 5,
            "c": rng.choice(["a", "b", "c"], size=120),
        }
    )


@pytest.fixture(scope="module")
def tabular_model(table):
    return TabularGAN(**TINY, random_state=0).fit(table)


@pytest.fixture(scope="module")
def digits():
    data = load_digits()
    return data.images[:160], data.target[:160]


@pytest.fixture(scope="module")
def image_model(digits):
    return ImageGAN(**IMAGE_TINY, random_state=0).fit(*digits)


def run_in_threads(calls: dict) -> dict:
    """Run ``{key: callable}`` in one thread each, all released at once; return their results."""
    barrier, results, errors = threading.Barrier(len(calls)), {}, []

    def work(key, call):
        barrier.wait()
        try:
            results[key] = call()
        except BaseException as exc:  # re-raised in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=item) for item in calls.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


class GlobalState:
    """The caller's torch and numpy global random states, to compare before and after."""

    def __init__(self):
        self.torch = torch.get_rng_state()
        self.numpy = np.random.get_state()  # noqa: NPY002 (the legacy global state is what is checked)

    def unchanged(self) -> bool:
        now = np.random.get_state()  # noqa: NPY002
        same_numpy = all(
            np.array_equal(a, b) if isinstance(a, np.ndarray) else a == b for a, b in zip(self.numpy, now)
        )
        return torch.equal(self.torch, torch.get_rng_state()) and same_numpy


# ---------------------------------------------------------------- concurrent sampling


def test_concurrent_tabular_samples_equal_sequential_ones(tabular_model):
    # The reproduction, with four threads and a conditional call among them.
    calls = {
        1: lambda: tabular_model.sample(20_000, random_state=1),
        2: lambda: tabular_model.sample(20_000, random_state=2),
        3: lambda: tabular_model.sample(20_000, random_state=3, conditions={"c": "b"}),
        4: lambda: tabular_model.sample(20_000, random_state=1),
    }
    sequential = {key: call() for key, call in calls.items()}
    for _ in range(3):
        concurrent = run_in_threads(calls)
        for key in calls:
            pd.testing.assert_frame_equal(concurrent[key], sequential[key])
    assert not sequential[1].equals(sequential[2])


def test_concurrent_image_samples_equal_sequential_ones(image_model):
    calls = {k: (lambda k=k: image_model.sample(300, random_state=k)) for k in range(4)}
    sequential = {key: call() for key, call in calls.items()}
    for _ in range(3):
        concurrent = run_in_threads(calls)
        for key in calls:
            np.testing.assert_array_equal(concurrent[key], sequential[key])
    assert image_model.generator_.training is False


# ---------------------------------------------------------------- concurrent fitting


def test_two_threads_fitting_one_seed_give_identical_tabular_models(table):
    fits = run_in_threads({k: (lambda: TabularGAN(**TINY, random_state=5).fit(table)) for k in range(2)})
    alone = TabularGAN(**TINY, random_state=5).fit(table)
    for model in fits.values():
        for network in ("generator_", "discriminator_"):
            ours, reference = getattr(model, network).state_dict(), getattr(alone, network).state_dict()
            assert all(torch.equal(ours[name], reference[name]) for name in reference), network
        pd.testing.assert_frame_equal(model.loss_history_, alone.loss_history_)
        pd.testing.assert_frame_equal(model.sample(200, random_state=0), alone.sample(200, random_state=0))


def test_two_threads_fitting_one_seed_give_identical_image_models(digits):
    params = dict(IMAGE_TINY, spectral_norm=True, class_balance=True, random_state=4)
    fits = run_in_threads({k: (lambda: ImageGAN(**params).fit(*digits)) for k in range(2)})
    alone = ImageGAN(**params).fit(*digits)
    for model in fits.values():
        for network in ("generator_", "discriminator_"):
            ours, reference = getattr(model, network).state_dict(), getattr(alone, network).state_dict()
            assert all(torch.equal(ours[name], reference[name]) for name in reference), network
        np.testing.assert_array_equal(model.sample(10, random_state=1), alone.sample(10, random_state=1))


def test_two_threads_resampling_with_one_seed_agree():
    X, y = make_classification(n_samples=150, n_features=4, weights=[0.85], random_state=0)
    generator = clone(default_generator()).set_params(
        epochs=2, embedding_dim=8, generator_dim=(16,), discriminator_dim=(16,)
    )
    sampler = GANOversampler(generator=generator, quality_filter="nearest", random_state=3)
    results = run_in_threads({k: (lambda: clone(sampler).fit_resample(X, y)) for k in range(2)})
    X_alone, y_alone = clone(sampler).fit_resample(X, y)
    for X_res, y_res in results.values():
        np.testing.assert_array_equal(X_res, X_alone)
        np.testing.assert_array_equal(y_res, y_alone)


# ---------------------------------------------------------------- global state untouched


@pytest.mark.parametrize("random_state", [0, None])
def test_tabular_fit_and_sample_leave_the_global_states_alone(table, random_state):
    state = GlobalState()
    model = TabularGAN(**TINY, random_state=random_state).fit(table)
    model.sample(50)
    model.sample(50, random_state=random_state)
    assert state.unchanged()


@pytest.mark.parametrize("random_state", [0, None])
def test_image_fit_and_sample_leave_the_global_states_alone(digits, random_state):
    state = GlobalState()
    model = ImageGAN(**IMAGE_TINY, spectral_norm=True, random_state=random_state).fit(*digits)
    model.sample(10)
    model.sample(10, random_state=random_state)
    FeatureClassifier(epochs=1, random_state=random_state).fit(*digits).transform(digits[0][:5])
    assert state.unchanged()


@pytest.mark.parametrize("random_state", [0, None])
def test_oversamplers_and_evaluate_leave_the_global_states_alone(digits, table, random_state):
    X, y = make_classification(n_samples=120, n_features=4, weights=[0.85], random_state=0)
    generator = clone(default_generator()).set_params(
        epochs=1, embedding_dim=8, generator_dim=(16,), discriminator_dim=(16,)
    )
    images, labels = digits
    state = GlobalState()
    GANOversampler(generator=generator, quality_filter="nearest", random_state=random_state).fit_resample(
        X, y
    )
    ImageGANOversampler(
        image_shape=(8, 8), generator=ImageGAN(**IMAGE_TINY), random_state=random_state
    ).fit_resample(images.reshape(len(images), -1), (labels == 1).astype(int))
    evaluate(table, table.sample(frac=1.0, random_state=1), max_rows=60, cv=2, random_state=random_state)
    assert state.unchanged()


def test_seed_helpers_never_draw_from_the_global_generators():
    state = GlobalState()
    seeds = {draw_seed(None) for _ in range(5)}
    assert len(seeds) > 1, "None must give fresh seeds"
    assert draw_seed(7) == draw_seed(7)
    assert draw_seed(np.random.default_rng(1)) == draw_seed(np.random.default_rng(1))
    numpy_random_state(None).rand()
    assert numpy_random_state(3).rand() == np.random.RandomState(3).rand()
    torch_generator(0, "cpu")
    assert state.unchanged()


# ---------------------------------------------------------------- every draw has its generator

_RANDOM_FUNCTIONS = {
    torch.rand,
    torch.randn,
    torch.randint,
    torch.randperm,
    torch.multinomial,
    torch.bernoulli,
    torch.normal,
    torch.poisson,
    torch.rand_like,
    torch.randn_like,
    torch.randint_like,
    torch.Tensor.bernoulli_,
    torch.Tensor.normal_,
    torch.Tensor.uniform_,
    torch.Tensor.random_,
    torch.Tensor.exponential_,
    torch.Tensor.cauchy_,
    torch.Tensor.log_normal_,
    torch.Tensor.geometric_,
    torch.nn.functional.dropout,
    torch.nn.functional.dropout1d,
    torch.nn.functional.dropout2d,
    torch.nn.functional.alpha_dropout,
    torch.nn.functional.rrelu,
    torch.nn.init.uniform_,
    torch.nn.init.normal_,
    torch.nn.init.kaiming_uniform_,
    torch.nn.init.kaiming_normal_,
    torch.nn.init.xavier_uniform_,
    torch.nn.init.xavier_normal_,
    torch.nn.init.trunc_normal_,
    torch.nn.init.orthogonal_,
}


class RandomDrawAudit(TorchFunctionMode):
    """Records every random torch call made without a generator, or with one on another device.

    Calls on meta tensors (networks being built before :func:`initialise`) draw nothing.

    Torch function modes are per thread, so the audit sees the calls of the thread it runs in.
    """

    def __init__(self):
        super().__init__()
        self.unseeded, self.misplaced, self.seen = [], [], 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        result = func(*args, **kwargs)
        on_meta = isinstance(result, torch.Tensor) and result.device.type == "meta"
        if func in _RANDOM_FUNCTIONS and not on_meta:  # a meta tensor holds no values: nothing is drawn
            self.seen += 1
            generator = kwargs.get("generator")
            if generator is None:
                self.unseeded.append(getattr(func, "__name__", str(func)))
            elif isinstance(result, torch.Tensor) and result.device.type != generator.device.type:
                self.misplaced.append((func.__name__, result.device, generator.device))
        return result


def test_the_audit_catches_a_draw_from_the_global_generator():
    with RandomDrawAudit() as audit:
        torch.randn(3)
        torch.empty(3).uniform_(generator=torch.Generator())
        torch.nn.Linear(2, 2)  # torch's own initialisation
    assert audit.seen >= 3 and "randn" in audit.unseeded and "kaiming_uniform_" in audit.unseeded


def test_every_random_draw_of_fit_and_sample_has_a_generator_on_its_device(table, digits):
    with RandomDrawAudit() as audit:
        TabularGAN(**TINY, random_state=0).fit(table).sample(100, random_state=1)
        model = ImageGAN(**IMAGE_TINY, spectral_norm=True, class_balance=True, random_state=0).fit(*digits)
        model.sample(10, random_state=1)
        ImageGAN(**IMAGE_TINY, conditioning="batchnorm", random_state=0).fit(*digits).sample(
            10, random_state=1
        )
        FeatureClassifier(epochs=1, random_state=0).fit(*digits)
    assert audit.seen > 50
    assert audit.unseeded == [] and audit.misplaced == []


def test_initialise_matches_torch_defaults_in_distribution_and_refuses_unknown_layers():
    rng = torch_generator(0, "cpu")
    layer = build_network(lambda: torch.nn.Linear(400, 300), "cpu", rng).requires_grad_(False)
    bound = 1 / 400**0.5  # kaiming_uniform with a = sqrt(5) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    assert layer.weight.abs().max() <= bound and layer.weight.abs().max() > 0.99 * bound
    assert abs(float(layer.weight.std()) - bound / 3**0.5) < 0.01 * bound
    assert layer.bias.abs().max() <= bound

    class Odd(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = torch.nn.Parameter(torch.empty(3))

    with pytest.raises(TypeError, match="no initialiser for Odd"):
        initialise(Odd(), rng)


# ---------------------------------------------------------------- threads and devices


def test_overlapping_torch_threads_blocks_give_back_the_callers_count():
    before = torch.get_num_threads()
    wanted = 2 if before == 1 else 1
    entered = threading.Barrier(2)

    def fit_like():
        with torch_threads(wanted):
            torch.ones(10).sum()
            entered.wait()
            assert torch.get_num_threads() == wanted
            entered.wait()

    threads = [threading.Thread(target=fit_like) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert torch.get_num_threads() == before
    fresh = run_in_threads({0: lambda: (torch.ones(10).sum(), torch.get_num_threads())[1]})
    assert fresh[0] == before, "a thread started afterwards must not inherit a fit's count"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_fit_and_sample_draw_from_cuda_generators(table, digits):
    cuda_state = torch.cuda.get_rng_state()
    first = TabularGAN(**TINY, device="cuda", random_state=0).fit(table)
    second = TabularGAN(**TINY, device="cuda", random_state=0).fit(table)
    pd.testing.assert_frame_equal(first.sample(500, random_state=1), second.sample(500, random_state=1))
    images = ImageGAN(**dict(IMAGE_TINY, device="cuda"), random_state=0).fit(*digits)
    images.sample(5, random_state=0)
    assert torch.equal(cuda_state, torch.cuda.get_rng_state())
