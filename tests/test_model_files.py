"""Model files verified whole: digest, schema, bounded reading, and the CLI on model files.

Edits made "as a forger" recompute the digest, so that the schema checks are exercised on their
own; plain edits leave it stale, which the digest catches.
"""

import json
import struct
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from safetensors import safe_open
from safetensors.torch import save_file
from sklearn.datasets import load_digits

import gansynth
from gansynth import ImageGAN, ModelFileError, TabularGAN
from gansynth.cli import main
from gansynth.persistence import _digest

TINY = dict(
    epochs=1, batch_size=10, pac=2, generator_dim=(8,), discriminator_dim=(8,), verbose=False, random_state=0
)
IMAGE_TINY = dict(
    epochs=1, batch_size=16, latent_dim=8, generator_width=4, discriminator_width=4, embedding_dim=4
)


def small_table():
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "x": rng.normal(size=40),
            "i": np.arange(40) % 5,
            "colour": pd.Series(["red", "blue", None, "green"] * 10, dtype=object),
            "when": pd.date_range("2020-01-01", periods=40, freq="D", tz="Europe/Paris"),
        }
    )


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("model_files")
    tabular = TabularGAN(**TINY).fit(small_table())
    tabular.save(folder / "m.gsyn")
    digits = load_digits()
    image = ImageGAN(**IMAGE_TINY, verbose=False, random_state=0).fit(digits.images[:64], digits.target[:64])
    image.save(folder / "img.gsyn")
    return folder


def read_parts(path):
    with safe_open(str(path), "pt") as handle:
        header = json.loads(handle.metadata()["gansynth"])
        tensors = {name: handle.get_tensor(name) for name in handle.keys()}  # noqa: SIM118
    return header, tensors


def write_parts(path, header, tensors, forge=True):
    """Write a model file; ``forge`` recomputes the digest over the (edited) description."""
    if forge:
        header["digest_sha256"] = _digest(header["model"], tensors)
    save_file(tensors, str(path), metadata={"gansynth": json.dumps(header)})
    return path


def edited(source, target, edit, forge=True):
    header, tensors = read_parts(source)
    edit(header["model"])
    return write_parts(target, header, tensors, forge)


def sparse_bomb(source, target):
    """The file plus an undeclared-by-the-model 6 GB tensor, as a sparse file of a few KB on disk."""
    blob = source.read_bytes()
    length = struct.unpack("<Q", blob[:8])[0]
    header, data = json.loads(blob[8 : 8 + length]), blob[8 + length :]
    header["zzz_junk"] = {
        "dtype": "U8",
        "shape": [6 * 10**9],
        "data_offsets": [len(data), len(data) + 6 * 10**9],
    }
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    with open(target, "wb") as handle:
        handle.write(struct.pack("<Q", len(raw)) + raw + data)
        handle.truncate(8 + len(raw) + len(data) + 6 * 10**9)
    return target


def deep_nest(source, target):
    header, tensors = read_parts(source)
    text = json.dumps(header)
    save_file(
        tensors, str(target), metadata={"gansynth": text[:-1] + ', "x": ' + "[" * 100000 + "]" * 100000 + "}"}
    )
    return target


# ---------------------------------------------------------------- the reproductions


def test_a_valid_file_loads_and_samples_like_the_model(files):
    model = gansynth.load(files / "m.gsyn")
    rows = model.sample(20, random_state=0)
    assert str(rows["when"].dtype) == "datetime64[ns, Europe/Paris]"
    assert isinstance(gansynth.load(files / "img.gsyn"), ImageGAN)


@pytest.mark.parametrize("random_state", [None, 7])
def test_a_loaded_model_shows_the_parameters_it_was_made_with(tmp_path, random_state):
    tabular = TabularGAN(
        **{**TINY, "generator_dim": (8, 4), "random_state": random_state},
        generator_lr=1e-3,
        torch_threads=1,
        device="cpu",
    ).fit(small_table())
    digits = load_digits()
    image = ImageGAN(
        **IMAGE_TINY, r1_gamma=0.5, class_balance=True, random_state=random_state, verbose=False, device="cpu"
    ).fit(digits.images[:64], digits.target[:64])
    for model, name in ((tabular, "t.gsyn"), (image, "i.gsyn")):
        loaded = gansynth.load(model.save(tmp_path / name))
        assert repr(loaded) == repr(model)
        assert loaded.get_params() == model.get_params()  # tuples stay tuples, None stays None
    loaded = gansynth.load(tmp_path / "t.gsyn")
    pd.testing.assert_frame_equal(loaded.sample(30, random_state=1), tabular.sample(30, random_state=1))
    # Without random_state a loaded model continues its drawn seed's stream, as the model does.
    pd.testing.assert_frame_equal(loaded.sample(30), tabular.sample(30))


def test_a_loaded_model_keeps_its_device_parameter_and_runs_where_load_puts_it(tmp_path):
    model = TabularGAN(**TINY).fit(small_table())  # device="auto"
    loaded = gansynth.load(model.save(tmp_path / "m.gsyn"), device="cpu")
    assert loaded.device == "auto" and loaded.device_ == torch.device("cpu")
    assert "device" not in repr(loaded)


def test_an_edited_description_is_caught_by_the_digest(files, tmp_path):
    path = edited(
        files / "m.gsyn", tmp_path / "t.gsyn", lambda m: m["columns"][1].update(kind="datetime"), False
    )
    with pytest.raises(ModelFileError, match="digest|cannot hold"):
        gansynth.load(path)
    # An edit the schema accepts is still caught: the digest covers the description.
    path = edited(files / "m.gsyn", tmp_path / "u.gsyn", lambda m: m.update(seed=m["seed"] + 1), False)
    with pytest.raises(ModelFileError, match="digest"):
        gansynth.load(path)


def test_a_forged_kind_change_is_refused_by_the_schema(files, tmp_path):
    path = edited(files / "m.gsyn", tmp_path / "t.gsyn", lambda m: m["columns"][1].update(kind="datetime"))
    with pytest.raises(ModelFileError, match=r"columns\[1\]\.dtype 'int64' cannot hold a datetime column"):
        gansynth.load(path)


def test_a_memory_bomb_description_is_refused_before_building(files, tmp_path):
    path = edited(
        files / "m.gsyn", tmp_path / "bomb.gsyn", lambda m: m["params"].update(generator_dim=[38000] * 2)
    )
    with pytest.raises(ModelFileError, match="parameters, above the bound"):
        gansynth.load(path)


def test_an_undeclared_sparse_tensor_is_refused_without_reading_it(files, tmp_path):
    with pytest.raises(ModelFileError, match="above the .* byte bound"):
        gansynth.load(sparse_bomb(files / "m.gsyn", tmp_path / "sparse.gsyn"))


def test_deeply_nested_json_is_a_model_file_error(files, tmp_path):
    with pytest.raises(ModelFileError, match="nests deeper than"):
        gansynth.load(deep_nest(files / "m.gsyn", tmp_path / "deep.gsyn"))


@pytest.mark.slow  # a fresh interpreter, so that peak memory is this test's own
def test_crafted_files_are_refused_within_100_mb_of_memory(files, tmp_path):
    bomb = edited(
        files / "m.gsyn", tmp_path / "bomb.gsyn", lambda m: m["params"].update(generator_dim=[38000] * 2)
    )
    crafted = [
        bomb,
        sparse_bomb(files / "m.gsyn", tmp_path / "s.gsyn"),
        deep_nest(files / "m.gsyn", tmp_path / "d.gsyn"),
    ]
    script = textwrap.dedent(
        f"""
        import resource, gansynth
        gansynth.load({str(files / "m.gsyn")!r}).sample(5)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        for path in {[str(p) for p in crafted]!r}:
            try:
                gansynth.load(path)
            except gansynth.ModelFileError:
                pass
            else:
                raise SystemExit("loaded " + path)
        print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert int(result.stdout.split()[-1]) < 100, result.stdout  # MiB of peak resident memory added


@pytest.mark.parametrize("old", [2, 3])
def test_an_older_format_file_is_refused_with_a_clear_line(files, tmp_path, old):
    header, tensors = read_parts(files / "m.gsyn")
    header["format_version"] = old
    path = write_parts(tmp_path / "old.gsyn", header, tensors, forge=False)
    with pytest.raises(
        ModelFileError, match=f"written by an older gansynth .*format {old}.*refit the model"
    ) as info:
        gansynth.load(path)
    assert "\n" not in str(info.value)


# ---------------------------------------------------------------- the schema, field by field


def _set(*keys, value):
    def edit(model):
        target = model
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    return edit


def _both_categories(categories):
    """Set column 2's categories in the table's columns and the engine's alike."""

    def edit(model):
        for part in ("columns", "engine_columns"):
            model[part][2]["categories"] = list(categories)

    return edit


def _add_category(model):
    model["columns"][2]["categories"].append("purple")
    model["engine_columns"][2]["categories"].append("purple")
    model["transformer"]["encoders"][2]["categories"].append("purple")
    model["condition_counts"][1].append(0)  # block 0 is "i", an integer column of five values


TABULAR_EDITS = [
    (_set("columns", 0, "nan_rate", value=2.0), r"nan_rate must be finite and in \[0.0, 1.0\]"),
    (_set("columns", 0, "minimum", value=10.0**6), "minimum .* above maximum"),
    (_set("columns", 0, "maximum", value=float("inf")), "maximum must be finite"),
    (_set("columns", 3, "timezone", value="Mars/Olympus_Mons"), "not a known time zone"),
    (_set("columns", 3, "timezone", value=None), "does not match the dtype"),
    (_set("columns", 3, "dtype", value="no such dtype"), "not a pandas dtype"),
    (_set("columns", 2, "kind", value="weird"), "kind must be one of"),
    (_set("columns", 1, "name", value="x"), "duplicate names"),
    (_set("columns", 2, "categories", value=["a"] * 3), "duplicates"),
    (_both_categories([f"c{i}" for i in range(70_000)]), "1 to 65536 items"),
    (_set("columns", 0, "extra", value=[]), "extra must be an object"),
    (_add_category, "the description implies F32"),
    (_set("condition_counts", 1, value=[0, 0, 0, 0]), "same positive number of rows"),
    (_set("transformer", "encoders", 0, "stds", value=[0.0] * 10), "stds"),
    (_set("transformer", "encoders", 0, "has_nan", value=True), "has_nan"),
    (_set("transformer", "encoders", 2, "type", value="numeric"), r"encoders\[2\]"),
    (_set("input_format", value={"type": "ndarray", "dtype": "V100000000"}), "input_format.dtype"),
    (_set("seed", value=-1), r"seed must be in \[0, 4294967295\]"),
    (_set("world_size", value=0), r"world_size must be in \[1, 2147483647\]"),
    (_set("world_size", value=2.0), "world_size must be an integer"),
    (lambda m: m.pop("world_size"), r"lacks \['world_size'\]"),
    (_set("params", "embedding_dim", value=0), "embedding_dim"),
    (_set("params", "generator_dim", value=[70_000]), "generator_dim"),
    (_set("params", "no_such_parameter", value=1), "unexpected keys"),
    (_set("params", "device", value="gpu9"), "params.device is not a torch device name"),
    (_set("params", "device", value="cuda" * 100), "params.device must be a string of at most 64"),
    (_set("params", "random_state", value="seed"), "'random_state' parameter of TabularGAN"),
    (_set("params", "auxiliary_weight", value=-1.0), "'auxiliary_weight' parameter of TabularGAN"),
    # A huge factor would make every later sample() allocate that many candidate rows.
    (_set("params", "marginal_calibration", value=10**9), "'marginal_calibration' parameter of TabularGAN"),
    (_set("params", "auxiliary_target", value=[1]), "'auxiliary_target' parameter of TabularGAN"),
    (
        _set("params", "auxiliary_target", value="y" * 5000),
        "params.auxiliary_target must be a string of at most",
    ),
    (_set("loss_history", "epoch", value=[0, 1, 2]), "different lengths"),
    (lambda m: m.pop("transformer"), r"lacks \['transformer'\]"),
    (_set("surprise", value=1), "unexpected keys"),
]


@pytest.mark.parametrize("edit, match", TABULAR_EDITS)
def test_forged_tabular_descriptions_name_the_bad_field(files, tmp_path, edit, match):
    path = edited(files / "m.gsyn", tmp_path / "forged.gsyn", edit)
    with pytest.raises(ModelFileError, match=match) as info:
        gansynth.load(path)
    assert "\n" not in str(info.value)


IMAGE_EDITS = [
    (_set("image_format", "height", value=4096), r"height must be in \[8, 64\]"),
    (_set("image_format", "size", value=16), "size must be 8"),
    (_set("image_format", "dtype", value="U5"), "image_format.dtype"),
    (_set("image_format", "low", value=float("nan")), "low must be finite"),
    (_set("classes", value=list(range(11))), "class_prior must hold exactly 11 items"),
    (_set("classes_dtype", value="M8[ns]"), "classes_dtype"),
    (_set("class_prior", value=[0.5] * 10), "adding up to 1"),
    (_set("params", "latent_dim", value=10**6), "latent_dim"),
    (_set("params", "generator_width", value=60_000), "parameters, above the bound"),
    (_set("params", "loss", value="magic"), "'loss' parameter of ImageGAN"),
    (_set("params", "device", value=["cpu"]), "'device' parameter of ImageGAN"),
    (_set("n_epochs", value=0), "n_epochs"),
    (_set("augment", value="rotate"), "augment must be null or a DiffAugment policy"),
    (_set("augment", value={}), "augment must be null or a DiffAugment policy"),  # found by hypothesis
    (_set("params", "augment", value="cutout,color"), "'augment' parameter of ImageGAN"),
]


@pytest.mark.parametrize("edit, match", IMAGE_EDITS)
def test_forged_image_descriptions_name_the_bad_field(files, tmp_path, edit, match):
    path = edited(files / "img.gsyn", tmp_path / "forged.gsyn", edit)
    with pytest.raises(ModelFileError, match=match):
        gansynth.load(path)


def test_tensors_must_be_exactly_those_the_description_implies(files, tmp_path):
    header, tensors = read_parts(files / "m.gsyn")
    extra = write_parts(tmp_path / "extra.gsyn", header, {**tensors, "generator.spare": torch.zeros(3)})
    with pytest.raises(ModelFileError, match=r"unexpected \['generator.spare'\]"):
        gansynth.load(extra)
    name = sorted(tensors)[0]
    missing = write_parts(tmp_path / "missing.gsyn", header, {k: v for k, v in tensors.items() if k != name})
    with pytest.raises(ModelFileError, match="missing"):
        gansynth.load(missing)
    doubled = write_parts(tmp_path / "f64.gsyn", header, {**tensors, name: tensors[name].double()})
    with pytest.raises(ModelFileError, match="is F64"):
        gansynth.load(doubled)


def test_a_duplicated_tensor_name_in_the_safetensors_header_is_refused(files, tmp_path):
    blob = (files / "m.gsyn").read_bytes()
    length = struct.unpack("<Q", blob[:8])[0]
    raw = blob[8 : 8 + length].decode()
    first = sorted(json.loads(raw))[0]
    entry = json.dumps(json.loads(raw)[first])
    doubled = raw.rstrip()[:-1] + f', "{first}": {entry}' + "}"
    doubled += " " * (-len(doubled) % 8)
    path = tmp_path / "dup.gsyn"
    path.write_bytes(struct.pack("<Q", len(doubled)) + doubled.encode() + blob[8 + length :])
    with pytest.raises(ModelFileError, match="duplicate key"):
        gansynth.load(path)


# ---------------------------------------------------------------- fuzzing


def _load_outcome(path):
    """Load and sample; anything but success or a ModelFileError fails the test."""
    try:
        model = gansynth.load(path)
    except ModelFileError as error:
        assert "\n" not in str(error)
        event("refused")
        return
    event("loaded")
    model.sample(5, random_state=0)


FUZZ_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


@FUZZ_SETTINGS
@given(data=st.data())
def test_random_byte_flips_and_truncations_give_a_model_or_a_model_file_error(files, tmp_path, data):
    blob = bytearray((files / data.draw(st.sampled_from(["m.gsyn", "img.gsyn"]))).read_bytes())
    if data.draw(st.booleans()):
        blob = blob[: data.draw(st.integers(0, len(blob) - 1))]
    for _ in range(data.draw(st.integers(1, 4))):
        if blob:
            blob[data.draw(st.integers(0, len(blob) - 1))] ^= data.draw(st.integers(1, 255))
    path = tmp_path / "fuzzed.gsyn"
    path.write_bytes(bytes(blob))
    _load_outcome(path)


JSON_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5),
    st.lists(st.integers(-3, 3), max_size=3),
    st.just({}),
)


def _mutate(node, data):
    """Walk to a random place in the description and replace, delete or duplicate something there."""
    while True:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        if not keys:
            return
        key = data.draw(st.sampled_from(keys))
        child = node[key]
        if isinstance(child, (dict, list)) and child and data.draw(st.integers(0, 3)):
            node = child
            continue
        action = data.draw(st.sampled_from(["replace", "delete", "duplicate"]))
        if action == "replace":
            node[key] = data.draw(JSON_VALUES)
        elif isinstance(node, dict):
            node.pop(key) if action == "delete" else node.setdefault(f"{key}_copy", child)
        else:
            node.pop(key) if action == "delete" else node.insert(key, child)
        return


@FUZZ_SETTINGS
@given(data=st.data())
def test_random_description_edits_give_a_model_or_a_model_file_error(files, tmp_path, data):
    header, tensors = read_parts(files / data.draw(st.sampled_from(["m.gsyn", "img.gsyn"])))
    for _ in range(data.draw(st.integers(1, 3))):
        _mutate(header["model"], data)
    path = write_parts(tmp_path / "edited.gsyn", header, tensors, forge=data.draw(st.booleans()))
    _load_outcome(path)


# ---------------------------------------------------------------- the command line on model files


def test_info_describes_an_image_model(files, capsys):
    assert main(["info", str(files / "img.gsyn")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ImageGAN: 10 classes, 8x8 images with 1 channel") and "trained 1 epochs" in out


def test_sample_on_an_image_model_points_to_sample_images(files, capsys):
    assert main(["sample", "-m", str(files / "img.gsyn"), "--rows", "3"]) == 2
    err = capsys.readouterr().err
    assert "use 'gansynth sample-images'" in err and len(err.strip().splitlines()) == 1


def test_info_escapes_control_characters_and_prints_dates(tmp_path, capsys):
    frame = pd.DataFrame(
        {
            "\x1b[31mred\x1b[0m": np.arange(20) % 3,
            "day": pd.date_range("2020-01-01", periods=20, freq="D"),
        }
    )
    TabularGAN(**TINY).fit(frame).save(tmp_path / "esc.gsyn")
    assert main(["info", str(tmp_path / "esc.gsyn")]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and r"\x1b[31mred\x1b[0m" in out
    assert "range [2020-01-01, 2020-01-20]" in out
