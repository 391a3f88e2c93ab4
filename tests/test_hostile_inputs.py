"""Hostile and careless input (issue 15, items 7 to 9): one clear gansynth error, never a foreign one.

Each refusal is checked for its exact type (a subclass of ``GansynthError``, still a ``ValueError``
or ``TypeError``) and for a message naming the column or argument and the problem. The CLI
cases check one line on stderr, exit status 2, no traceback, and no file or folder left behind.
"""

import os
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.utils._param_validation import InvalidParameterError

from gansynth import GANOversampler, GansynthError, ImageGAN, ImageGANOversampler, TabularGAN
from gansynth.cli import main
from gansynth.errors import InputError, InputTypeError
from gansynth.evaluation import evaluate
from gansynth.evaluation.summary import flags
from gansynth.evaluation.utility import ml_efficacy
from gansynth.io.images import ImageFileError, read_images

TINY = dict(
    epochs=1, batch_size=10, pac=2, generator_dim=(8,), discriminator_dim=(8,), verbose=False, random_state=0
)
IMAGE_TINY = dict(
    epochs=1,
    batch_size=4,
    latent_dim=4,
    generator_width=4,
    discriminator_width=4,
    embedding_dim=4,
    verbose=False,
    random_state=0,
)


def numbers(n=20, seed=0):
    return np.random.default_rng(seed).normal(size=n)


# ------------------------------------------------------------------ tabular fit (item 7)


@pytest.mark.parametrize("magnitude", [1e155, 1e300, -1e200])
def test_floats_beyond_the_magnitude_bound_are_refused_naming_the_column(magnitude):
    frame = pd.DataFrame({"ok": numbers(), "x": np.r_[numbers(19), magnitude]})
    with pytest.raises(InputError, match=r"column 'x' holds values up to 1e\+\d+ in magnitude.*rescale"):
        TabularGAN(**TINY).fit(frame)


def test_floats_at_the_magnitude_bound_fit_and_sample_finite_values():
    frame = pd.DataFrame({"x": numbers() * 1e150 / 3})
    sample = TabularGAN(**TINY).fit(frame).sample(20, random_state=0)
    assert np.isfinite(sample["x"]).all()


def test_infinite_floats_keep_their_message():
    frame = pd.DataFrame({"x": np.r_[numbers(18), np.inf, -np.inf]})
    with pytest.raises(InputError, match=r"column 'x' holds 2 infinite value\(s\).*before fitting"):
        TabularGAN(**TINY).fit(frame)


@pytest.mark.parametrize("tz", [None, "UTC"])
def test_datetimes_beyond_nanosecond_range_are_refused_naming_the_column(tz):
    stamps = pd.Series(np.array(["2500-01-01", "2000-01-01"] * 10, dtype="datetime64[s]"))
    frame = pd.DataFrame({"d": stamps.dt.tz_localize(tz) if tz else stamps})
    with pytest.raises(
        InputError, match=r"column 'd' holds datetimes outside .*1677-09-21 to 2262-04-11.*2500"
    ):
        TabularGAN(**TINY).fit(frame)


@pytest.mark.parametrize(
    "value, type_name", [([1, 2], "list"), ({"a": 1}, "dict"), ({1}, "set"), (np.zeros(2), "ndarray")]
)
def test_unhashable_values_in_an_object_column_are_refused_naming_the_column(value, type_name):
    frame = pd.DataFrame({"x": numbers(), "bad": pd.Series([value, "text"] * 10, dtype=object)})
    with pytest.raises(InputError, match=rf"column 'bad' holds {type_name} values .*cannot be categories"):
        TabularGAN(**TINY).fit(frame)


def test_boolean_kind_on_a_float_column_is_refused_naming_the_column():
    frame = pd.DataFrame({"x": np.linspace(0, 1, 10)})
    with pytest.raises(InputError, match=r"column 'x': kind 'boolean' needs True/False \(or 0/1\) values"):
        TabularGAN(**TINY).fit(frame, column_kinds={"x": "boolean"})


def test_boolean_kind_on_zero_one_numbers_keeps_their_dtype():
    frame = pd.DataFrame({"f": [0.0, 1.0, np.nan, 1.0] * 5, "i": [0, 1, 1, 0] * 5})
    model = TabularGAN(**TINY).fit(frame, column_kinds={"f": "boolean", "i": "boolean"})
    assert [spec.categories for spec in model.columns_] == [[False, True], [False, True]]
    sample = model.sample(30, random_state=0)
    assert sample.dtypes.tolist() == frame.dtypes.tolist()
    assert set(sample["f"].dropna()) <= {0.0, 1.0} and set(sample["i"]) <= {0, 1}


def test_clip_must_be_a_boolean_in_the_constructor_and_in_sample():
    frame = pd.DataFrame({"x": numbers()})
    with pytest.raises(InvalidParameterError, match="'clip' parameter"):
        TabularGAN(**TINY, clip="no").fit(frame)
    model = TabularGAN(**TINY).fit(frame)
    with pytest.raises(InputError, match="clip must be True, False or None; got 'no'"):
        model.sample(3, clip="no")


@pytest.mark.parametrize("value", [{"a", "b"}, frozenset({"a"}), {"a": 1, "b": 2}])
def test_a_set_or_dict_condition_is_refused_not_read_as_one_value_per_row(value):
    model = TabularGAN(**TINY).fit(pd.DataFrame({"x": numbers(), "c": ["a", "b"] * 10}))
    with pytest.raises(InputTypeError, match=rf"condition 'c' is a {type(value).__name__}; .*list or array"):
        model.sample(2, conditions={"c": value})


# ------------------------------------------------------------------ oversampler (item 7)


def oversampler():
    return GANOversampler(generator=TabularGAN(**TINY), quality_filter=None, random_state=0)


def features(columns=("a", "b")):
    return pd.DataFrame(np.random.default_rng(0).normal(size=(20, len(columns))), columns=list(columns))


def test_duplicate_column_names_are_refused_by_the_oversampler():
    with pytest.raises(InputError, match=r"X has duplicate column names: \['a'\]"):
        oversampler().fit_resample(features(("a", "a", "b")), [0] * 15 + [1] * 5)


@pytest.mark.parametrize(
    "y, message",
    [
        (["a"] * 15 + [None] * 5, r"y holds 5 missing label\(s\) \(None or NaN\)"),
        ([0] * 15 + [None] * 5, r"y holds 5 missing label\(s\) \(None or NaN\)"),
        (np.array(["a"] * 15 + [np.nan] * 5, dtype=object), r"y holds 5 missing label\(s\)"),
        (["a"] * 15 + [np.nan] * 5, r"y holds 5 missing label\(s\)"),
        (np.r_[np.zeros(15), np.full(5, np.nan)], r"y holds 5 missing label\(s\) \(NaN\)"),
        (pd.Series(["a"] * 15 + [None] * 5, dtype="string"), r"y holds 5 missing label\(s\)"),
        ([1] * 20, r"y has 1 class \(1\); oversampling needs at least two classes"),
        (["a"] * 10 + [1] * 10, r"y mixes text and other labels \(e.g. 'a' and 1\)"),
        (np.linspace(0, 1, 20), r"y holds non-integer numbers .*not a continuous target"),
        ([[1], [2, 3]] * 10, r"y holds a list label"),
        ([0] * 15 + [1] * 4, r"X has 20 rows but y has 19 labels"),
    ],
)
def test_odd_labels_are_refused_naming_the_problem(y, message):
    with pytest.raises(InputError, match=message):
        oversampler().fit_resample(features(), y)


def test_labels_are_checked_by_fit_too():
    with pytest.raises(InputError, match="missing label"):
        oversampler().fit(features(), [0] * 15 + [None] * 5)


# ------------------------------------------------------------------ images (item 7)


def digits(n=10):
    return np.random.default_rng(0).integers(0, 255, size=(n, 8, 8)).astype(np.uint8)


@pytest.mark.parametrize(
    "images, labels, error, message",
    [
        (
            [np.zeros((8, 8)), np.zeros((9, 9))],
            None,
            InputError,
            "a list of images that all have the same shape",
        ),
        (np.zeros((0, 8, 8)), None, InputError, "need at least 2 images to train, got 0"),
        (digits(), [None] * 5 + [1] * 5, InputError, r"labels holds 5 missing label\(s\)"),
        (digits(), np.array(["a"] * 5 + [np.nan] * 5, dtype=object), InputError, "missing label"),
        (digits(), ["a"] * 5 + [1] * 5, InputError, "labels mixes text and other labels"),
    ],
)
def test_image_gan_refuses_bad_images_and_labels_clearly(images, labels, error, message):
    with pytest.raises(error, match=message):
        ImageGAN(**IMAGE_TINY).fit(images, labels)


def test_image_gan_sample_refuses_sets_missing_labels_and_boolean_counts():
    model = ImageGAN(**IMAGE_TINY).fit(digits(), [0] * 5 + [1] * 5)
    with pytest.raises(InputTypeError, match="labels is a set"):
        model.sample(3, labels={0, 1})
    with pytest.raises(InputError, match="missing label"):
        model.sample(2, labels=[None, 0])
    with pytest.raises(InputError, match="n must be a non-negative integer, got True"):
        model.sample(True)


def test_image_oversampler_refuses_missing_labels_and_a_single_class():
    sampler = ImageGANOversampler(image_shape=(8, 8), generator=ImageGAN(**IMAGE_TINY))
    flat = digits().reshape(10, -1)
    with pytest.raises(InputError, match="y holds 2 missing label"):
        sampler.fit_resample(flat, [None] * 2 + [1] * 8)
    with pytest.raises(InputError, match="y has 1 class"):
        sampler.fit_resample(flat, [1] * 10)


@pytest.fixture
def image_files(tmp_path):
    good = tmp_path / "good.npz"
    np.savez(good, images=digits(), labels=np.arange(10) % 2)
    data = good.read_bytes()
    (tmp_path / "truncated.npz").write_bytes(data[: len(data) // 2])
    flipped = bytearray(data)
    flipped[200] ^= 0xFF
    (tmp_path / "flipped.npz").write_bytes(bytes(flipped))
    (tmp_path / "table.npz").write_text("x,y\n1,2\n")
    np.save(tmp_path / "array.npy", digits())
    (tmp_path / "array.npy").rename(tmp_path / "npy.npz")
    np.savez(tmp_path / "objects.npz", images=np.array([{"a": 1}] * 3, dtype=object))
    (tmp_path / "empty.npz").write_bytes(b"")
    (tmp_path / "pngs").mkdir()
    (tmp_path / "pngs" / "1.png").write_text("not a png")
    return tmp_path


@pytest.mark.parametrize(
    "name, message",
    [
        ("truncated.npz", r"cannot read .*truncated.npz as an .npz archive: it is truncated or corrupt"),
        ("flipped.npz", r"cannot read .*flipped.npz as an .npz archive: it is truncated or corrupt"),
        ("table.npz", r"table.npz is not an .npz archive .*renamed .npz"),
        ("npy.npz", r"npy.npz is not an .npz archive"),
        ("empty.npz", r"empty.npz is not an .npz archive"),
        ("objects.npz", r"holds an object array, which gansynth never loads"),
        ("pngs", r"cannot read .*1.png as a PNG image"),
    ],
)
def test_unreadable_image_files_get_one_clear_error(image_files, name, message):
    with pytest.raises(ImageFileError, match=message) as caught:
        read_images(image_files / name)
    assert "allow_pickle" not in str(caught.value)


# ------------------------------------------------------------------ evaluate (items 8 and 9)


def eval_tables(n=40):
    rng = np.random.default_rng(0)
    real = pd.DataFrame({"x": rng.normal(size=n), "c": rng.choice(["a", "b"], n), "y": rng.integers(0, 2, n)})
    return real, real.sample(frac=1, random_state=1).reset_index(drop=True)


@pytest.mark.parametrize("table", ["real", "synthetic", "holdout"])
def test_evaluate_refuses_infinite_values_with_fits_message_naming_the_table(table):
    real, synthetic = eval_tables()
    frames = {"real": real, "synthetic": synthetic, "holdout": real.copy()}
    frames[table] = frames[table].assign(x=np.r_[np.inf, -np.inf, np.inf, real["x"].to_numpy()[3:]])
    with pytest.raises(
        InputError,
        match=rf"column 'x' of `{table}` holds 3 infinite value\(s\); replace them .* before evaluating",
    ):
        evaluate(frames["real"], frames["synthetic"], holdout=frames["holdout"])


def test_evaluate_refuses_datetimes_beyond_nanosecond_range():
    real, synthetic = eval_tables(20)
    when = np.array(["2000-01-01"] * 20, dtype="datetime64[s]")
    late = when.copy()
    late[3] = np.datetime64("2500-01-01")
    with pytest.raises(InputError, match=r"`synthetic`: column 'd' holds datetimes outside"):
        evaluate(real.assign(d=when), synthetic.assign(d=late))


@pytest.mark.parametrize("synthetic_target, found", [(1, "only '1'"), (np.nan, "only '(missing)'")])
def test_a_synthetic_target_with_one_class_is_flagged(synthetic_target, found):
    real, synthetic = eval_tables()
    kinds = {"x": "numerical", "c": "categorical", "y": "numerical"}
    table = ml_efficacy(real, synthetic.assign(y=synthetic_target), real, "y", kinds, "classification", 0)
    assert table.set_index("trained_on").loc["real", "note"] == ""
    privacy = {"copy_rate": 0.0, "holdout_copy_rate": 0.0, "dcr_ratio": 1.0}
    [flag] = flags(privacy, 10, 40, 0.5, table)
    assert flag.startswith("Unusable for ML") and found in flag


def test_evaluate_flags_a_one_class_synthetic_target_end_to_end():
    real, synthetic = eval_tables(60)
    report = evaluate(real, synthetic.assign(y=1), target="y", max_rows=60, cv=2)
    assert any(flag.startswith("Unusable for ML") for flag in report.flags)


# ------------------------------------------------------------------ errors, the common base


def test_every_refusal_is_a_gansynth_error_and_still_a_value_or_type_error():
    from gansynth import ModelFileError
    from gansynth.cli import CLIError
    from gansynth.io.tables import TableFileError

    for error in (InputError, ModelFileError, TableFileError, ImageFileError):
        assert issubclass(error, GansynthError) and issubclass(error, ValueError)
    assert issubclass(InputTypeError, GansynthError) and issubclass(InputTypeError, TypeError)
    assert issubclass(CLIError, GansynthError)


# ------------------------------------------------------------------ the CLI (item 8)


@pytest.fixture(scope="module")
def cli_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile_cli")
    frame = pd.DataFrame({"x": numbers(40), "c": ["a", "b"] * 20})
    frame.to_csv(folder / "small.csv", index=False)
    TabularGAN(**TINY).fit(frame).save(folder / "m.gsyn")
    images = digits(16)
    np.savez(folder / "digits.npz", images=images, labels=np.arange(16) % 2)
    ImageGAN(**IMAGE_TINY).fit(images, np.arange(16) % 2).save(folder / "img.gsyn")
    data = (folder / "digits.npz").read_bytes()
    (folder / "truncated.npz").write_bytes(data[: len(data) // 2])
    (folder / "table.npz").write_bytes((folder / "small.csv").read_bytes())
    _deeply_nested_model(folder / "m.gsyn", folder / "deep.gsyn")
    return folder


def _deeply_nested_model(source: Path, target: Path):
    """The issue's RecursionError file: 100,000 nested arrays in the header."""
    from safetensors import safe_open
    from safetensors.torch import save_file

    with safe_open(str(source), "pt") as handle:
        header = handle.metadata()["gansynth"]
        tensors = {k: handle.get_tensor(k) for k in handle.keys()}  # noqa: SIM118 (not iterable)
    header = header[:-1] + ', "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    save_file(tensors, str(target), metadata={"gansynth": header})


def _unwritable_folder(tmp_path) -> Path:
    if os.geteuid() != 0:
        folder = tmp_path / "locked"
        folder.mkdir()
        folder.chmod(0o500)
        return folder
    if not Path("/proc/self").is_dir():
        pytest.skip("running as root without /proc: no folder is unwritable")
    return Path("/proc")  # root may write anywhere but here


def _tree(folder: Path) -> set:
    return {p.relative_to(folder) for p in folder.rglob("*")}


# (arguments with {d} for the input folder and {o} for a fresh output folder, message)
CLI_CASES = [
    (
        "fit {d}/small.csv -o {d}/small.csv/out.gsyn --epochs 1 --batch-size 10",
        "small.csv is a file, not a folder",
    ),
    ("fit {d}/small.csv -o {u}/sub/m.gsyn --epochs 1 --batch-size 10", "cannot write into the folder"),
    ("fit {d}/small.csv -o {o}/m.gsyn --epochs 0", "argument --epochs: must be a positive integer or 'auto'"),
    ("fit {d}/small.csv -o {o}/m.gsyn --batch-size 0", "argument --batch-size: must be a positive integer"),
    ("fit {d}/missing.csv -o {o}/new/m.gsyn", "file not found"),
    ("sample -m {d}/m.gsyn --rows 3 -o {d}/small.csv/out.csv", "small.csv is a file, not a folder"),
    (
        "sample -m {d}/m.gsyn --rows 3 -o {o}/out.xlsx",
        "unknown extension '.xlsx'; expected .csv, .parquet, .pq",
    ),
    ("sample -m {d}/m.gsyn --rows 3 -o {o}", "is a folder; give a file name"),
    ("sample -m {d}/m.gsyn --rows -1", "argument --rows: must be a non-negative integer"),
    ("sample -m {d}/m.gsyn --rows 3 --epochs 5", "--epochs and --discrete apply only when fitting"),
    ("sample -m {d}/deep.gsyn --rows 3 -o {o}/out.csv", "nests deeper than"),
    ("info {d}/deep.gsyn", "nests deeper than"),
    ("info {d}/small.csv", "not a valid gansynth model file"),
    ("evaluate {d}/small.csv {d}/small.csv -o {d}/small.csv/r.html", "small.csv is a file, not a folder"),
    ("evaluate {d}/small.csv {d}/small.csv -o {o}/r.pdf", "unknown extension '.pdf'; expected .html, .htm"),
    ("fit-images {d}/truncated.npz -o {o}/x.gsyn", "it is truncated or corrupt"),
    ("fit-images {d}/table.npz -o {o}/x.gsyn", "is not an .npz archive"),
    ("fit-images {d}/digits.npz -o {d}/small.csv/x.gsyn", "small.csv is a file, not a folder"),
    ("fit-images {d}/digits.npz -o {o}/x.gsyn --epochs 0", "argument --epochs: must be a positive integer"),
    ("fit-images {d}/digits.npz -o {o}/x.gsyn --grid {o}/g.jpg", "unknown extension '.jpg'; expected .png"),
    ("sample-images -m {d}/img.gsyn --rows 3 -o {d}/small.csv/out.npz", "small.csv is a file, not a folder"),
    ("sample-images -m {d}/img.gsyn --rows 3 -o {o}/out.png", "expected .npz, or a folder name"),
    ("sample-images -m {d}/m.gsyn --rows 3 -o {o}/out.npz", "not an ImageGAN"),
]


def run_cli(args) -> int:
    """``main``'s exit status, including argparse's (which exits instead of returning)."""
    try:
        return main(args)
    except SystemExit as exited:
        return exited.code


@pytest.mark.parametrize("command, message", CLI_CASES)
def test_cli_user_errors_give_one_line_exit_2_and_leave_nothing(
    command, message, cli_files, tmp_path, capsys
):
    output = tmp_path / "out"
    output.mkdir()
    inputs_before = _tree(cli_files)
    code = run_cli(command.format(d=cli_files, o=output, u=_unwritable_folder(tmp_path)).split())
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert code == 2
    assert len(lines) == 1 and "Traceback" not in captured.err, captured.err
    assert message in lines[0] and re.match(r"gansynth( [\w-]+)?: error: ", lines[0]), lines[0]
    assert _tree(output) == set() and _tree(cli_files) == inputs_before


def test_output_folders_are_created_only_when_the_output_is_written(cli_files, tmp_path, capsys):
    model = tmp_path / "new" / "sub" / "m.gsyn"
    args = ["fit", str(cli_files / "small.csv"), "-o", str(model), "--epochs", "1", "--batch-size", "10"]
    assert main(args + ["--quiet"]) == 0 and model.is_file()
    broken = tmp_path / "broken.csv"
    broken.write_text("x\n1\n")  # one row: refused by fit
    assert main(["fit", str(broken), "-o", str(tmp_path / "other" / "m.gsyn"), "--quiet"]) == 2
    assert not (tmp_path / "other").exists()
    assert "at least 2 rows" in capsys.readouterr().err


def test_evaluate_checks_its_output_before_computing_the_report(cli_files, tmp_path, monkeypatch, capsys):
    from gansynth import evaluation

    def fail(*args, **kwargs):
        raise AssertionError("the report was computed")

    monkeypatch.setattr(evaluation, "evaluate", fail)
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    csv = str(cli_files / "small.csv")
    assert main(["evaluate", csv, csv, "-o", str(blocker / "r.html")]) == 2
    assert "blocker is a file, not a folder" in capsys.readouterr().err


def test_debug_shows_the_traceback(cli_files, tmp_path):
    from gansynth.cli import CLIError

    with pytest.raises(CLIError, match="unknown extension"):
        main(
            [
                "--debug",
                "sample",
                "-m",
                str(cli_files / "m.gsyn"),
                "--rows",
                "1",
                "-o",
                str(tmp_path / "a.xlsx"),
            ]
        )
    with pytest.raises(CLIError, match="unknown extension"):
        main(
            [
                "sample",
                "-m",
                str(cli_files / "m.gsyn"),
                "--rows",
                "1",
                "-o",
                str(tmp_path / "a.xlsx"),
                "--debug",
            ]
        )


def test_an_unexpected_error_is_one_line_naming_it_as_a_bug(cli_files, monkeypatch, capsys):
    from gansynth.cli import tabular

    def broken(args):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(tabular, "_describe_tabular", broken)
    assert main(["info", str(cli_files / "m.gsyn")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "internal error: RuntimeError: boom\\nsecond line (rerun with --debug" in err


def test_image_cli_writes_npz_into_a_new_folder(cli_files, tmp_path):
    out = tmp_path / "new" / "images.npz"
    assert main(["sample-images", "-m", str(cli_files / "img.gsyn"), "--rows", "3", "-o", str(out)]) == 0
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["images.npy", "labels.npy"]


@pytest.mark.parametrize(
    "y, message", [(None, "requires y to be passed, but the target y is None"), (3, "1d array")]
)
def test_a_missing_or_scalar_y_is_refused(y, message):
    with pytest.raises(InputError, match=message):
        oversampler().fit_resample(features(), y)


def test_a_failed_model_write_leaves_no_partial_file(tmp_path, monkeypatch):
    import gansynth.persistence as persistence

    def disk_full(tensors, filename, metadata):
        Path(filename).write_bytes(b"partial")
        raise OSError(28, "No space left on device")

    model = TabularGAN(**TINY).fit(pd.DataFrame({"x": numbers()}))
    monkeypatch.setattr(persistence, "save_file", disk_full)
    with pytest.raises(OSError, match="No space left"):
        model.save(tmp_path / "m.gsyn")
    assert list(tmp_path.iterdir()) == []
