"""What keeps a small fit fast: no torch.optim import, no process pool, no OpenMP waits."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch

import gansynth.sampling.filters as filters
import gansynth.tabular.transformer as transformer_module
from gansynth._torch_utils import FusedAdam, adam
from gansynth.tabular.schema import build_specs
from gansynth.tabular.transformer import DataTransformer


def _fused_cpu_available() -> bool:
    try:
        torch.optim.Adam([torch.zeros(1, requires_grad=True)], fused=True)
    except (RuntimeError, TypeError, ValueError):
        return False
    return True


@pytest.mark.skipif(not _fused_cpu_available(), reason="this torch has no fused CPU Adam")
@pytest.mark.parametrize("weight_decay", [0.0, 1e-3])
def test_fused_adam_is_torch_fused_adam_bit_for_bit(weight_decay):
    torch.manual_seed(0)
    ours, theirs = torch.nn.Linear(7, 3), torch.nn.Linear(7, 3)
    theirs.load_state_dict(ours.state_dict())
    options = dict(lr=1e-2, betas=(0.5, 0.9), weight_decay=weight_decay)
    optimisers = [
        FusedAdam(ours.parameters(), **options),
        torch.optim.Adam(theirs.parameters(), fused=True, **options),
    ]
    for step in range(5):
        x = torch.randn(16, 7)
        for net, optimiser in zip((ours, theirs), optimisers):
            optimiser.zero_grad(set_to_none=True)
            net.bias.requires_grad_(step != 2)  # a step where one parameter has no gradient
            net(x).pow(2).mean().backward()
            optimiser.step()
    for a, b in zip(ours.parameters(), theirs.parameters()):
        assert torch.equal(a, b)


def test_adam_gives_the_light_optimiser_on_cpu():
    optimiser = adam(torch.nn.Linear(2, 2).parameters(), lr=1e-3)
    assert isinstance(optimiser, FusedAdam) or not _fused_cpu_available()


@pytest.mark.slow  # a fresh interpreter importing torch: 5-25 s on a shared 2-core machine
def test_a_fit_imports_no_torch_dynamo():
    # torch.optim imports torch._dynamo on an optimiser's first use: seconds per fresh process.
    code = (
        "import sys, numpy as np, pandas as pd\n"
        "from gansynth import TabularGAN\n"
        "frame = pd.DataFrame({'a': np.arange(40.0), 'b': ['x', 'y'] * 20})\n"
        "TabularGAN(epochs=1, batch_size=20, pac=10, verbose=False, random_state=0).fit(frame).sample(5)\n"
        "print('torch._dynamo' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == ("False" if _fused_cpu_available() else "True")


def test_small_mixture_work_stays_in_process_whatever_n_jobs(monkeypatch):
    asked = []
    real_parallel = transformer_module.Parallel

    def recording_parallel(n_jobs, **options):
        asked.append(n_jobs)
        return real_parallel(n_jobs=1, **options)  # what was asked is recorded; no pool is started

    monkeypatch.setattr(transformer_module, "Parallel", recording_parallel)
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({f"x{i}": rng.normal(size=50) for i in range(2)})
    DataTransformer(max_modes=2, n_jobs=2, random_state=0).fit(frame, build_specs(frame, []))
    assert asked == [1]

    # Above the threshold, n_jobs keeps scikit-learn's meaning.
    monkeypatch.setattr(transformer_module, "MIN_VALUES_FOR_PROCESSES", 100)
    asked.clear()
    DataTransformer(max_modes=2, n_jobs=2, random_state=0).fit(frame, build_specs(frame, []))
    assert asked == [2]


def test_the_classifier_filter_uses_one_openmp_thread_on_small_tables(monkeypatch):
    from threadpoolctl import threadpool_info

    seen = []
    real_fit = filters.HistGradientBoostingClassifier.fit

    def recording_fit(self, X, y, **options):
        seen.append([pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "openmp"])
        return real_fit(self, X, y, **options)

    monkeypatch.setattr(filters.HistGradientBoostingClassifier, "fit", recording_fit)
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60)})
    y = np.repeat([0, 1], 30)
    specs = build_specs(frame, [])
    scores = filters.classifier_scores(frame, y, frame.iloc[:10], y[:10], specs, seed=0)
    assert scores.shape == (10,)
    assert seen and all(threads == 1 for threads in seen[0])


def test_the_latency_benchmark_times_the_downstream_benchmarks_training_rows():
    from benchmarks._cells import make_split
    from benchmarks.fit_latency import training_part

    y = np.r_[np.ones(37, int), np.zeros(400, int)]
    np.testing.assert_array_equal(training_part(y), make_split(y, 0)[0])
