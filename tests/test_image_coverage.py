"""k-NN precision, recall, density and coverage with known answers; farthest-point selection; and
ImageGANOversampler(selection="diverse")."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.utils._param_validation import InvalidParameterError

from gansynth import ImageGAN, ImageGANOversampler
from gansynth._random import draw_seed
from gansynth.image.coverage import farthest_point_selection, knn_radii, nearest_distances
from gansynth.image.metrics import precision_recall_coverage

from .conftest import IMAGE_TINY


@pytest.fixture(scope="module")
def cloud():
    return np.random.default_rng(0).normal(size=(300, 8))


def test_knn_radii_match_a_brute_force_sort(cloud):
    distances = np.linalg.norm(cloud[:, None] - cloud[None], axis=2)
    expected = np.sort(distances, axis=1)[:, 5]  # column 0 is the point itself
    np.testing.assert_allclose(knn_radii(cloud, k=5, chunk_size=7), expected, rtol=1e-12)


@pytest.mark.parametrize("chunk_size", [1, 64, 1024])
def test_identical_sets_score_one(cloud, chunk_size):
    scores = precision_recall_coverage(cloud, cloud, k=5, chunk_size=chunk_size)
    assert scores["precision"] == scores["recall"] == scores["coverage"] == 1.0
    # Each point sits in its own ball and, on average, in about k others': density near 1.
    assert scores["density"] == pytest.approx(1.0, abs=0.25)


def test_a_repeated_point_has_low_recall_and_coverage(cloud):
    repeated = np.repeat(cloud[:1], 300, axis=0)
    scores = precision_recall_coverage(cloud, repeated, k=5)
    assert scores["precision"] == 1.0  # the point is real, so it lies in the real manifold
    assert scores["recall"] == pytest.approx(1 / 300)  # balls of radius 0 hold only the point itself
    assert 1 / 300 <= scores["coverage"] <= 20 / 300  # the real balls that contain that one point


def test_far_apart_sets_score_zero(cloud):
    scores = precision_recall_coverage(cloud, cloud + 100.0, k=5)
    assert scores == {"precision": 0.0, "recall": 0.0, "density": 0.0, "coverage": 0.0}


def test_half_the_support_halves_recall_and_coverage():
    rng = np.random.default_rng(1)
    real = rng.uniform(size=(2000, 2))
    generated = real[real[:, 0] < 0.5] + rng.normal(scale=1e-4, size=(1, 2))
    scores = precision_recall_coverage(real, generated, k=5)
    assert scores["precision"] > 0.95
    assert scores["recall"] == pytest.approx(0.5, abs=0.05)
    assert scores["coverage"] == pytest.approx(0.5, abs=0.05)


def test_metric_inputs_are_checked(cloud):
    with pytest.raises(ValueError, match="widths differ"):
        precision_recall_coverage(cloud, cloud[:, :3])
    with pytest.raises(ValueError, match="more than k=5 points"):
        precision_recall_coverage(cloud, cloud[:5])
    with pytest.raises(ValueError, match="k must be a positive integer"):
        precision_recall_coverage(cloud, cloud, k=0)
    with pytest.raises(ValueError, match="2-d"):
        knn_radii(cloud[0])


def test_nearest_distances_in_chunks(cloud):
    expected = np.linalg.norm(cloud[:50, None] - cloud[None, 100:], axis=2).min(axis=1)
    np.testing.assert_allclose(nearest_distances(cloud[:50], cloud[100:], chunk_size=3), expected)


def test_farthest_point_selection_covers_the_clusters():
    rng = np.random.default_rng(2)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]])
    # 97 points near the first centre and one near each of the others: a uniform draw of 4 would
    # almost always miss some, the greedy cover never does.
    points = np.vstack([centres[0] + rng.normal(scale=0.1, size=(97, 2)), centres[1:]])
    chosen = farthest_point_selection(points, 4)
    assert len(set(chosen.tolist())) == 4
    assert {97, 98, 99} <= set(chosen.tolist())
    # Points near what is already covered come last.
    first = farthest_point_selection(points, 1, covered=centres[1:])
    assert first[0] < 97
    np.testing.assert_array_equal(farthest_point_selection(points, 4, chunk_size=5), chosen)


def test_farthest_point_selection_takes_duplicates_once_each():
    points = np.zeros((5, 3))
    np.testing.assert_array_equal(farthest_point_selection(points, 5), np.arange(5))
    with pytest.raises(ValueError, match="n must be"):
        farthest_point_selection(points, 6)


@pytest.fixture(scope="module")
def imbalanced_digits():
    data = load_digits()
    images, labels = data.images / 16.0, data.target
    keep = np.concatenate([np.flatnonzero(labels == c)[: 15 if c == 2 else 90] for c in range(4)])
    return images[keep].reshape(len(keep), -1), labels[keep]


def _sampler(**params):
    generator = ImageGAN(**{**IMAGE_TINY, "epochs": 2, "class_balance": True})
    return ImageGANOversampler(image_shape=(8, 8), generator=generator, random_state=0, **params)


def test_diverse_selection_keeps_training_and_counts_but_changes_the_images(imbalanced_digits):
    X, y = imbalanced_digits
    plain_X, plain_y = _sampler().fit_resample(X, y)
    sampler = _sampler(selection="diverse", selection_factor=3)
    X_res, y_res = sampler.fit_resample(X, y)
    np.testing.assert_array_equal(y_res, plain_y)
    np.testing.assert_array_equal(X_res[: len(X)], X)
    assert not np.array_equal(X_res[len(X) :], plain_X[len(X) :])
    # The added images are among the candidates the GAN generated with the sampling seed (drawn
    # after the training seed, as without selection), none twice.
    rng = np.random.RandomState(draw_seed(0))
    draw_seed(rng)
    candidates = sampler.gan_.sample(3 * 75, labels=np.full(3 * 75, 2), random_state=draw_seed(rng))
    candidates = {row.tobytes() for row in candidates.reshape(3 * 75, -1).astype(X.dtype)}
    added = X_res[len(X) :]
    assert len(np.unique(added, axis=0)) == len(added) == 75
    assert all(row.tobytes() in candidates for row in added)
    assert set(sampler.selection_on_class_) == {2}
    assert 0.0 <= sampler.selection_on_class_[2] <= 1.0
    again = _sampler(selection="diverse", selection_factor=3).fit_resample(X, y)[0]
    np.testing.assert_array_equal(again, X_res)


def test_selection_factor_one_only_reorders(imbalanced_digits):
    X, y = imbalanced_digits
    plain = _sampler().fit_resample(X, y)[0][len(X) :]
    reordered = _sampler(selection="diverse", selection_factor=1).fit_resample(X, y)[0][len(X) :]
    np.testing.assert_array_equal(np.sort(reordered, axis=0), np.sort(plain, axis=0))


def test_diverse_selection_spreads_the_added_images(imbalanced_digits):
    X, y = imbalanced_digits
    plain = _sampler().fit_resample(X, y)[0][len(X) :]
    diverse = _sampler(selection="diverse", selection_factor=4).fit_resample(X, y)[0][len(X) :]

    def mean_nearest(points):
        distances = np.linalg.norm(points[:, None] - points[None], axis=2)
        np.fill_diagonal(distances, np.inf)
        return distances.min(axis=1).mean()

    # Pixels are not the features it spreads in, but a cover there spreads pixels too.
    assert mean_nearest(diverse) > mean_nearest(plain)


def test_selection_parameters_are_validated_and_cloned(imbalanced_digits):
    X, y = imbalanced_digits
    sampler = _sampler(selection="diverse", selection_factor=2)
    assert clone(sampler).get_params()["selection_factor"] == 2
    with pytest.raises(InvalidParameterError, match="'selection' parameter"):
        _sampler(selection="typical").fit_resample(X, y)
    with pytest.raises(InvalidParameterError, match="'selection_factor' parameter"):
        _sampler(selection="diverse", selection_factor=0).fit_resample(X, y)
    with pytest.raises(TypeError):
        ImageGANOversampler((8, 8), "auto")  # keyword-only after image_shape
