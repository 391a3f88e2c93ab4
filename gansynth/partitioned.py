"""Partitioned sampling on Dask: a saved model's rows as a lazy Dask DataFrame or a Parquet dataset.

Every partition is one Dask task that loads the model file itself and samples its share of the
rows with a seed of its own, spawned from the call's seed by :class:`numpy.random.SeedSequence`.
A task's rows are ``TabularGAN.sample(share, random_state=its seed)``, so the same call gives the
same bytes on any cluster, and no two partitions share a seed. The file's SHA-256 is taken when
the graph is built and checked by every task, so a task never samples from a different model.

Dask is an optional dependency: ``pip install 'gansynth[distributed]'``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import uuid
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from gansynth._random import draw_seed
from gansynth.errors import InputError
from gansynth.io.tables import TableFileError
from gansynth.models import load
from gansynth.persistence import ModelFileError
from gansynth.tabular.sampling_methods import DEFAULT_CHUNK_SIZE

INSTALL_HINT = "partitioned sampling needs Dask: pip install 'gansynth[distributed]'"

# How long connecting to a --scheduler may take before the address is reported as not answering.
SCHEDULER_TIMEOUT_S = 10


class Partition(NamedTuple):
    """One partition's share of the rows: ``start:stop`` of the whole, and its own seed."""

    index: int
    start: int
    stop: int
    seed: int
    conditions: dict | None


def require_dask():
    """Import ``dask.dataframe``, or raise an ``ImportError`` saying what to install.

    Returns
    -------
    module
        ``dask.dataframe``.
    """
    try:
        import dask.dataframe as dd
    except ImportError as exc:
        raise ImportError(f"{INSTALL_HINT} ({exc})") from None
    return dd


def plan_partitions(n: int, npartitions: int, random_state=None, conditions=None) -> list[Partition]:
    """Split ``n`` rows into ``npartitions`` near-equal consecutive shares with their own seeds.

    Parameters
    ----------
    n : int
        Rows in all.
    npartitions : int
        Number of partitions; the first ``n % npartitions`` get one row more.
    random_state : int, RandomState instance or None, default=None
        The call's seed; partition ``i``'s seed is the ``i``-th child of
        ``numpy.random.SeedSequence(seed)``.
    conditions : dict or None, default=None
        As in ``TabularGAN.sample``; a sequence of ``n`` values is cut into each share's slice.

    Returns
    -------
    list of Partition
    """
    _check_count(n, "n", 0)
    _check_count(npartitions, "npartitions", 1)
    children = np.random.SeedSequence(draw_seed(random_state)).spawn(npartitions)
    shares = np.full(npartitions, n // npartitions) + (np.arange(npartitions) < n % npartitions)
    bounds = np.concatenate([[0], np.cumsum(shares)]).tolist()
    if isinstance(conditions, dict):  # sequences listed once, then sliced per partition
        conditions = {k: list(v) if pd.api.types.is_list_like(v) else v for k, v in conditions.items()}
    return [
        Partition(
            i,
            bounds[i],
            bounds[i + 1],
            int(child.generate_state(1)[0]),
            _slice(conditions, *bounds[i : i + 2]),
        )
        for i, child in enumerate(children)
    ]


def sample_partitioned(model, n, npartitions, *, conditions=None, random_state=None, clip=None):
    """Generate ``n`` rows as a lazy Dask DataFrame of ``npartitions`` partitions.

    Each partition loads the model file when it is computed, so the graph holds a path, not
    the model; its workers need to read the same file. A partition holds its share of the rows
    in memory at once (``n / npartitions`` rows); to write more rows than a worker's memory,
    use :func:`write_partitioned`, which streams each share to its own file.

    Parameters
    ----------
    model : str or os.PathLike
        A tabular model file written by ``TabularGAN.save``.
    n : int
        Rows in all.
    npartitions : int
        Number of partitions (near-equal shares, consecutive in the index).
    conditions : dict or None, default=None
        As in ``TabularGAN.sample``; a sequence of ``n`` values is cut between the partitions.
    random_state : int, RandomState instance or None, default=None
        The call's seed; each partition samples with its own seed derived from it and the
        partition's index. The same seed gives the same rows, whatever the cluster.
    clip : bool or None, default=None
        As in ``TabularGAN.sample``.

    Returns
    -------
    dask.dataframe.DataFrame
        ``n`` rows with the model's columns and dtypes, indexed ``0 .. n-1`` with known divisions
        (an array-fitted model's columns are named ``"0"``, ``"1"``, ...).

    Raises
    ------
    ImportError
        Without Dask.
    ModelFileError
        If the file is not a tabular model (checked now), or if a partition cannot read it or
        finds it changed (raised when computed).

    Examples
    --------
    >>> rows = sample_partitioned("model.gsyn", 10**7, 8, random_state=0)  # doctest: +SKIP
    >>> rows.to_parquet("out/")  # doctest: +SKIP
    """
    dd = require_dask()
    import dask

    path, digest, meta = _check_model(model, n, conditions)
    parts = plan_partitions(n, npartitions, random_state, conditions)
    divisions = [p.start for p in parts] + [n - 1] if all(p.stop > p.start for p in parts) else None
    # Dask turns object columns into pyarrow strings by default; the model's dtypes are kept instead.
    with dask.config.set({"dataframe.convert-string": False}):
        return dd.from_map(
            _sample_partition,
            parts,
            meta=meta,
            divisions=divisions,
            label="gansynth-sample",
            enforce_metadata=False,
            path=str(path),
            digest=digest,
            clip=clip,
        )


def write_partitioned(
    model,
    directory,
    n,
    npartitions,
    *,
    conditions=None,
    random_state=None,
    clip=None,
    chunk_size=DEFAULT_CHUNK_SIZE,
):
    """Write ``n`` rows as a Parquet dataset, one file per partition, on the current Dask scheduler.

    Every partition streams its share to ``part-NNNNN.parquet`` a chunk at a time, so a worker
    holds one chunk, whatever ``n``. The files are written into a hidden folder beside
    ``directory`` that is renamed to ``directory`` once all of them are complete: after a
    failure, nothing is left under ``directory``. The tasks run on the active Dask scheduler: a
    ``distributed.Client`` if one exists, else Dask's local threads.

    Parameters
    ----------
    model : str or os.PathLike
        A tabular model file written by ``TabularGAN.save``.
    directory : str or os.PathLike
        The dataset's folder; it must not exist, or be empty. Its parent folders are created.
    n : int
        Rows in all.
    npartitions : int
        Number of partitions, each written to its own file.
    conditions : dict or None, default=None
        As in :func:`sample_partitioned`.
    random_state : int, RandomState instance or None, default=None
        As in :func:`sample_partitioned`: with the same arguments the dataset holds the same
        rows, partition ``i`` in file ``i``.
    clip : bool or None, default=None
        As in ``TabularGAN.sample``.
    chunk_size : int, default=100_000
        Rows generated and written at a time (one Parquet row group each).

    Returns
    -------
    pathlib.Path
        The dataset's folder.

    Raises
    ------
    ImportError
        Without Dask.
    TableFileError
        If the folder exists and is not empty, or cannot be created or written.
    ModelFileError
        If the file is not a tabular model, or a partition cannot read it or finds it changed.
    """
    require_dask()
    import dask

    path, digest, _ = _check_model(model, n, conditions)
    parts = plan_partitions(n, npartitions, random_state, conditions)
    target = Path(directory)
    with _staging_folder(target) as staging:
        tasks = [
            dask.delayed(_write_partition, pure=True)(
                part, path=str(path), digest=digest, folder=str(staging), clip=clip, chunk_size=chunk_size
            )
            for part in parts
        ]
        dask.compute(*tasks)
    return target


def _check_model(model, n, conditions) -> tuple[Path, str, pd.DataFrame]:
    """The model's path and digest, and an empty frame of its output; conditions checked now."""
    path = Path(model)
    digest = _file_digest(path)
    loaded = load(path)
    if not hasattr(loaded, "columns_"):
        raise ModelFileError(f"{path} holds an {type(loaded).__name__}, not a tabular model")
    loaded.iter_samples(n, conditions=conditions, random_state=0)  # checks conditions, generates nothing
    return path, digest, _as_frame(loaded.sample(0, random_state=0), 0)


def _partition_model(path: str, digest: str, index: int):
    """The model a partition samples from: the file read on the worker, checked against the digest."""
    try:
        if _file_digest(Path(path)) != digest:
            raise ModelFileError(f"{path} has changed since the sampling was planned")
        return load(path)
    except (OSError, ModelFileError) as exc:
        raise ModelFileError(f"partition {index} cannot read the model file: {exc}") from None


def _sample_partition(part: Partition, path: str, digest: str, clip) -> pd.DataFrame:
    model = _partition_model(path, digest, part.index)
    rows = model.sample(part.stop - part.start, conditions=part.conditions, random_state=part.seed, clip=clip)
    return _as_frame(rows, part.start)


def _write_partition(part: Partition, path: str, digest: str, folder: str, clip, chunk_size: int) -> int:
    if not Path(folder).is_dir():  # the run has failed elsewhere and its folder is gone
        raise TableFileError(f"the dataset folder {folder} no longer exists")
    model = _partition_model(path, digest, part.index)
    model.sample_to(
        Path(folder) / f"part-{part.index:05d}.parquet",
        part.stop - part.start,
        chunk_size=chunk_size,
        conditions=part.conditions,
        random_state=part.seed,
        clip=clip,
    )
    return part.stop - part.start


def check_output_folder(directory) -> None:
    """Raise a :class:`TableFileError` now if a dataset cannot be written to ``directory``.

    The folder must not exist, or be empty, and the nearest existing folder above it must be a
    writable folder. Creating it is still checked when the dataset is written.
    """
    target = Path(directory)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise TableFileError(f"{target} already exists and is not an empty folder; choose a new one")
    above = next(parent for parent in target.absolute().parents if parent.exists())
    if not above.is_dir() or not os.access(above, os.W_OK | os.X_OK):
        raise TableFileError(f"cannot create the dataset folder {target}: {above} is not a writable folder")


@contextlib.contextmanager
def _staging_folder(target: Path):
    """A hidden folder beside ``target``, renamed to ``target`` on success and removed on failure."""
    check_output_folder(target)
    staging = target.parent / f".{target.name}.{uuid.uuid4().hex[:8]}.partial"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging.mkdir()
    except OSError as exc:
        raise TableFileError(f"cannot create the dataset folder {target}: {exc.strerror or exc}") from None
    try:
        yield staging
        os.replace(staging, target)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise TableFileError(f"cannot write the dataset {target}: {exc.strerror or exc}") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _as_frame(rows, start: int) -> pd.DataFrame:
    """A partition's rows as a DataFrame indexed from ``start`` (an array gets text column names)."""
    frame = pd.DataFrame(rows).rename(columns=str) if isinstance(rows, np.ndarray) else rows
    frame.index = pd.RangeIndex(start, start + len(frame))
    return frame


def _slice(conditions, start: int, stop: int):
    if not isinstance(conditions, dict):
        return conditions
    return {
        name: value[start:stop] if isinstance(value, list) else value for name, value in conditions.items()
    }


def _file_digest(path: Path) -> str:
    if not path.is_file():
        raise FileNotFoundError(f"file not found: {path}")
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def _check_count(value, name: str, minimum: int) -> None:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < minimum:
        raise InputError(f"{name} must be an integer of at least {minimum}; got {value!r}")


@contextlib.contextmanager
def dask_client(scheduler=None, n_workers=1):
    """A ``distributed.Client`` on the scheduler at ``scheduler``, or on a new local cluster.

    Parameters
    ----------
    scheduler : str or None, default=None
        Address of a running scheduler (``tcp://host:8786``); ``None`` starts a local cluster of
        ``n_workers`` single-threaded worker processes, closed on exit.
    n_workers : int, default=1
        Workers of the local cluster.

    Yields
    ------
    distributed.Client
        The connected client, closed on exit.

    Raises
    ------
    ImportError
        Without ``distributed``.
    ConnectionError
        If the scheduler does not answer within :data:`SCHEDULER_TIMEOUT_S` seconds.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise ImportError(f"{INSTALL_HINT} ({exc})") from None
    if scheduler is None:
        with (
            LocalCluster(n_workers=n_workers, threads_per_worker=1, dashboard_address=":0") as cluster,
            Client(cluster) as client,
        ):
            yield client
        return
    try:
        client = Client(scheduler, timeout=SCHEDULER_TIMEOUT_S)
    except OSError:
        raise ConnectionError(
            f"the Dask scheduler at {scheduler} did not answer within {SCHEDULER_TIMEOUT_S} s"
        ) from None
    except (ValueError, TypeError) as exc:
        raise ConnectionError(f"cannot connect to a Dask scheduler at {scheduler!r}: {exc}") from None
    with client:
        yield client
