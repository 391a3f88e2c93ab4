"""gansynth vs the ``ctgan`` package on UCI Adult: speed and fidelity, measured in one run.

Both models get the same architecture (embedding 128, generator and critic (256, 256), pac 10),
the same batch size and the same torch thread count, in the same process, one after the other.

Reported:

- transformer fit time (gansynth / ctgan);
- training time per epoch (gansynth / ctgan): each fit's time outside its set-up (the transformer's
  fit and the encoding, and ctgan's data sampler; gansynth's schema, logic and condition sampler),
  divided by the epochs, so both sides time their training loops alike. The reported ratio is the
  median over ``--rounds`` rounds of ``--round-epochs``-epoch fits of each package, taking turns
  (which goes first alternates), so that a noisy neighbour slows both sides of a round alike;
- sampling throughput for 100k rows (gansynth / ctgan);
- SDMetrics QualityReport of both after the same number of epochs;
- SDMetrics QualityReport of gansynth trained for ctgan's wall-clock training time.

Usage::

    python -m benchmarks.ctgan_comparison --data-dir ../shared/datasets --epochs 30 --rounds 5 \
        --out benchmarks/results/ctgan_comparison.md
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from gansynth import TabularGAN
from gansynth.tabular import fitting
from gansynth.tabular.schema import build_specs
from gansynth.tabular.transformer import DataTransformer

SAMPLE_ROWS = 100_000


def load_adult(data_dir: Path) -> pd.DataFrame:
    path = Path(data_dir) / "adult.csv"
    if not path.is_file():
        sys.exit(f"adult.csv not found in {data_dir}; pass --data-dir pointing at the shared datasets")
    return pd.read_csv(path, skipinitialspace=True)


def quality_score(real: pd.DataFrame, synthetic: pd.DataFrame) -> float:
    from sdmetrics.reports.single_table import QualityReport

    columns = {}
    for name in real.columns:
        kind = "categorical" if real[name].dtype == object else "numerical"
        columns[name] = {"sdtype": kind}
    report = QualityReport()
    report.generate(real, synthetic[real.columns], {"columns": columns}, verbose=False)
    return float(report.get_score())


def fit_ctgan(data: pd.DataFrame, discrete: list[str], epochs: int, seed: int):
    """A fitted ctgan model, with its fit's time split into set-up and training."""
    import ctgan.synthesizers.ctgan as ctgan_module
    from ctgan import CTGAN

    timings = {}
    original_fit = ctgan_module.DataTransformer.fit
    original_transform = ctgan_module.DataTransformer.transform

    def timed(name, method):
        def wrapper(self, *args, **kwargs):
            start = time.perf_counter()
            result = method(self, *args, **kwargs)
            timings[name] = timings.get(name, 0.0) + time.perf_counter() - start
            return result

        return wrapper

    original_sampler = ctgan_module.DataSampler.__init__
    ctgan_module.DataTransformer.fit = timed("transformer_fit", original_fit)
    ctgan_module.DataTransformer.transform = timed("transformer_transform", original_transform)
    ctgan_module.DataSampler.__init__ = timed("data_sampler", original_sampler)
    try:
        torch.manual_seed(seed)
        np.random.seed(seed)  # noqa: NPY002 (ctgan reads the legacy global generator)
        model = CTGAN(epochs=epochs, batch_size=500, pac=10, verbose=False)
        start = time.perf_counter()
        model.fit(data, discrete_columns=discrete)
        total = time.perf_counter() - start
    finally:
        ctgan_module.DataTransformer.fit = original_fit
        ctgan_module.DataTransformer.transform = original_transform
        ctgan_module.DataSampler.__init__ = original_sampler
    training = total - timings["transformer_fit"] - timings["transformer_transform"] - timings["data_sampler"]
    return model, {
        "transformer_fit_s": timings["transformer_fit"],
        "setup_s": total - training,
        "training_s": training,
    }


def time_ctgan(data: pd.DataFrame, discrete: list[str], epochs: int, seed: int) -> dict:
    model, times = fit_ctgan(data, discrete, epochs, seed)
    start = time.perf_counter()
    sample = model.sample(SAMPLE_ROWS)
    sample_time = time.perf_counter() - start
    return {
        **times,
        "epoch_s": times["training_s"] / epochs,
        "sample_rows_per_s": SAMPLE_ROWS / sample_time,
        "sample": sample,
    }


def fit_gansynth(data: pd.DataFrame, epochs: int, seed: int):
    """A fitted TabularGAN, with its fit's time split into set-up and its training loop's time."""
    model = TabularGAN(epochs=epochs, batch_size=500, pac=10, n_jobs=-1, verbose=False, random_state=seed)
    loop, original_train = [], fitting.train

    def timed_train(*args, **kwargs):
        started = time.perf_counter()
        history = original_train(*args, **kwargs)
        loop.append(time.perf_counter() - started)
        return history

    fitting.train = timed_train
    try:
        start = time.perf_counter()
        model.fit(data)
        total = time.perf_counter() - start
    finally:
        fitting.train = original_train
    # The training loop alone, as ctgan's figure is its fit less its transformer and data sampler.
    return model, {"setup_s": total - loop[0], "training_s": loop[0]}


def time_gansynth(data: pd.DataFrame, epochs: int, seed: int) -> dict:
    specs = build_specs(data)
    start = time.perf_counter()
    DataTransformer(n_jobs=-1, random_state=seed).fit(data, specs)
    transformer_fit = time.perf_counter() - start
    model, times = fit_gansynth(data, epochs, seed)
    start = time.perf_counter()
    sample = model.sample(SAMPLE_ROWS)
    sample_time = time.perf_counter() - start
    # The same model without marginal calibration: what the default's candidate rows cost.
    calibration = model.marginal_calibration
    model.set_params(marginal_calibration=1)
    start = time.perf_counter()
    plain_sample = model.sample(SAMPLE_ROWS)
    plain_time = time.perf_counter() - start
    model.set_params(marginal_calibration=calibration)
    return {
        "transformer_fit_s": transformer_fit,
        **times,
        "epoch_s": times["training_s"] / epochs,
        "sample_rows_per_s": SAMPLE_ROWS / sample_time,
        "plain_sample_rows_per_s": SAMPLE_ROWS / plain_time,
        "marginal_calibration": calibration,
        "sample": sample,
        "plain_sample": plain_sample,
        "model": model,
    }


def epoch_rounds(data: pd.DataFrame, discrete: list[str], rounds: int, epochs: int, seed: int) -> list[dict]:
    """Per round, each package's training seconds per epoch over an ``epochs``-epoch fit.

    The packages take turns, and which one goes first alternates from round to round.
    """
    fits = {
        "gansynth": lambda: fit_gansynth(data, epochs, seed)[1],
        "ctgan": lambda: fit_ctgan(data, discrete, epochs, seed)[1],
    }
    results = []
    for round_number in range(rounds):
        order = list(fits) if round_number % 2 == 0 else list(fits)[::-1]
        seconds = {name: fits[name]()["training_s"] / epochs for name in order}
        results.append({**seconds, "ratio": seconds["gansynth"] / seconds["ctgan"], "first": order[0]})
        print(f"round {round_number + 1}: epoch ratio {results[-1]['ratio']:.3f}", flush=True)
    return results


def exact_conditions(model: TabularGAN) -> tuple[int, int]:
    """For every value of every discrete column, does sample(1000, {col: value}) give 1000 such rows?"""
    exact = total = 0
    for spec in model.columns_:
        if spec.is_discrete:
            for value in spec.categories:
                rows = model.sample(1000, conditions={spec.name: value}, random_state=0)
                exact += int(len(rows) == 1000 and (rows[spec.name] == value).all())
                total += 1
    return exact, total


def epoch_summary(rounds: list[dict], single_fit: dict) -> dict:
    """The epoch times the table reports: medians over the rounds, or the long fits' without rounds."""
    if not rounds:
        ratio = single_fit["gansynth"] / single_fit["ctgan"]
        return {**single_fit, "ratio": ratio, "source": "the long fits", "rounds": rounds}
    return {
        "gansynth": statistics.median(r["gansynth"] for r in rounds),
        "ctgan": statistics.median(r["ctgan"] for r in rounds),
        "ratio": statistics.median(r["ratio"] for r in rounds),
        "source": f"median over {len(rounds)} rounds",
        "rounds": rounds,
    }


def report_lines(
    args, command, data, ours, reference, ratios, epoch, quality, budget_epochs, exact
) -> list[str]:
    rounds = ", ".join(f"{r['ratio']:.3f}" for r in epoch["rounds"])
    return [
        "# gansynth vs ctgan on UCI Adult",
        "",
        f"Command: `{command}`  ",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}, "
        f"{args.threads} torch threads; rows: {len(data)}; same architecture, batch 500, pac 10.",
        "",
        "| measure | gansynth | ctgan | ratio (gansynth / ctgan) | target |",
        "|---|---|---|---|---|",
        f"| transformer fit (s) | {ours['transformer_fit_s']:.2f} | {reference['transformer_fit_s']:.2f} | "
        f"{ratios['transformer_fit_time']:.3f} | <= 0.25 |",
        f"| time per epoch (s) ({epoch['source']}) | {epoch['gansynth']:.3f} | {epoch['ctgan']:.3f} | "
        f"{ratios['epoch_time']:.3f} | <= 0.25 |",
        f"| time per epoch in the {args.epochs}-epoch fits below (s) | {ours['epoch_s']:.3f} | "
        f"{reference['epoch_s']:.3f} | {ratios['single_fit_epoch_time']:.3f} | |",
        f"| set-up before the first epoch (s) | {ours['setup_s']:.2f} | {reference['setup_s']:.2f} | "
        f"{ours['setup_s'] / reference['setup_s']:.3f} | |",
        f"| sampling, rows/s (100k rows) | {ours['sample_rows_per_s']:,.0f} | "
        f"{reference['sample_rows_per_s']:,.0f} | {ratios['sample_throughput']:.2f} | >= 3 |",
        "| sampling, rows/s (100k rows), `marginal_calibration=1` | "
        f"{ours['plain_sample_rows_per_s']:,.0f} | "
        f"{reference['sample_rows_per_s']:,.0f} | {ratios['plain_sample_throughput']:.2f} | |",
        f"| QualityReport after {args.epochs} epochs | {quality['gansynth']:.4f} | {quality['ctgan']:.4f} | "
        f"{quality['gansynth'] - quality['ctgan']:+.4f} (difference) | >= -0.01 |",
        f"| QualityReport after {args.epochs} epochs, `marginal_calibration=1` | "
        f"{quality['gansynth_plain']:.4f} | "
        f"{quality['ctgan']:.4f} | {quality['gansynth_plain'] - quality['ctgan']:+.4f} (difference) | |",
        f"| QualityReport, equal wall-clock ({reference['training_s']:.0f} s: "
        f"gansynth {budget_epochs} epochs vs ctgan {args.epochs}) | "
        f"{quality['gansynth_budget']:.4f} | {quality['ctgan']:.4f} | "
        f"{quality['gansynth_budget'] - quality['ctgan']:+.4f} (difference) | > 0 |",
        "",
        *(
            [
                f"Epoch ratio per round ({args.round_epochs}-epoch fits of each package, taking turns, "
                f"gansynth first in odd rounds): {rounds}.",
                "",
            ]
            if epoch["rounds"]
            else []
        ),
        f"Exact conditional sampling: for {exact[0]} of {exact[1]} (column, value) pairs over all discrete "
        "columns, "
        "`sample(1000, conditions={column: value})` returned 1000 rows all holding that value.",
        "",
        f"QualityReport is SDMetrics' single-table score on {min(len(data), 20_000)} real rows vs as many "
        "synthetic rows.",
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("GANSYNTH_DATA_DIR", "../shared/datasets"))
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=5, help="alternating short fits for the epoch ratio")
    parser.add_argument("--round-epochs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--out", default="benchmarks/results/ctgan_comparison.md")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    data = load_adult(Path(args.data_dir))
    discrete = [c for c in data.columns if data[c].dtype == object]
    quality_rows = min(len(data), 20_000)
    real_for_quality = data.sample(quality_rows, random_state=args.seed)

    rounds = epoch_rounds(data, discrete, args.rounds, args.round_epochs, args.seed)
    print(f"ctgan: {args.epochs} epochs ...", flush=True)
    reference = time_ctgan(data, discrete, args.epochs, args.seed)
    print(f"gansynth: {args.epochs} epochs ...", flush=True)
    ours = time_gansynth(data, args.epochs, args.seed)
    budget_epochs = max(args.epochs, int(reference["training_s"] / ours["epoch_s"]))
    print(f"gansynth: {budget_epochs} epochs in ctgan's training time ...", flush=True)
    budget = time_gansynth(data, budget_epochs, args.seed)

    exact = exact_conditions(ours["model"])
    print("quality reports ...", flush=True)
    quality = {
        "ctgan": quality_score(real_for_quality, reference["sample"].head(quality_rows)),
        "gansynth": quality_score(real_for_quality, ours["sample"].head(quality_rows)),
        "gansynth_plain": quality_score(real_for_quality, ours["plain_sample"].head(quality_rows)),
        "gansynth_budget": quality_score(real_for_quality, budget["sample"].head(quality_rows)),
    }
    epoch = epoch_summary(rounds, {"gansynth": ours["epoch_s"], "ctgan": reference["epoch_s"]})
    ratios = {
        "epoch_time": epoch["ratio"],
        "single_fit_epoch_time": ours["epoch_s"] / reference["epoch_s"],
        "transformer_fit_time": ours["transformer_fit_s"] / reference["transformer_fit_s"],
        "sample_throughput": ours["sample_rows_per_s"] / reference["sample_rows_per_s"],
        "plain_sample_throughput": ours["plain_sample_rows_per_s"] / reference["sample_rows_per_s"],
    }
    command = "python -m benchmarks.ctgan_comparison " + " ".join(argv if argv is not None else sys.argv[1:])
    lines = report_lines(args, command, data, ours, reference, ratios, epoch, quality, budget_epochs, exact)
    report = "\n".join(lines) + "\n"
    print(report)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report)
    summary = {
        "ratios": ratios,
        "quality": quality,
        "budget_epochs": budget_epochs,
        "exact_conditions": list(exact),
        "epoch_rounds": rounds,
    }
    skipped = ("sample", "plain_sample", "model")
    summary.update({f"gansynth_{k}": v for k, v in ours.items() if k not in skipped})
    summary.update({f"ctgan_{k}": v for k, v in reference.items() if k != "sample"})
    out.with_suffix(".json").write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
