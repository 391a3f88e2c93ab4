"""The ``torch.distributed`` process group of a ``torchrun`` launch: found, joined and left.

``torchrun`` starts one process per worker and tells each its place in the environment
(``WORLD_SIZE``, ``RANK``, ``LOCAL_RANK``, plus the rendezvous address). :func:`data_parallel`
reads it, initialises the default process group when the caller has not (gloo on CPU, NCCL on
CUDA), and destroys on exit only a group it initialised itself. Outside torchrun, or with one
worker, it gives ``None`` and nothing distributed happens.

A rank that raises leaves :func:`data_parallel` destroying its group (without the final barrier)
and re-raises. When the error ends its process, its connections close: on gloo the collectives the
other ranks wait in fail at once, and ``torchrun`` stops the remaining workers as soon as one exits
with an error. A script that catches the error on one rank and carries on is not covered: the
others keep waiting (on gloo they did, in a test, well past the group's timeout). The timeout is
``GANSYNTH_DIST_TIMEOUT`` seconds (600 by default).
"""

from __future__ import annotations

import contextlib
import datetime
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from gansynth.errors import InputError

DEFAULT_TIMEOUT_S = 600
_ENV_KEYS = ("WORLD_SIZE", "RANK", "LOCAL_RANK")


@dataclass(frozen=True)
class World:
    """This process's place among the data-parallel workers."""

    rank: int
    size: int
    local_rank: int

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def launched_world() -> World | None:
    """The torchrun environment of this process, or ``None`` when it was not started by torchrun.

    Raises
    ------
    InputError
        When ``WORLD_SIZE`` is set but it, ``RANK`` or ``LOCAL_RANK`` is not a valid integer.
    """
    if "WORLD_SIZE" not in os.environ:
        return None
    values = {}
    for key in _ENV_KEYS:
        text = os.environ.get(key, "0" if key == "LOCAL_RANK" else None)
        try:
            values[key] = int(text)
        except (TypeError, ValueError):
            raise InputError(
                f"environment variable {key} must be an integer under torchrun; got {text!r}"
            ) from None
    size, rank = values["WORLD_SIZE"], values["RANK"]
    if size < 1 or not 0 <= rank < size or values["LOCAL_RANK"] < 0:
        raise InputError(f"torchrun environment is inconsistent: RANK={rank}, WORLD_SIZE={size}")
    return World(rank, size, values["LOCAL_RANK"])


def backend_for(device: torch.device) -> str:
    """NCCL for CUDA devices, gloo otherwise."""
    return "nccl" if torch.device(device).type == "cuda" else "gloo"


def rank_device(device: torch.device, world: World | None) -> torch.device:
    """The device this rank trains on: an unindexed CUDA device becomes ``cuda:LOCAL_RANK``."""
    device = torch.device(device)
    if world is not None and device.type == "cuda" and device.index is None:
        return torch.device("cuda", world.local_rank)
    return device


def timeout() -> datetime.timedelta:
    """The process group's timeout: ``GANSYNTH_DIST_TIMEOUT`` seconds, 600 by default."""
    text = os.environ.get("GANSYNTH_DIST_TIMEOUT", str(DEFAULT_TIMEOUT_S))
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise InputError(f"GANSYNTH_DIST_TIMEOUT must be a positive number of seconds; got {text!r}")
    return datetime.timedelta(seconds=seconds)


@contextlib.contextmanager
def data_parallel(device: torch.device):
    """Yield this process's :class:`World` when it is one of several workers, else ``None``.

    Joins the default process group the caller initialised, or initialises one from the torchrun
    environment (the backend from ``device``) and destroys it on exit, also on error.
    """
    if dist.is_available() and dist.is_initialized():
        size = dist.get_world_size()
        local_rank = int(os.environ.get("LOCAL_RANK", 0))
        yield World(dist.get_rank(), size, local_rank) if size > 1 else None
        return
    world = launched_world()
    if world is None or world.size == 1:
        yield None
        return
    if not dist.is_available():
        raise InputError("this torch build has no torch.distributed; it cannot train under torchrun")
    device = rank_device(device, world)
    if device.type == "cuda":
        torch.cuda.set_device(device)
    dist.init_process_group(backend_for(device), timeout=timeout())
    try:
        yield world
        dist.barrier()
    finally:
        dist.destroy_process_group()
