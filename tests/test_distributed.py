"""Data-parallel training under torchrun (issue #14): 2-process fits on CPU with gloo, and the rule's parts.

The torchrun tests start ``python -m torch.distributed.run --standalone`` (a free port each) on
``tests/distributed_fit.py`` or on ``gansynth.cli``. No test assumes CUDA: the NCCL path (backend,
device per local rank, DDP device ids) is checked with torch's calls recorded instead of made.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.distributed as dist

import gansynth
from gansynth import TabularGAN, _distributed
from gansynth._distributed import World, backend_for, data_parallel, launched_world, rank_device
from gansynth.datasets import load_student_placements
from gansynth.errors import InputError
from gansynth.tabular import data_parallel as rule
from tests.conftest import TINY

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = Path(__file__).with_name("distributed_fit.py")
pytestmark = pytest.mark.skipif(not dist.is_available(), reason="torch.distributed is not available")


def torchrun(*arguments, timeout=300):
    environment = {k: v for k, v in os.environ.items() if k not in ("WORLD_SIZE", "RANK", "LOCAL_RANK")}
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    environment["GANSYNTH_DIST_TIMEOUT"] = "60"
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    return subprocess.run(
        command + [str(a) for a in arguments],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment,
    )


def ranks(folder: Path) -> list[dict]:
    return [json.loads((folder / f"rank{rank}.json").read_text()) for rank in (0, 1)]


@pytest.mark.slow  # about 30 s on 2 loaded cores: torchrun and two workers each import torch
def test_two_process_fit_agrees_on_every_rank_and_its_model_loads_and_samples(tmp_path):
    done = torchrun(SCRIPT, tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    first, second = ranks(tmp_path)
    for key in ("transformer", "initial", "final", "loss_history", "batch", "steps", "batch_size_"):
        assert first[key] == second[key], key
    assert first["initial"] != first["final"]
    # 215 rows: strided shards of 108 and 107, 20 rows per rank per step, 215 // 40 steps an epoch.
    assert (first["rows"], second["rows"]) == (108, 107)
    assert (first["batch"], first["batch_size_"], first["steps"]) == (20, 40, 5)
    assert first["world_size"] == 2 and not first["group_left"]
    model = gansynth.load(tmp_path / "model.gsyn")
    assert model.world_size_ == 2
    data = load_student_placements()
    # The saved condition counts are the whole table's, summed over the shards.
    gender = [spec.name for spec in model.transformer_.specs_].index("gender")
    block = [column for column, _, _ in model.transformer_.condition_blocks].index(gender)
    assert sorted(model.condition_sampler_.counts[block]) == sorted(data["gender"].value_counts())
    rows = model.sample(50, conditions={"gender": "F"}, random_state=0)
    assert rows.shape == (50, data.shape[1]) and set(rows["gender"]) == {"F"}


@pytest.mark.slow  # a torchrun launch
def test_a_two_process_fit_with_the_auxiliary_loss_agrees_on_every_rank(tmp_path):
    done = torchrun(SCRIPT, tmp_path, "aux")
    assert done.returncode == 0, done.stderr[-3000:]
    first, second = ranks(tmp_path)
    for key in ("initial", "final", "loss_history"):
        assert first[key] == second[key], key
    plain = tmp_path / "plain"
    plain.mkdir()
    assert torchrun(SCRIPT, plain).returncode == 0
    assert ranks(plain)[0]["initial"] == first["initial"]  # the classifier is built after the networks
    assert ranks(plain)[0]["loss_history"] != first["loss_history"]


@pytest.mark.slow  # two torchrun launches
def test_same_seed_and_world_size_give_the_same_model_file(tmp_path):
    data = tmp_path / "data.csv"
    load_student_placements().to_csv(data, index=False)
    options = ["--epochs", "2", "--batch-size", "40", "--seed", "3", "--quiet"]
    for name in ("a", "b"):
        done = torchrun("-m", "gansynth.cli", "fit", data, "-o", tmp_path / f"{name}.gsyn", *options)
        assert done.returncode == 0, done.stderr[-3000:]
        assert done.stderr.count("saved model of 215 rows x 16 columns by 2 workers") == 1
    assert (tmp_path / "a.gsyn").read_bytes() == (tmp_path / "b.gsyn").read_bytes()
    single = TabularGAN(epochs=2, batch_size=40, verbose=False, random_state=3).fit(load_student_placements())
    model = gansynth.load(tmp_path / "a.gsyn")
    assert model.world_size_ == 2 and single.world_size_ == 1
    first_weight = next(iter(model.generator_.state_dict().values()))
    assert not torch.equal(first_weight, next(iter(single.generator_.state_dict().values())))


@pytest.mark.slow  # a torchrun launch
def test_a_rank_that_raises_ends_every_rank_with_an_error(tmp_path):
    started = time.monotonic()
    done = torchrun(SCRIPT, tmp_path, "fail", timeout=240)
    elapsed = time.monotonic() - started
    assert done.returncode != 0
    assert "rank 1 fails on purpose" in done.stderr
    # Rank 0 did not finish its fit (no record, no model file), and nobody waited for a timeout.
    assert not list(tmp_path.iterdir())
    assert elapsed < 180


# ------------------------------------------------------------------ the rule, in one process


def test_launched_world_reads_the_torchrun_environment(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert launched_world() is None
    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("RANK", "3")
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert launched_world() == World(rank=3, size=4, local_rank=1)
    monkeypatch.setenv("RANK", "4")
    with pytest.raises(InputError, match="RANK=4, WORLD_SIZE=4"):
        launched_world()
    monkeypatch.setenv("RANK", "one")
    with pytest.raises(InputError, match="RANK must be an integer"):
        launched_world()


def test_timeout_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("GANSYNTH_DIST_TIMEOUT", "12.5")
    assert _distributed.timeout().total_seconds() == 12.5
    monkeypatch.setenv("GANSYNTH_DIST_TIMEOUT", "0")
    with pytest.raises(InputError, match="GANSYNTH_DIST_TIMEOUT"):
        _distributed.timeout()


def test_batch_rule_keeps_the_global_batch():
    assert rule.rank_batch(500, 10, None) == 500
    assert rule.rank_batch(500, 10, World(0, 2, 0)) == 250
    assert rule.rank_batch(500, 10, World(0, 4, 0)) == 120  # a global batch of 480, not 500
    with pytest.raises(InputError, match=r"at least pac x world size \(10 x 8\)"):
        rule.rank_batch(50, 10, World(0, 8, 0))


def test_training_seeds_differ_by_rank_and_stay_as_before_alone():
    assert rule.training_seed(7, None) == 8
    seeds = {rule.training_seed(7, World(rank, 4, rank)) for rank in range(4)}
    assert len(seeds) == 4 and seeds == {rule.training_seed(7, World(rank, 4, 0)) for rank in range(4)}


def test_cuda_ranks_use_nccl_on_their_local_device(monkeypatch):
    """The CUDA path with torch's calls recorded: no GPU needed."""
    calls = []
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("LOCAL_RANK", "1")
    monkeypatch.setattr(dist, "is_initialized", lambda: False)
    monkeypatch.setattr(dist, "init_process_group", lambda backend, timeout: calls.append(("init", backend)))
    monkeypatch.setattr(dist, "barrier", lambda: calls.append(("barrier",)))
    monkeypatch.setattr(dist, "destroy_process_group", lambda: calls.append(("destroy",)))
    monkeypatch.setattr(torch.cuda, "set_device", lambda device: calls.append(("device", str(device))))
    with data_parallel(torch.device("cuda")) as world:
        assert world == World(1, 2, 1)
    assert calls == [("device", "cuda:1"), ("init", "nccl"), ("barrier",), ("destroy",)]
    calls.clear()
    with pytest.raises(RuntimeError, match="boom"), data_parallel(torch.device("cpu")):
        raise RuntimeError("boom")
    assert calls == [("init", "gloo"), ("destroy",)]  # torn down on error, without a barrier

    assert backend_for(torch.device("cuda", 0)) == "nccl" and backend_for(torch.device("cpu")) == "gloo"
    assert rank_device(torch.device("cuda"), World(1, 2, 1)) == torch.device("cuda", 1)
    assert rank_device(torch.device("cuda", 0), World(1, 2, 1)) == torch.device("cuda", 0)
    assert rank_device(torch.device("cuda"), None) == torch.device("cuda")
    monkeypatch.setattr(rule, "DistributedDataParallel", lambda network, device_ids: device_ids)
    assert rule.synchronised(torch.nn.Linear(1, 1), World(1, 2, 1), torch.device("cuda", 1)) == [
        torch.device("cuda", 1)
    ]
    assert rule.synchronised(torch.nn.Linear(1, 1), World(1, 2, 1), torch.device("cpu")) is None


@pytest.mark.slow  # two small fits, about 9 s on 2 loaded cores
def test_a_caller_group_of_one_is_left_alone_and_fits_as_a_single_process(monkeypatch):
    for key in ("WORLD_SIZE", "RANK", "LOCAL_RANK"):
        monkeypatch.delenv(key, raising=False)
    data = load_student_placements()
    alone = TabularGAN(**TINY, random_state=0).fit(data)
    dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)
    try:
        in_group = TabularGAN(**TINY, random_state=0).fit(data)
        assert dist.is_initialized()  # not ours to destroy
    finally:
        dist.destroy_process_group()
    assert in_group.world_size_ == alone.world_size_ == 1
    for mine, theirs in zip(
        in_group.generator_.state_dict().values(), alone.generator_.state_dict().values()
    ):
        assert torch.equal(mine, theirs)
    np.testing.assert_array_equal(in_group.loss_history_.to_numpy(), alone.loss_history_.to_numpy())


def test_ranks_with_different_transformers_stop_with_one_message(monkeypatch):
    transformer = SimpleNamespace(to_dict=lambda: {"encoders": [{"means": [0.5]}]})

    def gather(digests, mine):  # rank 1 saw another table
        digests[:] = [mine, "0" * 64, mine]

    monkeypatch.setattr(dist, "all_gather_object", gather)
    with pytest.raises(gansynth.GansynthError, match=r"ranks \[1\] fitted a different transformer"):
        rule.check_same_encoding(transformer, World(0, 3, 0))
    monkeypatch.setattr(
        dist, "all_gather_object", lambda digests, mine: digests.__setitem__(slice(None), [mine] * 3)
    )
    rule.check_same_encoding(transformer, World(0, 3, 0))
