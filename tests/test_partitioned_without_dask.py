"""Without Dask installed, partitioned sampling says what to install (runs with or without Dask)."""

import builtins

import pytest

from gansynth import TabularGAN, partitioned
from gansynth.cli import main
from gansynth.datasets import load_student_placements

from .conftest import TINY


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    model = TabularGAN(**TINY, random_state=0).fit(load_student_placements())
    return model.save(tmp_path_factory.mktemp("model") / "m.gsyn")


def test_without_dask_partitions_say_what_to_install(model_file, tmp_path, monkeypatch, capsys):
    real_import = builtins.__import__

    def no_dask(name, *args, **kwargs):
        if name == "dask" or name.startswith(("dask.", "distributed")):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    with pytest.raises(ImportError, match=r"pip install 'gansynth\[distributed\]'"):
        partitioned.sample_partitioned(model_file, 10, 2)
    assert (
        main(
            ["sample", "-m", str(model_file), "--rows", "10", "--partitions", "2", "-o", str(tmp_path / "x")]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "partitioned sampling needs Dask: pip install 'gansynth[distributed]'" in err
    assert err.count("\n") == 1
