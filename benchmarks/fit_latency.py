"""How long one ``GANOversampler`` fit takes, against SMOTE-NC, on real tables.

Usage::

    python -m benchmarks latency --data-dir ../shared/datasets --repeats 3
    python -m benchmarks latency --data-dir ../shared/datasets --baseline-root /tmp/main-copy

Each table is the training part (75%) of the downstream benchmark's first split, natural
setting. For each table and each gansynth checkout (this one, and ``--baseline-root`` if given:
a folder holding another version's ``gansynth`` package), a fresh Python process times:

- the first ``GANOversampler`` fit in that process (what a script or the CLI pays once: lazy
  imports and first-call set-up included), then ``--repeats`` more fits, seeds 0, 1, ...;
- the downstream harness's SMOTE family (SMOTE-NC here, as the columns require) as often.

Checkouts alternate table by table, so both see the same machine load. The report gives medians
over the repeats; a shared machine makes single timings noisy, ratios within one run less so.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from benchmarks._load import load_average_note

DEFAULT_DATASETS = ("yeast4", "seismic_bumps", "wilt", "hpc_data", "bank_additional", "credit_data")


def training_part(y):
    """Row indices of the downstream benchmark's first split's training part.

    The same split as ``benchmarks._cells.make_split(y, 0)``, rebuilt here because ``_cells``
    imports ``gansynth.comparison``, which an older gansynth timed by ``--baseline-root`` lacks.
    """
    import numpy as np
    from sklearn.model_selection import StratifiedShuffleSplit

    splitter = StratifiedShuffleSplit(n_splits=1, test_size=0.25, random_state=1000)
    return next(splitter.split(np.zeros(len(y)), y))[0]


def _training_table(dataset: str, data_dir: str):
    from benchmarks.datasets import dataset_spec, load_dataset

    X, y = load_dataset(dataset, data_dir=data_dir)
    y = (y == dataset_spec(dataset).positive).to_numpy().astype(int)
    train = training_part(y)
    return X.iloc[train].reset_index(drop=True), y[train]


def _time(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def measure(
    dataset: str, data_dir: str, repeats: int, with_smote: bool = True, augmented_cv: bool = False
) -> dict:
    """Timings of one table in this process (call it in a fresh one for a true first fit).

    ``with_smote=False`` leaves SMOTE-NC out: an older gansynth has no ``gansynth.comparison``,
    where the harness's SMOTE family lives, and SMOTE-NC does not depend on gansynth anyway.
    ``augmented_cv`` also times one ``AugmentedClassifierCV(HistGradientBoostingClassifier())``
    fit at its defaults (5 folds, a GANOversampler per fold, the refit).
    """
    import warnings

    warnings.simplefilter("ignore")
    X, y = _training_table(dataset, data_dir)
    start = time.perf_counter()
    from gansynth import GANOversampler  # the import is timed apart from the first fit

    import_seconds = time.perf_counter() - start
    fits, steps = [], None
    for seed in range(repeats + 1):
        sampler = GANOversampler(random_state=seed)
        fits.append(_time(lambda s=sampler: s.fit_resample(X, y)))
        steps = getattr(sampler, "training_steps_", None)
    smote_fits = []
    if with_smote:
        from gansynth.comparison.methods import smote_family

        smote_fits = [_time(lambda s=seed: smote_family(X, y, s)) for seed in range(repeats + 1)]
    cv_fit = {}
    if augmented_cv:
        from threadpoolctl import threadpool_limits

        from gansynth import AugmentedClassifierCV
        from gansynth.comparison.classifiers import as_imputable, make_classifier

        # The downstream benchmark's HistGradientBoosting: its preprocessing takes string columns.
        classifier = make_classifier("hist_gb", as_imputable(X), random_state=0)
        model = AugmentedClassifierCV(classifier, random_state=0)
        with threadpool_limits(1):  # the classifier on one thread, like the GAN's filter
            cv_fit["augmented_cv_s"] = _time(lambda: model.fit(as_imputable(X), y))
        cv_fit["augmented_cv_amount"] = model.best_params_["amount"]
        cv_fit["augmented_cv_sampler_s"] = model.mean_sampler_seconds_
    return {
        **cv_fit,
        "dataset": dataset,
        "rows": len(y),
        "columns": X.shape[1],
        "minority": int(y.sum()),
        "steps": ",".join(str(v) for v in steps.values()) if isinstance(steps, dict) else str(steps),
        "import_s": import_seconds,
        "first_fit_s": fits[0],
        "fits_s": fits[1:],
        "smote_s": smote_fits[1:],
    }


def _run_worker(name: str, root: str, dataset: str, data_dir: str, repeats: int, augmented_cv: bool) -> dict:
    """``measure`` in a fresh process whose ``gansynth`` comes from ``root``."""
    here = str(Path(__file__).resolve().parents[1])
    code = (
        "import json, sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]; "
        "from benchmarks.fit_latency import measure; "
        "current = sys.argv[6] == 'current'; cv = current and sys.argv[7] == '1'; "
        "print(json.dumps(measure(sys.argv[3], sys.argv[4], int(sys.argv[5]), current, cv)))"
    )
    env = {**os.environ, "PYTHONPATH": ""}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            root,
            here,
            dataset,
            data_dir,
            str(repeats),
            name,
            str(int(augmented_cv)),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if result.returncode:
        raise RuntimeError(f"{dataset} with gansynth from {root} failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _report(
    rows: list[dict],
    argv: list[str],
    started: str,
    minutes: float,
    baseline: bool,
    load_note: str,
) -> str:
    def med(values):
        return statistics.median(values)

    lines = [
        "# GANOversampler fit latency against SMOTE-NC",
        "",
        "Produced by (from the repository root):",
        "",
        f"    python -m benchmarks latency {shlex.join(argv)}   # started {started}, took {minutes:.0f} min",
        "",
        f"Machine: {os.cpu_count()} CPU cores ({platform.processor() or platform.machine()}), {load_note}. "
        "The machine is shared: single timings are noisy; compare within a row.",
        "",
        "Each table is the training part (75%) of the downstream benchmark's first split, natural setting. "
        "Times are seconds of wall clock for `fit_resample` (default `GANOversampler(random_state=seed)`, "
        "and the harness's SMOTE-NC/SMOTE/SMOTEN as the columns require). *median*: over the repeats after "
        "the first fit in a fresh process; *first*: that first fit, which pays one-off costs.",
        "",
    ]
    header = "| table | rows | columns | minority | GAN steps | SMOTE-NC median | GAN median | GAN first |"
    rule = "|---|---|---|---|---|---|---|---|"
    if baseline:
        header += " baseline median | baseline first | median speed-up |"
        rule += "---|---|---|"
    lines += [header, rule]
    current = [r for r in rows if r["root"] == "current"]
    for row in current:
        cells = [
            row["dataset"],
            f"{row['rows']:,}",
            str(row["columns"]),
            str(row["minority"]),
            row["steps"],
            f"{med(row['smote_s']):.2f}",
            f"{med(row['fits_s']):.1f}",
            f"{row['first_fit_s']:.1f}",
        ]
        if baseline:
            base = next(r for r in rows if r["root"] == "baseline" and r["dataset"] == row["dataset"])
            cells += [
                f"{med(base['fits_s']):.1f}",
                f"{base['first_fit_s']:.1f}",
                f"{med(base['fits_s']) / med(row['fits_s']):.2f}x",
            ]
        lines.append("| " + " | ".join(cells) + " |")
    with_cv = [r for r in current if "augmented_cv_s" in r]
    if with_cv:
        lines += [
            "",
            "AugmentedClassifierCV(HistGradientBoostingClassifier()) at its defaults (5 folds, the refit), "
            "one fit, against the median plain GANOversampler fit above:",
            "",
            "| table | AugmentedClassifierCV s | GAN median s | ratio | chosen amount | sampler s per fold |",
            "|---|---|---|---|---|---|",
        ]
        for row in with_cv:
            lines.append(
                f"| {row['dataset']} | {row['augmented_cv_s']:.1f} | {med(row['fits_s']):.1f} | "
                f"{row['augmented_cv_s'] / med(row['fits_s']):.1f}x | {row['augmented_cv_amount']:g} | "
                f"{row['augmented_cv_sampler_s']:.1f} |"
            )
    medians = [med(r["fits_s"]) for r in current]
    lines += [
        "",
        f"Median over the tables of the per-table medians: GANOversampler {med(medians):.1f} s, "
        f"SMOTE-NC {med([med(r['smote_s']) for r in current]):.2f} s; "
        f"{sum(m <= 5 for m in medians)} of {len(medians)} tables at 5 s or less.",
        "",
        "Raw timings (JSON lines, one per table and checkout):",
        "",
        "```",
        *[json.dumps(r) for r in rows],
        "```",
        "",
    ]
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks latency", description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default=os.environ.get("GANSYNTH_DATA_DIR"))
    parser.add_argument("--datasets", default=",".join(DEFAULT_DATASETS))
    parser.add_argument("--repeats", type=int, default=3, help="fits timed after the first (default 3)")
    parser.add_argument(
        "--baseline-root", help="folder holding another gansynth version to time in the same run"
    )
    parser.add_argument(
        "--augmented-cv",
        action="store_true",
        help="also time one AugmentedClassifierCV(HistGradientBoostingClassifier()) fit per table",
    )
    parser.add_argument("--out", default="benchmarks/results/fit_latency.md")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    if not args.data_dir or not Path(args.data_dir).is_dir():
        print(
            "error: pass --data-dir (a folder holding the dataset files) or set GANSYNTH_DATA_DIR",
            file=sys.stderr,
        )
        return 2
    data_dir = str(Path(args.data_dir).resolve())
    roots = {"current": str(Path(__file__).resolve().parents[1])}
    if args.baseline_root:
        roots["baseline"] = str(Path(args.baseline_root).resolve())
    started = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    clock, load_at_start = time.monotonic(), os.getloadavg()[0]
    rows = []
    for dataset in args.datasets.split(","):
        for name, root in roots.items():
            row = {
                "root": name,
                **_run_worker(name, root, dataset, data_dir, args.repeats, args.augmented_cv),
            }
            rows.append(row)
            print(
                f"{dataset} [{name}]: GAN median {statistics.median(row['fits_s']):.1f} s "
                f"(first {row['first_fit_s']:.1f} s)"
                + (f", SMOTE-NC {statistics.median(row['smote_s']):.2f} s" if row["smote_s"] else ""),
                flush=True,
            )
    minutes = (time.monotonic() - clock) / 60
    text = _report(rows, argv, started, minutes, "baseline" in roots, load_average_note(load_at_start))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text)
    print(f"report: {args.out}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
