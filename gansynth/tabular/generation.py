"""Drawing rows from a trained generator, block by block, and regrouping them into chunks.

The generator always runs on blocks of :data:`GENERATION_BLOCK` rows counted from the first row,
whatever chunk size the caller asks for, and all of a call's random draws come from one
``torch.Generator`` of the call's own (so threads can sample one model at once). So the rows do
not depend on how they are chunked:
``sample(n)`` and the concatenated chunks of a streamed ``n`` rows are the same rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import torch

from gansynth._random import torch_generator
from gansynth.tabular.calibration import calibrated_rows

# Rows generated per forward pass: small enough that a block's activations stay in cache (on
# adult, 8k-row blocks generate 1.45x faster than 64k-row ones), large enough that Python
# overhead is negligible. Changing it changes every seeded sample of more rows than this.
GENERATION_BLOCK = 8_192

# codes_for(start, stop) -> {condition block position: category codes of rows start:stop}
CodesFor = Callable[[int, int], dict[int, np.ndarray]]


def generate_blocks(
    model, n: int, codes_for: CodesFor, seed: int, calibration: int = 1
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``n`` generated rows as ``(alphas, choices)`` blocks, the form the transformer decodes.

    Parameters
    ----------
    model : TabularGAN
        A fitted model (its generator, output activation, condition sampler and device).
    n : int
        Rows to generate.
    codes_for : callable
        ``codes_for(start, stop)`` gives the forced condition codes of rows ``start:stop``;
        rows without forced codes get conditions drawn at the training frequencies.
    seed : int
        Seed of the call's own ``torch.Generator``.
    calibration : int, default=1
        Candidate rows generated per row kept in a block without forced conditions, the kept
        ones chosen so that the condition blocks' marginals match the training counts
        (:mod:`gansynth.tabular.calibration`); 1 keeps every generated row.

    Yields
    ------
    alphas : numpy.ndarray of shape (rows, n_tanh_spans)
    choices : numpy.ndarray of shape (rows, n_softmax_spans)
        One block of at most :data:`GENERATION_BLOCK` rows; nothing when ``n`` is 0.
    """
    sampler, device = model.condition_sampler_, model.device_
    offsets = sampler.offsets.cpu().numpy()
    rng = torch_generator(seed, device)
    targets = _target_shares(sampler, device)
    slots = _condition_slots(model.transformer_).to(device)
    for start in range(0, n, GENERATION_BLOCK):
        size = min(GENERATION_BLOCK, n - start)
        forced = codes_for(start, start + size)
        with torch.no_grad():
            if forced:
                alphas, choices = _generate(model, _forced_conditions(sampler, offsets, forced, size), rng)
                # The conditional loss makes the generator follow its condition, not always: a
                # conditioned block decodes from the slot asked for, so a numeric column's
                # spike (or NaN) comes out exactly, as a discrete column's value does.
                for j, codes in forced.items():
                    choices[:, slots[j]] = torch.as_tensor(codes, device=choices.device)
            elif calibration > 1 and targets:
                alphas, choices = _generate(model, sampler.sample_empirical(calibration * size, rng), rng)
                kept = calibrated_rows(choices[:, slots], targets, size, rng)
                alphas, choices = alphas[kept], choices[kept]
            else:
                alphas, choices = _generate(model, sampler.sample_empirical(size, rng), rng)
        yield alphas.cpu().numpy(), choices.cpu().numpy()


def _generate(model, cond: torch.Tensor, rng: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Sampled output for each row of ``cond``, a forward pass per :data:`GENERATION_BLOCK` rows."""
    pieces = []
    for piece in torch.split(cond, GENERATION_BLOCK):
        noise = torch.randn(len(piece), model.embedding_dim, device=cond.device, generator=rng)
        pieces.append(model.activation_.sample(model.generator_.generate(noise, piece), rng))
    if len(pieces) == 1:
        return pieces[0]
    return torch.cat([a for a, _ in pieces]), torch.cat([c for _, c in pieces])


def _forced_conditions(sampler, offsets: np.ndarray, forced: dict, size: int) -> torch.Tensor:
    device = sampler.device
    cond = torch.zeros(size, sampler.dim, device=device)
    rows = torch.arange(size, device=device)
    for j, codes in forced.items():
        cond[rows, torch.as_tensor(offsets[j] + codes, device=device)] = 1.0
    return cond


def _target_shares(sampler, device) -> list[torch.Tensor]:
    """The training rows' category shares in every condition block, as calibration's targets."""
    return [
        torch.as_tensor(counts / max(counts.sum(), 1), dtype=torch.float64, device=device)
        for counts in sampler.counts
    ]


def _condition_slots(transformer) -> torch.Tensor:
    """Where each condition block's draw sits among the sampled choices: its encoder's block slot."""
    return torch.as_tensor(
        [transformer.slots_[i][1] for i, _, _ in transformer.condition_blocks], dtype=torch.long
    )


def regroup(
    blocks: Iterator[tuple[np.ndarray, np.ndarray]], chunk_size: int, spans
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Cut or join generated blocks into chunks of ``chunk_size`` rows (the last one may be short).

    At least one chunk is yielded: an empty one, shaped by ``spans``, when there are no rows.
    """
    pending, count, yielded = [], 0, False
    for alphas, choices in blocks:
        while len(alphas):
            take = min(chunk_size - count, len(alphas))
            pending.append((alphas[:take], choices[:take]))
            count += take
            alphas, choices = alphas[take:], choices[take:]
            if count == chunk_size:
                yield _join(pending)
                pending, count, yielded = [], 0, True
    if pending or not yielded:
        yield _join(pending) if pending else _empty(spans)


def _join(pieces):
    if len(pieces) == 1:
        return pieces[0]
    return np.concatenate([a for a, _ in pieces]), np.concatenate([c for _, c in pieces])


def _empty(spans) -> tuple[np.ndarray, np.ndarray]:
    kinds = [span.activation for span in spans]
    return np.zeros((0, kinds.count("tanh")), np.float32), np.zeros((0, kinds.count("softmax")), np.int64)
