"""Tests for the image GAN, its oversampler, layouts, metrics and the Fashion-MNIST loader."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.utils._param_validation import InvalidParameterError

import gansynth
from gansynth.image.gan import ImageGAN
from gansynth.image.layout import ImageFormat, detect_layout
from gansynth.image.metrics import conditional_accuracy, frechet_distance
from gansynth.io.images import read_images
from gansynth.persistence import read_model, save_model
from gansynth.sampling.image import ImageGANOversampler

from .conftest import IMAGE_TINY

DATA_DIR = Path(
    os.environ.get("GANSYNTH_DATA_DIR", Path(__file__).resolve().parents[1].parent / "shared" / "datasets")
)
TINY = IMAGE_TINY


@pytest.fixture(scope="module")
def digits():
    data = load_digits()
    return data.images.astype(np.float32) / 16.0, data.target


def _images(layout, dtype, rng, n=24, h=12, w=10, c=3):
    shape = {"nhw": (n, h, w), "nhwc": (n, h, w, c), "nchw": (n, c, h, w)}[layout]
    if dtype == "uint8":
        return rng.integers(0, 256, size=shape).astype(np.uint8)
    if dtype == "float64_pm1":
        return rng.uniform(-1.0, 1.0, size=shape)
    return rng.uniform(0.0, 1.0, size=shape).astype(np.float32)


@pytest.mark.parametrize("layout,channels", [("nhw", 1), ("nhwc", 1), ("nhwc", 3), ("nchw", 1), ("nchw", 3)])
@pytest.mark.parametrize("dtype", ["uint8", "float32_01", "float64_pm1"])
def test_sample_keeps_layout_dtype_and_range(layout, channels, dtype):
    rng = np.random.default_rng(0)
    images = _images(layout, dtype, rng, c=channels)
    labels = np.repeat(["a", "b", "c"], 8)
    model = ImageGAN(random_state=0, **TINY).fit(images, labels)
    assert model.image_format_.layout == layout
    assert model.image_format_.size == 16  # 12x10 is padded to the next power of two
    out, out_labels = model.sample(7, random_state=1, return_labels=True)
    assert out.shape == (7,) + images.shape[1:]
    assert out.dtype == images.dtype
    assert out.min() >= images.min() and out.max() <= images.max()
    assert set(out_labels) <= {"a", "b", "c"}
    assert model.sample(5, labels="b").shape[0] == 5


@pytest.mark.parametrize(
    "layout,shape", [("nhw", (5, 12, 10)), ("nhwc", (5, 12, 10, 3)), ("nchw", (5, 3, 12, 10))]
)
def test_uint8_images_survive_the_tensor_round_trip_exactly(layout, shape):
    images = np.random.default_rng(1).integers(0, 256, size=shape).astype(np.uint8)
    fmt = ImageFormat.infer(images)
    tensor = fmt.to_tensor(images)
    assert tensor.shape == (5, fmt.channels, 16, 16)
    assert float(tensor.min()) >= -1.0 and float(tensor.max()) <= 1.0
    np.testing.assert_array_equal(fmt.from_tensor(tensor), images)


def test_layout_rule_and_override():
    assert detect_layout((4, 8, 8)) == "nhw"
    assert detect_layout((4, 3, 32, 32)) == "nchw"
    assert detect_layout((4, 32, 32, 3)) == "nhwc"
    assert detect_layout((4, 1, 8, 8)) == "nchw"
    with pytest.raises(ValueError, match="channel axis"):
        detect_layout((4, 16, 16, 16))
    assert detect_layout((4, 16, 16, 4), layout="nhwc") == "nhwc"


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_conditional_samples_follow_their_labels_on_digits(digits, seed):
    images, labels = digits
    judge = LogisticRegression(max_iter=2000).fit(images.reshape(len(images), -1), labels)
    # About 560 updates, the slowest test here; longer training reaches about 0.95 (image_loss_choice.md).
    model = ImageGAN(epochs=20, random_state=seed, verbose=False, device="cpu").fit(images, labels)
    wanted = np.repeat(np.arange(10), 30)
    generated = model.sample(len(wanted), labels=wanted, random_state=seed)
    accuracy = float(np.mean(judge.predict(generated.reshape(len(generated), -1)) == wanted))
    assert accuracy > 0.5, accuracy  # chance is 0.1
    assert list(model.loss_history_.columns) == ["generator_loss", "discriminator_loss"]
    assert model.loss_history_.index.name == "epoch"
    assert model.loss_history_.index.tolist() == list(range(20))
    assert len(model.loss_history_) == 20


@pytest.mark.parametrize("class_balance", [False, True])
def test_same_seed_same_model_and_samples(digits, class_balance):
    images, labels = digits
    first = ImageGAN(random_state=3, class_balance=class_balance, **TINY).fit(images[:200], labels[:200])
    second = ImageGAN(random_state=3, class_balance=class_balance, **TINY).fit(images[:200], labels[:200])
    np.testing.assert_array_equal(first.sample(20, random_state=5), second.sample(20, random_state=5))
    assert not np.array_equal(first.sample(20, random_state=5), first.sample(20, random_state=6))
    before = torch.random.get_rng_state()
    first.sample(3, random_state=0)
    assert torch.equal(before, torch.random.get_rng_state())  # the user's torch RNG is untouched


def test_save_load_and_pickle_give_identical_samples(digits, tmp_path):
    images, labels = digits
    model = ImageGAN(random_state=0, **TINY).fit((images[:200] * 255).astype(np.uint8), labels[:200])
    path = model.save(tmp_path / "digits.gsyn")
    loaded = gansynth.load(path)
    assert isinstance(loaded, ImageGAN)
    np.testing.assert_array_equal(loaded.classes_, model.classes_)
    expected = model.sample(30, labels=np.arange(30) % 10, random_state=7)
    np.testing.assert_array_equal(loaded.sample(30, labels=np.arange(30) % 10, random_state=7), expected)
    np.testing.assert_array_equal(
        pickle.loads(pickle.dumps(model)).sample(30, labels=np.arange(30) % 10, random_state=7), expected
    )
    assert loaded.get_params() == model.get_params()


def test_unconditional_fit_and_grid(digits, tmp_path):
    from matplotlib import image as mpimg

    images, labels = digits
    model = ImageGAN(random_state=0, **TINY).fit(images[:100])
    assert model.classes_.tolist() == [0]
    conditional = ImageGAN(random_state=0, **TINY).fit(images[:100], labels[:100])
    path = conditional.save_grid(tmp_path / "grid.png", n_per_class=6, random_state=0)
    grid = mpimg.imread(path)
    assert grid.shape[:2] == (10 * 9 - 1, 6 * 9 - 1)  # one row per class, 1-pixel gaps


def test_clear_errors(digits):
    images, labels = digits
    with pytest.raises(ValueError, match="3-d"):
        ImageGAN(**TINY).fit(images.reshape(len(images), -1), labels)
    with pytest.raises(ValueError, match="between 8 and 64"):
        ImageGAN(**TINY).fit(np.zeros((10, 4, 4), dtype=np.float32))
    with_nan = images[:50].copy()
    with_nan[3, 2, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        ImageGAN(**TINY).fit(with_nan, labels[:50])
    with pytest.raises(ValueError, match="one entry per image"):
        ImageGAN(**TINY).fit(images[:50], labels[:40])
    with pytest.raises(ValueError, match="loss"):
        ImageGAN(loss="wasserstein", **TINY).fit(images[:50])
    model = ImageGAN(random_state=0, **TINY).fit(images[:50], labels[:50])
    with pytest.raises(ValueError, match="unknown labels"):
        model.sample(3, labels=42)


@pytest.fixture(scope="module")
def imbalanced_digits(digits):
    images, labels = digits
    keep = (labels != 3) | (np.cumsum(labels == 3) <= 12)
    return images[keep].reshape(int(keep.sum()), -1), labels[keep]


def _oversampler_gan(epochs):
    """The oversampler's default GAN (class-balanced, quiet) with small networks on CPU."""
    return ImageGAN(
        epochs=epochs,
        generator_width=8,
        discriminator_width=8,
        class_balance=True,
        verbose=False,
        device="cpu",
    )


def test_oversampler_balances_and_keeps_real_rows(imbalanced_digits):
    X, y = imbalanced_digits
    sampler = ImageGANOversampler(image_shape=(8, 8), random_state=0, generator=_oversampler_gan(epochs=2))
    X_res, y_res = sampler.fit_resample(X, y)
    counts = Counter(y_res.tolist())
    assert len(set(counts.values())) == 1  # "auto" raises every class to the majority count
    assert sampler.sampling_strategy_[3] == max(counts.values()) - 12
    np.testing.assert_array_equal(X_res[: len(X)], X)
    assert X_res.shape[1] == 64 and X_res.dtype == X.dtype
    assert X_res[len(X) :].min() >= X.min() and X_res[len(X) :].max() <= X.max()
    again = clone(sampler).fit_resample(X, y)
    np.testing.assert_array_equal(again[0], X_res)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_oversampler_in_an_imblearn_pipeline(imbalanced_digits, seed):
    from imblearn.pipeline import Pipeline

    X, y = imbalanced_digits
    pipeline = Pipeline(
        [
            (
                "aug",
                ImageGANOversampler(
                    image_shape=(8, 8), random_state=seed, generator=_oversampler_gan(epochs=1)
                ),
            ),
            ("clf", LogisticRegression(max_iter=500)),
        ]
    )
    pipeline.fit(X, y)
    assert pipeline.score(X, y) > 0.8
    assert not hasattr(ImageGANOversampler(), "transform")


def test_oversampler_errors(imbalanced_digits):
    X, y = imbalanced_digits
    with pytest.raises(ValueError, match="image_shape"):
        ImageGANOversampler(image_shape=(28, 28), generator=_oversampler_gan(epochs=1)).fit_resample(X, y)
    with_nan = X.copy()
    with_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        ImageGANOversampler(image_shape=(8, 8), generator=_oversampler_gan(epochs=1)).fit_resample(
            with_nan, y
        )


def test_frechet_distance_of_known_gaussians():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4000, 3))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-8)
    # Same covariance, means 2 apart on one axis: the distance is the squared mean gap, 4.
    assert frechet_distance(a, a + np.array([2.0, 0.0, 0.0])) == pytest.approx(4.0, abs=1e-6)
    # N(0, I) vs N(0, 4I) in 3-d: 3 * (1 + 4 - 2 * 2) = 3.
    assert frechet_distance(a, rng.normal(scale=2.0, size=(4000, 3))) == pytest.approx(3.0, abs=0.3)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_feature_classifier_and_conditional_accuracy(digits, seed):
    from gansynth.image.metrics import FeatureClassifier

    images, labels = digits
    judge = FeatureClassifier(epochs=3, random_state=seed, device="cpu").fit(images[:1200], labels[:1200])
    assert judge.transform(images[:5]).shape == (5, 128)
    assert conditional_accuracy(judge, images[1200:], labels[1200:]) > 0.7


@pytest.mark.needs_data
def test_fashion_mnist_loader_reads_the_shared_files():
    from benchmarks.image_datasets import load_fashion_mnist

    folder = DATA_DIR / "fashion_mnist"
    if not (folder / "t10k-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"Fashion-MNIST not found in {folder}")
    images, labels = load_fashion_mnist("test", data_dir=folder, download=False)
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == [1000] * 10


def _run_image_command(argv):
    from gansynth.cli import main

    return main(argv)


def test_fit_images_and_sample_images_commands(digits, tmp_path):
    images, labels = digits
    data = tmp_path / "digits.npz"
    np.savez(data, images=(images[:120] * 255).astype(np.uint8), labels=labels[:120])
    model_path = tmp_path / "digits.gsyn"
    assert (
        _run_image_command(
            [
                "fit-images",
                str(data),
                "-o",
                str(model_path),
                "--epochs",
                "1",
                "--seed",
                "0",
                "-q",
                "--grid",
                str(tmp_path / "grid.png"),
            ]
        )
        == 0
    )
    assert model_path.is_file() and (tmp_path / "grid.png").is_file()

    out = tmp_path / "samples.npz"
    assert (
        _run_image_command(
            ["sample-images", "-m", str(model_path), "--rows", "25", "-o", str(out), "--seed", "1"]
        )
        == 0
    )
    with np.load(out) as archive:
        assert archive["images"].shape == (25, 8, 8) and archive["images"].dtype == np.uint8
        assert set(archive["labels"].tolist()) <= set(range(10))

    folder = tmp_path / "pngs"
    assert (
        _run_image_command(
            [
                "sample-images",
                "-m",
                str(model_path),
                "--rows",
                "6",
                "--label",
                "4",
                "-o",
                str(folder),
                "--seed",
                "1",
            ]
        )
        == 0
    )
    again, folder_labels = read_images(folder)
    assert again.shape == (6, 8, 8) and again.dtype == np.uint8
    assert folder_labels.tolist() == ["4"] * 6
    # The PNGs hold the same pixels as the .npz output for the same seed and labels.
    expected = gansynth.load(model_path).sample(6, labels=4, random_state=1)
    np.testing.assert_array_equal(again, expected)

    assert (
        _run_image_command(
            [
                "sample-images",
                "-m",
                str(model_path),
                "--rows",
                "2",
                "--label",
                "cat",
                "-o",
                str(tmp_path / "x.npz"),
            ]
        )
        == 2
    )  # unknown label: one-line error, status 2

    # A folder of class sub-folders trains a conditional model too.
    assert (
        _run_image_command(["fit-images", str(folder), "-o", str(tmp_path / "f.gsyn"), "--epochs", "1", "-q"])
        == 0
    )
    assert gansynth.load(tmp_path / "f.gsyn").classes_.tolist() == ["4"]


def test_oversampler_skips_training_when_nothing_is_needed(digits):
    images, labels = digits
    keep = np.concatenate([np.flatnonzero(labels == c)[:20] for c in range(10)])
    X, y = images[keep].reshape(len(keep), -1), labels[keep]
    sampler = ImageGANOversampler(image_shape=(8, 8), generator=_oversampler_gan(epochs=1))
    X_res, y_res = sampler.fit_resample(X, y)
    assert sampler.gan_ is None
    np.testing.assert_array_equal(X_res, X)
    np.testing.assert_array_equal(y_res, y)


def test_constructor_takes_at_most_epochs_and_batch_size_positionally():
    model = ImageGAN(3, 16)
    assert (model.epochs, model.batch_size) == (3, 16)
    with pytest.raises(TypeError):
        ImageGAN(3, 16, 8)


@pytest.mark.parametrize(
    "param,value",
    [
        ("epochs", 0),
        ("batch_size", 1),
        ("latent_dim", 0),
        ("generator_width", "wide"),
        ("discriminator_width", 0),
        ("loss", "wasserstein"),
        ("r1_gamma", -1.0),
        ("layout", "hwn"),
    ],
)
def test_parameter_constraints_name_the_parameter(digits, param, value):
    images, labels = digits
    with pytest.raises(InvalidParameterError, match=f"'{param}' parameter of ImageGAN"):
        ImageGAN(**{**TINY, param: value}).fit(images[:20], labels[:20])


def test_loss_history_is_indexed_by_epoch_and_survives_save_and_load(digits, tmp_path):
    images, labels = digits
    model = ImageGAN(random_state=0, **{**TINY, "epochs": 2}).fit(images[:64], labels[:64])
    history = model.loss_history_
    assert list(history.columns) == ["generator_loss", "discriminator_loss"]
    assert history.index.name == "epoch" and history.index.tolist() == [0, 1]
    assert np.isfinite(history.to_numpy()).all()
    path = model.save(tmp_path / "model.gsyn")
    pd.testing.assert_frame_equal(gansynth.load(path).loss_history_, history)

    # Files written before: a RangeIndex and an epoch column, discriminator loss first.
    kind, metadata, tensors = read_model(path)
    metadata["loss_history"] = {
        "epoch": [0, 1],
        "discriminator_loss": history["discriminator_loss"].tolist(),
        "generator_loss": history["generator_loss"].tolist(),
    }
    old = save_model(tmp_path / "old.gsyn", kind, metadata, tensors)
    pd.testing.assert_frame_equal(gansynth.load(old).loss_history_, history)


def test_image_files_leave_the_matplotlib_backend_alone(tmp_path):
    # A fresh interpreter, so that the backend chosen is the one the user set, not one another
    # test (or pyplot) already resolved.
    script = f"""
import matplotlib
import numpy as np
from types import SimpleNamespace
matplotlib.use("pdf")
from gansynth.io.images import read_images, write_grid, write_images
images = np.random.default_rng(0).integers(0, 256, size=(4, 8, 8)).astype(np.uint8)
fmt = SimpleNamespace(layout="nhw", low=0.0, high=255.0)  # an ImageFormat without importing torch
write_grid({str(tmp_path / "grid.png")!r}, images, fmt, n_rows=2)
write_images({str(tmp_path / "pngs")!r}, images, np.array([0, 0, 1, 1]), fmt)
read_images({str(tmp_path / "pngs")!r})
print(matplotlib.get_backend())
"""
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "pdf"
    assert (tmp_path / "grid.png").is_file()


def test_png_folder_and_grid_share_one_scaling(tmp_path):
    from matplotlib import image as mpimg

    from gansynth.io.images import unit_range, write_grid, write_images

    rng = np.random.default_rng(0)
    images = rng.uniform(-1.0, 1.0, size=(2, 3, 8, 8))  # float, channels-first
    fmt = ImageFormat.infer(images)
    unit = unit_range(images, fmt)
    assert unit.shape == (2, 8, 8, 3) and unit.min() == 0.0 and unit.max() == 1.0
    write_images(tmp_path / "pngs", images, np.array(["a", "b"]), fmt)
    again, labels = read_images(tmp_path / "pngs")
    np.testing.assert_array_equal(again, np.rint(unit * 255).astype(np.uint8))
    assert labels.tolist() == ["a", "b"]
    grid = mpimg.imread(write_grid(tmp_path / "grid.png", images, fmt, n_rows=1))
    assert grid.shape[:2] == (8, 2 * 8 + 1)
    # The grid leaves quantisation to matplotlib (truncation, not rounding): within one level.
    np.testing.assert_allclose(grid[:, :8, :3], again[0] / 255.0, atol=1.001 / 255)
    np.testing.assert_allclose(grid[:, 9:, :3], again[1] / 255.0, atol=1.001 / 255)
