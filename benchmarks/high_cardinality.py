"""High-cardinality categorical columns: peak memory, epoch time and fidelity of each representation.

Usage::

    nice -n 10 python -m benchmarks cardinality --out benchmarks/results/high_cardinality.md

Each case runs in a child process of its own, so that its peak resident memory is its own. What
the options are and how each figure is measured is in ``_OPTIONS_TEXT``, which the report repeats.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
import warnings
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import torch

_OPTIONS_TEXT = """Options:

- `grouped`: `TabularGAN(max_categories=K)`, the package's representation. The K - 1 most
  frequent levels seen twice or more keep a slot; the rest share one "other" slot, expanded at
  the grouped levels' training frequencies.
- `hashed`: the levels hashed (CRC-32) into K buckets before fitting, each generated bucket
  expanded at its levels' training frequencies (implemented in this script only).
- `identifier`: `max_categories=1`: no level modelled, every value resampled at its training
  frequency.
- `none`: `max_categories=None`, the old one-hot over every level.

Cost cases use the issue's table (L distinct strings, the first ones repeated to fill the rows,
plus one normal column), batch 500, pac 10, default network widths, one torch thread, each case
in a child process of its own. Peak RSS is the child's `ru_maxrss` over building the table,
fitting one epoch, sampling 10,000 rows, saving and loading the model; "table alone" is the same
measure right after building the table (interpreter, torch and pandas included). The epoch time
is the median step time times the steps per epoch; only the first `--steps` steps of the epoch
are run and timed, the rest are skipped (the memory peak does not depend on them). Setup is
the rest of `fit`: column specs, mixtures, encoding, networks."""


# ----------------------------------------------------------------------------- tables


def issue_table(levels: int, rows: int, seed: int = 0) -> pd.DataFrame:
    pool = [f"id_{i}" for i in range(levels)]
    values = (pool * (rows // levels + 1))[:rows]
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"x": rng.normal(size=rows), "k": values})


def skewed_table(levels: int, rows: int, seed: int = 0) -> pd.DataFrame:
    """Zipf(1.1) levels; the 50 most frequent shift x by (rank mod 5), the rest leave it N(0, 1)."""
    rng = np.random.default_rng(seed)
    p = 1 / np.arange(1, levels + 1) ** 1.1
    rank = rng.choice(levels, size=rows, p=p / p.sum())
    x = rng.normal(size=rows) + np.where(rank < 50, rank % 5, 0)
    return pd.DataFrame({"x": x, "k": [f"id_{r}" for r in rank]})


# ----------------------------------------------------------------------------- options


class Hashed:
    """A column hashed into ``buckets`` labels before fitting, expanded after sampling."""

    def __init__(self, values: pd.Series, buckets: int):
        self.bucket_of = {v: f"h{zlib.crc32(str(v).encode()) % buckets}" for v in values.unique()}
        counts = values.value_counts()
        self.members = {}
        for level, count in counts.items():
            self.members.setdefault(self.bucket_of[level], []).append((level, count))

    def encode(self, values: pd.Series) -> pd.Series:
        return values.map(self.bucket_of)

    def expand(self, buckets: pd.Series, rng: np.random.Generator) -> pd.Series:
        out = np.empty(len(buckets), dtype=object)
        labels = buckets.to_numpy()
        for bucket in np.unique(labels):
            levels, counts = zip(*self.members[bucket])
            rows = np.flatnonzero(labels == bucket)
            p = np.asarray(counts, dtype=float)
            out[rows] = np.asarray(levels, dtype=object)[
                rng.choice(len(levels), size=len(rows), p=p / p.sum())
            ]
        return pd.Series(out, name=buckets.name)


def fit_and_sample(option: str, k: int, frame: pd.DataFrame, params: dict, n_sample: int):
    from gansynth import TabularGAN

    max_categories = {"grouped": k, "hashed": None, "identifier": 1, "none": None}[option]
    hashed = Hashed(frame["k"], k) if option == "hashed" else None
    train = frame.assign(k=hashed.encode(frame["k"])) if hashed else frame
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = TabularGAN(**params, max_categories=max_categories).fit(train)
    start = time.perf_counter()
    rows = model.sample(n_sample, random_state=1)
    if hashed:
        rows["k"] = hashed.expand(rows["k"], np.random.default_rng(1))
    sample_s = time.perf_counter() - start
    notes = [str(w.message) for w in caught if "max_categories" in str(w.message)]
    return model, rows, sample_s, notes


# ----------------------------------------------------------------------------- children


def _time_steps(max_steps: int) -> list[float]:
    """Time the first ``max_steps`` training steps; skip the rest (their losses repeat the last)."""
    from gansynth.tabular import training

    real_step, times = training.train_step, []

    def step(*args, **kwargs):
        if len(times) >= max_steps:
            return step.last
        start = time.perf_counter()
        step.last = real_step(*args, **kwargs)
        times.append(time.perf_counter() - start)
        return step.last

    training.train_step = step
    return times


def cost_child(spec: dict) -> dict:
    import tempfile

    import torch._dynamo  # noqa: F401  (imported by the first optimiser: kept out of the setup time)

    import gansynth

    torch.set_num_threads(1)
    frame = issue_table(spec["levels"], spec["rows"])
    table_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    times = _time_steps(spec["steps"])
    params = dict(epochs=1, batch_size=500, pac=10, verbose=False, random_state=0, torch_threads=1)
    start = time.perf_counter()
    model, rows, sample_s, notes = fit_and_sample(spec["option"], spec["k"], frame, params, 10_000)
    fit_s = time.perf_counter() - start - sample_s
    steps_per_epoch = max(1, len(frame) // 500)
    step_s = float(np.median(times))
    with tempfile.TemporaryDirectory() as folder:
        path = model.save(Path(folder) / "m.gsyn")
        start = time.perf_counter()
        loaded = gansynth.load(path)
        load_s = time.perf_counter() - start
        file_mb = path.stat().st_size / 2**20
        same = loaded.sample(1000, random_state=2)["k"].equals(model.sample(1000, random_state=2)["k"])
    return dict(
        spec,
        generator_params=sum(p.numel() for p in model.generator_.parameters()),
        critic_params=sum(p.numel() for p in model.discriminator_.parameters()),
        table_mb=table_mb,
        peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        setup_s=fit_s - sum(times),
        steps_timed=len(times),
        step_s=step_s,
        epoch_s=step_s * steps_per_epoch,
        steps_per_epoch=steps_per_epoch,
        sample_s=sample_s,
        real_values=bool(rows["k"].isin(set(frame["k"])).all()),
        file_mb=file_mb,
        load_s=load_s,
        loaded_samples_same=bool(same),
        warning=notes[0] if notes else "",
    )


def fidelity_child(spec: dict) -> dict:
    torch.set_num_threads(1)
    frame = skewed_table(spec["levels"], spec["rows"], seed=spec["seed"])
    params = dict(
        epochs=spec["epochs"],
        generator_dim=(spec["width"], spec["width"]),
        discriminator_dim=(spec["width"], spec["width"]),
        batch_size=500,
        pac=10,
        verbose=False,
        random_state=spec["seed"],
        torch_threads=1,
    )
    start = time.perf_counter()
    model, rows, _, _ = fit_and_sample(spec["option"], spec["k"], frame, params, len(frame))
    real, fake = frame["k"].value_counts(normalize=True), rows["k"].value_counts(normalize=True)
    top = real.index[:20]
    shift = frame.groupby("k")["x"].mean()
    fake_shift = rows.groupby("k")["x"].mean().reindex(top)
    noise = (
        frame["k"].sample(len(frame), replace=True, random_state=spec["seed"]).value_counts(normalize=True)
    )
    return dict(
        spec,
        fit_s=time.perf_counter() - start,
        noise_tvd=0.5 * float(real.sub(noise, fill_value=0).abs().sum()),
        level_tvd=0.5 * float(real.sub(fake, fill_value=0).abs().sum()),
        top20_share_error=float((fake.reindex(top, fill_value=0) - real[top]).abs().sum()),
        top20_mean_x_error=float((fake_shift - shift[top]).abs().mean()),
        independent_mean_x_error=float((rows["x"].mean() - shift[top]).abs().mean()),
        real_values=bool(rows["k"].isin(set(frame["k"])).all()),
    )


def run_child(kind: str, spec: dict) -> dict:
    command = [sys.executable, "-m", "benchmarks.high_cardinality", "--child", kind, json.dumps(spec)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        return dict(spec, error=(done.stderr.strip().splitlines() or ["?"])[-1])
    return json.loads(done.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------- report


def _cost_table(results: list[dict]) -> list[str]:
    lines = [
        "| levels | rows | option | K | generator params | critic params | peak RSS (MB) | table alone (MB) "
        "| setup (s) | median step (s) | epoch (s) | sample 10k (s) | real values | file (MB) | load (s) "
        "| reloaded samples equal |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if "error" in r:
            lines.append(
                f"| {r['levels']:,} | {r['rows']:,} | {r['option']} | {r['k']} | failed: {r['error']} |"
            )
            continue
        lines.append(
            f"| {r['levels']:,} | {r['rows']:,} | {r['option']} | {r['k']} | {r['generator_params']:,} "
            f"| {r['critic_params']:,} | {r['peak_mb']:,.0f} | {r['table_mb']:,.0f} | {r['setup_s']:.1f} "
            f"| {r['step_s']:.3f} | {r['epoch_s']:.0f} "
            f"({r['steps_timed']} of {r['steps_per_epoch']} steps timed) "
            f"| {r['sample_s']:.1f} | {r['real_values']} | {r['file_mb']:.1f} | {r['load_s']:.1f} "
            f"| {r['loaded_samples_same']} |"
        )
    return lines


def _fidelity_table(results: list[dict]) -> list[str]:
    lines = [
        "| option | K | seed | fit (s) | level TVD | TVD of a resample of the real rows "
        "| top-20 share error | top-20 mean-x error "
        "| same, x independent of level | real values |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['option']} | {r['k']} | {r['seed']} | failed: {r['error']} |")
            continue
        lines.append(
            f"| {r['option']} | {r['k']} | {r['seed']} | {r['fit_s']:.0f} | {r['level_tvd']:.3f} "
            f"| {r['noise_tvd']:.3f} "
            f"| {r['top20_share_error']:.3f} | {r['top20_mean_x_error']:.3f} "
            f"| {r['independent_mean_x_error']:.3f} | {r['real_values']} |"
        )
    return lines


def _run_part(part: str, args) -> list[dict]:
    def cost(levels, rows, option, k, steps=args.steps):
        result = run_child("cost", dict(levels=levels, rows=rows, option=option, k=k, steps=steps))
        print(json.dumps(result), flush=True)
        return result

    if part == "cost":
        results = [cost(5_000, 60_000, "none", 5_000, steps=10)]
        for levels, rows in ((50_000, 60_000), (500_000, 600_000)):
            results += [cost(levels, rows, option, args.k) for option in ("grouped", "hashed")]
            results.append(cost(levels, rows, "identifier", 1))
        return results
    if part == "sweep":
        return [cost(50_000, 60_000, "grouped", int(k), steps=20) for k in args.sweep.split(",")]
    results = []
    for seed in range(args.seeds):
        for option, k in (("grouped", args.fidelity_k), ("hashed", args.fidelity_k), ("identifier", 1)):
            spec = dict(
                levels=2_000,
                rows=10_000,
                option=option,
                k=k,
                epochs=args.fidelity_epochs,
                seed=seed,
                width=128,
            )
            results.append(run_child("fidelity", spec))
            print(json.dumps(results[-1]), flush=True)
    return results


def _report(saved: dict) -> list[str]:
    lines = ["# High-cardinality categorical columns", "", _OPTIONS_TEXT, ""]
    titles = {
        "cost": "Cost: the issue's tables",
        "sweep": "Step time against K (50,000 levels, 60,000 rows, grouped)",
        "fidelity": "Fidelity: 2,000 Zipf levels in 10,000 rows",
    }
    for part, title in titles.items():
        if part not in saved:
            continue
        run = saved[part]
        lines += [f"## {title}", "", f"Command: `{run['command']}`", "", run["machine"], ""]
        if part == "fidelity":
            lines += [_FIDELITY_TEXT, "", *_fidelity_table(run["results"]), ""]
        else:
            lines += [*_cost_table(run["results"]), ""]
    return lines


_FIDELITY_TEXT = """Each option is trained long enough to learn something (the `--fidelity-epochs` given,
batch 500, pac 10, networks of width 128) at `--fidelity-k` slots, and samples as many rows as the
table. The 50 most frequent of the Zipf(1.1) levels shift x by their rank mod 5. Level TVD: total
variation between the real and synthetic level frequencies over all levels, next to the TVD of a
bootstrap resample of the real rows (the noise floor). Top-20 share error: summed absolute error
of the 20 most frequent levels' shares. Top-20 mean-x error: mean absolute error of x's mean
within those levels, next to the error of a generator that ignores the level."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks cardinality", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--out", default="benchmarks/results/high_cardinality.md")
    parser.add_argument(
        "--parts", default="cost,sweep,fidelity", help="parts to run; the others are kept from --out's JSON"
    )
    parser.add_argument("--k", type=int, default=500, help="slots for grouped and hashed (the default)")
    parser.add_argument("--steps", type=int, default=120, help="training steps timed per cost case")
    parser.add_argument("--sweep", default="1,100,250,500,1000,2000", help="K values of the step-time sweep")
    parser.add_argument("--fidelity-k", type=int, default=50)
    parser.add_argument("--fidelity-epochs", type=int, default=100)
    parser.add_argument("--seeds", type=int, default=3, help="seeds of the fidelity table")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "SPEC"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child = {"cost": cost_child, "fidelity": fidelity_child}[args.child[0]]
        print(json.dumps(child(json.loads(args.child[1]))))
        return 0
    # Raw results live next to the report, so that one part can be rerun and the report rebuilt.
    store = Path(args.out).with_suffix(".json")
    saved = json.loads(store.read_text()) if store.is_file() else {}
    command = f"nice -n 10 python -m benchmarks cardinality {' '.join(argv or sys.argv[1:])}".rstrip()
    for part in args.parts.split(","):
        results = _run_part(part, args)
        saved[part] = dict(command=command, machine=_machine(), results=results)
        store.write_text(json.dumps(saved, indent=1))
    Path(args.out).write_text("\n".join(_report(saved)))
    print(f"wrote {args.out} and {store}")
    return 0


def _machine() -> str:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"Machine: {platform.machine()}, {os.cpu_count()} cores shared with other jobs (load average "
        f"{load} at the end of this part), one torch thread per case: compare ratios within a table, "
        "not absolute times."
    )


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
