"""A registry of public benchmark tables, with their real download code.

The registry describes each public table once: its file name in a local data directory, its
target and positive (minority) class, the columns to drop, which columns are categorical, and
the real public location it comes from. ``load_dataset`` reads the local copy; fetching from the
public location happens only when the caller passes ``download=True``, so that offline runs and
benchmarks never touch the network by accident.
"""

from __future__ import annotations

import io
import os
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

DATA_DIR_ENV = "GANSYNTH_DATA_DIR"


# --------------------------------------------------------------------------------------------
# Fetchers: each turns the public source into the exact local file format that the loader reads.
# --------------------------------------------------------------------------------------------


def _http_get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=120) as response:  # noqa: S310 (fixed https URLs)
        return response.read()


def _fetch_adult(url: str, dest: Path) -> None:
    columns = [
        "age",
        "workclass",
        "fnlwgt",
        "education",
        "education-num",
        "marital-status",
        "occupation",
        "relationship",
        "race",
        "sex",
        "capital-gain",
        "capital-loss",
        "hours-per-week",
        "native-country",
        "income",
    ]
    body = _http_get(url).decode("utf-8").strip() + "\n"
    dest.write_text(",".join(columns) + "\n" + body, encoding="utf-8")


def _fetch_bank_additional(url: str, dest: Path) -> None:
    # The UCI archive nests the 10% sample two zips deep, semicolon-separated.
    with zipfile.ZipFile(io.BytesIO(_http_get(url))) as outer:
        inner_bytes = outer.read("bank-additional.zip")
    with zipfile.ZipFile(io.BytesIO(inner_bytes)) as inner:
        raw = inner.read("bank-additional/bank-additional.csv")
    pd.read_csv(io.BytesIO(raw), sep=";").to_csv(dest, index=False)


def _fetch_rdatasets(url: str, dest: Path) -> None:
    frame = pd.read_csv(io.BytesIO(_http_get(url)))
    frame.drop(columns=[c for c in ("rownames",) if c in frame]).to_csv(dest, index=False)


def _fetch_arff(url: str, dest: Path) -> None:
    from scipy.io import arff

    records, _ = arff.loadarff(io.StringIO(_http_get(url).decode("utf-8")))
    frame = pd.DataFrame(records)
    for column in frame.columns:
        if frame[column].dtype == object:  # nominal attributes arrive as bytes
            frame[column] = frame[column].str.decode("utf-8")
    frame.to_csv(dest, index=False)


def _fetch_wilt(url: str, dest: Path) -> None:
    with zipfile.ZipFile(io.BytesIO(_http_get(url))) as archive:
        parts = [pd.read_csv(archive.open(name)) for name in ("training.csv", "testing.csv")]
    frame = pd.concat(parts, ignore_index=True)
    # UCI codes the class as w (diseased trees) / n; the local copy uses 2 / 1, features first.
    frame["class"] = frame["class"].str.strip().map({"w": 2, "n": 1})
    features = [c for c in frame.columns if c != "class"]
    frame = frame[features + ["class"]]
    frame.columns = ["GLCM_Pan", "Mean_G", "Mean_R", "Mean_NIR", "SD_Plan", "class"]
    frame.to_csv(dest, index=False)


def _fetch_keel(url: str, dest: Path) -> None:
    with zipfile.ZipFile(io.BytesIO(_http_get(url))) as archive:
        dat_name = next(n for n in archive.namelist() if n.endswith(".dat"))
        lines = archive.read(dat_name).decode("utf-8").splitlines()
    names, rows, in_data = [], [], False
    for line in lines:
        stripped = line.strip()
        if not stripped or stripped.startswith("%"):
            continue
        if in_data:
            rows.append([value.strip() for value in stripped.split(",")])
        elif stripped.lower().startswith("@attribute"):
            names.append(stripped.split()[1])
        elif stripped.lower().startswith("@data"):
            in_data = True
    pd.DataFrame(rows, columns=names).to_csv(dest, index=False)


def _fetch_imblearn(name: str) -> Callable[[str, Path], None]:
    def fetch(url: str, dest: Path) -> None:
        from imblearn.datasets import fetch_datasets

        # imbalanced-learn downloads `url` (its Zenodo archive) itself and caches it under data_home.
        with tempfile.TemporaryDirectory() as home:
            bunch = fetch_datasets(data_home=home, filter_data=(name,), download_if_missing=True)[name]
            np.savez(dest, data=bunch.data, label=bunch.target)

    return fetch


# --------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DatasetSpec:
    """How to find, fetch and read one public table.

    Attributes
    ----------
    name : str
        Registry key.
    filename : str
        File name inside the data directory (``.csv`` or ``.npz`` with keys ``data``/``label``).
    target : str
        Name of the target column (``label`` for ``.npz`` files).
    positive : object
        The minority class that imbalanced benchmarks treat as positive.
    url : str
        The public location the data comes from.
    fetch : callable
        ``fetch(url, dest)`` writes the local file format from the public source.
    drop : tuple of str
        Columns removed on load (leaks or keys).
    categorical : tuple of str
        Non-string columns that are categorical; string columns always are.
    read_options : dict
        Extra ``pandas.read_csv`` keyword arguments.
    description : str
        One line for listings.
    """

    name: str
    filename: str
    target: str
    positive: object
    url: str
    fetch: Callable[[str, Path], None]
    drop: tuple = ()
    categorical: tuple = ()
    read_options: dict = field(default_factory=dict)
    description: str = ""


_UCI = "https://archive.ics.uci.edu"
_KEEL = "https://sci2s.ugr.es/keel/keel-dataset/datasets/imbalanced"
_RDATASETS = "https://vincentarelbundock.github.io/Rdatasets/csv/modeldata"
_IMBLEARN_ZENODO = "https://zenodo.org/record/61452/files/benchmark-imbalanced-learn.tar.gz"

_REGISTRY: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in [
        DatasetSpec(
            "adult",
            "adult.csv",
            "income",
            ">50K",
            f"{_UCI}/ml/machine-learning-databases/adult/adult.data",
            _fetch_adult,
            # Category strings carry a leading space in the UCI file.
            read_options={"skipinitialspace": True},
            description="UCI Adult census income, 32,561 rows, mixed",
        ),
        DatasetSpec(
            "bank_additional",
            "bank_additional.csv",
            "y",
            "yes",
            f"{_UCI}/static/public/222/bank+marketing.zip",
            _fetch_bank_additional,
            # `duration` is only known after the call whose outcome is the target: it leaks.
            drop=("duration",),
            description="UCI Bank Marketing (10% sample), 4,119 rows, mixed",
        ),
        DatasetSpec(
            "credit_data",
            "credit_data.csv",
            "Status",
            "bad",
            f"{_RDATASETS}/credit_data.csv",
            _fetch_rdatasets,
            description="credit scoring (R modeldata), 4,454 rows, mixed with NaN",
        ),
        DatasetSpec(
            "hpc_data",
            "hpc_data.csv",
            "class",
            "L",
            f"{_RDATASETS}/hpc_data.csv",
            _fetch_rdatasets,
            description="HPC job classes (R modeldata), 4,331 rows, 4 classes, minority L",
        ),
        DatasetSpec(
            "seismic_bumps",
            "seismic_bumps.csv",
            "class",
            1,
            f"{_UCI}/ml/machine-learning-databases/00266/seismic-bumps.arff",
            _fetch_arff,
            description="UCI seismic bumps (mining hazard), 2,584 rows, mixed",
        ),
        DatasetSpec(
            "wilt",
            "wilt.csv",
            "class",
            2,
            f"{_UCI}/ml/machine-learning-databases/00285/wilt.zip",
            _fetch_wilt,
            description="UCI wilt (remote sensing), 4,839 rows, numeric",
        ),
        DatasetSpec(
            "yeast4",
            "yeast4.csv",
            "Class",
            "positive",
            f"{_KEEL}/imb_IRhigherThan9p1/yeast4.zip",
            _fetch_keel,
            description="KEEL yeast4, 1,484 rows, numeric",
        ),
        DatasetSpec(
            "flare_F",
            "flare_F.csv",
            "Class",
            "positive",
            f"{_KEEL}/imb_IRhigherThan9p3/flare-F.zip",
            _fetch_keel,
            categorical=(
                "LargestSpotSize",
                "SpotDistribution",
                "Activity",
                "Evolution",
                "Prev24Hour",
                "HistComplex",
                "BecomeHist",
                "Area",
                "C-class",
                "M-class",
                "X-class",
            ),
            description="KEEL flare-F, 1,066 rows, all categorical",
        ),
        DatasetSpec(
            "car_good",
            "car_good.csv",
            "Class",
            "positive",
            f"{_KEEL}/imb_IRhigherThan9p3/car-good.zip",
            _fetch_keel,
            description="KEEL car-good, 1,728 rows, all categorical",
        ),
        DatasetSpec(
            "mammography",
            "mammography.npz",
            "label",
            1,
            _IMBLEARN_ZENODO,
            _fetch_imblearn("mammography"),
            description="imbalanced-learn mammography, 11,183 rows, numeric",
        ),
        DatasetSpec(
            "oil",
            "oil.npz",
            "label",
            1,
            _IMBLEARN_ZENODO,
            _fetch_imblearn("oil"),
            description="imbalanced-learn oil spills, 937 rows, numeric",
        ),
        DatasetSpec(
            "ozone_level",
            "ozone_level.npz",
            "label",
            1,
            _IMBLEARN_ZENODO,
            _fetch_imblearn("ozone_level"),
            description="imbalanced-learn ozone level, 2,536 rows, numeric",
        ),
    ]
}


def list_datasets() -> list[str]:
    """Names of the registered public tables, sorted."""
    return sorted(_REGISTRY)


def dataset_spec(name: str) -> DatasetSpec:
    """The registry entry for ``name``; raises ``KeyError`` listing the known names."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown dataset {name!r}; known datasets: {', '.join(list_datasets())}") from None


def default_data_dir() -> Path | None:
    """The data directory named by ``$GANSYNTH_DATA_DIR``, or None when it is unset."""
    value = os.environ.get(DATA_DIR_ENV)
    return Path(value) if value else None


def _resolve_data_dir(data_dir) -> Path:
    if data_dir is not None:
        return Path(data_dir)
    env = default_data_dir()
    if env is None:
        raise ValueError(
            f"no data directory: pass data_dir=... or set ${DATA_DIR_ENV} to the folder holding the files"
        )
    return env


def load_dataset(name: str, data_dir=None, download: bool = False) -> tuple[pd.DataFrame, pd.Series]:
    """Load a registered public table as features and target.

    Parameters
    ----------
    name : str
        A name from :func:`list_datasets`.
    data_dir : str or path-like, optional
        Folder holding the local files. Defaults to ``$GANSYNTH_DATA_DIR``.
    download : bool, default=False
        When the file is missing, fetch it from its public location into ``data_dir``. Without
        it a missing file is an error that says where to put it: nothing is fetched implicitly.

    Returns
    -------
    X : pandas.DataFrame
        Features. String and registered categorical columns have ``category`` dtype; numeric
        columns are ``int64``/``float64``; missing values stay NaN. Leaking columns are dropped.
    y : pandas.Series
        The original target labels (``dataset_spec(name).positive`` is the minority class).
    """
    spec = dataset_spec(name)
    directory = _resolve_data_dir(data_dir)
    path = directory / spec.filename
    if not path.exists():
        if not download:
            raise FileNotFoundError(
                f"dataset {name!r}: {path} does not exist. Put {spec.filename} there "
                f"(public source: {spec.url}) or call load_dataset({name!r}, data_dir=..., download=True)."
            )
        directory.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".part" + path.suffix)
        spec.fetch(spec.url, partial)
        partial.replace(path)  # atomic: an interrupted fetch never leaves a half file behind

    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as archive:
            data, label = archive["data"], archive["label"]
        X = pd.DataFrame(data, columns=[f"x{i}" for i in range(data.shape[1])])
        y = pd.Series(label, name=spec.target)
    else:
        frame = pd.read_csv(path, **spec.read_options)
        if spec.target not in frame:
            raise ValueError(f"dataset {name!r}: {path} has no target column {spec.target!r}")
        y = frame.pop(spec.target)
        X = frame.drop(columns=list(spec.drop))
    for column in X.columns:
        if column in spec.categorical or not pd.api.types.is_numeric_dtype(X[column]):
            X[column] = X[column].astype("category")
    return X, y.rename(spec.target)
