"""gansynth.comparison and `gansynth compare`: methods on the same folds, tuned thresholds, paired tests."""

import importlib

import numpy as np
import pandas as pd
import pytest

from gansynth.cli import main
from gansynth.comparison import compare, format_summary, summarize
from gansynth.comparison.classifiers import tuned_thresholds
from gansynth.comparison.methods import evaluate, registry
from gansynth.errors import InputError
from gansynth.tabular.synthesizer import TabularGAN

# The module, not the function of the same name that gansynth.comparison exports.
compare_module = importlib.import_module("gansynth.comparison.compare")
CHEAP = ["none", "class weights", "RandomOverSampler", "SMOTE"]


def toy_table(n=240, rare=24, seed=0):
    rng = np.random.default_rng(seed)
    y = np.r_[np.ones(rare, int), np.zeros(n - rare, int)]
    X = pd.DataFrame(
        {
            "a": rng.normal(size=n) + 1.5 * y,
            "b": rng.normal(size=n),
            "colour": pd.Categorical(rng.choice(["red", "blue"], n)),
        }
    )
    X.loc[rng.random(n) < 0.05, "b"] = np.nan
    return X, np.where(y == 1, "rare", "common")


@pytest.fixture
def short_gans(monkeypatch):
    """GANOversampler's default generator trained for 20 steps: the plumbing, not the quality."""
    monkeypatch.setattr("gansynth.sampling.tabular.auto_training_steps", lambda n_rows, per_class=False: 20)
    fits = []
    real_fit = TabularGAN.fit

    def counting_fit(self, *args, **kwargs):
        fits.append(1)
        return real_fit(self, *args, **kwargs)

    monkeypatch.setattr(TabularGAN, "fit", counting_fit)
    return fits


def test_tuned_thresholds_known_answers():
    scores = np.array([0.1, 0.2, 0.3, 0.35, 0.9])
    y = np.array([0, 0, 1, 0, 1])
    thresholds = tuned_thresholds(y, scores)
    # F1: >= 0.3 gives 2 of 3 predicted right (F1 0.8); >= 0.9 gives 1 of 1 (F1 0.667).
    assert thresholds["f1_minority_tuned"] == 0.3
    # balanced accuracy: >= 0.3 is (1 + 2/3) / 2 = 0.833, the best.
    assert thresholds["balanced_accuracy_tuned"] == 0.3
    assert tuned_thresholds(np.zeros(3), np.ones(3)) == {
        "f1_minority_tuned": 0.5,
        "balanced_accuracy_tuned": 0.5,
    }


@pytest.mark.slow  # 144 classifier fits with their threshold tuning: 20-130 s on a shared machine
def test_compare_runs_every_method_on_the_same_folds_and_summarizes():
    X, y = toy_table()
    results = compare(X, y, classifier="lr", methods=CHEAP[1:], n_splits=3, n_repeats=2, verbose=False)
    assert len(results) == 3 * 2 * 4 and results["method"].unique().tolist() == CHEAP  # none added first
    for metric in ("pr_auc", "roc_auc", "f1_minority_tuned", "balanced_accuracy_tuned"):
        assert results[metric].between(0, 1).all(), metric
    assert results["roc_auc"].mean() > 0.75  # the rare class is learnable: a broken pipeline is ~0.5
    synthetic = results.groupby("method")["n_synthetic"].mean()
    assert synthetic["none"] == synthetic["class weights"] == 0 and synthetic["SMOTE"] > 100
    assert results.attrs["positive"] == "rare" and results.attrs["classifier"] == "logreg"

    summary = summarize(results)
    assert summary.index.tolist() == CHEAP
    assert np.isnan(summary.loc["none", "pr_auc_p"]) and summary.loc["SMOTE", "pr_auc_wins"].endswith("/6")
    assert 0 <= summary.loc["SMOTE", "pr_auc_p"] <= 1
    by_fold = results.set_index(["repeat", "fold", "method"])["pr_auc"].unstack()
    assert summary.loc["SMOTE", "pr_auc_diff"] == pytest.approx((by_fold["SMOTE"] - by_fold["none"]).mean())
    text = format_summary(summary)
    assert "PR-AUC" in text and "minority F1 (tuned)" in text and "p (Wilcoxon)" in text


def test_thresholds_are_tuned_on_held_out_training_rows_not_the_test_rows():
    # On a rare class that logistic regression underrates, a tuned threshold finds more of it.
    X, y = toy_table(n=400, rare=20, seed=3)
    target = (y == "rare").astype(int)
    train, test = np.arange(0, 400, 2), np.arange(1, 400, 2)
    result = evaluate(
        registry()["none"], "logreg", X.iloc[train].reset_index(drop=True), target[train],
        X.iloc[test].reset_index(drop=True), target[test], seed=0,
    )  # fmt: skip
    assert result["balanced_accuracy_tuned"] > result["balanced_accuracy"]


@pytest.mark.slow  # 12+ short GAN fits: 30-110 s on a shared 2-core machine
def test_gan_methods_share_their_draws(short_gans):
    X, y = toy_table(n=160, rare=20)
    results = compare(
        X, y, classifier="hgb", methods=["GANOversampler", "AugmentedClassifierCV"], n_splits=2, n_repeats=1,
        verbose=False,
    )  # fmt: skip
    acv = results[results["method"] == "AugmentedClassifierCV"]
    assert acv["amount"].isin([0, 0.25, 0.5, 1.0]).all()
    gan = results[results["method"] == "GANOversampler"]
    assert (gan["n_synthetic"] > 0).all() and gan["f1_minority_tuned"].notna().all()
    # per outer fold: the plain GANOversampler, one per inner fold (5) shared by its threshold
    # tuning and AugmentedClassifierCV, and AugmentedClassifierCV's refit when it augments
    assert len(short_gans) == 2 * (1 + 5) + int((acv["amount"] > 0).sum())


@pytest.mark.parametrize(
    "y, params, match",
    [
        (np.resize(["a", "b", "c"], 240), {}, "has 3 classes"),
        (None, {"positive": "purple"}, "positive class 'purple' is not in the target"),
        (None, {"methods": ["none", "magic"]}, r"unknown method\(s\) \['magic'\]"),
        (None, {"n_splits": 30}, r"has 24 row\(s\); 30 folds need at least 30"),
        (np.full(240, "x"), {}, "one class"),
        (None, {"classifier": "svm"}, "unknown classifier 'svm'"),
    ],
)
def test_compare_bad_input(y, params, match):
    X, default_y = toy_table()
    with pytest.raises(InputError, match=match):
        compare(X, default_y if y is None else y, verbose=False, **params)


def test_one_class_is_named_as_written():
    X, _ = toy_table()
    with pytest.raises(InputError, match=r"one class \(1\)"):
        compare(X, np.ones(len(X), dtype=np.int64), verbose=False)


@pytest.mark.parametrize(
    "spoil, match",
    [
        (lambda X: X.iloc[:0], r"0 row\(s\) and 3 feature column\(s\): nothing to compare"),
        (lambda X: X[[]], r"240 row\(s\) and 0 feature column\(s\)"),
        (lambda X: X.assign(a=np.nan), r"column\(s\) \['a'\] are entirely missing"),
        (lambda X: X.assign(b=X["b"].where(X.index > 2, np.inf)), r"column 'b' holds 3 infinite value\(s\)"),
        (lambda X: X.assign(a=X["a"] * 1e200), r"column 'a' holds values up to .* in magnitude"),
    ],
)
def test_bad_features_are_refused_before_any_fold(monkeypatch, spoil, match):
    X, y = toy_table()
    X = spoil(X)
    monkeypatch.setattr(compare_module, "evaluate", lambda *a, **k: pytest.fail("a fold ran"))
    with pytest.raises(InputError, match=match):
        compare(X, y[: len(X)] if len(X) else y[:0], verbose=False)


def test_cli_prints_the_table_and_writes_the_page(tmp_path, capsys):
    X, y = toy_table()
    X.assign(label=y).to_csv(tmp_path / "data.csv", index=False)
    page = tmp_path / "page.html"
    argv = ["compare", str(tmp_path / "data.csv"), "--target", "label", "--classifier", "logreg"]
    argv += ["--methods", "SMOTE", "--folds", "2", "--repeats", "3", "-o", str(page), "--quiet"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "class of interest 'rare'" in out and "SMOTE" in out and "none" in out
    text = page.read_text()
    assert text.count("<img") == 2 and "Wilcoxon" in text and "SMOTE" in text


@pytest.mark.parametrize(
    "extra, match",
    [
        (["--target", "nope"], "--target 'nope' is not a column"),
        (["--target", "label", "--methods", "none,GAN"], "--methods: unknown ['GAN']"),
        (["--target", "label", "-o", "out.txt"], "-o out.txt: unknown extension '.txt'"),
        (["--target", "label", "--folds", "1"], "--folds must be at least 2"),
        (["--target", "label", "--positive", "purple"], "positive class 'purple' is not in the target"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(tmp_path, capsys, extra, match):
    X, y = toy_table()
    X.assign(label=y).to_csv(tmp_path / "data.csv", index=False)
    assert main(["compare", str(tmp_path / "data.csv"), "--quiet", *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert match in err and len(err.splitlines()) == 1 and err.startswith("gansynth compare: error:")


def test_cli_names_a_column_with_no_values(tmp_path, capsys):
    X, y = toy_table()
    X.assign(empty=np.nan, label=y).to_csv(tmp_path / "data.csv", index=False)
    assert main(["compare", str(tmp_path / "data.csv"), "--target", "label", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        "gansynth compare: error: column(s) ['empty'] are entirely missing (all NaN); "
        "drop or fill them before comparing"
    )
