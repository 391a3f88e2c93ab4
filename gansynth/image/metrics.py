"""Image quality without downloaded weights: a small CNN trained on the real images as the judge.

The usual FID embeds images with an Inception network trained on ImageNet; those weights cannot be
downloaded here, and they fit 8x8 or 28x28 grey images poorly anyway. Instead,
``FeatureClassifier`` trains a two-convolution CNN on the *real* training images and their labels.
Its 128-d penultimate layer is the feature space for the Fréchet distance
(:func:`frechet_distance`), and its predictions give the conditional accuracy
(:func:`conditional_accuracy`): how often generated images are recognised as the class they were
generated for. Numbers are comparable only between runs that use the same fitted classifier.
The k-NN precision, recall, density and coverage of :mod:`gansynth.image.coverage`
(:func:`precision_recall_coverage`) separate fidelity from diversity in the same feature space.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from scipy import linalg
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted
from torch import nn

from gansynth._initialisation import build_network
from gansynth._random import draw_seed, torch_generator
from gansynth._torch_utils import resolve_device
from gansynth.image.coverage import knn_radii, precision_recall_coverage
from gansynth.image.layout import ImageFormat

__all__ = [
    "FeatureClassifier",
    "conditional_accuracy",
    "frechet_distance",
    "knn_radii",
    "precision_recall_coverage",
]


class _SmallCNN(nn.Module):
    def __init__(self, channels, n_classes, feature_dim=128):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, 32, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.AdaptiveAvgPool2d(2),
            nn.Flatten(),
            nn.Linear(64 * 4, feature_dim),
            nn.ReLU(inplace=True),
        )
        self.head = nn.Linear(feature_dim, n_classes)

    def forward(self, images):
        return self.head(self.body(images))


class FeatureClassifier(ClassifierMixin, BaseEstimator):
    """Small CNN classifier whose penultimate layer embeds images for the Fréchet distance.

    Parameters
    ----------
    epochs : int, default=5
        Training passes over the real images.
    batch_size : int, default=128
        Images per update.
    layout : {"auto", "nhw", "nhwc", "nchw"}, default="auto"
        Layout of the images, read as in ``ImageGAN``.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation and shuffling, through a torch generator of its own (torch's and
        numpy's global random state is never used).
    device : str, default="auto"
        ``"auto"`` uses CUDA when available.

    Attributes
    ----------
    classes_ : ndarray
        The labels seen in ``fit``.
    image_format_ : ImageFormat
        How input images are scaled; images given later are read with this format.
    """

    def __init__(self, epochs=5, batch_size=128, layout="auto", random_state=None, device="auto"):
        self.epochs = epochs
        self.batch_size = batch_size
        self.layout = layout
        self.random_state = random_state
        self.device = device

    def fit(self, images, labels):
        """Train on real images and their labels."""
        images = np.asarray(images)
        self.image_format_ = ImageFormat.infer(images, self.layout)
        self.classes_, codes = np.unique(np.asarray(labels), return_inverse=True)
        self.device_ = resolve_device(self.device)
        data = self.image_format_.to_tensor(images).to(self.device_)
        targets = torch.as_tensor(codes, device=self.device_)
        rng = torch_generator(draw_seed(self.random_state), self.device_)
        channels, n_classes = self.image_format_.channels, len(self.classes_)
        self.network_ = build_network(lambda: _SmallCNN(channels, n_classes), self.device_, rng)
        optimiser = torch.optim.Adam(self.network_.parameters(), lr=1e-3)
        self.network_.train()
        for _ in range(self.epochs):
            order = torch.randperm(len(data), device=self.device_, generator=rng)
            for start in range(0, len(data), self.batch_size):
                index = order[start : start + self.batch_size]
                loss = F.cross_entropy(self.network_(data[index]), targets[index])
                optimiser.zero_grad(set_to_none=True)
                loss.backward()
                optimiser.step()
        self.network_.eval()
        return self

    def _run(self, images, head):
        check_is_fitted(self, "network_")
        images = np.asarray(images)
        self.image_format_.check(images)
        data = self.image_format_.to_tensor(images)
        outputs = []
        with torch.no_grad():
            for start in range(0, len(data), 1024):
                chunk = data[start : start + 1024].to(self.device_)
                features = self.network_.body(chunk)
                outputs.append((self.network_.head(features) if head else features).cpu())
        return torch.cat(outputs).numpy().astype(np.float64)

    def transform(self, images):
        """Penultimate-layer features, shape (n, 128)."""
        return self._run(images, head=False)

    def predict(self, images):
        """Predicted class of each image."""
        return self.classes_[self._run(images, head=True).argmax(axis=1)]


def frechet_distance(features_a, features_b):
    """Fréchet distance between Gaussians fitted to two feature sets.

    ``|mu_a - mu_b|^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2))``, the formula of FID, computed on
    whatever features are given (here, :class:`FeatureClassifier` features).

    Parameters
    ----------
    features_a, features_b : ndarray of shape (n_a, d) and (n_b, d)
        Each set needs at least 2 rows.

    Returns
    -------
    float
    """
    a, b = np.asarray(features_a, dtype=np.float64), np.asarray(features_b, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1] or len(a) < 2 or len(b) < 2:
        raise ValueError(
            f"need two 2-d feature arrays with the same width and >= 2 rows, got {a.shape} and {b.shape}"
        )
    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    # Tr((S_a S_b)^(1/2)) equals the sum of square roots of the eigenvalues of the symmetric
    # S_a^(1/2) S_b S_a^(1/2); going through eigh stays stable when ReLU features leave the
    # covariances singular, where a general matrix square root warns and loses accuracy.
    values, vectors = linalg.eigh(cov_a)
    root_a = (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T
    cross = linalg.eigvalsh(root_a @ cov_b @ root_a)
    trace_root = np.sqrt(np.clip(cross, 0.0, None)).sum()
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2.0 * trace_root)


def conditional_accuracy(classifier, images, labels):
    """Fraction of generated images that ``classifier`` assigns to the class they were asked for."""
    labels = np.asarray(labels)
    return float(np.mean(classifier.predict(images) == labels))
