"""What a TabularGAN fit does differently as one of several ``torchrun`` workers.

The rule, for ``W`` workers:

- **Same encoding everywhere.** Every rank fits the logic and the transformer on the whole table
  from the same seed (rank 0's, broadcast), so they encode identically; :func:`check_same_encoding`
  compares a digest of the fitted transformer across ranks and stops all of them if one differs.
- **Own shard, own sampler.** Rank ``r`` encodes rows ``r, r + W, r + 2W, ...`` of the table (so
  every shard has the table's mix of categories) and builds its condition sampler on them; the
  model keeps the condition counts of the whole table, summed over the ranks.
- **Same global batch, same learning rate.** Each rank draws ``batch_size / W`` rows per step
  (rounded down to a multiple of ``pac``); DistributedDataParallel averages the gradients, so a
  step sees the same number of rows and takes the same gradient, in expectation, as a single
  process with ``batch_size``, and the learning rates stay as given. An epoch keeps its
  ``n_rows // batch_size`` steps, so ``epochs`` means the same thing whatever ``W``.
- **Same initial weights, own random stream.** Each rank builds the networks from the shared seed
  (and DistributedDataParallel broadcasts rank 0's weights at wrapping, which changes nothing
  then); rank ``r`` trains with a generator seeded from the seed and ``r``.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from gansynth._distributed import World
from gansynth.errors import GansynthError, InputError


def shared_seed(seed: int, world: World | None) -> int:
    """Rank 0's seed on every rank (``random_state=None`` draws a different one on each)."""
    if world is None:
        return seed
    box = [seed]
    dist.broadcast_object_list(box, src=0)
    return int(box[0])


def training_seed(seed: int, world: World | None) -> int:
    """The seed of a rank's training stream; ``seed + 1`` in a single process, as always."""
    if world is None:
        return seed + 1
    return int(np.random.SeedSequence([seed, 1, world.rank]).generate_state(1)[0])


def rank_batch(batch_size: int, pac: int, world: World | None) -> int:
    """Rows per step on each rank: ``batch_size / W`` rounded down to a multiple of ``pac``.

    Raises
    ------
    InputError
        When ``batch_size`` is smaller than ``pac * W``, so a rank would get no pac group.
    """
    if world is None:
        return batch_size
    per_rank = batch_size // world.size // pac * pac
    if per_rank < pac:
        raise InputError(
            f"batch_size ({batch_size}) must be at least pac x world size ({pac} x {world.size}) "
            "to give every rank one pac group per step"
        )
    return per_rank


def shard(table: pd.DataFrame, world: World | None) -> pd.DataFrame:
    """This rank's rows: every ``W``-th row from row ``rank``."""
    return table if world is None else table.iloc[world.rank :: world.size]


def check_same_encoding(transformer, world: World | None) -> None:
    """Stop every rank, with one message, if the ranks' fitted transformers differ."""
    if world is None:
        return
    description = json.dumps(transformer.to_dict(), sort_keys=True, default=repr)
    digests = [None] * world.size
    dist.all_gather_object(digests, hashlib.sha256(description.encode()).hexdigest())
    if len(set(digests)) > 1:
        differing = [rank for rank, digest in enumerate(digests) if digest != digests[0]]
        raise GansynthError(
            f"ranks {differing} fitted a different transformer from rank 0's: the table or the library "
            "versions differ between the workers"
        )


def global_counts(counts: list[np.ndarray], world: World | None, device) -> list[np.ndarray]:
    """Each condition block's category counts, summed over the ranks' shards."""
    if world is None or not counts:
        return counts
    flat = torch.as_tensor(np.concatenate(counts), dtype=torch.int64, device=device)
    dist.all_reduce(flat)
    return np.split(flat.cpu().numpy(), np.cumsum([len(c) for c in counts])[:-1])


def synchronised(network: torch.nn.Module, world: World | None, device) -> torch.nn.Module:
    """``network`` wrapped in DistributedDataParallel (its gradients averaged over the ranks)."""
    if world is None:
        return network
    device_ids = [device] if torch.device(device).type == "cuda" else None
    return DistributedDataParallel(network, device_ids=device_ids)


def epoch_mean(world: World | None):
    """A function giving the ranks' mean of a per-epoch tensor of loss totals (the tensor itself alone)."""
    if world is None:
        return None

    def mean(totals: torch.Tensor) -> torch.Tensor:
        dist.all_reduce(totals)
        return totals / world.size

    return mean


def share_buffers(network: torch.nn.Module, world: World | None) -> None:
    """Give every rank rank 0's buffers (batch-norm statistics), so all hold the same model."""
    if world is None:
        return
    with torch.no_grad():
        for buffer in network.buffers():
            dist.broadcast(buffer, src=0)
