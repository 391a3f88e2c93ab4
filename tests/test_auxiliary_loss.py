"""The auxiliary classifier loss: its gradients, determinism, parameters and refusals."""

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError

import gansynth
from gansynth import GANOversampler, TabularGAN
from gansynth.errors import InputError
from gansynth.tabular.auxiliary import AuxiliaryLoss
from gansynth.tabular.fitting import _auxiliary_loss
from gansynth.tabular.networks import AuxiliaryClassifier
from gansynth.tabular.training import train_step
from tests.conftest import TINY, training_modules


def labelled_table(n=120, seed=0):
    """Two numeric features whose mean follows a binary label, and a categorical one."""
    rng = np.random.default_rng(seed)
    label = np.where(rng.random(n) < 0.25, "rare", "common")
    return pd.DataFrame(
        {
            "a": rng.normal(size=n) + 3.0 * (label == "rare"),
            "b": rng.normal(size=n),
            "colour": rng.choice(["red", "blue"], size=n),
            "label": label,
        }
    )


def fitted(constraints="auto", **params):
    return TabularGAN(**{**TINY, "random_state": 0, **params}).fit(labelled_table(), constraints=constraints)


def _gradients(module):
    return [p.grad.clone() for p in module.parameters()]


def test_the_auxiliary_loss_changes_the_generators_gradients_only_when_enabled():
    model = fitted(constraints=None, auxiliary_target="label")
    data = model.transformer_.encode_rows(labelled_table()).dense
    outcomes = {}
    for name in ("off", "off again", "on"):
        auxiliary = _auxiliary_loss(model, None) if name == "on" else None
        modules = training_modules(model, auxiliary=auxiliary)
        train_step(modules, data, model.condition_sampler_, 40, torch.Generator().manual_seed(1))
        outcomes[name] = _gradients(modules.generator), _gradients(modules.discriminator)
    (off_g, off_d), (again_g, again_d), (on_g, on_d) = outcomes.values()
    assert all(torch.equal(a, b) for a, b in zip(off_g, again_g))
    assert any(not torch.allclose(a, b) for a, b in zip(off_g, on_g))
    # The critic's update comes before the auxiliary loss's draws and never sees it.
    assert all(torch.equal(a, b) for a, b in zip(off_d, on_d))


def test_the_auxiliary_loss_is_differentiable_in_the_other_columns_and_spares_the_classifier():
    torch.manual_seed(0)
    classifier = AuxiliaryClassifier(5, (8,), 3)
    auxiliary = AuxiliaryLoss(classifier, torch.optim.SGD(classifier.parameters(), lr=0.1), 2, 3, 2.0)
    fake = torch.randn(16, 8).requires_grad_(True)
    loss = auxiliary.generator_loss(fake, torch.Generator().manual_seed(0))
    loss.backward()
    assert loss.item() > 0
    assert fake.grad[:, [0, 1, 5, 6, 7]].abs().sum() > 0
    assert torch.equal(fake.grad[:, 2:5], torch.zeros(16, 3))  # the label is the block's argmax
    assert all(p.grad is None for p in classifier.parameters())
    assert all(p.requires_grad for p in classifier.parameters())


def test_the_classifier_learns_the_target_from_the_real_rows():
    # Without the table's logic, the engine's table is the table itself ("a"'s range by label
    # would otherwise be learned, and the engine would see "a" as a position within that range).
    model = fitted(constraints=None, auxiliary_target="label", epochs=30, discriminator_lr=1e-3)
    data = model.transformer_.encode_rows(labelled_table()).dense
    auxiliary = _auxiliary_loss(model, None)
    features, labels = auxiliary.split(data)
    model.auxiliary_classifier_.eval()
    accuracy = (model.auxiliary_classifier_(features).argmax(1) == labels).float().mean().item()
    # "rare" rows sit 3 standard deviations higher in "a": far better than the 75% of guessing "common".
    assert accuracy > 0.85


def test_the_same_random_state_gives_the_same_rows_and_the_loss_changes_them():
    first = fitted(auxiliary_target="label").sample(50, random_state=3)
    again = fitted(auxiliary_target="label").sample(50, random_state=3)
    without = fitted().sample(50, random_state=3)
    pd.testing.assert_frame_equal(first, again)
    assert not first.equals(without)


def test_off_by_default_and_without_a_classifier():
    model = fitted()
    assert model.auxiliary_target is None and model.auxiliary_classifier_ is None


def test_clone_and_get_params_keep_the_options():
    model = TabularGAN(auxiliary_target="label", auxiliary_weight=2.5)
    params = clone(model).get_params()
    assert params["auxiliary_target"] == "label" and params["auxiliary_weight"] == 2.5
    sampler = GANOversampler(per_class=False, auxiliary_loss=True, generator=model)
    deep = clone(sampler).get_params(deep=True)
    assert deep["auxiliary_loss"] is True and deep["generator__auxiliary_weight"] == 2.5


@pytest.mark.parametrize(
    "target, match",
    [
        ("nope", "auxiliary_target 'nope' is not a column"),
        ("a", "auxiliary_target 'a' is a continuous column; the auxiliary classifier needs a discrete"),
    ],
)
def test_a_bad_target_column_is_refused_naming_it(target, match):
    with pytest.raises(InputError, match=match):
        fitted(auxiliary_target=target)


def test_a_target_that_is_the_only_column_is_refused():
    with pytest.raises(InputError, match="'label' is the only column"):
        TabularGAN(**TINY, auxiliary_target="label").fit(labelled_table()[["label"]])


def test_a_non_positive_weight_is_refused():
    with pytest.raises(InvalidParameterError, match="'auxiliary_weight' parameter of TabularGAN"):
        fitted(auxiliary_target="label", auxiliary_weight=0.0)


def test_a_target_with_a_functional_dependency_stays_in_the_engines_table():
    table = labelled_table()
    table["label_copy"] = table["label"].map({"rare": "R", "common": "C"})
    model = TabularGAN(**TINY, random_state=0, auxiliary_target="label_copy").fit(table)
    assert "label_copy" in [spec.name for spec in model.transformer_.specs_]


def test_a_model_trained_with_the_loss_saves_loads_and_samples_alike(tmp_path):
    model = fitted(auxiliary_target="label", auxiliary_weight=0.5)
    loaded = gansynth.load(model.save(tmp_path / "aux.gsyn"))
    assert loaded.auxiliary_target == "label" and loaded.auxiliary_weight == 0.5
    assert loaded.auxiliary_classifier_ is None
    pd.testing.assert_frame_equal(loaded.sample(20, random_state=1), model.sample(20, random_state=1))


def oversampler_data(n=160, seed=0):
    table = labelled_table(n, seed)
    return table.drop(columns="label"), (table["label"] == "rare").astype(int).to_numpy()


def test_the_joint_oversampler_sets_the_target_it_creates_on_its_clone_only():
    X, y = oversampler_data()
    generator = TabularGAN(**TINY)
    sampler = GANOversampler(per_class=False, auxiliary_loss=True, generator=generator, random_state=0)
    X_res, y_res = sampler.fit_resample(X, y)
    assert sampler.gan_.auxiliary_target == "__gansynth_target__"
    assert sampler.gan_.auxiliary_classifier_ is not None
    assert generator.auxiliary_target is None  # the user's generator is untouched
    assert (y_res == 1).sum() == (y_res == 0).sum()
    plain = GANOversampler(per_class=False, generator=generator, random_state=0).fit_resample(X, y)[0]
    assert not X_res.equals(plain)


def test_the_oversampler_refuses_the_loss_with_per_class_gans():
    X, y = oversampler_data()
    sampler = GANOversampler(auxiliary_loss=True, generator=TabularGAN(**TINY), random_state=0)
    with pytest.raises(InputError, match="auxiliary_loss=True needs per_class=False"):
        sampler.fit_resample(X, y)
