"""End-to-end test of the downstream benchmark harness on a small synthetic table (no shared data)."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest

from benchmarks import _augmenters, downstream
from benchmarks.__main__ import main as benchmarks_main
from benchmarks._cells import Cell, make_split, run_cell, setting_indices
from benchmarks.downstream import Profile, run


def toy_loader(dataset: str):
    """600 rows, 8% minority, numeric + categorical columns with NaN; the minority is separable."""
    rng = np.random.default_rng(0 if dataset == "toy" else 1)
    n = 600
    y = (rng.random(n) < 0.08).astype(int)
    X = pd.DataFrame(
        {
            "a": rng.normal(size=n) + 2.0 * y,
            "b": rng.normal(size=n) - 1.0 * y,
            "count": rng.integers(0, 5, size=n) + 2 * y,
            "colour": pd.Categorical(
                np.where(
                    y == 1,
                    rng.choice(["red", "blue"], n, p=[0.8, 0.2]),
                    rng.choice(["red", "blue", "green"], n),
                )
            ),
        }
    )
    X.loc[rng.random(n) < 0.05, "b"] = np.nan
    return X, y


MINI = Profile(
    "mini",
    datasets=("toy",),
    settings=("natural", "ratio_1:20", "n_100"),
    classifiers=("logreg",),
    n_splits=2,
    augmenters={"none": {}, "RandomOverSampler": {}, "SMOTE": {}, "ADASYN": {}},
)


def _rows(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_mini_profile_end_to_end_and_resume(tmp_path):
    report = run(MINI, toy_loader, tmp_path, stem="mini", include_gan=False, log=lambda *_: None)

    rows = _rows(tmp_path / "mini_runs.csv")
    # 3 settings x 2 splits x 4 augmenters x 1 classifier, nothing missing, nothing failed.
    assert len(rows) == 24
    assert {r["status"] for r in rows} == {"ok"}
    for r in rows:
        assert 0.0 <= float(r["pr_auc"]) <= 1.0
        assert 0.0 <= float(r["balanced_accuracy"]) <= 1.0
        assert float(r["roc_auc"]) > 0.75, r  # the minority is separable: a broken pipeline would be ~0.5
        if r["augmenter"] == "none":
            assert int(r["n_synthetic"]) == 0
        else:  # oversamplers balance the classes (ADASYN only roughly, by design)
            n_maj = int(r["n_train"]) - int(r["n_train_minority"])
            missing = n_maj - int(r["n_train_minority"])
            if r["augmenter"] == "ADASYN":
                assert abs(int(r["n_synthetic"]) - missing) <= 0.1 * missing
            else:
                assert int(r["n_synthetic"]) == missing
    sizes = {r["n_train"] for r in rows if r["setting"] == "n_100"}
    assert sizes == {"100"}

    text = report.read_text()
    assert "PARTIAL" not in text and "status: **complete**" in text
    assert "Wilcoxon signed-rank" in text and "vs **SMOTE**" in text and "vs **none**" in text
    assert "Friedman test" in text
    assert "At thresholds tuned on the training rows" in text
    assert "by the training set's real minority rows" in text
    for plot in ("mini_ranks.png", "mini_gain.png", "mini_learning_curves.png"):
        assert (tmp_path / plot).stat().st_size > 1000

    before = (tmp_path / "mini_runs.csv").read_bytes()
    messages = []
    run(MINI, toy_loader, tmp_path, stem="mini", include_gan=False, log=messages.append)
    assert (tmp_path / "mini_runs.csv").read_bytes() == before
    assert "0 to run" in messages[0]

    # An augmenter run on a third of the blocks is kept out of the main ranks but compared head to head.
    partial = Profile("mini", ("toy",), ("natural",), ("logreg",), 2, {"BorderlineSMOTE": {}})
    text = run(
        partial,
        toy_loader,
        tmp_path,
        stem="mini",
        include_gan=False,
        report_profile=MINI,
        log=lambda *_: None,
    ).read_text()
    assert "Each is ranked below" in text and "| BorderlineSMOTE | 2 |" in text

    # GANOversampler variants are counted apart: unrun, they leave the main grid complete.
    with_variant = Profile(
        "mini",
        MINI.datasets,
        MINI.settings,
        MINI.classifiers,
        2,
        MINI.augmenters,
        {"GANOversampler[x]": {"epochs": 1}},
    )
    text = downstream.report(with_variant, toy_loader, tmp_path, stem="mini", include_gan=True).read_text()
    assert "status: **complete for the main augmenters; GANOversampler variants: 0 of 6 cells" in text


def test_failing_augmenter_is_recorded_not_dropped(tmp_path, monkeypatch):
    def broken():
        def augment(X, y, random_state):
            raise RuntimeError("boom on purpose")

        return augment

    monkeypatch.setitem(_augmenters._FACTORIES, "Broken", (broken, _augmenters.CHEAP))
    profile = Profile("mini", ("toy",), ("natural",), ("logreg",), 1, {"none": {}, "Broken": {}})
    report = run(profile, toy_loader, tmp_path, stem="fail", include_gan=False, log=lambda *_: None)
    failed = [r for r in _rows(tmp_path / "fail_runs.csv") if r["augmenter"] == "Broken"]
    assert len(failed) == 1 and failed[0]["status"] == "failed"
    assert "RuntimeError: boom on purpose" in failed[0]["error"]
    assert "boom on purpose" in report.read_text()


def test_settings_keep_test_set_and_cut_only_training_minority():
    X, y = toy_loader("toy")
    train, test = make_split(y, 0)
    assert not set(train) & set(test)
    assert make_split(y, 0)[1].tolist() == test.tolist()  # repeatable: resume sees the same test set
    y_train = y[train]
    kept = setting_indices(y_train, "ratio_1:20", seed=1)
    assert (y_train[kept] == 0).sum() == (y_train == 0).sum()
    assert (y_train[kept] == 1).sum() == round((y_train == 0).sum() / 20)
    assert setting_indices(y_train, "ratio_1:5", seed=1) is None  # already rarer than 1:5
    subset = setting_indices(y_train, "n_50", seed=1)
    assert len(subset) == 50 and (y_train[subset] == 1).sum() >= 2


def test_smote_family_handles_nan_categoricals_and_tiny_classes():
    X, y = toy_loader("toy")
    X_small = pd.concat([X[y == 0].head(40), X[y == 1].head(3)], ignore_index=True)
    y_small = np.array([0] * 40 + [1] * 3)
    X_res, y_res = _augmenters.make_spec("SMOTE").build()(X_small, y_small, 0)
    assert (y_res == 1).sum() == 40 and not X_res.isna().any().any()
    assert isinstance(X_res["colour"].dtype, pd.CategoricalDtype)
    assert set(X_res["colour"].dropna()) <= set(X["colour"].cat.categories)


def test_sdv_generator_is_class_conditional(tmp_path):
    pytest.importorskip("sdv")
    X, y = toy_loader("toy")
    cell = Cell("toy", "natural", 0, "GaussianCopula")
    rows = run_cell(cell, toy_loader, _augmenters.make_spec("GaussianCopula"), ("logreg",))
    assert rows[0]["status"] == "ok", rows[0].get("error")
    n_maj = rows[0]["n_train"] - rows[0]["n_train_minority"]
    assert rows[0]["n_synthetic"] == n_maj - rows[0]["n_train_minority"]


@pytest.mark.slow
def test_parallel_jobs_match_serial(tmp_path):
    # GaussianCopula too: every registered factory must survive pickling into spawned workers.
    pytest.importorskip("sdv")
    profile = Profile(
        "mini", ("toy",), ("natural",), ("logreg",), 2, {"none": {}, "SMOTE": {}, "GaussianCopula": {}}
    )
    run(profile, toy_loader, tmp_path / "serial", stem="p", include_gan=False, log=lambda *_: None)
    run(profile, toy_loader, tmp_path / "parallel", stem="p", jobs=2, include_gan=False, log=lambda *_: None)

    def scores(folder):
        frame = pd.read_csv(folder / "p_runs.csv")
        assert set(frame["status"]) == {"ok"}, frame["error"].dropna().tolist()
        return frame.set_index(["split", "augmenter"])["pr_auc"].sort_index()

    pd.testing.assert_series_equal(scores(tmp_path / "serial"), scores(tmp_path / "parallel"))


def test_cli_dispatch_and_missing_data_dir(capsys, tmp_path):
    assert benchmarks_main(["--help"]) == 0
    assert "downstream" in capsys.readouterr().out
    assert benchmarks_main(["nonsense"]) == 2
    assert benchmarks_main(["downstream", "--data-dir", str(tmp_path / "absent")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert benchmarks_main(["downstream", "--data-dir", str(tmp_path), "--settings", "natural,n_7"]) == 2
    assert "['n_7'] are not in the quick profile" in capsys.readouterr().err


def test_gan_oversampler_is_included_exactly_when_importable(tmp_path):
    profile = Profile(
        "mini",
        ("toy",),
        ("natural",),
        ("logreg",),
        1,
        {"none": {}},
        gan_variants={"GANOversampler": {"epochs": 1}},
    )
    messages = []
    run(profile, toy_loader, tmp_path, stem="g", log=messages.append)
    augmenters = {r["augmenter"] for r in _rows(tmp_path / "g_runs.csv")}
    if _augmenters.gan_oversampler_available():
        assert augmenters == {"none", "GANOversampler"}
    else:
        assert augmenters == {"none"} and "not importable" in messages[0]


@pytest.mark.parametrize("name", ["CTGAN", "TVAE"])
def test_sdv_neural_generators_plug_in(name):
    pytest.importorskip("sdv")
    rows = run_cell(
        Cell("toy", "natural", 0, name), toy_loader, _augmenters.make_spec(name, {"epochs": 1}), ("logreg",)
    )
    assert rows[0]["status"] == "ok", rows[0].get("error")
    assert rows[0]["n_synthetic"] > 0


def test_minority_only_tabular_gan_plugs_in_and_keeps_an_all_nan_column():
    X, y = toy_loader("toy")
    X = X.assign(blank=np.where(y == 1, np.nan, 1.0))  # no value among the minority rows
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("gansynth.sampling.tabular.auto_training_steps", lambda n_rows, per_class=False: 20)
        X_res, y_res = _augmenters.make_spec("TabularGAN-minority").build()(X, y, 0)
    assert (y_res == 1).sum() == (y == 0).sum()
    pd.testing.assert_series_equal(X_res.dtypes, X.dtypes)
    assert X_res["blank"][len(X) :].isna().all()


@pytest.mark.slow  # short GANs per inner fold: 30-90 s on a shared 2-core machine
def test_class_weights_and_augmented_cv_cells_share_gan_draws(tmp_path, monkeypatch):
    monkeypatch.setattr("gansynth.sampling.tabular.auto_training_steps", lambda n_rows, per_class=False: 20)
    cache = str(tmp_path / "cache")
    rows = {}
    for name in ("class weights", "GANOversampler", "AugmentedClassifierCV"):
        cell = Cell("toy", "n_100", 0, name)
        rows[name] = run_cell(cell, toy_loader, _augmenters.make_spec(name), ("logreg", "hist_gb"), cache)
    for name, result in rows.items():
        assert [r["status"] for r in result] == ["ok", "ok"], (name, result[0].get("error"))
        for r in result:
            assert 0 <= r["balanced_accuracy_tuned"] <= 1 and 0 <= r["f1_minority_tuned"] <= 1
    assert {r["n_synthetic"] for r in rows["class weights"]} == {0}
    assert all(r["amount"] in (0.0, 0.25, 0.5, 1.0) for r in rows["AugmentedClassifierCV"])
    # GANOversampler's threshold tuning drew the inner folds' GAN rows; AugmentedClassifierCV reused them.
    assert len(list((tmp_path / "cache").rglob("output.pkl"))) <= 3 + 1


def test_tuned_threshold_metrics_are_reported():
    rows = run_cell(Cell("toy", "natural", 0, "none"), toy_loader, _augmenters.make_spec("none"), ("logreg",))
    assert rows[0]["status"] == "ok"
    assert rows[0]["balanced_accuracy_tuned"] >= rows[0]["balanced_accuracy"] - 0.1
    assert 0 < rows[0]["f1_minority_tuned"] <= 1


def test_minority_size_breakdown_pairs_each_run_with_none():
    from benchmarks._report import minority_size_table

    def run_row(augmenter, split, minority, pr_auc):
        return dict(
            dataset="d",
            setting="natural",
            split=split,
            classifier="logreg",
            augmenter=augmenter,
            n_train_minority=minority,
            pr_auc=pr_auc,
        )

    ok = pd.DataFrame(
        [
            run_row("none", 0, 4, 0.50),
            run_row("SMOTE", 0, 4, 0.60),  # gain +0.10, bin 2-5
            run_row("none", 1, 30, 0.40),
            run_row("SMOTE", 1, 30, 0.30),  # gain -0.10, bin 16-40
            run_row("none", 2, 35, 0.20),
            run_row("SMOTE", 2, 35, 0.25),  # gain +0.05, bin 16-40
        ]
    )
    table = minority_size_table(ok, ["none", "SMOTE"])
    assert table.loc[("2–5", "logreg"), "SMOTE"] == pytest.approx(0.10)
    assert table.loc[("16–40", "logreg"), "SMOTE"] == pytest.approx(-0.025)
    assert table.loc[("16–40", "logreg"), "runs of none"] == 2
    assert ("6–15", "logreg") not in table.index
