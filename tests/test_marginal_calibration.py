"""The marginal calibration trial's raking (benchmarks/marginal_calibration.py) with known answers."""

import numpy as np
import pandas as pd
import pytest

from benchmarks.marginal_calibration import calibrated_sample, discrete_columns, raking_weights


def _tables():
    rng = np.random.default_rng(0)
    train = pd.DataFrame(
        {
            "colour": rng.choice(["red", "blue"], size=1000, p=[0.8, 0.2]),
            "size": rng.choice([1, 2, 3], size=1000, p=[0.5, 0.3, 0.2]),
            "weight": rng.normal(size=1000),
        }
    )
    candidates = pd.DataFrame(
        {
            "colour": rng.choice(["red", "blue"], size=4000, p=[0.5, 0.5]),
            "size": rng.choice([1, 2, 3], size=4000, p=[0.2, 0.3, 0.5]),
            "weight": rng.normal(size=4000),
        }
    )
    return train, candidates


def test_discrete_columns_are_the_categorical_and_few_valued_ones():
    train, _ = _tables()
    assert discrete_columns(train) == ["colour", "size"]


def test_raked_weights_reproduce_every_training_marginal():
    train, candidates = _tables()
    weights = raking_weights(candidates, train, ["colour", "size"])
    for column in ("colour", "size"):
        raked = pd.Series(weights).groupby(candidates[column].astype(str).to_numpy()).sum() / weights.sum()
        target = train[column].astype(str).value_counts(normalize=True)
        pd.testing.assert_series_equal(raked.sort_index(), target.sort_index(), check_names=False, atol=0.01)


class _Model:
    def __init__(self, candidates):
        self.candidates = candidates

    def sample(self, n, random_state=None):
        return self.candidates.head(n).reset_index(drop=True)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_calibrated_sample_moves_the_marginals_to_the_training_ones(seed):
    train, candidates = _tables()
    plain = calibrated_sample(_Model(candidates), train, 1000, 1, seed)
    raked = calibrated_sample(_Model(candidates), train, 1000, 4, seed)
    assert len(raked) == 1000 and not raked.index.duplicated().any()
    real_red = (train["colour"] == "red").mean()
    plain_gap = abs((plain["colour"] == "red").mean() - real_red)
    raked_gap = abs((raked["colour"] == "red").mean() - real_red)
    # Drawing a quarter of the candidates without replacement pulls the heaviest rows' share back
    # toward uniform, so the gap shrinks a lot but not to zero (about 0.06 from 0.29 here).
    assert plain_gap > 0.2
    assert raked_gap < plain_gap / 3
