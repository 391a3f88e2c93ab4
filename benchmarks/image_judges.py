"""Downstream judges of the image benchmark: a small CNN trained in torch, with class weights or mixup.

:func:`train_cnn` trains :class:`SmallCNN` (two convolutions, CPU-friendly) for a fixed number of
updates, whatever the size of the training set, so that a method that adds images gets no more
training than one that does not. Every draw (initial weights, batches, mixup's partners and
weights) comes from generators seeded by the call's ``seed``; torch's and numpy's global
generators are never used.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from gansynth._initialisation import build_network


class SmallCNN(nn.Module):
    """Two 3x3 convolutions (16 and 32 channels), each with ReLU and 2x2 max-pooling, then a linear head."""

    def __init__(self, n_classes, side=28):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
        )
        self.head = nn.Linear(32 * (side // 4) ** 2, n_classes)

    def forward(self, images):
        return self.head(self.body(images))


def balanced_class_weights(labels, n_classes):
    """``n / (k * count)`` per class, scikit-learn's ``class_weight="balanced"``."""
    counts = np.bincount(labels, minlength=n_classes).astype(np.float64)
    return len(labels) / (n_classes * np.maximum(counts, 1.0))


def train_cnn(
    images, labels, *, n_classes, updates, seed, class_weight=None, mixup_alpha=0.0, batch_size=64, lr=1e-3
):
    """Train a :class:`SmallCNN` on uint8 images (n, h, w) with integer labels.

    Parameters
    ----------
    images : ndarray of shape (n, h, w), uint8
    labels : ndarray of shape (n,), int
    n_classes : int
    updates : int
        Adam updates of ``batch_size`` images, drawn as reshuffled passes over the set.
    seed : int
        Seeds the weights, the batches and mixup.
    class_weight : None or "balanced"
        Weights of the cross-entropy per class.
    mixup_alpha : float
        Mixup (Zhang et al., 2018): each batch is mixed with a shuffled copy of itself, images and
        one-hot labels alike, by a weight drawn from Beta(alpha, alpha); 0 turns it off.

    Returns
    -------
    SmallCNN
        In eval mode.
    """
    rng = torch.Generator().manual_seed(seed)
    beta_draws = np.random.default_rng(seed)
    data = _as_tensor(images)
    targets = torch.as_tensor(labels, dtype=torch.int64)
    weight = None
    if class_weight == "balanced":
        weight = torch.as_tensor(balanced_class_weights(labels, n_classes), dtype=torch.float32)
    network = build_network(lambda: SmallCNN(n_classes, images.shape[1]), torch.device("cpu"), rng)
    optimiser = torch.optim.Adam(network.parameters(), lr=lr)
    network.train()
    order = torch.empty(0, dtype=torch.int64)
    for _ in range(updates):
        if len(order) < batch_size:
            order = torch.cat([order, torch.randperm(len(data), generator=rng)])
        index, order = order[:batch_size], order[batch_size:]
        batch, target = data[index], F.one_hot(targets[index], n_classes).float()
        if mixup_alpha > 0:
            mix = float(beta_draws.beta(mixup_alpha, mixup_alpha))
            partner = torch.randperm(len(index), generator=rng)
            batch = mix * batch + (1 - mix) * batch[partner]
            target = mix * target + (1 - mix) * target[partner]
        loss = _soft_cross_entropy(network(batch), target, weight)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
    return network.eval()


def _soft_cross_entropy(logits, target, weight):
    """Cross-entropy against (possibly mixed) one-hot targets, each class's term weighted."""
    per_class = -target * F.log_softmax(logits, dim=1)
    if weight is not None:
        per_class = per_class * weight
    return per_class.sum(dim=1).mean()


def _as_tensor(images):
    """uint8 images (n, h, w) as float (n, 1, h, w) in [-1, 1] (a copy: test arrays may be read-only)."""
    return torch.from_numpy(np.array(images, dtype=np.float32)).unsqueeze(1) / 127.5 - 1.0


def predict_cnn(network, images):
    """Predicted label codes of uint8 images (n, h, w)."""
    data = _as_tensor(images)
    with torch.no_grad():
        return torch.cat(
            [network(data[i : i + 2048]).argmax(dim=1) for i in range(0, len(data), 2048)]
        ).numpy()
