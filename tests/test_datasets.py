"""Dataset registry: offline behaviour always; real files when the shared data directory exists."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmarks.datasets import DATA_DIR_ENV, dataset_spec, list_datasets, load_dataset

DATA_DIR = Path(os.environ.get(DATA_DIR_ENV, Path(__file__).resolve().parents[2] / "shared" / "datasets"))
needs_data = pytest.mark.skipif(not DATA_DIR.is_dir(), reason=f"shared datasets not found at {DATA_DIR}")

# name -> (rows, feature columns, minority share rounded to 3 places), from the data README.
EXPECTED = {
    "adult": (32561, 14, 0.241),
    "bank_additional": (4119, 19, 0.109),
    "credit_data": (4454, 13, 0.282),
    "hpc_data": (4331, 7, 0.060),
    "seismic_bumps": (2584, 18, 0.066),
    "wilt": (4839, 5, 0.054),
    "yeast4": (1484, 8, 0.034),
    "flare_F": (1066, 11, 0.040),
    "car_good": (1728, 6, 0.040),
    "mammography": (11183, 6, 0.023),
    "oil": (937, 49, 0.044),
    "ozone_level": (2536, 72, 0.029),
}


def test_registry_lists_every_tabular_dataset_with_a_public_source():
    assert list_datasets() == sorted(EXPECTED)
    for name in list_datasets():
        assert dataset_spec(name).url.startswith("https://"), name


def test_unknown_name_lists_known_ones():
    with pytest.raises(KeyError, match="known datasets: adult"):
        load_dataset("nope", data_dir=".")


def test_missing_file_says_where_to_put_it_and_does_not_download(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        load_dataset("yeast4", data_dir=tmp_path)
    message = str(info.value)
    assert str(tmp_path / "yeast4.csv") in message
    assert "download=True" in message and "sci2s.ugr.es" in message
    assert list(tmp_path.iterdir()) == []


def test_no_data_dir_is_a_clear_error(monkeypatch):
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    with pytest.raises(ValueError, match=DATA_DIR_ENV):
        load_dataset("oil")


def test_reads_local_npz_and_csv_formats(tmp_path):
    np.savez(tmp_path / "oil.npz", data=np.arange(12.0).reshape(4, 3), label=np.array([-1, 1, -1, -1]))
    X, y = load_dataset("oil", data_dir=tmp_path)
    assert list(X.columns) == ["x0", "x1", "x2"] and y.tolist() == [-1, 1, -1, -1]
    (tmp_path / "bank_additional.csv").write_text("age,job,duration,y\n30,admin.,100,no\n40,,200,yes\n")
    X, y = load_dataset("bank_additional", data_dir=tmp_path)
    assert list(X.columns) == ["age", "job"]  # duration leaks the target
    assert isinstance(X["job"].dtype, pd.CategoricalDtype) and X["job"].isna().sum() == 1


@needs_data
@pytest.mark.needs_data
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_shared_dataset_shapes_targets_and_dtypes(name):
    rows, columns, share = EXPECTED[name]
    X, y = load_dataset(name, data_dir=DATA_DIR)
    assert X.shape == (rows, columns) and len(y) == rows
    assert round(float((y == dataset_spec(name).positive).mean()), 3) == pytest.approx(share, abs=0.001)
    for column in X.columns:
        assert pd.api.types.is_numeric_dtype(X[column]) or isinstance(X[column].dtype, pd.CategoricalDtype)


@needs_data
@pytest.mark.needs_data
def test_shared_dataset_specifics():
    X, y = load_dataset("adult", data_dir=DATA_DIR)
    assert set(y.unique()) == {"<=50K", ">50K"}  # leading spaces stripped
    assert not any(str(v).startswith(" ") for v in X["workclass"].cat.categories)
    X, _ = load_dataset("bank_additional", data_dir=DATA_DIR)
    assert "duration" not in X
    X, _ = load_dataset("credit_data", data_dir=DATA_DIR)
    assert int(X.isna().sum().sum()) == 455
    X, _ = load_dataset("flare_F", data_dir=DATA_DIR)
    assert all(isinstance(X[c].dtype, pd.CategoricalDtype) for c in X)


@needs_data
def test_environment_variable_names_the_directory(monkeypatch):
    monkeypatch.setenv(DATA_DIR_ENV, str(DATA_DIR))
    X, y = load_dataset("yeast4")
    assert X.shape == (1484, 8)


def _zip(files: dict) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _serve(monkeypatch, payload: bytes, seen: list):
    import benchmarks.datasets as datasets

    def fake_get(url):
        seen.append(url)
        return payload

    monkeypatch.setattr(datasets, "_http_get", fake_get)


def test_download_converts_keel_format_into_the_local_file(tmp_path, monkeypatch):
    keel = (
        "@relation yeast4\n@attribute Mcg real [0.11, 1.0]\n@attribute Gvh real [0.13, 1.0]\n"
        "@attribute Alm real [0.21, 1.0]\n@attribute Mit real [0.0, 1.0]\n@attribute Erl real [0.5, 1.0]\n"
        "@attribute Pox real [0.0, 0.83]\n@attribute Vac real [0.0, 0.73]\n@attribute Nuc real [0.0, 1.0]\n"
        "@attribute Class {positive, negative}\n@inputs Mcg\n@outputs Class\n@data\n"
        "0.58, 0.61, 0.47, 0.13, 0.5, 0.0, 0.48, 0.22, negative\n"
        "0.43, 0.67, 0.48, 0.27, 0.5, 0.0, 0.53, 0.22, positive\n"
    )
    seen = []
    _serve(monkeypatch, _zip({"yeast4.dat": keel}), seen)
    X, y = load_dataset("yeast4", data_dir=tmp_path, download=True)
    assert seen == [dataset_spec("yeast4").url]
    assert X.shape == (2, 8) and list(X.columns)[:2] == ["Mcg", "Gvh"] and X["Mcg"].dtype == float
    assert y.tolist() == ["negative", "positive"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["yeast4.csv"]  # no partial file left behind
    load_dataset("yeast4", data_dir=tmp_path, download=True)
    assert len(seen) == 1  # a present file is never fetched again


def test_download_converts_adult_and_wilt_sources(tmp_path, monkeypatch):
    adult = (
        "39, State-gov, 77516, Bachelors, 13, Never-married, Adm-clerical, Not-in-family, White, Male, "
        "2174, 0, 40, United-States, <=50K\n\n"
    )
    _serve(monkeypatch, adult.encode(), [])
    X, y = load_dataset("adult", data_dir=tmp_path, download=True)
    assert X.shape == (1, 14) and y.tolist() == ["<=50K"] and X["workclass"].iloc[0] == "State-gov"

    wilt_train = "class,GLCM_pan,Mean_Green,Mean_Red,Mean_NIR,SD_pan\nw,120.3,205.5,119.4,416.6,20.7\n"
    wilt_test = "class,GLCM_pan,Mean_Green,Mean_Red,Mean_NIR,SD_pan\nn,124.7,202.8,115.3,354.3,16.7\n"
    _serve(monkeypatch, _zip({"training.csv": wilt_train, "testing.csv": wilt_test}), [])
    X, y = load_dataset("wilt", data_dir=tmp_path, download=True)
    assert list(X.columns) == ["GLCM_Pan", "Mean_G", "Mean_R", "Mean_NIR", "SD_Plan"]
    assert y.tolist() == [2, 1]  # w (diseased) is the positive class 2, as in the local copy
