"""The critic's LeakyReLU (the same values and gradients as torch's, and a penalty that no longer
differentiates through the forward pass's slope pattern) and its dropout masks."""

import pytest
import torch
import torch.nn.functional as F

from gansynth.tabular import networks
from gansynth.tabular.networks import Discriminator, LeakyReLUConstantSlope, gradient_penalty


def _critic_and_batch(seed):
    torch.manual_seed(seed)
    critic = Discriminator(7, (16, 16), pac=4).train()
    real, fake = torch.randn(20, 7), torch.randn(20, 7)
    return critic, real, fake


def _penalty_and_critic_grads(critic, real, fake, seed):
    critic.zero_grad(set_to_none=True)
    rng = torch.Generator().manual_seed(seed)
    scores = critic(torch.cat([real, fake]), rng)
    loss = scores.chunk(2)[1].mean() - scores.chunk(2)[0].mean() + gradient_penalty(critic, real, fake, rng)
    loss.backward()
    return loss.detach(), [p.grad.clone() for p in critic.parameters()]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_critic_step_is_bit_for_bit_what_torchs_leaky_relu_gives(monkeypatch, seed):
    critic, real, fake = _critic_and_batch(seed)
    loss, grads = _penalty_and_critic_grads(critic, real, fake, seed)
    monkeypatch.setattr(LeakyReLUConstantSlope, "apply", lambda x: F.leaky_relu(x, 0.2))
    reference_loss, reference_grads = _penalty_and_critic_grads(critic, real, fake, seed)
    assert torch.equal(loss, reference_loss)
    for grad, reference in zip(grads, reference_grads):
        assert torch.equal(grad, reference)


def test_first_and_second_derivatives_match_finite_differences():
    x = torch.randn(40, dtype=torch.float64)
    x = (x + 0.1 * x.sign()).requires_grad_(True)  # keep every entry away from the kink
    assert torch.autograd.gradcheck(LeakyReLUConstantSlope.apply, (x,))
    assert torch.autograd.gradgradcheck(LeakyReLUConstantSlope.apply, (x,))


def test_the_penalty_has_no_path_back_through_the_interpolated_rows(monkeypatch):
    critic, real, fake = _critic_and_batch(0)
    seen = []

    def interpolates_recorded(*args, **kwargs):
        (gradients,) = real_grad(*args, **kwargs)
        seen.append(args[1])
        return (gradients,)

    real_grad = torch.autograd.grad
    monkeypatch.setattr(networks.torch.autograd, "grad", interpolates_recorded)
    penalty = gradient_penalty(critic, real, fake, torch.Generator().manual_seed(0))
    monkeypatch.undo()
    (through_rows,) = torch.autograd.grad(penalty, seen[0], allow_unused=True)
    assert through_rows is None


@pytest.mark.parametrize("p", [0.2, 0.5])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dropout_keeps_each_entry_with_probability_1_minus_p_and_scales_it(p, seed):
    x = torch.ones(400, 250)
    dropped = networks.dropout(x, p, torch.Generator().manual_seed(seed))
    kept = dropped != 0
    # 100,000 entries: the kept share's standard error is at most 0.0016
    assert abs(kept.float().mean().item() - (1 - p)) < 0.008
    assert torch.allclose(dropped[kept], torch.tensor(1 / (1 - p)))


def test_dropout_masks_come_from_the_generator_given():
    x = torch.ones(50, 256)
    first = networks.dropout(x, 0.5, torch.Generator().manual_seed(3))
    assert torch.equal(first, networks.dropout(x, 0.5, torch.Generator().manual_seed(3)))
    assert not torch.equal(first, networks.dropout(x, 0.5, torch.Generator().manual_seed(4)))
    with pytest.raises(ValueError, match="torch.Generator"):
        networks.dropout(x, 0.5, None)
