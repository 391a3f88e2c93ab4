"""The generator's two ways to read a condition: float conditional vectors, and the active
positions of one-hot ones (a lookup of weight columns, which training uses)."""

import pytest
import torch
import torch.nn.functional as F

from gansynth.tabular.networks import Generator

NOISE, CONDITION = 6, 9


def _inputs(seed, rows=40):
    generator = torch.Generator().manual_seed(seed)
    noise = torch.randn(rows, NOISE, generator=generator)
    positions = torch.randint(CONDITION, (rows,), generator=generator)
    return noise, positions, F.one_hot(positions, CONDITION).float()


def _output_and_grads(network, noise, cond):
    network.zero_grad(set_to_none=True)
    output = network(noise, cond)
    (output * torch.linspace(-1, 1, output.shape[1], dtype=output.dtype)).sum().backward()
    return output.detach(), [p.grad.clone() for p in network.parameters()]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("hidden", [(16, 8), ()])
def test_positions_give_what_the_one_hot_vectors_give_with_gradients(seed, hidden):
    # In float64, so that the two summation orders agree to far below any real difference.
    torch.manual_seed(seed)
    network = Generator(NOISE + CONDITION, hidden, 5).double().train()
    noise, positions, one_hot = _inputs(seed)
    output, grads = _output_and_grads(network, noise.double(), positions)
    expected, expected_grads = _output_and_grads(network, noise.double(), one_hot.double())
    torch.testing.assert_close(output, expected, rtol=1e-12, atol=1e-12)
    for grad, reference in zip(grads, expected_grads, strict=True):
        torch.testing.assert_close(grad, reference, rtol=1e-12, atol=1e-12)


def test_every_position_reaches_the_output():
    # Each position must select its own weight column: a lookup off by one would still be
    # close to the dense product for most rows of a random batch, not for every position.
    torch.manual_seed(0)
    network = Generator(NOISE + CONDITION, (16,), 5).eval()
    noise = torch.randn(1, NOISE).expand(CONDITION, -1)
    positions = torch.arange(CONDITION)
    with torch.no_grad():
        by_position = network(noise, positions)
        by_vector = network(noise, torch.eye(CONDITION))
    torch.testing.assert_close(by_position, by_vector, rtol=1e-5, atol=1e-6)
    assert len(torch.unique(by_position[:, 0])) == CONDITION


def test_positions_keep_the_output_dtype_under_autocast():
    torch.manual_seed(0)
    network = Generator(NOISE + CONDITION, (16,), 5).train()
    noise, positions, one_hot = _inputs(0)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        by_position, by_vector = network(noise, positions), network(noise, one_hot)
    assert by_position.dtype == by_vector.dtype == torch.bfloat16
    torch.testing.assert_close(by_position.float(), by_vector.float(), rtol=0.05, atol=0.05)
