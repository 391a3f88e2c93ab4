"""Tests for gansynth.evaluate: known answers on constructed tables, bad input, HTML, plots."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from gansynth.datasets import load_student_placements
from gansynth.evaluation import EvaluationReport, evaluate


def make_table(n_rows, seed):
    """Mixed table with strong pair relationships and a target that depends on the features."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n_rows)
    y = x + 0.3 * rng.normal(size=n_rows)
    band = np.where(x > 0.5, "high", np.where(x < -0.5, "low", "mid"))
    colour = np.where(rng.random(n_rows) < 0.8, np.where(y > 0, "red", "blue"), "green")
    count = rng.poisson(np.exp(1 + 0.5 * x)).astype(int)
    label = np.where(x + y + 0.5 * rng.normal(size=n_rows) > 0, "yes", "no")
    return pd.DataFrame({"x": x, "y": y, "band": band, "colour": colour, "count": count, "label": label})


@pytest.fixture(scope="module")
def real():
    return make_table(600, seed=0)


@pytest.fixture(scope="module")
def shuffled_copy_report(real):
    synthetic = real.sample(frac=1, random_state=1).reset_index(drop=True)
    return evaluate(real, synthetic, target="label", random_state=0)


@pytest.fixture(scope="module")
def independent_columns_report(real):
    rng = np.random.default_rng(2)
    synthetic = pd.DataFrame({c: real[c].to_numpy()[rng.permutation(len(real))] for c in real})
    return evaluate(real, synthetic, target="label", random_state=0)


@pytest.fixture(scope="module")
def fresh_sample_report(real):
    # New draws from the same process: what a perfect, non-memorising generator would produce.
    return evaluate(real, make_table(600, seed=5), target="label", random_state=0)


def test_shuffled_copy_scores_near_perfect_fidelity(shuffled_copy_report):
    scores = shuffled_copy_report.scores
    assert scores["column_shapes"] > 0.99
    assert scores["column_pair_trends"] > 0.99
    assert scores["overall_quality"] > 0.99
    assert scores["detection_auc"] < 0.6


def test_shuffled_copy_is_flagged_as_privacy_failure(shuffled_copy_report):
    scores = shuffled_copy_report.scores
    assert scores["exact_copy_rate"] == 1.0
    assert any(flag.startswith("Privacy failure") for flag in shuffled_copy_report.flags)
    # 70% of the copies are of training rows: their distance to the closest record is zero.
    assert shuffled_copy_report.scores["dcr_ratio"] == 0.0
    privacy = shuffled_copy_report.details("privacy").set_index("rows")
    assert privacy.loc["real holdout", "exact_copy_rate"] == 0.0


def test_independent_columns_keep_shapes_but_lose_pair_trends(
    shuffled_copy_report, independent_columns_report
):
    scores = independent_columns_report.scores
    assert scores["column_shapes"] > 0.97
    assert scores["column_pair_trends"] < shuffled_copy_report.scores["column_pair_trends"] - 0.2
    assert scores["detection_auc"] > 0.8
    pairs = independent_columns_report.details("pairs").set_index(["column_1", "column_2"])
    assert pairs.loc[("x", "y"), "score"] < 0.6  # correlation ~0.95 became ~0
    assert not any(flag.startswith("Privacy") for flag in independent_columns_report.flags)


def test_fresh_sample_from_same_process_passes_everything(fresh_sample_report):
    scores = fresh_sample_report.scores
    assert scores["overall_quality"] > 0.85
    assert scores["detection_auc"] < 0.65
    assert scores["ml_efficacy_ratio"] > 0.85
    assert scores["dcr_ratio"] > 0.8
    assert scores["exact_copy_rate"] == 0.0
    assert fresh_sample_report.flags == []


def test_inverted_labels_fail_ml_efficacy(real):
    synthetic = make_table(600, seed=6)
    synthetic["label"] = synthetic["label"].map({"yes": "no", "no": "yes"})
    report = evaluate(real, synthetic, target="label", random_state=0)
    assert report.scores["ml_efficacy_real"] > 0.8
    assert report.scores["ml_efficacy_ratio"] < 0.3
    assert any(flag.startswith("Low usefulness") for flag in report.flags)


def test_summary_has_direction_and_scores_in_unit_interval(fresh_sample_report):
    summary = fresh_sample_report.summary()
    assert list(summary.columns) == ["metric", "score", "better", "description"]
    assert set(summary["better"]) == {"higher", "lower"}
    assert {
        "column_shapes",
        "column_pair_trends",
        "overall_quality",
        "detection_auc",
        "ml_efficacy_real",
        "ml_efficacy_synthetic",
        "ml_efficacy_ratio",
        "dcr_ratio",
        "exact_copy_rate",
    } == set(summary["metric"])
    bounded = summary[summary["metric"] != "ml_efficacy_ratio"]["score"]
    assert bounded.between(0, 1).all()


def test_details_tables(fresh_sample_report, real):
    details = fresh_sample_report.details()
    assert set(details) == {"columns", "pairs", "detection", "privacy", "ml_efficacy"}
    assert list(details["columns"]["column"]) == list(real.columns)
    assert len(details["pairs"]) == len(real.columns) * (len(real.columns) - 1) // 2
    assert set(details["ml_efficacy"]["trained_on"]) == {"real", "synthetic"}
    with pytest.raises(ValueError, match="Unknown details table"):
        fresh_sample_report.details("nope")


def test_no_target_means_no_ml_efficacy(real):
    report = evaluate(real, make_table(300, seed=7), random_state=0)
    assert not any(m.startswith("ml_efficacy") for m in report.summary()["metric"])
    assert "ml_efficacy" not in report.details()


def test_regression_target_uses_r2(real):
    report = evaluate(real, make_table(600, seed=8), target="y", random_state=0)
    ml = report.details("ml_efficacy")
    assert set(ml["metric"]) == {"R2"}
    assert report.info["task"] == "regression"
    assert ml["score"].min() > 0.5  # y is ~x plus noise, which gradient boosting finds


def test_same_seed_same_report_and_max_rows_bounds_work(real):
    synthetic = make_table(600, seed=9)
    first = evaluate(real, synthetic, max_rows=200, random_state=3)
    second = evaluate(real, synthetic, max_rows=200, random_state=3)
    pd.testing.assert_frame_equal(first.summary(), second.summary())
    assert first.info["quality_rows"] == {"real": 200, "synthetic": 200}
    assert first.info["dcr_rows"]["reference"] == 200


def test_mixed_kinds_with_missing_values_and_dates():
    real = load_student_placements()
    report = evaluate(real, real.sample(frac=1, random_state=0), random_state=0)
    kinds = report.kinds
    assert kinds["start_date"] == "datetime" and kinds["work_experience"] == "boolean"
    assert report.scores["column_shapes"] > 0.99
    assert report.scores["exact_copy_rate"] == 1.0
    figure = report.plot_distributions(columns=["start_date", "salary", "work_experience"])
    notes = [text.get_text() for axes in figure.axes for text in axes.texts]
    assert "missing: real 31%, synthetic 31%" in notes  # dates drawn without their NaT


def test_csv_style_dtypes_and_column_order_are_reconciled(real):
    synthetic = make_table(300, seed=11)[list(real.columns)[::-1]]
    synthetic["count"] = synthetic["count"].astype(str)
    report = evaluate(real, synthetic, random_state=0)
    assert report.kinds["count"] == "numerical"
    assert report.scores["column_shapes"] > 0.85


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda s: s.drop(columns=["x"]), r"missing \['x'\]"),
        (lambda s: s.assign(extra=1), r"not in the real data \['extra'\]"),
        (lambda s: s.iloc[:0], "`synthetic` is empty"),
        (lambda s: s.assign(x="abc"), "Column 'x' is numerical in the real data"),
    ],
)
def test_bad_synthetic_input_gets_a_clear_error(real, change, message):
    with pytest.raises(ValueError, match=message):
        evaluate(real, change(real.copy()))


def test_bad_target_and_arguments(real):
    with pytest.raises(ValueError, match="target 'nope' is not a column of the real and synthetic"):
        evaluate(real, real, target="nope")
    holdout = real.drop(columns=["label"])
    with pytest.raises(ValueError, match="`holdout` does not have the real data's columns"):
        evaluate(real, real, target="label", holdout=holdout)
    with pytest.raises(ValueError, match="`real` is empty"):
        evaluate(real.iloc[:0], real)
    with pytest.raises(TypeError, match="`real` must be a pandas DataFrame"):
        evaluate(real.to_numpy(), real)
    with pytest.raises(ValueError, match="max_rows"):
        evaluate(real, real, max_rows=0)


def test_explicit_holdout_is_used(real):
    holdout = make_table(200, seed=12)
    report = evaluate(real, make_table(400, seed=13), target="label", holdout=holdout)
    assert report.info["holdout_rows"] == 200 and report.info["training_rows"] == len(real)
    assert report.details("ml_efficacy")["test_rows"].eq(200).all()


def test_plots_return_figures(fresh_sample_report):
    for figure in (
        fresh_sample_report.plot_scores(),
        fresh_sample_report.plot_distributions(),
        fresh_sample_report.plot_distributions(columns=["x", "band"]),
        fresh_sample_report.plot_correlation_difference(),
        fresh_sample_report.plot_dcr(),
    ):
        assert isinstance(figure, Figure) and figure.axes
    with pytest.raises(ValueError, match="Unknown columns"):
        fresh_sample_report.plot_distributions(columns=["nope"])


def test_save_html_is_self_contained(shuffled_copy_report, tmp_path):
    path = shuffled_copy_report.save_html(tmp_path / "report.html")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert text.count('src="data:image/png;base64,') == 4
    assert "<script" not in text and "<link" not in text and 'src="http' not in text
    assert "Privacy failure" in text
    assert isinstance(shuffled_copy_report, EvaluationReport)
    assert "column_shapes" in shuffled_copy_report._repr_html_()


def test_cli_prints_summary_and_writes_html(real, tmp_path, capsys):
    from gansynth.cli import main

    real.to_csv(tmp_path / "real.csv", index=False)
    real.sample(frac=1, random_state=0).to_csv(tmp_path / "synthetic.csv", index=False)
    output = tmp_path / "report.html"
    code = main(
        [
            "evaluate",
            str(tmp_path / "real.csv"),
            str(tmp_path / "synthetic.csv"),
            "--target",
            "label",
            "-o",
            str(output),
            "--max-rows",
            "300",
        ]
    )
    printed = capsys.readouterr().out
    assert code == 0
    assert "column_pair_trends" in printed and "ml_efficacy_ratio" in printed
    assert "Privacy failure" in printed
    assert output.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    with pytest.raises(SystemExit) as exit_info:
        main(["evaluate", str(tmp_path / "real.csv"), str(tmp_path / "synthetic.csv"), "--fail-on-flags"])
    assert exit_info.value.code == 1


def test_cli_reports_bad_input_in_one_line(real, tmp_path, capsys):
    from gansynth.cli import main

    real.to_csv(tmp_path / "real.csv", index=False)
    real.drop(columns=["x"]).to_csv(tmp_path / "synthetic.csv", index=False)
    assert main(["evaluate", str(tmp_path / "real.csv"), str(tmp_path / "synthetic.csv")]) == 2
    assert "gansynth evaluate: error:" in capsys.readouterr().err
    assert main(["evaluate", str(tmp_path / "real.csv"), str(tmp_path / "real.csv"), "--target", "nope"]) == 2
    assert "target 'nope'" in capsys.readouterr().err
    assert main(["evaluate", str(tmp_path / "nope.csv"), str(tmp_path / "synthetic.csv")]) == 2


def test_console_script_end_to_end(real, tmp_path):
    import subprocess
    import sys

    real.head(200).to_csv(tmp_path / "real.csv", index=False)
    make_table(200, seed=20).to_csv(tmp_path / "synthetic.csv", index=False)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "gansynth.cli",
            "evaluate",
            str(tmp_path / "real.csv"),
            str(tmp_path / "synthetic.csv"),
            "--target",
            "label",
            "-o",
            str(tmp_path / "r.html"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "detection_auc" in result.stdout and (tmp_path / "r.html").exists()


def test_pair_trends_bin_numbers_on_the_real_range(real):
    # Dropping the top 2% of `count` narrows its range; binning each table on its own range (as
    # SDMetrics' quality report does) would shift every bin and call intact relationships broken.
    synthetic = real[real["count"] < real["count"].quantile(0.98)]
    pairs = evaluate(real, synthetic, random_state=0).details("pairs")
    with_count = pairs[(pairs["column_1"] == "count") | (pairs["column_2"] == "count")]
    assert with_count["score"].min() > 0.9


def test_per_column_detection_points_at_the_changed_column(real):
    synthetic = real.sample(frac=1, random_state=3).reset_index(drop=True)
    synthetic["count"] = synthetic["count"] + 2
    columns = evaluate(real, synthetic, random_state=0).details("columns").set_index("column")
    assert columns["detection_auc"].idxmax() == "count"
    assert columns.loc["count", "detection_auc"] > 0.7
    assert columns.drop(index="count")["detection_auc"].max() < 0.55


def test_report_pickles(fresh_sample_report):
    import pickle

    restored = pickle.loads(pickle.dumps(fresh_sample_report))
    pd.testing.assert_frame_equal(restored.summary(), fresh_sample_report.summary())
    assert restored.flags == fresh_sample_report.flags
