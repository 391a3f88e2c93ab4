"""Shared fixtures. Tests use tiny networks and few epochs so the suite stays fast on 2 CPU cores."""

import copy
import json
import os
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from gansynth.persistence import _digest
from gansynth.tabular.training import GANModules

# Tiny networks gain nothing from intra-op threads, and oversubscribed threads slow a shared CPU.
torch.set_num_threads(1)

TINY = dict(
    epochs=2,
    batch_size=40,
    pac=4,
    embedding_dim=16,
    generator_dim=(32, 32),
    discriminator_dim=(32, 32),
    verbose=False,
    n_jobs=1,
)

IMAGE_TINY = dict(
    epochs=1,
    batch_size=16,
    latent_dim=8,
    generator_width=4,
    discriminator_width=4,
    embedding_dim=4,
    verbose=False,
    device="cpu",
)


def training_modules(model, **options):
    """Copies of a fitted TabularGAN's networks with optimisers that leave them unchanged (SGD at
    rate 0), as one training step takes them; ``options`` set the other GANModules fields."""
    generator, critic = copy.deepcopy(model.generator_), copy.deepcopy(model.discriminator_)
    generator.train()
    critic.train()
    return GANModules(
        generator=generator,
        discriminator=critic,
        activation=model.activation_,
        generator_optimizer=torch.optim.SGD(generator.parameters(), lr=0.0),
        discriminator_optimizer=torch.optim.SGD(critic.parameters(), lr=0.0),
        embedding_dim=model.embedding_dim,
        **options,
    )


def forged_copy(source, target, edit):
    """``source`` with ``edit`` applied to its description and the digest recomputed: a forged file.

    Forging is how a hostile file gets past the digest, so the description's own checks must catch it.
    """
    with safe_open(str(source), "pt") as handle:
        header = json.loads(handle.metadata()["gansynth"])
        tensors = {name: handle.get_tensor(name) for name in handle.keys()}  # noqa: SIM118
    edit(header["model"])
    header["digest_sha256"] = _digest(header["model"], tensors)
    save_file(tensors, str(target), metadata={"gansynth": json.dumps(header)})
    return target


def shared_data_dir() -> Path:
    default = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
    return Path(os.environ.get("GANSYNTH_DATA_DIR", default))


@pytest.fixture
def data_dir():
    path = shared_data_dir()
    if not path.is_dir():
        pytest.skip(f"shared datasets not found at {path}")
    return path
