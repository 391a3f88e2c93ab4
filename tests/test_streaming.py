"""Streaming sampling: chunks that equal ``sample``, files written a chunk at a time, atomically."""

import copy
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
import torch

from gansynth import TabularGAN
from gansynth.cli import main
from gansynth.datasets import load_student_placements
from gansynth.io.tables import TableFileError, read_table, write_table, write_table_chunks
from gansynth.tabular.generation import GENERATION_BLOCK

from .conftest import TINY


@pytest.fixture(scope="module")
def model():
    return TabularGAN(**TINY, random_state=0).fit(load_student_placements())


@pytest.mark.parametrize("chunk_size", [1_000, GENERATION_BLOCK, GENERATION_BLOCK + 1, 10**6])
def test_chunks_concatenate_to_the_rows_sample_returns(model, chunk_size):
    n = 2 * GENERATION_BLOCK + 500  # three generation blocks, the last one short
    chunks = list(model.iter_samples(n, chunk_size=chunk_size, random_state=3))
    assert [len(c) for c in chunks[:-1]] == [chunk_size] * (len(chunks) - 1)
    assert len(chunks) == -(-n // chunk_size)
    pd.testing.assert_frame_equal(pd.concat(chunks), model.sample(n, random_state=3))


def test_tiny_chunks_equal_sample_too(model):
    chunks = list(model.iter_samples(300, chunk_size=7, random_state=4))
    assert len(chunks) == 43 and len(chunks[-1]) == 6
    pd.testing.assert_frame_equal(pd.concat(chunks), model.sample(300, random_state=4))


def test_conditions_stream_like_sample(model):
    n = GENERATION_BLOCK + 100
    genders = np.where(np.arange(n) % 3 == 0, "F", "M")
    for conditions in ({"gender": "F"}, {"gender": genders, "placed": True}):
        streamed = pd.concat(model.iter_samples(n, chunk_size=5_000, conditions=conditions, random_state=5))
        pd.testing.assert_frame_equal(streamed, model.sample(n, conditions, random_state=5))
    assert (streamed["gender"].to_numpy() == genders).all() and streamed["placed"].all()


def test_streaming_is_lazy_so_memory_follows_the_chunk_not_n(model):
    """A trillion rows would not fit anywhere: only the first chunk is made."""
    chunks = model.iter_samples(10**12, chunk_size=50, conditions={"gender": "M"}, random_state=0)
    first = next(chunks)
    assert len(first) == 50 and (first["gender"] == "M").all()


def test_arguments_are_checked_when_called_not_when_iterated(model):
    with pytest.raises(ValueError, match="unknown value"):
        model.iter_samples(10, conditions={"gender": "X"})
    with pytest.raises(ValueError, match="has 3 values for 10 rows"):
        model.iter_samples(10, conditions={"gender": ["F"] * 3})
    for bad in (0, -5, 2.5, True):
        with pytest.raises(ValueError, match="chunk_size must be a positive integer"):
            model.iter_samples(10, chunk_size=bad)
    with pytest.raises(ValueError, match="n must be a non-negative integer"):
        model.iter_samples(-1)


def test_zero_rows_give_one_empty_chunk_with_the_dtypes(model):
    (chunk,) = model.iter_samples(0)
    assert len(chunk) == 0 and chunk.dtypes.equals(model.sample(5).dtypes)


def test_chunk_index_continues_from_the_previous_chunk(model):
    chunks = list(model.iter_samples(25, chunk_size=10, random_state=0))
    assert [list(c.index[[0, -1]]) for c in chunks] == [[0, 9], [10, 19], [20, 24]]


def test_interleaved_streams_and_the_callers_torch_state_are_independent(model):
    expected = {seed: model.sample(3 * GENERATION_BLOCK, random_state=seed) for seed in (1, 2)}
    torch.manual_seed(123)
    reference = torch.rand(3)
    torch.manual_seed(123)
    streams = {
        seed: model.iter_samples(3 * GENERATION_BLOCK, chunk_size=5_000, random_state=seed) for seed in (1, 2)
    }
    got = {seed: [] for seed in streams}
    for _ in range(5):
        for seed, stream in streams.items():
            got[seed].append(next(stream))
    assert torch.equal(torch.rand(3), reference)
    for seed in streams:
        pd.testing.assert_frame_equal(pd.concat(got[seed]), expected[seed])


def test_without_random_state_each_call_continues_the_models_stream(model):
    a, b = copy.deepcopy(model), copy.deepcopy(model)
    pd.testing.assert_frame_equal(pd.concat(a.iter_samples(30, chunk_size=7)), b.sample(30))
    pd.testing.assert_frame_equal(pd.concat(a.iter_samples(30, chunk_size=7)), b.sample(30))


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_sample_to_writes_the_rows_sample_returns(model, tmp_path, suffix):
    path = tmp_path / f"rows{suffix}"
    assert model.sample_to(path, 20_000, chunk_size=3_000, random_state=6) == path
    expected = model.sample(20_000, random_state=6)
    if suffix == ".parquet":
        pd.testing.assert_frame_equal(pd.read_parquet(path), expected)  # dtypes kept
    else:
        write_table(expected, tmp_path / "whole.csv")
        assert path.read_bytes() == (tmp_path / "whole.csv").read_bytes()
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_parquet_keeps_category_boolean_and_timezone_dtypes(tmp_path):
    frame = pd.DataFrame(
        {
            "c": pd.Categorical(["a", "b", None, "a"] * 10, categories=["b", "a"], ordered=True),
            "flag": pd.array([True, False, None, True] * 10, dtype="boolean"),
            "when": pd.date_range("2024-01-01", periods=40, freq="h", tz="Europe/Paris"),
            "n": pd.array([1, 2, 3, None] * 10, dtype="Int64"),
        }
    )
    model = TabularGAN(**TINY, random_state=0).fit(frame)
    model.sample_to(tmp_path / "t.parquet", 50, chunk_size=8, random_state=0)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "t.parquet"), model.sample(50, random_state=0))


def test_a_discrete_column_missing_in_the_whole_first_chunk_keeps_its_type(tmp_path):
    frame = pd.DataFrame({"x": np.arange(40.0), "k": ["a", "b", None, "a"] * 10})
    model = TabularGAN(**TINY, random_state=0).fit(frame)
    conditions = {"k": [np.nan] * 10 + ["a"] * 10}  # the first chunk's "k" is all missing
    model.sample_to(tmp_path / "t.parquet", 20, chunk_size=10, conditions=conditions, random_state=0)
    back = pd.read_parquet(tmp_path / "t.parquet")
    assert back["k"].isna().sum() == 10 and (back["k"][10:] == "a").all()


def test_an_array_fitted_model_writes_text_column_names(tmp_path):
    X = np.random.default_rng(0).normal(size=(40, 3))
    model = TabularGAN(**TINY, random_state=0).fit(X)
    model.sample_to(tmp_path / "a.parquet", 30, chunk_size=7, random_state=0)
    back = pd.read_parquet(tmp_path / "a.parquet")
    assert list(back.columns) == ["0", "1", "2"]
    np.testing.assert_array_equal(back.to_numpy(), model.sample(30, random_state=0))


def _failing_chunks(frame, after):
    for index in range(after):
        yield frame.assign(i=index)
    raise RuntimeError("generation failed half-way")


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_a_failure_half_way_leaves_no_file_and_keeps_an_older_one(tmp_path, suffix):
    frame = pd.DataFrame({"v": [1.0, 2.0]})
    path = tmp_path / f"out{suffix}"
    with pytest.raises(RuntimeError, match="half-way"):
        write_table_chunks(_failing_chunks(frame, 3), path)
    assert list(tmp_path.iterdir()) == []
    write_table(frame, path)
    with pytest.raises(KeyboardInterrupt):
        write_table_chunks(_interrupted(frame), path)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    pd.testing.assert_frame_equal(read_table(path), frame)


def _interrupted(frame):
    yield frame
    raise KeyboardInterrupt


def test_an_unwritable_path_is_one_clear_error(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(TableFileError, match="cannot write .*file/out.csv"):
        write_table_chunks([pd.DataFrame({"v": [1]})], tmp_path / "file" / "out.csv")


def test_cli_sample_streams_to_the_same_rows(model, tmp_path, capsys):
    model_path = model.save(tmp_path / "m.gsyn")
    out = tmp_path / "rows.parquet"
    args = ["sample", "-m", str(model_path), "--rows", "2500", "--seed", "3", "--condition", "gender=F"]
    assert main([*args, "--chunk-size", "1000", "-o", str(out)]) == 0
    assert "wrote 2500 rows" in capsys.readouterr().err
    pd.testing.assert_frame_equal(pd.read_parquet(out), model.sample(2500, {"gender": "F"}, random_state=3))
    assert main([*args, "--chunk-size", "700"]) == 0  # CSV on stdout, chunk by chunk
    printed = capsys.readouterr().out
    write_table(model.sample(2500, {"gender": "F"}, random_state=3), tmp_path / "whole.csv")
    assert printed == (tmp_path / "whole.csv").read_text()


@pytest.mark.slow
def test_numeric_value_encodings_stream_like_sample():
    """Spikes, few values, grids with rounding habits and range redraws draw per column, in row order."""
    rng = np.random.default_rng(0)
    n = 600
    gain = rng.lognormal(7, 1.5, n).round()
    gain[rng.random(n) < 0.8] = 0  # zero-inflated: a spike beside the mixture
    salary = np.where(rng.random(n) < 0.7, 500 * rng.integers(20, 80, n), 100 * rng.integers(100, 400, n))
    table = pd.DataFrame(
        {
            "gain": gain,
            "duration": rng.choice([3, 6, 12], n),  # few-valued: sampled from its values only
            "salary": salary,  # a grid of 100 with most values on multiples of 500
            "x": rng.normal(size=n),
            "group": rng.choice(["a", "b"], n),
        }
    )
    model = TabularGAN(**TINY, random_state=0).fit(table)
    encoders = dict(zip(table.columns, model.transformer_.encoders_))
    assert encoders["gain"].n_spikes == 1 and encoders["gain"].n_modes > 0
    assert encoders["duration"].n_modes == 0 and encoders["salary"].ladder
    rows = 2 * GENERATION_BLOCK + 300
    whole = model.sample(rows, random_state=7)
    streamed = pd.concat(model.iter_samples(rows, chunk_size=97, random_state=7))
    pd.testing.assert_frame_equal(streamed, whole)
    # The tiny model puts values outside the range, so redraws took part in what was compared.
    assert not whole.equals(model.sample(rows, random_state=7, clip=False))
    assert set(whole["duration"]) <= {3, 6, 12} and (whole["gain"] == 0).any()


@pytest.mark.slow
def test_sigterm_during_a_streamed_sample_leaves_no_file_and_exits_143(model, tmp_path):
    model.save(tmp_path / "model.gsyn")
    out = tmp_path / "rows.parquet"
    command = [sys.executable, "-m", "gansynth.cli", "sample", "-m", str(tmp_path / "model.gsyn")]
    process = subprocess.Popen(
        [*command, "--rows", "100000000", "--chunk-size", "10000", "-o", str(out)],
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob(".rows.parquet.*.partial")):
        assert process.poll() is None and time.monotonic() < deadline, "no partial file appeared"
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 143
    assert stderr.strip().splitlines() == ["gansynth sample: terminated"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.gsyn"]
