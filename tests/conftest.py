"""Shared fixtures. Tests use tiny networks and few epochs so the suite stays fast on 2 CPU cores."""

import os
from pathlib import Path

import pytest
import torch

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


def shared_data_dir() -> Path:
    default = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
    return Path(os.environ.get("GANSYNTH_DATA_DIR", default))


@pytest.fixture
def data_dir():
    path = shared_data_dir()
    if not path.is_dir():
        pytest.skip(f"shared datasets not found at {path}")
    return path
