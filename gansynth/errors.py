"""The errors gansynth raises on purpose, for input it refuses: one base class to catch them all.

Every check that refuses a user's table, labels, conditions, images or files raises a subclass
of :class:`GansynthError` whose message names the column (or argument, or file) and the
problem. They also subclass ``ValueError`` or ``TypeError``, so code that caught those before
keeps working. Anything else escaping gansynth (a ``RuntimeError`` from torch, a ``KeyError``,
an sklearn ``InvalidParameterError`` for a bad constructor parameter) is either a parameter
refused by scikit-learn's validation or a bug, never a refusal of data.
"""

from __future__ import annotations

__all__ = ["GansynthError", "InputError", "InputTypeError"]


class GansynthError(Exception):
    """Base class of the errors gansynth raises for input it refuses, with one clear message."""


class InputError(GansynthError, ValueError):
    """A value gansynth cannot use: the message names the column or argument and the problem."""


class InputTypeError(GansynthError, TypeError):
    """An argument of the wrong type, e.g. a set where a value or a list of values is expected."""
