"""Does augmentation help a classifier on a given table? The library behind ``gansynth compare``
and the downstream benchmark's methods, classifiers, metrics and paired tests."""

from gansynth.comparison.compare import compare, format_summary, summarize

__all__ = ["compare", "format_summary", "summarize"]
