"""Marginal calibration (gansynth.tabular.calibration and TabularGAN(marginal_calibration=...))."""

import numpy as np
import pandas as pd
import pytest
import torch

from gansynth import TabularGAN
from gansynth.errors import InputError
from gansynth.models import load
from gansynth.sampling.tabular import default_generator
from gansynth.tabular.calibration import (
    RAKING_TOLERANCE,
    calibrated_rows,
    inclusion_probabilities,
    raking_weights,
    systematic_draw,
)
from tests.test_model_files import edited


def _codes(seed, n=4000):
    generator = np.random.default_rng(seed)
    colour = generator.choice(2, size=n, p=[0.5, 0.5])
    # Size depends on colour, so fitting one block's shares moves the other's.
    size = np.where(colour == 0, generator.choice(3, size=n, p=[0.6, 0.3, 0.1]), generator.choice(3, size=n))
    return torch.as_tensor(np.stack([colour, size], axis=1))


TARGETS = [torch.tensor([0.8, 0.2], dtype=torch.float64), torch.tensor([0.2, 0.3, 0.5], dtype=torch.float64)]


def _shares(codes, weights, block, width):
    return torch.zeros(width, dtype=torch.float64).index_add_(0, codes[:, block], weights) / weights.sum()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_raked_weights_reproduce_every_target_marginal(seed):
    codes = _codes(seed)
    # Drawing 100 of 4,000 caps no weight that the targets need.
    weights = raking_weights(codes, TARGETS, 100)
    assert weights.min() >= 0 and weights.sum().item() == pytest.approx(1.0)
    for block, target in enumerate(TARGETS):
        # Fitting stops within RAKING_TOLERANCE (total variation), so no share is further off than twice it.
        shares = _shares(codes, weights, block, len(target))
        torch.testing.assert_close(shares, target, atol=2 * RAKING_TOLERANCE, rtol=0)


def test_a_category_no_candidate_carries_gets_no_weight_and_the_rest_stays_finite():
    codes = torch.tensor([[0], [0], [1]])
    weights = raking_weights(codes, [torch.tensor([0.5, 0.25, 0.25], dtype=torch.float64)], 1)
    assert torch.isfinite(weights).all()
    # Categories 0 and 1 keep their target ratio 2:1; category 2 has no candidate to raise.
    assert weights[0] + weights[1] == pytest.approx(2 * weights[2].item())


def _expected_error(codes, probabilities, targets, n):
    """Largest gap between a block's expected kept shares and its target."""
    return max(
        (torch.zeros(len(t), dtype=torch.float64).index_add_(0, codes[:, b], probabilities) / n - t)
        .abs()
        .max()
        .item()
        for b, t in enumerate(targets)
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_capping_inside_the_fitting_lets_the_other_candidates_make_up_the_shares(seed):
    codes, n = _codes(seed), 1500
    targets = [
        torch.tensor([0.7, 0.3], dtype=torch.float64),
        torch.tensor([0.25, 0.3, 0.45], dtype=torch.float64),
    ]
    inside = inclusion_probabilities(raking_weights(codes, targets, n), n)
    # Raking without a cap (n=1 caps nothing), then capping once, as a first version did.
    after = inclusion_probabilities(raking_weights(codes, targets, 1), n)
    assert inside.max() <= 1 + 1e-9 and inside.sum().item() == pytest.approx(n)
    assert _expected_error(codes, after, targets, n) > 0.03
    assert _expected_error(codes, inside, targets, n) < min(
        0.02, _expected_error(codes, after, targets, n) / 3
    )


def test_inclusion_probabilities_sum_to_the_draw_are_capped_and_proportional_below_the_cap():
    weights = torch.tensor([50.0, 1.0, 2.0, 3.0, 4.0], dtype=torch.float64)
    probabilities = inclusion_probabilities(weights, 3)
    assert probabilities.sum().item() == pytest.approx(3.0)
    assert probabilities[0].item() == 1.0
    # The other four share the two remaining draws in proportion to their weights.
    torch.testing.assert_close(probabilities[1:], torch.tensor([0.2, 0.4, 0.6, 0.8], dtype=torch.float64))


def test_inclusion_probabilities_of_equal_weights_are_the_sampling_fraction():
    probabilities = inclusion_probabilities(torch.ones(8, dtype=torch.float64), 2)
    torch.testing.assert_close(probabilities, torch.full((8,), 0.25, dtype=torch.float64))


def test_systematic_draw_keeps_each_candidate_at_its_inclusion_probability():
    probabilities = torch.tensor([1.0, 0.9, 0.5, 0.3, 0.2, 0.1], dtype=torch.float64)
    generator = torch.Generator().manual_seed(0)
    repeats = 4000
    kept = torch.zeros(6, dtype=torch.float64)
    for _ in range(repeats):
        chosen = systematic_draw(probabilities, 3, generator)
        assert len(chosen) == 3 and len(torch.unique(chosen)) == 3
        assert torch.equal(chosen, torch.sort(chosen).values)
        kept[chosen] += 1
    frequency = kept / repeats
    # Four binomial standard deviations at most 0.032 for 4000 draws.
    torch.testing.assert_close(frequency, probabilities, atol=0.032, rtol=0)


# Reachable with every inclusion probability below one (TARGETS' rare joint cells need more).
MILD_TARGETS = [
    torch.tensor([0.7, 0.3], dtype=torch.float64),
    torch.tensor([0.3, 0.3, 0.4], dtype=torch.float64),
]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_calibrated_rows_bring_the_kept_marginals_to_the_targets(seed):
    codes = _codes(seed)
    generator = torch.Generator().manual_seed(seed)
    kept = calibrated_rows(codes, MILD_TARGETS, 1000, generator)
    assert len(torch.unique(kept)) == 1000
    ones = torch.ones(1000, dtype=torch.float64)
    for block, target in enumerate(MILD_TARGETS):
        plain = _shares(codes[:1000], ones, block, len(target))
        calibrated = _shares(codes[kept], ones, block, len(target))
        # Plain rows are 0.2 off on colour and 0.1 on size; calibrated ones within sampling noise
        # (systematic sampling in a random order varies less than independent draws).
        assert (calibrated - target).abs().max() < 0.03
        assert (calibrated - target).abs().max() < (plain - target).abs().max() / 3


# ---------------------------------------------------------------- TabularGAN(marginal_calibration=...)
@pytest.fixture(scope="module")
def skewed_table():
    generator = np.random.default_rng(0)
    n = 600
    colour = generator.choice(["red", "green", "blue"], size=n, p=[0.7, 0.2, 0.1])
    size = generator.choice(["S", "M", "L"], size=n, p=[0.2, 0.5, 0.3])
    return pd.DataFrame({"colour": colour, "size": size, "weight": generator.normal(size=n)})


@pytest.fixture(scope="module")
def short_model(skewed_table):
    # Three epochs leave the generator's marginals well off the training shares.
    return TabularGAN(epochs=3, batch_size=100, verbose=False, random_state=0).fit(skewed_table)


def _marginal_gap(sample, table):
    gaps = []
    for column in ("colour", "size"):
        real = table[column].value_counts(normalize=True)
        gaps.append(
            (sample[column].value_counts(normalize=True).reindex(real.index, fill_value=0) - real).abs().sum()
        )
    return max(gaps) / 2


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_calibrated_sampling_moves_discrete_marginals_to_the_training_shares(short_model, skewed_table, seed):
    plain = short_model.set_params(marginal_calibration=1).sample(4000, random_state=seed)
    calibrated = short_model.set_params(marginal_calibration=8).sample(4000, random_state=seed)
    short_model.set_params(marginal_calibration=1)
    assert list(calibrated.dtypes) == list(plain.dtypes) and len(calibrated) == 4000
    assert _marginal_gap(calibrated, skewed_table) < _marginal_gap(plain, skewed_table) / 2


def test_calibrated_rows_do_not_depend_on_the_chunk_size(short_model):
    model = short_model.set_params(marginal_calibration=3)
    whole = model.sample(9000, random_state=4)
    chunks = pd.concat(list(model.iter_samples(9000, chunk_size=2500, random_state=4)))
    short_model.set_params(marginal_calibration=1)
    pd.testing.assert_frame_equal(whole, chunks)


def test_conditioned_rows_are_not_calibrated(short_model):
    conditions = {"colour": "green"}
    plain = short_model.set_params(marginal_calibration=1).sample(500, conditions=conditions, random_state=2)
    calibrated = short_model.set_params(marginal_calibration=4).sample(
        500, conditions=conditions, random_state=2
    )
    short_model.set_params(marginal_calibration=1)
    pd.testing.assert_frame_equal(plain, calibrated)


def test_the_factor_is_saved_with_the_model(short_model, tmp_path):
    path = short_model.set_params(marginal_calibration=5).save(tmp_path / "model.gsyn")
    short_model.set_params(marginal_calibration=1)
    loaded = load(path)
    assert loaded.marginal_calibration == 5
    pd.testing.assert_frame_equal(
        loaded.sample(300, random_state=0),
        short_model.set_params(marginal_calibration=5).sample(300, random_state=0),
    )
    short_model.set_params(marginal_calibration=1)


@pytest.mark.parametrize("factor", [0, 17, 2.5, "4"])
def test_a_bad_factor_is_refused_in_fit(skewed_table, factor):
    with pytest.raises((InputError, ValueError), match="marginal_calibration"):
        TabularGAN(epochs=1, marginal_calibration=factor, verbose=False).fit(skewed_table)


def test_a_model_file_from_before_calibration_samples_without_it(short_model, tmp_path):
    path = short_model.set_params(marginal_calibration=3).save(tmp_path / "model.gsyn")
    short_model.set_params(marginal_calibration=1)
    older = edited(
        path, tmp_path / "older.gsyn", lambda description: description["params"].pop("marginal_calibration")
    )
    loaded = load(older)
    assert loaded.marginal_calibration == 1
    assert TabularGAN().marginal_calibration == 2


def test_the_oversampler_default_generator_keeps_calibration_off_as_it_was_measured():
    assert default_generator().marginal_calibration == 1
