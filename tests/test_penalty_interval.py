"""The lazy gradient penalty: which critic updates carry it, at what weight, and the parameter."""

import pandas as pd
import pytest
import torch
from sklearn.utils._param_validation import InvalidParameterError

import gansynth.tabular.training as training
from gansynth import TabularGAN
from gansynth.sampling.tabular import default_generator
from gansynth.tabular.training import train_step
from tests.conftest import TINY, training_modules


@pytest.fixture(scope="module")
def fitted():
    frame = pd.DataFrame({"x": [float(v % 7) for v in range(80)], "c": ["a", "b"] * 40})
    return TabularGAN(**{**TINY, "random_state": 0}).fit(frame), frame


def _penalty_weights(monkeypatch, model, frame, steps, **options):
    """The weight of each penalty computed over ``steps`` training steps, by critic update."""
    calls, real_penalty = [], training.gradient_penalty

    def recording(critic, real, fake, rng, weight, precision):
        calls.append((modules.critic_updates - 1, weight))
        return real_penalty(critic, real, fake, rng, weight=weight, precision=precision)

    monkeypatch.setattr(training, "gradient_penalty", recording)
    modules = training_modules(model, **options)
    data = model.transformer_.encode_rows(frame).dense
    rng = torch.Generator().manual_seed(0)
    for _ in range(steps):
        train_step(modules, data, model.condition_sampler_, 20, rng)
    return calls, modules


@pytest.mark.parametrize("interval", [1, 3, 4])
def test_the_penalty_comes_on_every_intervalth_critic_update_at_interval_times_the_weight(
    monkeypatch, fitted, interval
):
    model, frame = fitted
    calls, modules = _penalty_weights(monkeypatch, model, frame, 9, penalty_interval=interval)
    assert modules.critic_updates == 9
    assert calls == [(update, 10.0 * interval) for update in range(0, 9, interval)]


def test_critic_steps_count_as_updates(monkeypatch, fitted):
    model, frame = fitted
    calls, modules = _penalty_weights(monkeypatch, model, frame, 3, penalty_interval=2, discriminator_steps=3)
    assert modules.critic_updates == 9
    assert [update for update, _ in calls] == [0, 2, 4, 6, 8]


def test_a_zero_weight_skips_the_penalty_whatever_the_interval(monkeypatch, fitted):
    model, frame = fitted
    calls, _ = _penalty_weights(monkeypatch, model, frame, 4, penalty_interval=2, penalty_weight=0.0)
    assert calls == []


def test_the_interval_reaches_the_training_loop(fitted):
    _, frame = fitted
    weights = {
        k: TabularGAN(**{**TINY, "random_state": 0, "penalty_interval": k})
        .fit(frame)
        .discriminator_.state_dict()
        for k in (1, 2)
    }
    again = TabularGAN(**{**TINY, "random_state": 0, "penalty_interval": 1}).fit(frame).discriminator_
    assert all(torch.equal(a, b) for a, b in zip(weights[1].values(), again.state_dict().values()))
    assert not all(torch.equal(a, b) for a, b in zip(weights[1].values(), weights[2].values()))


def test_bad_intervals_are_refused_before_training():
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]})
    for bad in (0, -1, 1.5, "4"):
        with pytest.raises(InvalidParameterError, match="penalty_interval"):
            TabularGAN(**{**TINY, "penalty_interval": bad}).fit(frame)


def test_every_update_is_penalised_by_default():
    # The lazy penalty cost fidelity on tables that played no part in choosing it.
    assert TabularGAN().penalty_interval == 1
    assert default_generator().penalty_interval == 1
