"""ImageGANOversampler as a wrapper: scikit-learn and imbalanced-learn checks, the generator
parameter (clone, nested parameters) and the deprecated GAN keywords."""

import numpy as np
import pytest
from imblearn.utils.estimator_checks import parametrize_with_checks as parametrize_with_sampler_checks
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.utils.estimator_checks import parametrize_with_checks

from gansynth import ImageGAN, ImageGANOversampler

TINY_GAN = ImageGAN(
    epochs=1,
    batch_size=16,
    latent_dim=4,
    generator_width=2,
    discriminator_width=2,
    embedding_dim=2,
    verbose=False,
    device="cpu",
)
CHECKED = ImageGANOversampler(image_shape=(8, 8), generator=TINY_GAN, random_state=0)

_NOT_IMAGES = "the check's rows have 1-20 features; image_shape=(8, 8) needs 64 per row"
# Checks that fit on arbitrary feature counts; the API checks (clone, get_params, set_params,
# __init__ conventions, tags) run for real.
SKLEARN_XFAIL = dict.fromkeys(
    (
        "check_fit_score_takes_y",
        "check_estimators_overwrite_params",
        "check_dont_overwrite_parameters",
        "check_estimators_fit_returns_self",
        "check_readonly_memmap_input",
        "check_n_features_in_after_fitting",
        "check_positive_only_tag_during_fit",
        "check_estimators_dtypes",
        "check_pipeline_consistency",
        "check_estimators_nan_inf",
        "check_estimators_pickle",
        "check_f_contiguous_array_estimator",
        "check_methods_sample_order_invariance",
        "check_methods_subset_invariance",
        "check_fit2d_1sample",
        "check_fit2d_1feature",
        "check_dict_unchanged",
        "check_fit_idempotent",
        "check_fit_check_is_fitted",
        "check_n_features_in",
        "check_fit2d_predict1d",
    ),
    _NOT_IMAGES,
)
SKLEARN_XFAIL["check_dtype_object"] = (
    "object arrays are refused: pixels must be numeric (and rows are not images)"
)
IMBLEARN_XFAIL = dict.fromkeys(
    (
        "check_samplers_one_label",
        "check_samplers_fit",
        "check_samplers_fit_resample",
        "check_samplers_sampling_strategy_fit_resample",
        "check_samplers_pandas",
        "check_samplers_list",
        "check_samplers_multiclass_ova",
        "check_samplers_preserve_dtype",
        "check_samplers_sample_indices",
        "check_samplers_2d_target",
        "check_sampler_get_feature_names_out",
        "check_sampler_get_feature_names_out_pandas",
    ),
    _NOT_IMAGES,
)
IMBLEARN_XFAIL["check_samplers_pandas_sparse"] = "sparse input is refused: pixels must be dense"


@parametrize_with_checks([CHECKED], expected_failed_checks=lambda _: SKLEARN_XFAIL)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@parametrize_with_sampler_checks([CHECKED], expected_failed_checks=lambda _: IMBLEARN_XFAIL)
def test_imblearn_sampler_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def imbalanced_rows():
    digits = load_digits()
    keep = np.flatnonzero(digits.target < 3)[:150]
    X, y = digits.data[keep], digits.target[keep]
    rare = np.flatnonzero(y == 2)[10:]
    keep = np.setdiff1d(np.arange(len(y)), rare)
    return X[keep], y[keep]


def test_generator_is_cloned_and_its_parameters_are_nested():
    sampler = ImageGANOversampler(image_shape=(8, 8), generator=ImageGAN(epochs=3))
    copy = clone(sampler)
    assert copy.get_params(deep=True)["generator__epochs"] == 3
    assert copy.generator is not sampler.generator
    copy.set_params(generator__epochs=2, generator__class_balance=True)
    assert copy.generator.epochs == 2 and copy.generator.class_balance
    assert sampler.generator.epochs == 3  # the original is untouched
    assert "generator__epochs" not in ImageGANOversampler().get_params(deep=True)  # None: no nesting


def test_fit_trains_a_clone_seeded_by_the_sampler(imbalanced_rows):
    X, y = imbalanced_rows
    generator = TINY_GAN
    sampler = ImageGANOversampler(image_shape=(8, 8), generator=generator, random_state=0)
    X_res, y_res = sampler.fit_resample(X, y)
    assert not hasattr(generator, "generator_")  # the passed GAN stays unfitted
    assert sampler.gan_ is not generator and sampler.gan_.layout == "nhw"
    assert isinstance(sampler.gan_.random_state, int)
    assert np.bincount(y_res).tolist() == [np.bincount(y).max()] * 3


def test_deprecated_keywords_warn_and_take_effect(imbalanced_rows):
    X, y = imbalanced_rows
    legacy = ImageGANOversampler(
        image_shape=(8, 8), random_state=0, epochs=1, generator_width=2, device="cpu"
    )
    assert legacy.get_params()["epochs"] == 1 and ImageGANOversampler().get_params()["epochs"] == "deprecated"
    with pytest.warns(
        FutureWarning, match=r"generator=ImageGAN\(epochs=1, generator_width=2, device='cpu'\)"
    ):
        X_legacy, y_legacy = legacy.fit_resample(X, y)
    assert legacy.gan_.n_epochs_ == 1 and legacy.gan_.generator_width == 2
    assert legacy.gan_.class_balance and not legacy.gan_.verbose  # the default generator's settings
    replacement = ImageGAN(epochs=1, generator_width=2, device="cpu", class_balance=True, verbose=False)
    X_new, y_new = ImageGANOversampler(
        image_shape=(8, 8), random_state=0, generator=replacement
    ).fit_resample(X, y)
    np.testing.assert_array_equal(X_legacy, X_new)
    np.testing.assert_array_equal(y_legacy, y_new)


def test_bad_generator_and_legacy_values_are_rejected(imbalanced_rows):
    X, y = imbalanced_rows
    with pytest.raises(ValueError, match="'generator' parameter"):
        ImageGANOversampler(image_shape=(8, 8), generator="big").fit_resample(X, y)
    with pytest.raises(ValueError, match="'batch_size' parameter"):
        ImageGANOversampler(image_shape=(8, 8), batch_size=1).fit_resample(X, y)
    with pytest.raises(ValueError, match="'batch_size' parameter of ImageGAN"):
        ImageGANOversampler(image_shape=(8, 8), generator=ImageGAN(batch_size=1)).fit_resample(X, y)
