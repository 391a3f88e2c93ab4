"""Time to quality: TabularGAN vs the ``ctgan`` package, SDMetrics quality after several epoch counts.

Both models get the setting of ``benchmarks/ctgan_comparison.py`` (embedding 128, generator and
critic (256, 256), batch 500, pac 10, the same torch thread count), in one process, one after the
other, on each table. Each is trained once, to the largest epoch count: a hook records the
wall-clock time since the start of ``fit`` and a copy of the generator's weights at every
checkpoint, and after training each copy is loaded back and sampled. The model at a checkpoint
is the one a fit with that many epochs would give (same seed, same random stream up to there;
``tests/test_time_to_quality.py`` checks this for TabularGAN).

- TabularGAN: the training loop is a function (``gansynth.tabular.fitting.train``); the hook
  runs it in segments between checkpoints, with the same optimisers and random stream.
- ctgan: ``CTGAN.fit`` assigns ``loss_values`` once before its first epoch and once after each
  epoch; a subclass turns that attribute into a property whose setter records the checkpoints.

Reported per table: quality and cumulative fit time at each checkpoint; the time each needs to
reach ctgan's quality at its largest epoch count (the first checkpoint at or above it, no
interpolation); the best quality each reaches within ctgan's fit time at a budget checkpoint; the
training time per epoch of each, and their ratio.

Usage::

    python -m benchmarks time-to-quality --data-dir ../shared/datasets \
        --out benchmarks/results/time_to_quality.md
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from gansynth import TabularGAN
from gansynth.tabular import fitting

DEFAULT_CHECKPOINTS = (10, 30, 100, 300)
DEFAULT_TABLES = ("adult", "bank_additional")


@dataclass
class Run:
    """One model's training: times since the start of fit, and the generator at each checkpoint."""

    fit_started: float = 0.0
    training_started: float | None = None
    times: dict = field(default_factory=dict)  # epochs -> seconds since fit started
    states: dict = field(default_factory=dict)  # epochs -> generator state_dict

    def record(self, epochs: int, generator: torch.nn.Module) -> None:
        self.times[epochs] = time.perf_counter() - self.fit_started
        self.states[epochs] = copy.deepcopy(generator.state_dict())

    def epoch_seconds(self) -> float:
        """Training time per epoch: from the first step to the last checkpoint."""
        last = max(self.times)
        return (self.times[last] - (self.training_started - self.fit_started)) / last


@contextlib.contextmanager
def gansynth_checkpoints(checkpoints, run: Run):
    """Make ``TabularGAN.fit`` train in segments ending at ``checkpoints``, recording each in ``run``."""
    original = fitting.train

    def segmented(modules, data, sampler, *, epochs, **kwargs):
        run.training_started = time.perf_counter()
        stops = sorted(c for c in checkpoints if c < epochs) + [epochs]
        histories, done = [], 0
        for stop in stops:
            histories.append(original(modules, data, sampler, epochs=stop - done, **kwargs))
            done = stop
            run.record(stop, modules.generator)
        return pd.concat(histories, ignore_index=True).rename_axis("epoch")

    fitting.train = segmented
    try:
        yield run
    finally:
        fitting.train = original


def checkpointed_ctgan(checkpoints, run: Run, **params):
    """A ``ctgan.CTGAN`` recording ``run``'s checkpoints through its ``loss_values`` assignments."""
    from ctgan import CTGAN

    class CheckpointedCTGAN(CTGAN):
        @property
        def loss_values(self):
            return self.__dict__.get("_checkpointed_losses")

        @loss_values.setter
        def loss_values(self, value):
            self.__dict__["_checkpointed_losses"] = value
            if value is None:
                return
            if len(value) == 0:  # assigned once, just before the first epoch
                run.training_started = time.perf_counter()
            elif len(value) in checkpoints:
                run.record(len(value), self._generator)

    return CheckpointedCTGAN(**params)


def load_table(name: str, data_dir) -> pd.DataFrame:
    """A registered table with its target, string columns as ``object`` (what ctgan expects)."""
    from benchmarks.datasets import load_dataset

    features, target = load_dataset(name, data_dir=data_dir)
    frame = pd.concat([features, target], axis=1)
    for column in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[column]):
            frame[column] = frame[column].astype(object)
    return frame


def quality_score(real: pd.DataFrame, synthetic: pd.DataFrame) -> float:
    """SDMetrics' QualityReport score, numeric columns numerical and the rest categorical."""
    from sdmetrics.reports.single_table import QualityReport

    columns = {
        name: {"sdtype": "numerical" if pd.api.types.is_numeric_dtype(real[name]) else "categorical"}
        for name in real.columns
    }
    report = QualityReport()
    report.generate(real, synthetic[real.columns], {"columns": columns}, verbose=False)
    return float(report.get_score())


def train_gansynth(data: pd.DataFrame, checkpoints, seed: int) -> tuple[TabularGAN, Run]:
    run = Run()
    model = TabularGAN(
        epochs=max(checkpoints), batch_size=500, pac=10, n_jobs=-1, verbose=False, random_state=seed
    )
    with gansynth_checkpoints(checkpoints, run):
        run.fit_started = time.perf_counter()
        model.fit(data)
    return model, run


def train_ctgan(data: pd.DataFrame, checkpoints, seed: int):
    run = Run()
    discrete = [c for c in data.columns if not pd.api.types.is_numeric_dtype(data[c])]
    model = checkpointed_ctgan(
        set(checkpoints), run, epochs=max(checkpoints), batch_size=500, pac=10, verbose=False
    )
    torch.manual_seed(seed)
    np.random.seed(seed)  # noqa: NPY002 (ctgan reads the legacy global generators)
    run.fit_started = time.perf_counter()
    model.fit(data, discrete_columns=discrete)
    return model, run


def sample_gansynth(model: TabularGAN, state, n: int, seed: int) -> pd.DataFrame:
    model.generator_.load_state_dict(state)
    return model.sample(n, random_state=seed)


def sample_ctgan(model, state, n: int, seed: int) -> pd.DataFrame:
    model._generator.load_state_dict(state)
    torch.manual_seed(seed)
    np.random.seed(seed)  # noqa: NPY002 (ctgan reads the legacy global generators)
    return model.sample(n)


def measure_table(data: pd.DataFrame, checkpoints, seed: int, quality_rows: int, log=print) -> dict:
    """Train both models on ``data`` once each; quality and cumulative fit time at each checkpoint."""
    real = data.sample(min(quality_rows, len(data)), random_state=seed)
    result = {"rows": len(data), "columns": data.shape[1], "quality_rows": len(real)}
    engines = {"gansynth": (train_gansynth, sample_gansynth), "ctgan": (train_ctgan, sample_ctgan)}
    for name, (train, sample) in engines.items():
        log(f"  {name}: {max(checkpoints)} epochs ...")
        model, run = train(data, checkpoints, seed)
        scores, report_seconds = {}, []
        for epochs in sorted(run.states):
            synthetic = sample(model, run.states[epochs], len(real), seed)
            started = time.perf_counter()
            scores[epochs] = quality_score(real, synthetic)
            report_seconds.append(time.perf_counter() - started)
            log(f"  {name} {epochs} epochs: {run.times[epochs]:.1f} s, quality {scores[epochs]:.4f}")
        result[name] = {
            "fit_seconds": {int(k): v for k, v in run.times.items()},
            "quality": {int(k): v for k, v in scores.items()},
            "setup_seconds": run.training_started - run.fit_started,
            "epoch_seconds": run.epoch_seconds(),
            "report_seconds_median": float(np.median(report_seconds)),
        }
    return result


def first_at_or_above(engine: dict, target: float):
    """(epochs, seconds) of the first checkpoint whose quality is at least ``target``, or None."""
    for epochs in sorted(engine["quality"]):
        if engine["quality"][epochs] >= target:
            return epochs, engine["fit_seconds"][epochs]
    return None


def best_within(engine: dict, budget: float):
    """(quality, epochs) of the best checkpoint reached within ``budget`` seconds of fit, or None."""
    reached = [(q, e) for e, q in engine["quality"].items() if engine["fit_seconds"][e] <= budget]
    return max(reached) if reached else None


def summarize(result: dict, budget_epochs: int) -> dict:
    """Time to ctgan's final quality, best quality within ctgan's fit time at ``budget_epochs``."""
    ours, theirs = result["gansynth"], result["ctgan"]
    final = max(theirs["quality"])
    target = theirs["quality"][final]
    budget_epochs = budget_epochs if budget_epochs in theirs["fit_seconds"] else final
    budget = theirs["fit_seconds"][budget_epochs]
    return {
        "target_epochs": final,
        "target_quality": target,
        "time_to_target": {
            k: first_at_or_above(v, target) for k, v in (("gansynth", ours), ("ctgan", theirs))
        },
        "budget_epochs": budget_epochs,
        "budget_seconds": budget,
        "best_within_budget": {k: best_within(v, budget) for k, v in (("gansynth", ours), ("ctgan", theirs))},
        "epoch_ratio": ours["epoch_seconds"] / theirs["epoch_seconds"],
    }


def _reached(value) -> str:
    return "not reached" if value is None else f"{value[1]:.0f} s ({value[0]} epochs)"


def table_lines(name: str, result: dict, summary: dict) -> list[str]:
    ours, theirs = result["gansynth"], result["ctgan"]
    lines = [
        f"## {name}: {result['rows']:,} rows, {result['columns']} columns",
        "",
        "| epochs | gansynth fit (s) | gansynth quality | ctgan fit (s) | ctgan quality |",
        "|---:|---:|---:|---:|---:|",
    ]
    for epochs in sorted(set(ours["quality"]) | set(theirs["quality"])):
        cells = []
        for engine in (ours, theirs):
            cells += (
                [f"{engine['fit_seconds'][epochs]:.0f}", f"{engine['quality'][epochs]:.4f}"]
                if epochs in engine["quality"]
                else ["", ""]
            )
        lines.append(f"| {epochs} | " + " | ".join(cells) + " |")
    best = summary["best_within_budget"]
    lines += [
        "",
        f"- Time to ctgan's {summary['target_epochs']}-epoch quality ({summary['target_quality']:.4f}), "
        "first checkpoint at or above it (no interpolation): gansynth "
        f"{_reached(summary['time_to_target']['gansynth'])}, ctgan "
        f"{_reached(summary['time_to_target']['ctgan'])}.",
        f"- Best quality within ctgan's {summary['budget_epochs']}-epoch fit time "
        f"({summary['budget_seconds']:.0f} s): gansynth "
        + (
            "none"
            if best["gansynth"] is None
            else f"{best['gansynth'][0]:.4f} ({best['gansynth'][1]} epochs)"
        )
        + ", ctgan "
        + ("none" if best["ctgan"] is None else f"{best['ctgan'][0]:.4f} ({best['ctgan'][1]} epochs)")
        + ".",
        f"- Training time per epoch: gansynth {ours['epoch_seconds']:.3f} s, ctgan "
        f"{theirs['epoch_seconds']:.3f} s, ratio {summary['epoch_ratio']:.3f}. Set-up before the first "
        f"epoch (transformer fit, encoding): gansynth {ours['setup_seconds']:.1f} s, ctgan "
        f"{theirs['setup_seconds']:.1f} s.",
        f"- QualityReport on {result['quality_rows']:,} real rows (sampled from the training table) vs as "
        f"many synthetic rows; median report time {ours['report_seconds_median']:.0f} s.",
        "",
    ]
    return lines


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("GANSYNTH_DATA_DIR", "../shared/datasets"))
    parser.add_argument("--tables", default=",".join(DEFAULT_TABLES), help="registered dataset names")
    parser.add_argument("--checkpoints", default=",".join(map(str, DEFAULT_CHECKPOINTS)), help="epoch counts")
    parser.add_argument(
        "--budget-epochs", type=int, default=100, help="ctgan checkpoint whose fit time is the budget"
    )
    parser.add_argument("--quality-rows", type=int, default=10_000)
    parser.add_argument(
        "--max-rows", type=int, default=None, help="train on the first rows only (smoke runs)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--out", default="benchmarks/results/time_to_quality.md")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    checkpoints = sorted({int(c) for c in args.checkpoints.split(",")})
    command = "python -m benchmarks time-to-quality " + " ".join(argv if argv is not None else sys.argv[1:])
    load_before = os.getloadavg()
    started = time.perf_counter()

    results, summaries = {}, {}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    for name in args.tables.split(","):
        print(f"{name} ...", flush=True)
        data = load_table(name, args.data_dir)
        if args.max_rows:
            data = data.head(args.max_rows)
        results[name] = measure_table(
            data, checkpoints, args.seed, args.quality_rows, log=lambda s: print(s, flush=True)
        )
        summaries[name] = summarize(results[name], args.budget_epochs)
    load_after = os.getloadavg()

    lines = [
        "# Time to quality: gansynth vs ctgan",
        "",
        f"Command: `{command}` (at commit {_commit()})  ",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs shared with other jobs (load average "
        f"{load_before[0]:.1f} at the start, {load_after[0]:.1f} at the end), torch {torch.__version__}, "
        f"{args.threads} torch threads; run took {time.perf_counter() - started:.0f} s.  ",
        "Setting: TabularGAN and ctgan.CTGAN with the same architecture (embedding 128, (256, 256) "
        f"generator and critic), batch 500, pac 10, seed {args.seed} (one training seed, one sampling "
        "seed). Each is trained once to the last checkpoint; the generator at each checkpoint is "
        "the one a fit with that many epochs gives. Fit time counts from the call to `fit` "
        "(transformer fit and encoding included) to the end of the checkpoint's epoch; "
        "sampling and quality reports are not counted.",
        "",
    ]
    for name in results:
        lines += table_lines(name, results[name], summaries[name])
    report = "\n".join(lines)
    print(report)
    out.write_text(report)
    out.with_suffix(".json").write_text(
        json.dumps({"command": command, "results": results, "summaries": summaries}, indent=2, default=str)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
