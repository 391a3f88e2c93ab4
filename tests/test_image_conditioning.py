"""ImageGAN's conditioning="batchnorm": class-conditional batch norm in the generator, seeded, saved."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.utils._param_validation import InvalidParameterError

import gansynth
from gansynth import ModelFileError
from gansynth.image.gan import ImageGAN
from gansynth.image.networks import ConditionalBatchNorm, Generator

from .conftest import IMAGE_TINY, forged_copy

TINY = IMAGE_TINY


@pytest.fixture(scope="module")
def digits():
    data = load_digits()
    return data.images[:160].astype(np.float32) / 16.0, data.target[:160]


def test_the_label_changes_the_gain_and_bias_of_every_batch_norm():
    generator = Generator(8, 3, 1, 8, width=4, embedding_dim=4, conditioning="batchnorm")
    norms = [m for m in generator.modules() if isinstance(m, ConditionalBatchNorm)]
    assert len(norms) == 2  # the projection's and the one upsampling block's
    with torch.no_grad():
        for module in generator.modules():
            if isinstance(module, torch.nn.Linear):
                module.weight.normal_(generator=torch.Generator().manual_seed(0))
    generator.eval()
    noise = torch.zeros(2, 8)
    plain = Generator(8, 3, 1, 8, width=4, embedding_dim=4)
    assert not any(isinstance(m, ConditionalBatchNorm) for m in plain.modules())
    block = norms[1]
    hidden = torch.ones(2, 4, 8, 8)
    embedded = generator.embedding(torch.tensor([0, 1]))
    out = block(hidden, embedded)
    assert not torch.equal(out[0], out[1])  # same input, different classes: different outputs
    assert generator(noise, torch.tensor([0, 1])).shape == (2, 1, 8, 8)


def test_same_seed_same_model_and_samples(digits):
    images, labels = digits
    first = ImageGAN(conditioning="batchnorm", random_state=3, **TINY).fit(images, labels)
    second = ImageGAN(conditioning="batchnorm", random_state=3, **TINY).fit(images, labels)
    np.testing.assert_array_equal(first.sample(20, random_state=5), second.sample(20, random_state=5))
    concat = ImageGAN(random_state=3, **TINY).fit(images, labels)
    assert not np.array_equal(first.sample(20, random_state=5), concat.sample(20, random_state=5))


def test_save_load_round_trip(digits, tmp_path):
    images, labels = digits
    model = ImageGAN(conditioning="batchnorm", class_balance=True, random_state=0, **TINY).fit(images, labels)
    loaded = gansynth.load(model.save(tmp_path / "cbn.gsyn"))
    assert loaded.get_params() == model.get_params() and loaded.conditioning == "batchnorm"
    codes = np.arange(30) % 10
    np.testing.assert_array_equal(
        loaded.sample(30, labels=codes, random_state=7), model.sample(30, labels=codes, random_state=7)
    )


def test_a_file_written_before_conditioning_loads_as_concat(digits, tmp_path):
    images, labels = digits
    model = ImageGAN(random_state=0, **TINY).fit(images, labels)
    path = forged_copy(
        model.save(tmp_path / "new.gsyn"), tmp_path / "old.gsyn", lambda m: m["params"].pop("conditioning")
    )
    loaded = gansynth.load(path)
    assert loaded.conditioning == "concat"
    np.testing.assert_array_equal(loaded.sample(10, random_state=1), model.sample(10, random_state=1))


@pytest.mark.parametrize(
    "value, match",
    [
        ("film", "'conditioning' parameter of ImageGAN"),
        (["batchnorm"], "'conditioning' parameter of ImageGAN"),
        # A concat model's tensors under a batchnorm description: refused before any network is built.
        ("batchnorm", "tensor"),
    ],
)
def test_hostile_conditioning_in_a_file_is_refused(digits, tmp_path, value, match):
    images, labels = digits
    path = ImageGAN(random_state=0, **TINY).fit(images, labels).save(tmp_path / "m.gsyn")

    def edit(model):
        model["params"]["conditioning"] = value

    with pytest.raises(ModelFileError, match=match):
        gansynth.load(forged_copy(path, tmp_path / "forged.gsyn", edit))


def test_unknown_conditioning_is_refused_at_fit(digits):
    with pytest.raises(InvalidParameterError, match="'conditioning' parameter of ImageGAN"):
        ImageGAN(conditioning="film", **TINY).fit(*digits)
