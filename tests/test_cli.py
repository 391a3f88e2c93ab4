"""The gansynth command line, end to end."""

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gansynth import load
from gansynth.cli import main
from gansynth.datasets import load_student_placements
from gansynth.io.tables import read_table


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "students.csv"
    load_student_placements().to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def model_file(table):
    path = table.parent / "model.gsyn"
    assert main(["fit", str(table), "-o", str(path), "--epochs", "2", "--seed", "0", "--quiet"]) == 0
    return path


def test_read_table_parses_iso_dates_and_keeps_other_text(table):
    frame = read_table(table)
    assert str(frame["start_date"].dtype) == "datetime64[ns]"
    assert frame["gender"].dtype == object


def test_fit_then_sample_csv_with_seed_and_condition(model_file, tmp_path):
    out = tmp_path / "rows.csv"
    args = ["sample", "-m", str(model_file), "--rows", "300", "-o", str(out), "--seed", "3"]
    assert main(args + ["--condition", "gender=F", "--condition", "placed=True"]) == 0
    rows = pd.read_csv(out)
    assert len(rows) == 300 and (rows["gender"] == "F").all() and rows["placed"].all()
    again = tmp_path / "again.csv"
    assert (
        main(
            [
                "sample",
                "-m",
                str(model_file),
                "--rows",
                "300",
                "-o",
                str(again),
                "--seed",
                "3",
                "--condition",
                "gender=F",
                "--condition",
                "placed=True",
            ]
        )
        == 0
    )
    assert out.read_bytes() == again.read_bytes()


def test_sample_writes_parquet_by_extension(model_file, tmp_path):
    out = tmp_path / "rows.parquet"
    assert main(["sample", "-m", str(model_file), "--rows", "50", "-o", str(out)]) == 0
    rows = pd.read_parquet(out)
    assert len(rows) == 50 and str(rows["start_date"].dtype).startswith("datetime64")


def test_sample_without_model_uses_the_embedded_default(tmp_path):
    out = tmp_path / "default.csv"
    assert main(["sample", "--rows", "120", "--epochs", "1", "--seed", "0", "--quiet", "-o", str(out)]) == 0
    rows = pd.read_csv(out)
    assert list(rows.columns) == list(load_student_placements().columns) and len(rows) == 120


def test_info_describes_the_model(model_file, capsys):
    assert main(["info", str(model_file)]) == 0
    text = capsys.readouterr().out
    assert "salary" in text and "integer" in text and "datetime" in text


@pytest.mark.parametrize(
    "make_args, message",
    [
        (lambda d, m: ["fit", str(d / "missing.csv"), "-o", str(d / "x.gsyn")], "file not found"),
        (lambda d, m: ["fit", str(d / "garbage.csv"), "-o", str(d / "x.gsyn")], "cannot read"),
        (
            lambda d, m: ["sample", "-m", str(m), "--rows", "5", "--condition", "nope=1"],
            "unknown condition column 'nope'",
        ),
        (
            lambda d, m: ["sample", "-m", str(m), "--rows", "5", "--condition", "gender=X"],
            "unknown value 'X' for column 'gender'",
        ),
        (
            lambda d, m: ["sample", "-m", str(m), "--rows", "5", "--condition", "salary=1"],
            "cannot condition on column 'salary'",
        ),
        (lambda d, m: ["sample", "-m", str(d / "garbage.csv"), "--rows", "5"], "not a valid gansynth model"),
    ],
)
def test_bad_input_gets_one_clear_line(make_args, message, model_file, tmp_path, capsys):
    (tmp_path / "garbage.csv").write_bytes(b"\x00\xff\xfe binary \x00\x01")
    assert main(make_args(tmp_path, model_file)) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


SCRIPT = shutil.which("gansynth", path=str(Path(sys.executable).parent)) or shutil.which("gansynth")


@pytest.mark.skipif(SCRIPT is None, reason="console script not installed")
def test_console_script_is_installed():
    result = subprocess.run([SCRIPT, "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.startswith("gansynth ")
    result = subprocess.run(
        [sys.executable, "-m", "gansynth.cli", "sample", "--help"], capture_output=True, text=True
    )
    assert "--condition" in result.stdout


def test_fit_groups_rare_levels_as_max_categories_says(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=200), "code": [f"c{i % 40}" for i in range(200)]})
    table, path = tmp_path / "codes.csv", tmp_path / "codes.gsyn"
    frame.to_csv(table, index=False)
    args = ["fit", str(table), "-o", str(path), "--epochs", "1", "--seed", "0", "--quiet"]
    with pytest.warns(UserWarning, match="max_categories=5"):
        assert main(args + ["--max-categories", "5"]) == 0
    assert load(path).max_categories == 5
    assert main(args + ["--max-categories", "none"]) == 0
    assert load(path).max_categories is None


@pytest.mark.parametrize("value", ["0", "-3", "many"])
def test_fit_refuses_a_bad_max_categories_in_one_line(table, tmp_path, capsys, value):
    with pytest.raises(SystemExit) as exit_info:
        main(["fit", str(table), "-o", str(tmp_path / "m.gsyn"), "--max-categories", value])
    assert exit_info.value.code == 2
    assert "--max-categories" in capsys.readouterr().err


def test_marginal_calibration_is_set_when_fitting_and_can_be_overridden_when_sampling(
    table, model_file, tmp_path
):
    calibrated = tmp_path / "calibrated.gsyn"
    args = ["fit", str(table), "-o", str(calibrated), "--epochs", "2", "--seed", "0", "--quiet"]
    assert main(args + ["--marginal-calibration", "3"]) == 0
    assert load(calibrated).marginal_calibration == 3
    plain, overridden = tmp_path / "plain.csv", tmp_path / "overridden.csv"
    assert main(["sample", "-m", str(model_file), "--rows", "200", "-o", str(plain), "--seed", "1"]) == 0
    sample = ["sample", "-m", str(model_file), "--rows", "200", "-o", str(overridden), "--seed", "1"]
    assert main(sample + ["--marginal-calibration", "4"]) == 0
    expected = (
        load(model_file)
        .set_params(marginal_calibration=4)
        .sample_to(tmp_path / "expected.csv", 200, random_state=1)
    )
    assert overridden.read_bytes() == expected.read_bytes() != plain.read_bytes()


@pytest.mark.parametrize("value", ["0", "17", "two"])
def test_a_bad_marginal_calibration_is_one_line_and_status_2(model_file, tmp_path, capsys, value):
    args = ["sample", "-m", str(model_file), "--rows", "5", "-o", str(tmp_path / "x.csv")]
    with pytest.raises(SystemExit) as exit_info:
        main(args + ["--marginal-calibration", value])
    assert exit_info.value.code == 2
    assert "--marginal-calibration" in capsys.readouterr().err
