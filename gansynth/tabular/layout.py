"""The encoded matrix's layout: which columns each block spans and which activation it takes.

Shared by the transformer, which lays the blocks out, and the networks, which apply one
activation per run of alike blocks.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    """A contiguous block of the encoded matrix and the activation the generator applies to it."""

    start: int
    width: int
    activation: str  # "tanh" or "softmax"


def runs(spans: list[Span]) -> list[tuple[int, int, int, str]]:
    """Group adjacent spans into ``(start, count, width, activation)`` runs.

    A run is ``count`` adjacent blocks of one activation and (for softmax) one width, so it can
    be handled as a single ``(rows, count, width)`` view. tanh columns are width 1.
    """
    grouped = []
    for span in sorted(spans, key=lambda s: s.start):
        if grouped:
            start, count, width, activation = grouped[-1]
            if activation == span.activation and width == span.width and span.start == start + count * width:
                grouped[-1] = (start, count + 1, width, activation)
                continue
        grouped.append((span.start, 1, span.width, span.activation))
    return grouped
