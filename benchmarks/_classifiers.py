"""Classifiers and metrics for the downstream benchmark: the library's own (``gansynth.comparison``),
which ``gansynth compare`` uses too, so the benchmark and the command measure the same way."""

from __future__ import annotations

from gansynth.comparison.classifiers import CLASSIFIERS, METRICS, THRESHOLD_METRICS, make_classifier

__all__ = ["CLASSIFIERS", "METRICS", "THRESHOLD_METRICS", "make_classifier"]
