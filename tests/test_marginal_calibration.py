"""The marginal calibration benchmark's summary (benchmarks/marginal_calibration.py), with known answers."""

import pytest

from benchmarks.marginal_calibration import held_out_changes, markdown


def _row(table, factor, shapes, trends, detection, efficacy):
    return {
        "table": table,
        "epochs": "auto",
        "factor": factor,
        "sample_seconds": 1.0,
        "column_shapes": shapes,
        "column_pair_trends": trends,
        "detection_auc": detection,
        "ml_efficacy_ratio": efficacy,
    }


ROWS = [
    _row("adult", 1, 0.90, 0.85, 0.90, 0.95),
    _row("adult", 4, 0.99, 0.99, 0.50, 0.99),
    _row("bank", 1, 0.90, 0.80, 0.90, 0.90),
    _row("bank", 4, 0.94, 0.82, 0.92, 0.88),
    _row("credit", 1, 0.80, 0.70, 0.80, 0.90),
    _row("credit", 4, 0.82, 0.69, 0.70, 0.92),
]


def test_held_out_changes_leave_out_the_tables_that_chose_the_method():
    (change,) = held_out_changes(ROWS, tuned_on=["adult"])
    assert change["factor"] == 4 and change["tables"] == 2
    assert change["mean"]["column_shapes"] == pytest.approx(0.03)
    assert change["mean"]["column_pair_trends"] == pytest.approx(0.005)
    assert change["mean"]["detection_auc"] == pytest.approx(-0.04)
    # A lower detection AUC counts as better; a tie or a loss does not.
    assert change["better"] == {
        "column_shapes": 2,
        "column_pair_trends": 1,
        "detection_auc": 1,
        "ml_efficacy_ratio": 1,
    }


def test_the_report_names_the_tables_that_chose_the_method_and_shows_the_held_out_changes():
    text = markdown(ROWS, "python -m benchmarks calibration", (1.0, 1.0), ["adult"])
    assert "Tables that chose the method: adult" in text
    assert "| 4 | 2 | +0.030 (2) | +0.005 (1) | -0.040 (1) | +0.000 (1) |" in text
