"""Checks of class labels (an oversampler's ``y``, an image GAN's ``labels``), each with one clear error.

numpy and scikit-learn sort labels to find the classes, so a missing label, an unhashable one
or a mix of text and numbers fails deep inside them with a comparison error; these checks say
which label is the problem first.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gansynth.errors import InputError


def check_labels(labels, name: str) -> None:
    """Refuse missing, unhashable or mixed text-and-number labels.

    Parameters
    ----------
    labels : array-like of shape (n,)
        The labels, in any form numpy reads.
    name : str
        The argument's name, for the message (``"y"``, ``"labels"``).
    """
    try:
        # A list's None or NaN beside text would become the text "None" or "nan" in a numpy array.
        values = np.asarray(labels, dtype=None if hasattr(labels, "dtype") else object)
    except ValueError:  # ragged nested sequences
        raise InputError(
            f"{name} must be a 1-d array of labels; got nested sequences of unequal lengths"
        ) from None
    if values.dtype.kind in "USbiu":
        return
    if values.dtype.kind in "fcmM":
        missing = int(pd.isna(values).sum())
        if missing:
            raise InputError(
                f"{name} holds {missing} missing label(s) (NaN); drop those rows or give them a class"
            )
        return
    flat = values.ravel()
    missing = int(sum(1 for v in flat if _is_missing(v)))
    if missing:
        raise InputError(
            f"{name} holds {missing} missing label(s) (None or NaN); drop those rows or give them a class"
        )
    for value in flat:
        try:
            hash(value)
        except TypeError:
            raise InputError(
                f"{name} holds a {type(value).__name__} label ({_short(value)}); labels must be "
                "numbers, text or booleans"
            ) from None
    text = {isinstance(v, str) for v in flat}
    if len(text) > 1:
        example_text = next(v for v in flat if isinstance(v, str))
        example_other = next(v for v in flat if not isinstance(v, str))
        raise InputError(
            f"{name} mixes text and other labels (e.g. {example_text!r} and {example_other!r}); "
            "use one type for every class"
        )


def encode_labels(labels, n: int) -> tuple[np.ndarray, np.ndarray]:
    """An image GAN's classes and the class code of each of ``n`` images; one class ``0`` without labels."""
    if labels is None:
        return np.array([0]), np.zeros(n, dtype=np.int64)
    check_labels(labels, "labels")
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.shape[0] != n:
        raise InputError(f"labels must be 1-d with one entry per image ({n}), got shape {labels.shape}")
    return np.unique(labels, return_inverse=True)


def check_class_target(y, name: str = "y") -> None:
    """:func:`check_labels`, then refuse a continuous target or a single class."""
    if y is None:
        raise InputError(f"oversampling requires {name} to be passed, but the target {name} is None")
    check_labels(y, name)
    values = np.asarray(y)
    if values.ndim == 0:
        raise InputError(f"{name} should be a 1d array of labels; got the single value {_short(y)}")
    if values.ndim != 1:
        return  # scikit-learn's own checks describe other shapes
    if values.dtype.kind in "fc" and not np.all(np.mod(values.real, 1) == 0):
        example = values[np.mod(values.real, 1) != 0][:1].tolist()[0]
        raise InputError(
            f"{name} holds non-integer numbers (e.g. {example!r}); it must hold class labels, "
            "not a continuous target"
        )
    classes = pd.unique(values)
    if len(classes) < 2:
        shown = f" ({_short(classes[:1].tolist()[0])})" if len(classes) else ""
        plural = "" if len(classes) == 1 else "es"
        raise InputError(
            f"{name} has {len(classes)} class{plural}{shown}; oversampling needs at least two classes"
        )


def _is_missing(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, (float, np.floating)) and np.isnan(value)


def _short(value, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
