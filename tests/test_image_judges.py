"""The image benchmark's CNN judge: seeded, class weights as scikit-learn's, mixup that changes training."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.utils.class_weight import compute_class_weight

from benchmarks.image_judges import balanced_class_weights, predict_cnn, train_cnn


@pytest.fixture(scope="module")
def stripes():
    """Two classes that a CNN separates at once: horizontal against vertical stripes, with noise."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 60, size=(80, 28, 28))
    images[:40, ::4, :] += 180
    images[40:, :, ::4] += 180
    return images.astype(np.uint8), np.repeat([0, 1], 40)


def test_balanced_weights_match_scikit_learn():
    labels = np.array([0, 0, 0, 0, 1, 2, 2])
    expected = compute_class_weight("balanced", classes=np.arange(3), y=labels)
    np.testing.assert_allclose(balanced_class_weights(labels, 3), expected)


@pytest.mark.parametrize("options", [{}, {"class_weight": "balanced"}, {"mixup_alpha": 0.2}])
def test_seeded_training_repeats_and_learns(stripes, options):
    images, labels = stripes
    before = torch.random.get_rng_state()
    first = train_cnn(images, labels, n_classes=2, updates=30, seed=1, batch_size=16, **options)
    second = train_cnn(images, labels, n_classes=2, updates=30, seed=1, batch_size=16, **options)
    assert torch.equal(before, torch.random.get_rng_state())  # torch's global generator untouched
    for a, b in zip(first.parameters(), second.parameters()):
        assert torch.equal(a, b)
    assert np.mean(predict_cnn(first, images) == labels) > 0.9


def test_mixup_and_class_weights_change_the_weights(stripes):
    images, labels = stripes
    images, labels = images[:50], labels[:50]  # 40 of class 0, 10 of class 1: the weights differ
    plain = train_cnn(images, labels, n_classes=2, updates=5, seed=1, batch_size=16)
    for options in ({"mixup_alpha": 0.2}, {"class_weight": "balanced"}):
        other = train_cnn(images, labels, n_classes=2, updates=5, seed=1, batch_size=16, **options)
        assert not torch.equal(plain.head.weight, other.head.weight)
