"""GANOversampler: imbalanced-learn's own checks, pipelines, mixed input and edge cases."""

import pickle
from collections import Counter

import joblib
import numpy as np
import pandas as pd
import pytest
from imblearn.pipeline import Pipeline
from imblearn.utils.estimator_checks import parametrize_with_checks
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.preprocessing import OneHotEncoder

from gansynth import GANOversampler, TabularGAN
from gansynth.sampling.tabular import auto_training_steps, default_generator, training_plan


def small_generator(**params) -> TabularGAN:
    """The default generator's learning rates with tiny networks and few epochs."""
    tiny = dict(epochs=3, embedding_dim=16, generator_dim=(32, 32), discriminator_dim=(32, 32))
    return clone(default_generator()).set_params(**{**tiny, **params})


FAST = dict(generator=small_generator(), random_state=0)


# The classifier filter's gradient boosting dominates these checks' time; the slow tier runs it.
@parametrize_with_checks(
    [
        GANOversampler(
            generator=small_generator(epochs=1, max_modes=2, mixture_max_rows=200),
            quality_filter="nearest",
            random_state=0,
        )
    ]
)
def test_imblearn_estimator_checks_on_small_settings(estimator, check):
    check(estimator)


@pytest.mark.slow
@parametrize_with_checks([GANOversampler(random_state=0)])
def test_imblearn_estimator_checks_at_defaults(estimator, check):
    check(estimator)


def mixed_table(n=300, seed=0, minority=30):
    rng = np.random.default_rng(seed)
    y = np.array(["rare"] * minority + ["common"] * (n - minority), dtype=object)
    X = pd.DataFrame(
        {
            "income": np.where(y == "rare", 80.0, 40.0) + rng.normal(0, 5, n),
            "age": rng.integers(18, 80, n).astype("int64"),
            "city": pd.Categorical(rng.choice(["north", "south", "east"], n)),
            "member": rng.random(n) < 0.4,
            "score": rng.normal(size=n),
        }
    )
    X.loc[rng.random(n) < 0.15, "score"] = np.nan
    return X, pd.Series(y, name="label")


def test_dataframe_in_dataframe_out_with_dtypes_and_original_rows_first():
    X, y = mixed_table()
    X_res, y_res = GANOversampler(**FAST).fit_resample(X, y)
    assert isinstance(X_res, pd.DataFrame) and isinstance(y_res, pd.Series) and y_res.name == "label"
    pd.testing.assert_series_equal(X_res.dtypes, X.dtypes)
    pd.testing.assert_frame_equal(X_res.iloc[: len(X)].reset_index(drop=True), X.reset_index(drop=True))
    assert (y_res.iloc[: len(y)].to_numpy() == y.to_numpy()).all()
    assert Counter(y_res) == {"rare": 270, "common": 270}
    assert set(X_res["city"].cat.categories) == set(X["city"].cat.categories)
    assert X_res["score"].isna().any(), "NaN survives in real rows and may be generated"


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_generated_rows_follow_their_class(seed):
    X, y = mixed_table(n=600, minority=60)
    sampler = GANOversampler(random_state=seed)
    X_res, y_res = sampler.fit_resample(X, y)
    new = X_res.iloc[len(X) :]
    assert (y_res.iloc[len(X) :] == "rare").all()
    # rare rows have income ~80, common ~40: conditioning on the class must carry that over
    assert new["income"].mean() > 60, new["income"].mean()


def test_numpy_float32_and_string_labels_keep_their_types():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3)).astype(np.float32)
    y = np.array(["a"] * 100 + ["b"] * 20)
    X_res, y_res = GANOversampler(**FAST).fit_resample(X, y)
    assert X_res.dtype == np.float32 and y_res.dtype == y.dtype
    assert (X_res[:120] == X).all() and Counter(y_res) == {"a": 100, "b": 100}


def test_multiclass_dict_strategy_gives_exact_counts():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    y = np.repeat([0, 1, 2], [140, 40, 20])
    X_res, y_res = GANOversampler(sampling_strategy={1: 90, 2: 55}, **FAST).fit_resample(X, y)
    assert Counter(y_res) == {0: 140, 1: 90, 2: 55}


@pytest.mark.parametrize(
    "strategy, expected",
    [("minority", {0: 100, 1: 30, 2: 100}), (0.5, None), ("all", {0: 100, 1: 100, 2: 100})],
)
def test_sampling_strategy_semantics_match_imblearn(strategy, expected):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(160, 3))
    y = np.repeat([0, 1, 2], [100, 30, 30])
    if strategy == 0.5:
        y, X = y[:130], X[:130]
        expected = {0: 100, 1: 50}
    _, y_res = GANOversampler(sampling_strategy=strategy, **FAST).fit_resample(X, y)
    if strategy == "minority":  # imblearn picks the first minority class on ties
        assert sorted(Counter(y_res).values()) == [30, 100, 100]
    else:
        assert Counter(y_res) == expected


def test_augment_ratio_adds_rows_to_every_class():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = np.repeat([0, 1], [40, 20])
    _, y_res = GANOversampler(sampling_strategy={}, augment_ratio=1.0, **FAST).fit_resample(X, y)
    assert Counter(y_res) == {0: 80, 1: 40}
    _, y_res = GANOversampler(augment_ratio=0.5, **FAST).fit_resample(X, y)
    assert Counter(y_res) == {0: 60, 1: 50}


def test_two_row_minority_warns_and_one_row_minority_errors():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(52, 2))
    y = np.array([0] * 50 + [1] * 2)
    with pytest.warns(UserWarning, match="class 1 has only 2 rows"):
        _, y_res = GANOversampler(**FAST).fit_resample(X, y)
    assert Counter(y_res) == {0: 50, 1: 50}
    with pytest.raises(ValueError, match="class 1 has 1 row"):
        GANOversampler(**FAST).fit_resample(X[:51], y[:51])


@pytest.mark.slow
def test_fifty_row_table():
    X, y = mixed_table(n=50, minority=8)
    sampler = GANOversampler(random_state=0)
    X_res, y_res = sampler.fit_resample(X, y)
    assert len(X_res) == 84 and Counter(y_res) == {"rare": 42, "common": 42}
    assert sampler.training_steps_ == {
        "rare": auto_training_steps(8, per_class=True)
    }  # one GAN, on the 8 rare rows
    joint = GANOversampler(per_class=False, random_state=0)
    joint.fit_resample(X, y)
    assert joint.training_steps_ == auto_training_steps(50)


def test_auto_training_steps_give_per_class_gans_ten_steps_a_row():
    # A joint GAN: one step per row; a per-class GAN: ten per row of its class; both in [500, 1500].
    assert [auto_training_steps(n) for n in (8, 500, 900, 5000)] == [500, 500, 900, 1500]
    assert [auto_training_steps(n, per_class=True) for n in (8, 50, 51, 120, 150, 5000)] == [
        500,
        500,
        510,
        1200,
        1500,
        1500,
    ]
    # ... and the sampler plans its GANs by the rule of its mode: (batch, epochs, steps) for 60 rows.
    assert training_plan(default_generator(), 60, per_class=True) == (60, 600, 600)
    assert training_plan(default_generator(), 60, per_class=False) == (60, 500, 500)
    # Numbers set on the generator are kept.
    assert training_plan(small_generator(epochs=7, batch_size=20), 60, per_class=True) == (20, 7, 21)


def test_categorical_features_by_index_name_and_mask():
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(size=100), rng.integers(0, 3, 100)]).astype(float)
    y = np.repeat([0, 1], [80, 20])
    for spec in ([1], [False, True]):
        sampler = GANOversampler(categorical_features=spec, **FAST)
        X_res, _ = sampler.fit_resample(X, y)
        assert set(np.unique(X_res[:, 1])) <= {0.0, 1.0, 2.0}
        assert sampler.gans_[1].columns_[1].kind == "categorical"
    frame = pd.DataFrame(X, columns=["x", "code"])
    sampler = GANOversampler(categorical_features=["code"], per_class=False, **FAST)
    sampler.fit_resample(frame, y)
    assert sampler.gan_.columns_[1].kind == "categorical"
    with pytest.raises(ValueError, match="unknown column 'nope'"):
        GANOversampler(categorical_features=["nope"], **FAST).fit_resample(frame, y)
    with pytest.raises(ValueError, match="mask has 1 entries for 2 features"):
        GANOversampler(categorical_features=[True], **FAST).fit_resample(X, y)


@pytest.mark.parametrize("quality_filter", ["classifier", "nearest", None])
def test_quality_filter_keeps_exact_counts(quality_filter):
    X, y = mixed_table()
    X_res, y_res = GANOversampler(quality_filter=quality_filter, **FAST).fit_resample(X, y)
    assert Counter(y_res) == {"rare": 270, "common": 270}
    pd.testing.assert_series_equal(X_res.dtypes, X.dtypes)


def test_nearest_filter_keeps_rows_on_their_class_side_even_for_a_three_row_class():
    # "rare" rows have income near 80, "common" near 40. An untrained GAN (1 epoch) puts its
    # "rare" rows anywhere; the filter must keep those nearer the rare rows than the common ones.
    # It can only choose among the candidates: when a seed's GAN makes none near 80 (seed 1 of
    # 0-7), the kept rows still move towards 80 but cannot cross 60.
    X, y = mixed_table(n=200, minority=3)
    gains = []
    for seed in (0, 1, 2):
        options = dict(generator=small_generator(epochs=1), random_state=seed, filter_oversampling=6.0)
        with pytest.warns(UserWarning, match="only 3 rows"):
            plain_X, plain_y = GANOversampler(quality_filter=None, per_class=False, **options).fit_resample(
                X, y
            )
            kept_X, kept_y = GANOversampler(
                quality_filter="nearest", per_class=False, **options
            ).fit_resample(X, y)
        plain = plain_X["income"].to_numpy()[200:][plain_y[200:] == "rare"]
        kept = kept_X["income"].to_numpy()[200:][kept_y[200:] == "rare"]
        assert len(kept) == len(plain) == 194
        assert np.mean(np.abs(kept - 80)) < np.mean(np.abs(plain - 80)), seed
        gains.append(np.mean(kept > 60) - np.mean(plain > 60))
    assert sum(gain > 0.1 for gain in gains) >= 2, gains


def test_same_seed_same_rows_and_no_transform():
    X, y = mixed_table()
    a = GANOversampler(**FAST).fit_resample(X, y)[0]
    b = GANOversampler(**FAST).fit_resample(X, y)[0]
    pd.testing.assert_frame_equal(a, b)
    assert not hasattr(GANOversampler(), "transform")


def pipeline(**sampler_params):
    from sklearn.compose import ColumnTransformer

    encode = ColumnTransformer(
        [("cat", OneHotEncoder(handle_unknown="ignore"), ["city", "member"])],
        remainder="passthrough",
    )
    from sklearn.impute import SimpleImputer

    return Pipeline(
        [
            ("aug", GANOversampler(**{**FAST, **sampler_params})),
            ("encode", encode),
            ("impute", SimpleImputer()),
            ("clf", LogisticRegression(max_iter=500)),
        ]
    )


def test_pipeline_cross_validation_and_grid_search():
    X, y = mixed_table()
    scores = cross_val_score(pipeline(), X, y, cv=StratifiedKFold(3), scoring="balanced_accuracy")
    assert scores.shape == (3,) and np.all((scores >= 0) & (scores <= 1))
    search = GridSearchCV(
        pipeline(), {"aug__generator__epochs": [1, 2]}, cv=StratifiedKFold(2), scoring="balanced_accuracy"
    )
    search.fit(X, y)
    best = search.best_params_["aug__generator__epochs"]
    assert best in (1, 2)
    sampler = search.best_estimator_.named_steps["aug"]
    assert sampler.generator.epochs == best and sampler.gans_["rare"].epochs == best


def test_clone_pickle_and_pipeline_memory(tmp_path):
    X, y = mixed_table()
    sampler = GANOversampler(**FAST)

    def params(estimator):  # estimators compare by identity: compare the generator by its parameters
        return {k: v for k, v in estimator.get_params(deep=True).items() if k != "generator"}

    assert params(clone(sampler)) == params(sampler)
    sampler.fit_resample(X, y)
    restored = pickle.loads(pickle.dumps(sampler))
    pd.testing.assert_frame_equal(
        restored.gans_["rare"].sample(20, random_state=1), sampler.gans_["rare"].sample(20, random_state=1)
    )
    model = pipeline()
    model.set_params(memory=joblib.Memory(tmp_path, verbose=0))
    model.fit(X, y)
    assert model.predict(X.head(5)).shape == (5,)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_per_class_trains_one_gan_per_oversampled_class_on_its_rows_alone(seed):
    X, y = mixed_table()
    X.loc[y == "rare", "score"] = np.nan  # no value in the class: that column stays missing
    generator = small_generator(epochs=20)
    sampler = GANOversampler(per_class=True, quality_filter=None, generator=generator, random_state=seed)
    X_res, y_res = sampler.fit_resample(X, y)
    assert set(sampler.gans_) == {"rare"} and not hasattr(sampler, "gan_")
    assert Counter(y_res) == {"rare": 270, "common": 270}
    pd.testing.assert_series_equal(X_res.dtypes, X.dtypes)
    new = X_res.iloc[300:]
    assert new["score"].isna().all()
    # Trained on the rare rows only (income near 80, common rows near 40).
    assert new["income"].mean() > 60, new["income"].mean()
    assert sampler.training_epochs_ == {"rare": 20}
    sampler.set_params(per_class=False).fit_resample(X, y)
    assert hasattr(sampler, "gan_") and not hasattr(sampler, "gans_")
    filtered = GANOversampler(per_class=True, **FAST).fit_resample(np.asarray(X[["income", "age"]]), y)
    assert Counter(filtered[1]) == {"rare": 270, "common": 270}


@pytest.mark.parametrize("per_class", [True, False])
def test_bad_feature_columns_get_errors_naming_them_in_both_modes(per_class):
    X, y = mixed_table()
    options = dict(FAST, per_class=per_class, quality_filter=None)
    with pytest.raises(ValueError, match="column 'score' is entirely missing"):
        GANOversampler(**options).fit_resample(X.assign(score=np.nan), y)
    with pytest.raises(ValueError, match="column 'income' holds 1 infinite"):
        GANOversampler(**options).fit_resample(
            X.assign(income=np.where(np.arange(len(X)) == 3, np.inf, X["income"])), y
        )


def test_every_generator_parameter_is_reachable_and_the_generator_is_cloned():
    generator = small_generator(epochs=2, max_modes=3, clip=False)
    sampler = GANOversampler(generator=generator, random_state=0)
    params = sampler.get_params(deep=True)
    for name, value in generator.get_params().items():
        assert params[f"generator__{name}"] == value
    X, y = mixed_table()
    sampler.fit_resample(X, y)
    fitted = sampler.gans_["rare"]
    assert fitted is not generator and not hasattr(generator, "generator_"), (
        "the given generator stays unfitted"
    )
    assert (fitted.max_modes, fitted.clip, fitted.epochs) == (3, False, 2)
    assert fitted.random_state != generator.random_state, "seeded by the sampler"


def test_deprecated_generator_options_warn_and_give_the_same_rows_as_the_generator():
    X, y = mixed_table()
    with pytest.warns(FutureWarning, match=r"generator=TabularGAN\(epochs=3, pac=5\)"):
        old = GANOversampler(epochs=3, pac=5, random_state=0).fit_resample(X, y)[0]
    new = GANOversampler(generator=clone(default_generator()).set_params(epochs=3, pac=5), random_state=0)
    pd.testing.assert_frame_equal(old, new.fit_resample(X, y)[0])
