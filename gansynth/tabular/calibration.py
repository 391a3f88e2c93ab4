"""Marginal calibration: choose generated rows so that the discrete marginals match the training rows.

Unconditional sampling conditions each row on one block of the conditional vector, so a
discrete column's marginal comes straight from the training frequencies on only a share of the
rows; on the rest it is whatever the generator learned, and on Adult at 100 epochs education,
occupation and sex were the weakest columns of ``column_shapes``. Calibration fixes the
marginals without touching the generator, and without rejection:

1. generate ``factor`` candidate rows per row wanted;
2. *rake* the candidates' weights (iterative proportional fitting): every condition block's
   weighted category shares are brought to the training shares, one block after another, and
   after each round the weights are capped where a candidate would need to be kept with a
   probability above one, the excess shared among the others (:func:`inclusion_probabilities`),
   until the shares agree within :data:`RAKING_TOLERANCE` or :data:`RAKING_ROUNDS` have run;
3. keep exactly the rows wanted, each with inclusion probability proportional to its weight, by
   systematic sampling in a random order. A kept set's expected category shares are then the
   raked ones.

Capping inside the fitting, rather than once after it, lets the other candidates make up what a
capped one cannot carry: on Adult with 2 candidates per row, capital-gain's zero share came to
91.8% (training: 91.5%) against 92.6% with the cap applied once after fitting, and
``column_shapes`` to 0.980 against 0.969. A category that no candidate carries cannot be raised,
and shares that the capped weights cannot reach stay short of their targets. Everything runs on
tensors, within one generation block at a time, so the rows still do not depend on the chunk
size.
"""

from __future__ import annotations

import torch

# Proportional fitting stops when every block's weighted shares are within RAKING_TOLERANCE of
# the targets (total variation), or after RAKING_ROUNDS rounds. Uncapped, Adult's 12 condition
# blocks took 13 rounds; the draw's own noise on a block of 8,192 rows is about 0.005 per share,
# so a closer fit would change nothing one could see.
RAKING_ROUNDS = 30
RAKING_TOLERANCE = 1e-3
# Most candidate rows per kept row: sampling's memory and time grow with the factor.
MAX_CALIBRATION = 16


def raking_weights(
    codes: torch.Tensor, targets: list[torch.Tensor], n: int, rounds: int = RAKING_ROUNDS
) -> torch.Tensor:
    """Weights under which every block's weighted category shares equal its target shares, and
    no candidate needs an inclusion probability above one when ``n`` are drawn.

    Parameters
    ----------
    codes : torch.Tensor of shape (n_candidates, n_blocks)
        Each candidate's category in each block.
    targets : list of torch.Tensor
        Per block, the target share of each category (summing to one), float64.
    n : int
        Candidates to be drawn; each weight is capped at ``1 / n`` of the total.
    rounds : int, default=RAKING_ROUNDS
        Most rounds of proportional fitting; fewer when the shares agree within
        :data:`RAKING_TOLERANCE` first.

    Returns
    -------
    torch.Tensor of shape (n_candidates,)
        Non-negative float64 weights summing to one (uniform when there are no blocks).
    """
    weights = torch.full((len(codes),), 1.0 / max(len(codes), 1), dtype=torch.float64, device=codes.device)
    by_block = codes.T.contiguous()  # one contiguous row of codes per block
    order = list(range(len(targets)))  # the order in which blocks are tested for stopping
    for _ in range(rounds if targets else 0):
        for column, target in zip(by_block, targets):
            # index_select gathers far faster than advanced indexing (18 against 76 us for 16,384
            # candidates); in place saves a copy.
            weights.mul_(_share_ratio(weights, column, target).index_select(0, column))
            weights.div_(weights.sum().clamp_min(1e-300))
        weights = inclusion_probabilities(weights, n) / n
        # Stopping needs every block within the tolerance, going on just one outside it. The block
        # found outside last round is tested first and mostly still is, so a round that goes on
        # computes one block's shares rather than all of them (Adult: 30 rounds, never within).
        distances = (_distance(weights, by_block[b], targets[b]) for b in order)
        off = next((b for b, distance in zip(order, distances) if distance >= RAKING_TOLERANCE), None)
        if off is None:
            break
        order.insert(0, order.pop(order.index(off)))
    return weights


def _weighted_shares(weights, column, target):
    """The candidates' weighted share of each of a block's categories (weights summing to one)."""
    return torch.zeros_like(target).index_add_(0, column, weights)


def _share_ratio(weights, column, target):
    current = _weighted_shares(weights, column, target)
    return torch.where(current > 0, target / current.clamp_min(1e-300), torch.zeros_like(target))


def _distance(weights, column, target) -> float:
    """Total variation between the weighted shares of a block and its target, where reachable."""
    current = _weighted_shares(weights, column, target)
    reachable = current > 0
    return float(
        (current - target * reachable / (target * reachable).sum().clamp_min(1e-300)).abs().sum() / 2
    )


def inclusion_probabilities(weights: torch.Tensor, n: int) -> torch.Tensor:
    """Each candidate's probability of being kept when ``n`` are drawn, proportional to its weight
    and at most one: the heaviest candidates are kept for certain, the rest share what is left."""
    # The probabilities are min(1, c * weight) with the scale c at which they sum to n. From the
    # uncapped scale, c = (n - capped) / (uncapped weight) only grows, capping more candidates at
    # each pass, and stops at the smallest consistent cap within a few passes (4 or 5 while
    # raking Adult, each a few elementwise operations, where a sort took longer than all of them).
    capped = torch.zeros_like(weights, dtype=torch.bool)
    count = 0
    while True:
        rest = torch.where(capped, 0.0, weights).sum().clamp_min(1e-300)
        # Compared without dividing, so that zero weights stay uncapped when nothing is left to
        # share; `|=` keeps the capped set growing whatever the rounding, so the loop ends.
        capped |= weights * (n - count) > rest
        if (now := int(capped.sum())) == count:
            break
        count = now
    return torch.where(capped, 1.0, weights * (n - count) / rest)


def systematic_draw(probabilities: torch.Tensor, n: int, rng: torch.Generator) -> torch.Tensor:
    """Exactly ``n`` distinct candidates, each kept with its inclusion probability, in ascending order.

    Systematic sampling: the candidates are laid end to end in a random order, each as long as
    its probability, and ``n`` points one apart from a uniform start pick the candidates they
    fall on. A candidate no longer than one holds at most one point.
    """
    order = torch.randperm(len(probabilities), generator=rng, device=probabilities.device)
    ends = probabilities[order].cumsum(0)
    ends = ends * (n / ends[-1])
    start = torch.rand((), generator=rng, device=probabilities.device, dtype=torch.float64)
    points = start + torch.arange(n, device=probabilities.device, dtype=torch.float64)
    hit = torch.searchsorted(ends, points).clamp_max(len(order) - 1)
    chosen = torch.unique(order[hit])
    if len(chosen) < n:
        # Rounding can land two points on one candidate; the likeliest unchosen ones fill in.
        spare = probabilities.clone()
        spare[chosen] = -1.0
        chosen = torch.cat([chosen, torch.topk(spare, n - len(chosen)).indices])
    return torch.sort(chosen).values


def calibrated_rows(
    codes: torch.Tensor, targets: list[torch.Tensor], n: int, rng: torch.Generator
) -> torch.Tensor:
    """Indices of ``n`` candidates whose block marginals match ``targets`` in expectation."""
    weights = raking_weights(codes, targets, n)
    return systematic_draw(inclusion_probabilities(weights, n), n, rng)
