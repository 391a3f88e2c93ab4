"""Mixed-precision training: where autocast applies, what stays float32, and the parameter."""

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.utils._param_validation import InvalidParameterError

from gansynth import TabularGAN
from gansynth._torch_utils import autocast_dtype, native_cpu_bfloat16
from gansynth.models import load
from gansynth.tabular import networks
from gansynth.tabular.training import train_step
from tests.conftest import TINY, training_modules


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "x": rng.normal(size=120),
            "n": rng.integers(0, 50, size=120),
            "c": rng.choice(["a", "b", "c"], size=120),
        }
    )


@pytest.fixture(scope="module")
def fitted(frame):
    return TabularGAN(**{**TINY, "random_state": 0}).fit(frame)


def _forward_dtypes(monkeypatch, model, frame, **options):
    """The autocast dtype (None when off) seen by every network forward of one training step,
    and the step's losses."""
    seen = []
    for cls in (networks.Generator, networks.Discriminator):
        original = cls.forward

        def recording(self, *args, _original=original, _name=cls.__name__):
            enabled = torch.is_autocast_enabled("cpu")
            seen.append((_name, torch.get_autocast_dtype("cpu") if enabled else None))
            return _original(self, *args)

        monkeypatch.setattr(cls, "forward", recording)
    modules = training_modules(model, **options)
    data = model.transformer_.encode_rows(frame).dense
    losses = train_step(modules, data, model.condition_sampler_, 20, torch.Generator().manual_seed(0))
    return seen, losses


def test_bfloat16_runs_every_forward_of_a_step_under_autocast(monkeypatch, fitted, frame):
    seen, losses = _forward_dtypes(monkeypatch, fitted, frame, autocast_dtype=torch.bfloat16)
    # Generator, critic on real and fake, the penalty's critic, the generator step's critic.
    assert [name for name, _ in seen] == ["Generator"] + ["Discriminator"] * 3
    assert {dtype for _, dtype in seen} == {torch.bfloat16}
    assert all(loss.dtype == torch.float32 and torch.isfinite(loss) for loss in losses)


def test_float32_runs_no_forward_under_autocast(monkeypatch, fitted, frame):
    seen, _ = _forward_dtypes(monkeypatch, fitted, frame)
    assert len(seen) == 4
    assert {dtype for _, dtype in seen} == {None}


def test_weights_and_gradients_stay_float32(fitted, frame):
    model = TabularGAN(**{**TINY, "random_state": 0, "training_precision": "bfloat16"}).fit(frame)
    for network in (model.generator_, model.discriminator_):
        assert {p.dtype for p in network.parameters()} == {torch.float32}
    sample = model.sample(200, random_state=0)
    assert list(sample.dtypes) == list(frame.dtypes)
    assert sample["c"].isin(["a", "b", "c"]).all()


def test_bfloat16_training_is_deterministic_and_differs_from_float32(frame):
    def weights(precision):
        model = TabularGAN(**{**TINY, "random_state": 3, "training_precision": precision}).fit(frame)
        return [p.detach().clone() for p in model.generator_.parameters()]

    first, again, single = weights("bfloat16"), weights("bfloat16"), weights("float32")
    assert all(torch.equal(a, b) for a, b in zip(first, again))
    assert not all(torch.equal(a, b) for a, b in zip(first, single))


def test_auto_is_bfloat16_only_where_the_cpu_computes_it_natively():
    expected = torch.bfloat16 if native_cpu_bfloat16() else None
    assert autocast_dtype("auto", torch.device("cpu")) is expected
    assert autocast_dtype("auto", torch.device("cuda")) is None
    assert autocast_dtype("float32", torch.device("cpu")) is None
    assert autocast_dtype("bfloat16", torch.device("cpu")) is torch.bfloat16


def test_the_precision_survives_save_and_load(tmp_path, frame):
    model = TabularGAN(**{**TINY, "random_state": 0, "training_precision": "bfloat16"}).fit(frame)
    path = tmp_path / "model.safetensors"
    model.save(path)
    loaded = load(path)
    assert loaded.training_precision == "bfloat16"
    pd.testing.assert_frame_equal(loaded.sample(50, random_state=1), model.sample(50, random_state=1))


@pytest.mark.parametrize("bad", ["float16", "bf16", 16, None])
def test_bad_precisions_are_refused_before_training(bad):
    with pytest.raises(InvalidParameterError, match="training_precision"):
        TabularGAN(**{**TINY, "training_precision": bad}).fit(pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]}))
