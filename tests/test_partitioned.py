"""Partitioned sampling on Dask: row counts, determinism, distinct partitions, and bad input."""

import os

import numpy as np
import pandas as pd
import pytest

from gansynth import TabularGAN, load
from gansynth.cli import main
from gansynth.datasets import load_student_placements
from gansynth.io.tables import TableFileError
from gansynth.persistence import ModelFileError

from .conftest import TINY

pytest.importorskip("dask.dataframe", reason="needs gansynth[distributed]")
distributed = pytest.importorskip("distributed", reason="needs gansynth[distributed]")

from gansynth import partitioned  # noqa: E402  (after the skip: it needs no Dask to import, its tests do)


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    model = TabularGAN(**TINY, random_state=0).fit(load_student_placements())
    return model.save(tmp_path_factory.mktemp("model") / "m.gsyn")


@pytest.fixture(scope="module")
def cluster():
    """An in-process cluster: one worker, two threads (partitions run concurrently)."""
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0"
    ) as local:
        yield local


@pytest.fixture
def client(cluster):
    with distributed.Client(cluster) as connected:
        yield connected


def test_partitions_split_the_rows_with_seeds_of_their_own():
    parts = partitioned.plan_partitions(10, 3, random_state=0)
    assert [(p.start, p.stop) for p in parts] == [(0, 4), (4, 7), (7, 10)]
    assert len({p.seed for p in parts}) == 3
    assert parts == partitioned.plan_partitions(10, 3, random_state=0)
    assert [p.seed for p in partitioned.plan_partitions(10, 3, random_state=1)] != [p.seed for p in parts]
    # A partition's seed depends on the call's seed and its index, not on how many partitions there are.
    assert [p.seed for p in partitioned.plan_partitions(10, 5, random_state=0)][:3] == [p.seed for p in parts]


def test_a_lazy_frame_of_n_rows_equal_on_every_run_and_scheduler(model_file, client):
    rows = partitioned.sample_partitioned(model_file, 1_001, 4, random_state=7)
    assert rows.npartitions == 4 and rows.divisions == (0, 251, 501, 751, 1_000)
    first = rows.compute()
    assert len(first) == 1_001 and list(first.index) == list(range(1_001))
    assert first.dtypes.equals(load_student_placements().dtypes)
    pd.testing.assert_frame_equal(rows.compute(), first)
    again = partitioned.sample_partitioned(model_file, 1_001, 4, random_state=7).compute(scheduler="sync")
    pd.testing.assert_frame_equal(again, first)
    other = partitioned.sample_partitioned(model_file, 1_001, 4, random_state=8).compute()
    assert not other["salary"].equals(first["salary"])


def test_each_partition_is_the_models_sample_with_its_own_seed_and_none_repeats(model_file, client):
    model = load(model_file)
    parts = partitioned.plan_partitions(900, 3, random_state=2)
    rows = partitioned.sample_partitioned(model_file, 900, 3, random_state=2).compute()
    for part in parts:
        expected = model.sample(part.stop - part.start, random_state=part.seed)
        expected.index = pd.RangeIndex(part.start, part.stop)
        pd.testing.assert_frame_equal(rows.iloc[part.start : part.stop], expected)
    numeric = rows[["second_perc", "high_perc", "mba_perc"]].round(9)
    assert not numeric.duplicated().any()  # no row of one partition reappears in another


def test_conditions_hold_in_every_partition(model_file, client):
    rows = partitioned.sample_partitioned(model_file, 600, 3, conditions={"gender": "F"}, random_state=0)
    assert (rows["gender"].compute() == "F").all()
    per_row = ["F", "M"] * 300
    rows = partitioned.sample_partitioned(model_file, 600, 3, conditions={"gender": per_row}, random_state=0)
    assert rows["gender"].compute().tolist() == per_row


def test_bad_arguments_are_reported_when_the_graph_is_built(model_file):
    with pytest.raises(ValueError, match="npartitions must be an integer of at least 1; got 0"):
        partitioned.sample_partitioned(model_file, 10, 0)
    with pytest.raises(ValueError, match="unknown value"):
        partitioned.sample_partitioned(model_file, 10, 2, conditions={"gender": "X"})
    with pytest.raises(FileNotFoundError):
        partitioned.sample_partitioned(model_file.parent / "missing.gsyn", 10, 2)


def test_a_model_file_the_workers_cannot_read_is_one_clear_error(model_file, client, tmp_path):
    copy = tmp_path / "copy.gsyn"
    copy.write_bytes(model_file.read_bytes())
    rows = partitioned.sample_partitioned(copy, 100, 2, random_state=0)
    copy.unlink()
    with pytest.raises(ModelFileError, match=r"partition \d cannot read the model file: file not found"):
        rows.compute(scheduler="sync")
    copy.write_bytes(model_file.read_bytes()[:-10])  # changed on disk after the graph was built
    with pytest.raises(ModelFileError, match="has changed since the sampling was planned"):
        rows.compute(scheduler="sync")


def test_a_dataset_holds_the_frames_rows_one_file_per_partition(model_file, client, tmp_path):
    out = partitioned.write_partitioned(
        model_file, tmp_path / "out", 1_001, 3, random_state=7, chunk_size=100, conditions={"placed": True}
    )
    assert sorted(os.listdir(out)) == ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    written = pd.concat([pd.read_parquet(out / name) for name in sorted(os.listdir(out))], ignore_index=True)
    expected = partitioned.sample_partitioned(
        model_file, 1_001, 3, random_state=7, conditions={"placed": True}
    ).compute()
    pd.testing.assert_frame_equal(written, expected.reset_index(drop=True))
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no staging folder left


def test_a_failed_run_leaves_no_dataset_behind(model_file, client, tmp_path, monkeypatch):
    def unreadable(path, digest, index):
        raise ModelFileError(f"partition {index} cannot read the model file: permission denied")

    monkeypatch.setattr(partitioned, "_partition_model", unreadable)
    with pytest.raises(ModelFileError, match="cannot read the model file"):
        partitioned.write_partitioned(model_file, tmp_path / "out", 100, 2, random_state=0)
    assert list(tmp_path.iterdir()) == []


def test_an_existing_folder_with_files_is_not_overwritten(model_file, tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    with pytest.raises(TableFileError, match="already exists and is not an empty folder"):
        partitioned.write_partitioned(model_file, tmp_path / "out", 10, 2)
    assert (tmp_path / "out" / "keep.txt").read_text() == "mine"


# ------------------------------------------------------------------ command line
def test_cli_writes_a_parquet_dataset_on_a_given_scheduler(model_file, cluster, tmp_path, capsys):
    out = tmp_path / "rows"
    argv = ["sample", "-m", str(model_file), "--rows", "500", "--partitions", "2", "--seed", "3"]
    argv += ["--condition", "gender=M", "--scheduler", cluster.scheduler_address, "-o", str(out)]
    assert main(argv) == 0
    assert "wrote 500 rows in 2 partitions" in capsys.readouterr().err
    written = pd.concat([pd.read_parquet(out / f"part-0000{i}.parquet") for i in range(2)], ignore_index=True)
    expected = partitioned.sample_partitioned(
        model_file, 500, 2, random_state=3, conditions={"gender": "M"}
    ).compute(scheduler="sync")
    pd.testing.assert_frame_equal(written, expected.reset_index(drop=True))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--partitions", "0"], "argument --partitions: must be a positive integer; got '0'"),
        (["--partitions", "-2"], "argument --partitions: must be a positive integer; got '-2'"),
        (["--scheduler", "tcp://127.0.0.1:9"], "--scheduler applies only with --partitions"),
        (["--partitions", "2", "-o", "-"], "give its folder with -o"),
    ],
)
def test_cli_bad_partition_arguments_are_one_line(model_file, tmp_path, capsys, extra, message):
    argv = ["sample", "-m", str(model_file), "--rows", "10", "-o", str(tmp_path / "out"), *extra]
    try:
        code = main(argv)
    except SystemExit as exited:  # argparse's own refusals exit instead of returning
        code = exited.code
    assert code == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_cli_partitions_need_a_model_file(capsys):
    assert main(["sample", "--rows", "10", "--partitions", "2", "-o", "x"]) == 2
    assert "--partitions needs a model file (-m)" in capsys.readouterr().err


def test_cli_a_scheduler_that_does_not_answer_is_one_line(model_file, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(partitioned, "SCHEDULER_TIMEOUT_S", 1)
    with socket_without_listener() as address:
        argv = ["sample", "-m", str(model_file), "--rows", "10", "--partitions", "2"]
        assert main([*argv, "--scheduler", address, "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"the Dask scheduler at {address} did not answer within 1 s" in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_cli_an_unwritable_output_folder_is_one_line(model_file, cluster, tmp_path, capsys):
    (tmp_path / "file").write_text("not a folder")
    argv = ["sample", "-m", str(model_file), "--rows", "10", "--partitions", "2"]
    argv += ["--scheduler", cluster.scheduler_address, "-o", str(tmp_path / "file" / "out")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "cannot create the dataset folder" in err and "file/out" in err and err.count("\n") == 1
    assert [p.name for p in tmp_path.iterdir()] == ["file"]


def test_cli_a_worker_that_cannot_read_the_model_is_one_line(
    model_file, cluster, tmp_path, capsys, monkeypatch
):
    def unreadable(path, digest, index):
        raise ModelFileError(f"partition {index} cannot read the model file: {path}: permission denied")

    monkeypatch.setattr(partitioned, "_partition_model", unreadable)  # the in-process worker sees it
    argv = ["sample", "-m", str(model_file), "--rows", "10", "--partitions", "2"]
    assert main([*argv, "--scheduler", cluster.scheduler_address, "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "cannot read the model file" in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_cli_default_local_cluster_of_processes(model_file, tmp_path):
    out = tmp_path / "rows"
    argv = ["sample", "-m", str(model_file), "--rows", "300", "--partitions", "2", "--seed", "1"]
    assert main([*argv, "-o", str(out)]) == 0
    written = pd.concat([pd.read_parquet(out / f"part-0000{i}.parquet") for i in range(2)], ignore_index=True)
    expected = partitioned.sample_partitioned(model_file, 300, 2, random_state=1).compute(scheduler="sync")
    pd.testing.assert_frame_equal(written, expected.reset_index(drop=True))


class socket_without_listener:
    """A local TCP address that nothing listens on (bound, never listening: connections are refused)."""

    def __enter__(self):
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        return f"tcp://127.0.0.1:{self.sock.getsockname()[1]}"

    def __exit__(self, *exc):
        self.sock.close()


def test_partition_shares_add_up_for_any_split():
    for n, p in [(0, 1), (5, 5), (5, 7), (10**9, 3)]:
        parts = partitioned.plan_partitions(n, p, random_state=0)
        sizes = np.array([q.stop - q.start for q in parts])
        assert sizes.sum() == n and sizes.max() - sizes.min() <= 1 and parts[-1].stop == n
