"""The machine-load line a benchmark report states, from the load average it measured."""

from __future__ import annotations

import os


def load_average_note(at_start: float) -> str:
    """``"1-minute load average <at_start> at the start and <now> at the end"``, now read at the call.

    ``at_start`` is ``os.getloadavg()[0]`` read when the run began; reports state it instead of a
    fixed description of the machine, which would be wrong on the next run.
    """
    return f"1-minute load average {at_start:.1f} at the start and {os.getloadavg()[0]:.1f} at the end"
