"""The cross-version step benchmark: round order, paired ratios, and a real child process."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmarks import step_versions

ROOT = Path(__file__).resolve().parents[1]


def test_rounds_reverse_the_order_every_other_time():
    checkouts = [Path("a"), Path("b"), Path("c")]
    assert step_versions.round_order(checkouts, 0) == checkouts
    assert step_versions.round_order(checkouts, 1) == checkouts[::-1]
    assert step_versions.round_order(checkouts, 2) == checkouts


def test_the_ratio_is_the_median_of_each_rounds_ratio_not_the_ratio_of_medians():
    first, second = Path("first"), Path("second")
    medians = {first: [10.0, 20.0, 30.0], second: [5.0, 30.0, 15.0]}
    widths = {first: {"data": 3, "condition": 2}, second: {"data": 4, "condition": 1}}
    lines = step_versions.summary_lines([first, second], medians, medians, widths)
    assert "0.500x the first checkout" in lines[1]  # ratios 0.5, 1.5, 0.5; medians would give 0.75
    assert "1.000x the first checkout" in lines[0]
    assert "4 data and 1 condition columns" in lines[1]


@pytest.mark.slow
def test_a_child_process_times_this_checkouts_step(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"x": rng.normal(size=600), "kind": rng.choice(["a", "b", "c"], 600), "n": rng.integers(0, 9, 600)}
    )
    frame.to_csv(tmp_path / "adult.csv", index=False)
    result = step_versions.time_checkout(ROOT, tmp_path / "adult.csv", threads=1, blocks=2)
    assert len(result["ms_per_step"]) == 2 and all(ms > 0 for ms in result["ms_per_step"])
    assert result["widths"]["condition"] >= 3  # the three categories of "kind", at least
