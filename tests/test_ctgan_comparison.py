"""The ctgan comparison's epoch ratio: alternating rounds, medians, and what gansynth's timing covers."""

import time

import numpy as np
import pandas as pd
import pytest

from benchmarks import ctgan_comparison as comparison


def test_rounds_alternate_which_package_goes_first_and_pair_their_times(monkeypatch):
    calls, seconds = [], iter([2.0, 4.0, 5.0, 2.5, 3.0, 6.0])

    def fake_fit(name):
        def fit(*args):
            calls.append(name)
            return None, {"training_s": next(seconds)}

        return fit

    monkeypatch.setattr(comparison, "fit_gansynth", fake_fit("gansynth"))
    monkeypatch.setattr(comparison, "fit_ctgan", fake_fit("ctgan"))
    rounds = comparison.epoch_rounds(pd.DataFrame(), [], rounds=3, epochs=2, seed=0)
    assert calls == ["gansynth", "ctgan", "ctgan", "gansynth", "gansynth", "ctgan"]
    assert [r["first"] for r in rounds] == ["gansynth", "ctgan", "gansynth"]
    assert [r["ratio"] for r in rounds] == [0.5, 0.5, 0.5]
    assert rounds[1]["ctgan"] == 2.5 and rounds[1]["gansynth"] == 1.25


def test_the_reported_ratio_is_the_median_of_the_rounds_ratios_not_a_ratio_of_medians():
    rounds = [
        {"gansynth": 1.0, "ctgan": 2.0, "ratio": 0.5},
        {"gansynth": 3.0, "ctgan": 4.0, "ratio": 0.75},
        {"gansynth": 2.0, "ctgan": 10.0, "ratio": 0.2},
    ]
    summary = comparison.epoch_summary(rounds, {"gansynth": 9.0, "ctgan": 9.0})
    assert summary["ratio"] == 0.5
    assert (summary["gansynth"], summary["ctgan"]) == (2.0, 4.0)
    assert summary["source"] == "median over 3 rounds"


def test_without_rounds_the_long_fits_give_the_ratio():
    summary = comparison.epoch_summary([], {"gansynth": 1.0, "ctgan": 4.0})
    assert summary["ratio"] == pytest.approx(0.25)
    assert summary["source"] == "the long fits"


def test_gansynths_training_time_is_its_training_loop_alone():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=120), "c": rng.choice(["a", "b"], size=120).astype(object)})
    start = time.perf_counter()
    model, times = comparison.fit_gansynth(frame, epochs=1, seed=0)
    total = time.perf_counter() - start
    assert model.epochs == 1 and hasattr(model, "generator_")
    assert times["training_s"] > 0 and times["setup_s"] > 0
    assert times["training_s"] + times["setup_s"] <= total
