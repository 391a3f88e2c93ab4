"""The time-to-quality benchmark's hooks and summary: a checkpoint is the model a shorter fit gives."""

import numpy as np
import pandas as pd
import pytest
import torch

from benchmarks import time_to_quality as ttq
from gansynth import TabularGAN
from gansynth.tabular import fitting


def _table(rows=200, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "x": rng.normal(size=rows),
            "n": rng.integers(0, 50, size=rows),
            "c": rng.choice(["a", "b", "c"], size=rows).astype(object),
        }
    )


def _small_gan(epochs):
    return TabularGAN(
        epochs=epochs,
        batch_size=50,
        pac=5,
        embedding_dim=8,
        generator_dim=(16,),
        discriminator_dim=(16,),
        verbose=False,
        random_state=3,
    )


@pytest.mark.slow
def test_gansynth_checkpoint_is_the_shorter_fit():
    data = _table()
    run = ttq.Run()
    model = _small_gan(3)
    original = fitting.train
    with ttq.gansynth_checkpoints([1, 2, 3], run):
        run.fit_started = 0.0
        model.fit(data)
    assert fitting.train is original  # the hook is removed
    assert sorted(run.states) == [1, 2, 3]
    assert len(model.loss_history_) == 3 and list(model.loss_history_.index) == [0, 1, 2]

    shorter = _small_gan(2).fit(data)
    for key, value in shorter.generator_.state_dict().items():
        assert torch.equal(run.states[2][key], value), key
    # The whole run ends where an unhooked fit of the same length ends.
    whole = _small_gan(3).fit(data)
    pd.testing.assert_frame_equal(whole.loss_history_, model.loss_history_)
    pd.testing.assert_frame_equal(
        ttq.sample_gansynth(model, run.states[2], 50, seed=1), shorter.sample(50, random_state=1)
    )


@pytest.mark.slow
def test_ctgan_hook_records_each_checkpoint():
    pytest.importorskip("ctgan")
    data = _table(rows=100)
    run = ttq.Run()
    model = ttq.checkpointed_ctgan(
        {1, 2},
        run,
        epochs=2,
        batch_size=50,
        pac=5,
        embedding_dim=8,
        generator_dim=(16,),
        discriminator_dim=(16,),
    )
    run.fit_started = 0.0
    model.fit(data, discrete_columns=["c"])
    assert sorted(run.states) == [1, 2] and run.training_started is not None
    assert len(model.loss_values) == 2
    assert len(ttq.sample_ctgan(model, run.states[1], 30, seed=0)) == 30


def test_summary_reads_checkpoints_without_interpolation():
    result = {
        "gansynth": {
            "quality": {10: 0.80, 30: 0.84, 100: 0.85},
            "fit_seconds": {10: 10.0, 30: 30.0, 100: 100.0},
            "epoch_seconds": 1.0,
        },
        "ctgan": {
            "quality": {10: 0.70, 30: 0.78, 100: 0.83},
            "fit_seconds": {10: 40.0, 30: 90.0, 100: 280.0},
            "epoch_seconds": 2.5,
        },
    }
    summary = ttq.summarize(result, budget_epochs=30)
    assert summary["target_quality"] == 0.83
    assert summary["time_to_target"] == {"gansynth": (30, 30.0), "ctgan": (100, 280.0)}
    assert summary["budget_seconds"] == 90.0
    assert summary["best_within_budget"] == {"gansynth": (0.84, 30), "ctgan": (0.78, 30)}
    assert summary["epoch_ratio"] == pytest.approx(0.4)
    result["gansynth"]["quality"] = {10: 0.5, 30: 0.6, 100: 0.7}
    assert ttq.summarize(result, budget_epochs=30)["time_to_target"]["gansynth"] is None
