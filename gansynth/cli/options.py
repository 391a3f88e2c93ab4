"""Argument types shared by the commands: argparse refuses a bad value before any work starts."""

from __future__ import annotations

import argparse


def epochs(text: str):
    """``--epochs``: a positive integer, or ``auto`` (the estimator's own rule)."""
    if text == "auto":
        return "auto"
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer or 'auto'; got {text!r}")
    return int(text)


def positive_int(text: str) -> int:
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer; got {text!r}")
    return value


def max_categories(text: str):
    """``--max-categories``: a positive integer, or ``none`` to keep every level."""
    if text.strip().lower() == "none":
        return None
    return positive_int(text)


def calibration_factor(text: str) -> int:
    """``--marginal-calibration``: candidate rows per sampled row, 1 (off) to the engine's maximum."""
    from gansynth.tabular.calibration import MAX_CALIBRATION

    value = positive_int(text)
    if value > MAX_CALIBRATION:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_CALIBRATION}; got {text!r}")
    return value


def non_negative_int(text: str) -> int:
    value = _integer(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer; got {text!r}")
    return value


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer; got {text!r}") from None
