"""AugmentedClassifierCV: scikit-learn's checks, the choice it makes, its cost, and its errors."""

import pickle

import joblib
import numpy as np
import pandas as pd
import pytest
import sklearn
from imblearn.over_sampling import RandomOverSampler
from sklearn.base import clone
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LogisticRegression, RidgeClassifier
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.svm import LinearSVC
from sklearn.utils.estimator_checks import parametrize_with_checks

from gansynth import AugmentedClassifierCV, GANOversampler
from gansynth._augmented_folds import augmented as _augmented
from gansynth.errors import InputError
from gansynth.model_selection import best_mean, fold_majority, score_table
from gansynth.sampling.tabular import default_generator

_SKLEARN_BEFORE_1_7 = tuple(int(part) for part in sklearn.__version__.split(".")[:2]) < (1, 7)

FITS = []  # one entry per CountingSampler.fit_resample call


class CountingSampler(RandomOverSampler):
    def fit_resample(self, X, y, **params):
        FITS.append(len(y))
        return super().fit_resample(X, y, **params)


class MisleadingSampler(RandomOverSampler):
    """Appends rows labelled as the rare class but drawn from the common one: augmentation hurts."""

    def fit_resample(self, X, y, **params):
        X, y = np.asarray(X), np.asarray(y)
        labels, counts = np.unique(y, return_counts=True)
        rare, common = labels[np.argmin(counts)], labels[np.argmax(counts)]
        rng = np.random.default_rng(self.random_state)
        picked = rng.choice(np.flatnonzero(y == common), counts.max() - counts.min())
        return np.vstack([X, X[picked]]), np.concatenate([y, np.full(len(picked), rare)])


class FailingSampler(RandomOverSampler):
    def fit_resample(self, X, y, **params):
        raise RuntimeError("this sampler always fails")


def tiny_gan(**params) -> GANOversampler:
    generator = clone(default_generator()).set_params(
        epochs=1,
        embedding_dim=8,
        generator_dim=(16,),
        discriminator_dim=(16,),
        max_modes=2,
        mixture_max_rows=200,
    )
    return GANOversampler(generator=generator, quality_filter="nearest", **params)


def imbalanced(n=300, rare=30, seed=0, shift=1.5):
    rng = np.random.default_rng(seed)
    y = np.r_[np.ones(rare, int), np.zeros(n - rare, int)]
    X = rng.normal(size=(n, 3))
    X[:, 0] += shift * y
    return X, y


@parametrize_with_checks(
    [
        AugmentedClassifierCV(
            LogisticRegression(),
            sampler=RandomOverSampler(random_state=0),
            amounts=(1.0,),
            cv=2,
            random_state=0,
        )
    ]
)
def test_sklearn_checks_with_a_cheap_sampler(estimator, check):
    if "check_classifiers_classes" in str(check) and _SKLEARN_BEFORE_1_7:
        # scikit-learn 1.6's own average_precision scorer refuses string multi-class labels
        # ("pos_label=1 is not a valid label"), with or without AugmentedClassifierCV.
        pytest.xfail("scikit-learn < 1.7 cannot score average precision on string multi-class labels")
    check(estimator)


@pytest.mark.slow  # about 4 min on a shared 2-core machine: every check fits GANs per fold
@parametrize_with_checks(
    [AugmentedClassifierCV(LogisticRegression(), sampler=tiny_gan(), amounts=(1.0,), cv=2, random_state=0)]
)
def test_sklearn_checks_with_a_small_gan(estimator, check):
    check(estimator)


def test_no_augmentation_is_always_a_candidate_and_results_are_complete():
    X, y = imbalanced()
    model = AugmentedClassifierCV(
        LogisticRegression(),
        sampler=RandomOverSampler(random_state=0),
        amounts=[1.0, 0.5],
        cv=4,
        random_state=0,
    ).fit(X, y)
    results = model.cv_results_
    assert results["amount"].tolist() == [0.0, 0.5, 1.0]
    assert [p["amount"] for p in results["params"]] == [0.0, 0.5, 1.0]
    assert all(len(results[f"split{k}_test_score"]) == 3 for k in range(4))
    assert results["mean_n_synthetic"].tolist()[0] == 0
    # each training fold has 180 common and 22 or 23 rare rows: balance adds about 158
    assert results["mean_n_synthetic"][2] == pytest.approx(2 * results["mean_n_synthetic"][1], rel=0.02)
    assert sorted(results["rank_test_score"].tolist()) == [1, 2, 3]
    assert model.best_params_["amount"] in (0.0, 0.5, 1.0)
    assert model.best_score_ == results["mean_test_score"][results["rank_test_score"].argmin()]


def test_cost_is_one_sampler_fit_per_fold_plus_the_refit():
    X, y = imbalanced()
    FITS.clear()
    model = AugmentedClassifierCV(
        LogisticRegression(), sampler=CountingSampler(random_state=0), amounts=np.linspace(0.25, 1, 4), cv=5
    ).fit(X, y)
    assert len(model.cv_results_["amount"]) == 5
    assert len(FITS) == 5 + (model.best_params_["amount"] > 0)
    assert FITS[:5] == [240] * 5  # folds: four fifths of the rows


def test_smaller_amounts_are_nested_prefixes_of_the_largest_draw():
    X = np.arange(20, dtype=float)[:, None]
    y_new = np.array([1, 2, 1, 1, 2, 2, 1, 2, 1, 1])
    X_new = np.arange(100, 110, dtype=float)[:, None]
    y = np.zeros(20, int)
    kept = {}
    for fraction in (0.2, 0.5, 1.0):
        X_fit, y_fit, n_new = _augmented(X, y, X_new, y_new, fraction)
        assert (X_fit[:20] == X).all() and n_new == len(X_fit) - 20
        kept[fraction] = set(X_fit[20:, 0].tolist())
    assert kept[0.2] <= kept[0.5] <= kept[1.0] == set(range(100, 110))
    assert kept[0.2] == {100, 101}  # the first row of each class


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rows_that_mislead_are_not_chosen(seed):
    X, y = imbalanced(seed=seed, shift=2.5)
    model = AugmentedClassifierCV(
        LogisticRegression(),
        sampler=MisleadingSampler(),
        cv=5,
        scoring="average_precision",
        random_state=seed,
    ).fit(X, y)
    assert model.best_params_ == {"amount": 0.0}
    assert model.sampler_ is None and model.n_synthetic_ == 0
    assert model.cv_results_["mean_test_score"][0] > model.cv_results_["mean_test_score"][-1] + 0.03


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rebalancing_is_chosen_where_it_helps_balanced_accuracy(seed):
    # Logistic regression at the 0.5 threshold hardly ever predicts a 5% class that overlaps the
    # other; duplicated rare rows move its threshold, which balanced accuracy rewards.
    X, y = imbalanced(n=400, rare=20, seed=seed, shift=1.5)
    model = AugmentedClassifierCV(
        LogisticRegression(),
        sampler=RandomOverSampler(random_state=0),
        cv=5,
        scoring="balanced_accuracy",
        random_state=seed,
    ).fit(X, y)
    assert model.best_params_["amount"] > 0
    assert model.n_synthetic_ > 0 and model.sampler_ is not None
    assert model.best_estimator_.predict(X).mean() > LogisticRegression().fit(X, y).predict(X).mean()


def test_delegates_to_the_refitted_estimator_and_pickles():
    X, y = imbalanced()
    model = AugmentedClassifierCV(
        LogisticRegression(), sampler=RandomOverSampler(), cv=3, random_state=0
    ).fit(X, y)
    best = model.best_estimator_
    np.testing.assert_array_equal(model.predict(X), best.predict(X))
    np.testing.assert_allclose(model.predict_proba(X), best.predict_proba(X))
    np.testing.assert_allclose(model.decision_function(X), best.decision_function(X))
    assert model.score(X, y) == best.score(X, y)
    assert model.classes_.tolist() == [0, 1] and model.n_features_in_ == 3
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(model)).predict(X), model.predict(X))
    svc = AugmentedClassifierCV(LinearSVC(), sampler=RandomOverSampler(), cv=3, random_state=0).fit(X, y)
    assert not hasattr(svc, "predict_proba") and hasattr(svc, "decision_function")


def test_grid_search_and_cross_val_score():
    X, y = imbalanced()
    model = AugmentedClassifierCV(
        LogisticRegression(), sampler=RandomOverSampler(random_state=0), amounts=(1.0,), cv=2, random_state=0
    )
    scores = cross_val_score(model, X, y, cv=2, scoring="average_precision")
    assert scores.shape == (2,) and np.all((scores >= 0) & (scores <= 1))
    search = GridSearchCV(model, {"estimator__C": [0.1, 1.0], "amounts": [(0.5,), (1.0,)]}, cv=2).fit(X, y)
    assert set(search.best_params_) == {"estimator__C", "amounts"}


def test_string_labels_score_the_rarer_class_as_positive():
    X, y = imbalanced()
    labels = np.where(y == 1, "rare", "common")
    model = AugmentedClassifierCV(LogisticRegression(), sampler=RandomOverSampler(), cv=3, random_state=0)
    model.fit(X, labels)
    assert model.scorer_._kwargs["pos_label"] == "rare"
    assert set(model.predict(X)) <= {"rare", "common"}


def test_memory_shares_draws_between_estimators_without_changing_results(tmp_path):
    X, y = imbalanced()
    memory = joblib.Memory(tmp_path, verbose=0)
    plain = AugmentedClassifierCV(
        LogisticRegression(), sampler=CountingSampler(random_state=0), cv=3, random_state=4
    )
    FITS.clear()
    first = clone(plain).set_params(memory=memory).fit(X, y)
    fits_first = len(FITS)
    second = clone(plain).set_params(memory=memory, estimator=LogisticRegression(C=0.1)).fit(X, y)
    assert len(FITS) == fits_first  # every draw came from the cache
    uncached = clone(plain).set_params(estimator=LogisticRegression(C=0.1)).fit(X, y)
    for key in ("mean_test_score", "mean_n_synthetic"):
        np.testing.assert_array_equal(second.cv_results_[key], uncached.cv_results_[key])
    assert first.best_params_ is not None


def test_same_random_state_same_choice_with_a_gan_on_a_dataframe():
    X, y = imbalanced(n=120, rare=12)
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(colour=pd.Categorical(np.resize(["r", "g"], 120)))
    from sklearn.ensemble import HistGradientBoostingClassifier

    make = lambda: AugmentedClassifierCV(  # noqa: E731
        HistGradientBoostingClassifier(max_iter=20, categorical_features="from_dtype"),
        sampler=tiny_gan(),
        amounts=(0.5, 1.0),
        cv=3,
        random_state=0,
    )
    one, two = make().fit(frame, y), make().fit(frame, y)
    np.testing.assert_array_equal(one.cv_results_["mean_test_score"], two.cv_results_["mean_test_score"])
    np.testing.assert_array_equal(one.predict_proba(frame), two.predict_proba(frame))
    assert one.feature_names_in_.tolist() == ["a", "b", "c", "colour"]


def test_a_failing_sampler_warns_and_leaves_no_augmentation():
    X, y = imbalanced()
    with pytest.warns(FitFailedWarning, match="always fails"):
        model = AugmentedClassifierCV(LogisticRegression(), sampler=FailingSampler(), cv=3).fit(X, y)
    assert model.best_params_ == {"amount": 0.0}
    assert np.isnan(model.cv_results_["mean_test_score"][1:]).all()
    with pytest.raises(RuntimeError, match="always fails"):
        AugmentedClassifierCV(LogisticRegression(), sampler=FailingSampler(), cv=3, error_score="raise").fit(
            X, y
        )


def test_plot_draws_scores_with_error_bars():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    X, y = imbalanced()
    model = AugmentedClassifierCV(
        LogisticRegression(), sampler=RandomOverSampler(), cv=3, random_state=0
    ).fit(X, y)
    ax = model.plot()
    line = ax.lines[0]
    np.testing.assert_allclose(line.get_xdata(), [0, 0.25, 0.5, 1.0])
    np.testing.assert_allclose(line.get_ydata(), model.cv_results_["mean_test_score"])
    assert ax.containers, "error bars drawn"
    assert "average_precision" in ax.get_ylabel()


@pytest.mark.parametrize(
    "params, y, match",
    [
        (
            {"estimator": RidgeClassifier(), "scoring": "neg_log_loss"},
            None,
            "needs predict_proba, which RidgeClassifier",
        ),
        (
            {"cv": 5},
            np.r_[np.ones(3, int), np.zeros(57, int)],
            r"cv=5 is larger than the 3 row\(s\) of class 1",
        ),
        ({}, np.zeros(60, int), "y has one class"),
        ({"amounts": [0.5, 2.0]}, None, r"amounts must be numbers in \[0, 1\]"),
        ({"amounts": []}, None, r"amounts must be numbers in \[0, 1\]"),
        ({"selection": lambda results: 7}, None, r"selection returned 7; .* an integer from 0 to 3"),
        ({"selection": lambda results: "best"}, None, r"selection returned 'best'"),
    ],
)
def test_bad_input_gets_one_clear_error(params, y, match):
    X, default_y = imbalanced(n=60, rare=10)
    params = dict(params)
    model = AugmentedClassifierCV(
        params.pop("estimator", LogisticRegression()), sampler=RandomOverSampler(), **params
    )
    with pytest.raises(InputError, match=match):
        model.fit(X, default_y if y is None else y)


def test_the_default_sampler_is_gansynths():
    model = AugmentedClassifierCV(LogisticRegression())
    assert model.sampler is None
    assert isinstance(model._sampler_for(3), GANOversampler) and model._sampler_for(3).random_state == 3


def test_cv_predictions_are_held_out_scores_of_each_candidate():
    from sklearn.model_selection import cross_val_predict

    X, y = imbalanced()
    labels = np.where(y == 1, "rare", "common")
    model = AugmentedClassifierCV(
        LogisticRegression(), sampler=RandomOverSampler(random_state=0), cv=4, random_state=0
    ).fit(X, labels)
    assert model.positive_class_ == "rare"
    assert model.cv_predictions_.shape == (4, len(y)) and not np.isnan(model.cv_predictions_).any()
    plain = cross_val_predict(LogisticRegression(), X, labels, cv=4, method="predict_proba")[:, 1]
    np.testing.assert_allclose(model.cv_predictions_[0], plain)
    # rebalanced models score the rare class higher on the rows they did not see
    assert model.cv_predictions_[-1].mean() > model.cv_predictions_[0].mean()


def _results(*fold_scores):
    """cv_results_ of the default amounts from each candidate's per-fold scores."""
    return score_table([0.0, 0.25, 0.5, 1.0], np.array(fold_scores, dtype=float))


def test_fold_majority_needs_the_best_mean_to_beat_none_on_most_folds():
    # 1.0 has the best mean thanks to one fold; it beats none on 1 of 3 folds only
    lucky = _results((0.5, 0.5, 0.5), (0.4, 0.4, 0.4), (0.45, 0.45, 0.45), (0.95, 0.45, 0.45))
    assert best_mean(lucky) == 3 and fold_majority(lucky) == 0
    # 0.5 beats none on 2 of 3 folds, and has the best mean
    steady = _results((0.5, 0.5, 0.5), (0.4, 0.4, 0.4), (0.55, 0.52, 0.49), (0.3, 0.3, 0.3))
    assert best_mean(steady) == 2 and fold_majority(steady) == 2
    # a tie with none on a fold is not a win; half of the folds is not more than half
    even = _results((0.5, 0.5), (0.6, 0.5), (0.1, 0.1), (0.1, 0.1))
    assert best_mean(even) == 1 and fold_majority(even) == 0
    # a failed candidate (NaN) never wins
    failed = _results((0.5, 0.5, 0.5), (np.nan, np.nan, np.nan), (0.4, 0.4, 0.4), (0.3, 0.3, 0.3))
    assert best_mean(failed) == 0 and fold_majority(failed) == 0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fold_majority_chooses_the_mean_rule_s_amount_or_none(seed):
    X, y = imbalanced(n=400, rare=20, seed=seed, shift=1.5)
    options = dict(
        sampler=RandomOverSampler(random_state=0), cv=5, scoring="balanced_accuracy", random_state=seed
    )
    mean = AugmentedClassifierCV(LogisticRegression(), **options).fit(X, y)
    majority = AugmentedClassifierCV(LogisticRegression(), selection="fold_majority", **options).fit(X, y)
    for key in ("mean_test_score", "rank_test_score"):
        np.testing.assert_array_equal(mean.cv_results_[key], majority.cv_results_[key])
    assert majority.best_params_["amount"] in (0.0, mean.best_params_["amount"])
    # rebalancing helps balanced accuracy on every fold here, so both rules augment
    assert majority.best_params_ == mean.best_params_ != {"amount": 0.0}


def test_a_callable_selection_gets_cv_results_and_picks_the_index():
    X, y = imbalanced()
    seen = []

    def largest(results):
        seen.append(sorted(results))
        return len(results["amount"]) - 1

    model = AugmentedClassifierCV(
        LogisticRegression(), sampler=RandomOverSampler(), cv=3, selection=largest, random_state=0
    ).fit(X, y)
    assert model.best_index_ == 3 and model.best_params_ == {"amount": 1.0}
    assert model.best_score_ == model.cv_results_["mean_test_score"][3]
    assert "split2_test_score" in seen[0] and model.n_synthetic_ > 0
