"""k-nearest-neighbour geometry of feature sets: fidelity and diversity metrics, diverse selection.

The Fréchet distance (:func:`gansynth.image.metrics.frechet_distance`) mixes two failures into one
number: generated images that look unlike the real ones, and generated images that are all alike.
The k-NN estimates here keep them apart. Each set's *manifold* is the union of balls around its
points, each ball's radius the distance to the point's ``k``-th nearest neighbour in its own set.

* precision (Kynkäänniemi et al., 2019): the fraction of generated points inside the real manifold
  (fidelity);
* recall (same paper): the fraction of real points inside the generated manifold (diversity);
* density (Naeem et al., 2020): the number of real balls each generated point falls in, divided by
  ``k`` and averaged; about 1 when both sets come from one distribution, above 1 when generated
  points crowd the dense regions;
* coverage (same paper): the fraction of real points whose own ball holds at least one generated
  point, the diversity estimate that generated outliers cannot inflate.

:func:`farthest_point_selection` picks a subset that covers a candidate set (greedy k-center), the
diversity-aware choice of ``ImageGANOversampler(selection="diverse")``.

Distances are Euclidean, computed block by block (``chunk_size`` rows against the other set), so
memory grows with ``chunk_size`` times the larger set, never with the product of both sizes.
"""

from __future__ import annotations

import numbers

import numpy as np
import torch

_CHUNK = 1024


def _as_features(features, name):
    array = torch.as_tensor(np.asarray(features, dtype=np.float64))
    if array.ndim != 2 or len(array) == 0:
        raise ValueError(f"{name} must be a non-empty 2-d feature array, got shape {tuple(array.shape)}")
    return array


def _distances(rows, others):
    # Differences, not the |a|^2 + |b|^2 - 2ab expansion: identical rows get exactly 0, which
    # balls of radius 0 (repeated points) need.
    return torch.cdist(rows, others, compute_mode="donot_use_mm_for_euclid_dist")


def knn_radii(features, k=5, chunk_size=_CHUNK):
    """Distance from each point to its ``k``-th nearest neighbour in the same set (itself excluded).

    Parameters
    ----------
    features : array-like of shape (n, d)
        At least ``k + 1`` points.
    k : int, default=5
        Neighbour rank.
    chunk_size : int, default=1024
        Rows whose distances to the whole set are held at once.

    Returns
    -------
    ndarray of shape (n,)
    """
    points = _as_features(features, "features")
    _check_k(k, len(points), "features")
    radii = [
        _distances(points[start : start + chunk_size], points).kthvalue(k + 1, dim=1).values
        for start in range(0, len(points), chunk_size)
    ]
    return torch.cat(radii).numpy()


def _check_k(k, n, name):
    if not isinstance(k, numbers.Integral) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    if n <= k:
        raise ValueError(f"{name} needs more than k={k} points, got {n}")


def precision_recall_coverage(real_features, generated_features, k=5, chunk_size=_CHUNK):
    """Precision, recall, density and coverage of generated features against real ones.

    Parameters
    ----------
    real_features : array-like of shape (n_real, d)
        Features of real images; more than ``k`` rows.
    generated_features : array-like of shape (n_generated, d)
        Features of generated images; more than ``k`` rows.
    k : int, default=5
        Neighbour rank of the balls' radii (5, as Naeem et al. recommend).
    chunk_size : int, default=1024
        Rows of one set whose distances to the other are held at once.

    Returns
    -------
    dict
        ``precision``, ``recall``, ``coverage`` in [0, 1] and ``density`` (>= 0).

    Notes
    -----
    A point on a ball's boundary counts as inside. Recall and coverage of a set that repeats one
    point are about ``1 / n_real`` and ``k / n_real``: its balls have radius 0.
    """
    real = _as_features(real_features, "real_features")
    fake = _as_features(generated_features, "generated_features")
    if real.shape[1] != fake.shape[1]:
        raise ValueError(f"feature widths differ: {real.shape[1]} and {fake.shape[1]}")
    _check_k(k, len(real), "real_features")
    _check_k(k, len(fake), "generated_features")
    real_radii = torch.as_tensor(knn_radii(real, k, chunk_size))
    fake_radii = torch.as_tensor(knn_radii(fake, k, chunk_size))
    inside_real = 0  # generated points inside at least one real ball
    ball_hits = 0  # (generated point, real ball) pairs
    covered = torch.zeros(len(real), dtype=torch.bool)
    for start in range(0, len(fake), chunk_size):
        within = _distances(fake[start : start + chunk_size], real) <= real_radii  # (chunk, n_real)
        inside_real += int(within.any(dim=1).sum())
        ball_hits += int(within.sum())
        covered |= within.any(dim=0)
    recalled = 0
    for start in range(0, len(real), chunk_size):
        within = _distances(real[start : start + chunk_size], fake) <= fake_radii
        recalled += int(within.any(dim=1).sum())
    return {
        "precision": inside_real / len(fake),
        "recall": recalled / len(real),
        "density": ball_hits / (k * len(fake)),
        "coverage": float(covered.float().mean()),
    }


def nearest_distances(points, anchors, chunk_size=_CHUNK):
    """Distance from each of ``points`` to the nearest of ``anchors``.

    Parameters
    ----------
    points : array-like of shape (m, d)
    anchors : array-like of shape (r, d)
        At least one row.
    chunk_size : int, default=1024
        Rows of each set whose distances are held at once.

    Returns
    -------
    ndarray of shape (m,)
    """
    points, anchors = _as_features(points, "points"), _as_features(anchors, "anchors")
    nearest = torch.full((len(points),), torch.inf, dtype=torch.float64)
    for start in range(0, len(points), chunk_size):
        rows = points[start : start + chunk_size]
        for first in range(0, len(anchors), chunk_size):
            block = _distances(rows, anchors[first : first + chunk_size]).min(dim=1).values
            nearest[start : start + chunk_size] = torch.minimum(nearest[start : start + chunk_size], block)
    return nearest.numpy()


def farthest_point_selection(candidates, n, covered=None, chunk_size=_CHUNK):
    """Indices of ``n`` candidates chosen greedily to cover the candidate set (k-center).

    Each step takes the candidate farthest from everything chosen so far (and from ``covered``),
    which 2-approximates the subset whose largest candidate-to-nearest-centre distance is smallest
    (Gonzalez, 1985). Ties go to the lowest index, so the choice is deterministic.

    Parameters
    ----------
    candidates : array-like of shape (m, d)
        Features of the candidates.
    n : int
        How many to choose, at most ``m``.
    covered : array-like of shape (r, d), default=None
        Points already in the set (e.g. the real images of the class): candidates near them are
        chosen last. ``None``: the first choice is the candidate farthest from the candidates' mean.
    chunk_size : int, default=1024
        Rows whose distances are held at once.

    Returns
    -------
    ndarray of int64, shape (n,)
        Candidate indices, in the order chosen.
    """
    points = _as_features(candidates, "candidates")
    if not isinstance(n, numbers.Integral) or isinstance(n, bool) or not 0 <= n <= len(points):
        raise ValueError(f"n must be an integer in [0, {len(points)}], got {n!r}")
    anchors = points.mean(dim=0, keepdim=True) if covered is None else covered
    nearest = torch.as_tensor(nearest_distances(points, anchors, chunk_size))
    chosen = torch.empty(n, dtype=torch.int64)
    for step in range(n):
        pick = int(torch.argmax(nearest))  # argmax returns the first of equal maxima
        chosen[step] = pick
        nearest = torch.minimum(nearest, _distances(points, points[pick : pick + 1]).squeeze(1))
        nearest[pick] = -1.0  # never chosen twice, even among duplicates
    return chosen.numpy()
