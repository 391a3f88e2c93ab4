"""DiffAugment in ImageGAN's discriminator: differentiable, seeded by the fit's generator, saved."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.utils._param_validation import InvalidParameterError

import gansynth
from gansynth.image.augment import (
    FULL_POLICY,
    POLICIES,
    TRANSFORMS,
    AdaptiveProbability,
    color,
    cutout,
    diff_augment,
    translation,
)
from gansynth.image.gan import ImageGAN
from gansynth.image.networks import Discriminator, Generator

from .conftest import IMAGE_TINY

TINY = IMAGE_TINY


def _rng(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.fixture(scope="module")
def digits():
    data = load_digits()
    return data.images[:160].astype(np.float32) / 16.0, data.target[:160]


def test_policies_are_the_ordered_subsets_of_the_transforms():
    assert len(POLICIES) == 2 ** len(TRANSFORMS) - 1
    assert FULL_POLICY == "color,translation,cutout" and FULL_POLICY in POLICIES
    assert "cutout,color" not in POLICIES
    with pytest.raises(ValueError, match="unknown augmentation policy"):
        diff_augment(torch.zeros(2, 1, 8, 8), "rotate", _rng())


@pytest.mark.parametrize("policy", sorted(POLICIES))
def test_every_policy_is_differentiable_and_seeded(policy):
    images = torch.rand(6, 3, 16, 16, generator=_rng(1)) * 2 - 1
    images.requires_grad_(True)
    out = diff_augment(images, policy, _rng(2))
    assert out.shape == images.shape
    (grad,) = torch.autograd.grad((out * torch.arange(out.numel()).view_as(out)).sum(), images)
    assert grad.abs().sum() > 0
    torch.testing.assert_close(diff_augment(images, policy, _rng(2)), out, rtol=0, atol=0)
    assert not torch.equal(diff_augment(images, policy, _rng(3)), out)


def test_translation_shifts_whole_images_within_an_eighth_of_the_side():
    rows, cols = torch.meshgrid(torch.arange(16), torch.arange(16), indexing="ij")
    images = (100 * (rows + 1) + cols + 1).float().expand(40, 1, 16, 16).clone()  # a pixel names its place
    shifts = set()
    for image in translation(images, _rng(0))[:, 0]:
        kept = image != 0  # the zero padding enters from the border
        shift_rows = torch.unique(image[kept].long() // 100 - 1 - rows[kept])
        shift_cols = torch.unique(image[kept].long() % 100 - 1 - cols[kept])
        assert len(shift_rows) == len(shift_cols) == 1  # one shift for the whole image
        dy, dx = int(shift_rows), int(shift_cols)
        assert abs(dy) <= 2 and abs(dx) <= 2
        assert int(kept.sum()) == (16 - abs(dy)) * (16 - abs(dx))
        shifts.add((dy, dx))
    assert len(shifts) > 5  # each image draws its own shift


def test_cutout_zeroes_at_most_a_quarter_of_each_image():
    out = cutout(torch.ones(50, 1, 16, 16), _rng(0))
    zero_share = (out == 0).float().mean(dim=(1, 2, 3))
    assert torch.all(zero_share > 0) and torch.all(zero_share <= 0.25)
    assert (zero_share == 0.25).any()  # holes well inside the image are a full 8x8 square


def test_color_leaves_grey_images_grey_and_draws_per_image():
    images = torch.rand(8, 1, 8, 8, generator=_rng(4))
    out = color(images, _rng(5))
    assert out.shape == images.shape
    # one affine map per image: out = a * images + b, with a and b varying between images
    slopes = [
        torch.linalg.lstsq(torch.stack([x.flatten(), torch.ones(64)], 1), y.flatten()).solution[0]
        for x, y in zip(images, out)
    ]
    assert len({round(float(s), 4) for s in slopes}) == len(slopes)


def test_the_generator_learns_through_the_augmentation():
    generator, discriminator = Generator(8, 3, 1, 8, 4, 4), Discriminator(3, 1, 8, 4, False)
    labels = torch.tensor([0, 1, 2, 0])
    fake = generator(torch.randn(4, 8, generator=_rng(0)), labels)
    score = discriminator(diff_augment(fake, FULL_POLICY, _rng(1)), labels)
    score.mean().backward()
    grads = [p.grad for p in generator.parameters()]
    assert all(g is not None for g in grads) and all(g.abs().sum() > 0 for g in grads[1:])


def test_auto_turns_it_on_for_small_data_and_the_policy_is_kept(digits, tmp_path):
    images, labels = digits
    model = ImageGAN(augment="auto", random_state=0, **TINY).fit(images, labels)
    assert model.augment_ == FULL_POLICY
    off = ImageGAN(random_state=0, **TINY).fit(images, labels)  # off by default
    assert off.augment_ is None
    loaded = gansynth.load(model.save(tmp_path / "m.gsyn"))
    assert loaded.augment_ == FULL_POLICY and loaded.get_params() == model.get_params()
    np.testing.assert_array_equal(loaded.sample(20, random_state=1), model.sample(20, random_state=1))
    assert not np.array_equal(off.sample(20, random_state=1), model.sample(20, random_state=1))


@pytest.mark.parametrize("policy", ["translation", FULL_POLICY])
def test_same_seed_same_model_with_augmentation(digits, policy):
    images, labels = digits
    first = ImageGAN(augment=policy, random_state=3, **TINY).fit(images, labels)
    second = ImageGAN(augment=policy, random_state=3, **TINY).fit(images, labels)
    for a, b in zip(first.generator_.state_dict().values(), second.generator_.state_dict().values()):
        assert torch.equal(a, b)
    before = torch.random.get_rng_state()
    ImageGAN(augment=policy, random_state=4, **TINY).fit(images, labels)
    assert torch.equal(before, torch.random.get_rng_state())  # torch's global generator is untouched


@pytest.mark.parametrize("policy", ["cutout,color", "rotate", "", 1])
def test_a_bad_policy_names_the_parameter(digits, policy):
    with pytest.raises(InvalidParameterError, match="'augment' parameter of ImageGAN"):
        ImageGAN(augment=policy, **TINY).fit(*digits)


def test_torch_threads_is_validated_and_restored(digits):
    with pytest.raises(InvalidParameterError, match="'torch_threads' parameter"):
        ImageGAN(torch_threads=0, **TINY).fit(*digits)
    threads = torch.get_num_threads()
    ImageGAN(random_state=0, **TINY).fit(*digits)
    assert torch.get_num_threads() == threads


# ---------------------------------------------------------------- ADA: the augmentation probability


def test_a_probability_augments_that_share_of_images_each_chosen_apart():
    images = torch.rand(4000, 1, 8, 8, generator=_rng(1)) * 2 - 1
    images.requires_grad_(True)
    rng = _rng(2)
    out = diff_augment(images, "translation,cutout", rng, probability=0.3)
    changed = (out != images).flatten(1).any(dim=1).float().mean()
    assert 0.27 < changed < 0.33  # 0.3 * (share a draw changes at all, nearly 1); 4000 draws
    (grad,) = torch.autograd.grad(out.sum(), images)
    assert grad.abs().sum() > 0
    state = rng.get_state()
    assert diff_augment(images, FULL_POLICY, rng, probability=0.0) is images
    assert torch.equal(rng.get_state(), state)  # no draw at all when nothing is augmented
    everything = diff_augment(images, FULL_POLICY, _rng(5), probability=1.0)
    assert torch.equal(everything, diff_augment(images, FULL_POLICY, _rng(5)))  # 1: DiffAugment as before


def test_the_adaptive_probability_follows_overfitting_in_known_steps():
    ada = AdaptiveProbability(interval=4, updates_to_full=100)
    for _ in range(8):  # every real image scored real: overfitting, up by 4/100 per 4 updates
        ada.observe(torch.ones(16))
    assert ada.probability == pytest.approx(0.08)
    for _ in range(4):  # r = 0 (as many scored real as fake), under the target 0.6: down
        ada.observe(torch.tensor([1.0, -1.0]))
    assert ada.probability == pytest.approx(0.04)
    for _ in range(40):
        ada.observe(-torch.ones(3))
    assert ada.probability == 0.0  # never below 0
    for _ in range(500):
        ada.observe(torch.ones(3))
    assert ada.probability == 1.0  # nor above 1
    for _ in range(3):  # an unfinished interval changes nothing yet
        ada.observe(-torch.ones(3))
    assert ada.probability == 1.0


def test_adaptive_fits_are_seeded_and_report_their_last_probability(digits, tmp_path):
    images, labels = digits
    params = dict(TINY, epochs=4, augment=FULL_POLICY, augment_probability="adaptive", random_state=3)
    first = ImageGAN(**params).fit(images, labels)
    second = ImageGAN(**params).fit(images, labels)
    for a, b in zip(first.generator_.state_dict().values(), second.generator_.state_dict().values()):
        assert torch.equal(a, b)
    assert 0.0 <= first.augment_probability_ <= 1.0
    assert first.augment_probability_ == second.augment_probability_
    assert ImageGAN(**dict(params, augment_probability=0.5)).fit(images, labels).augment_probability_ == 0.5
    loaded = gansynth.load(first.save(tmp_path / "ada.gsyn"))
    assert loaded.get_params() == first.get_params()
    np.testing.assert_array_equal(loaded.sample(10, random_state=1), first.sample(10, random_state=1))


@pytest.mark.parametrize("probability", [1.5, -0.1, "ada", None])
def test_a_bad_probability_names_the_parameter(digits, probability):
    with pytest.raises(InvalidParameterError, match="'augment_probability' parameter of ImageGAN"):
        ImageGAN(augment_probability=probability, **TINY).fit(*digits)
