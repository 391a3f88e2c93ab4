"""Downstream benchmark: does augmenting the training set help real classifiers on real test sets?

Usage::

    python -m benchmarks downstream --profile quick --data-dir ../shared/datasets --out /tmp/bench
    python -m benchmarks downstream --profile full --data-dir ../shared/datasets --jobs 2

The run is a grid of cells (dataset x setting x split x augmenter). Each finished cell is appended
to ``<out>/<stem>_runs.csv`` at once, so an interrupted ``full`` run resumes by skipping the
cells already there (failures included). The report (``<stem>.md`` and PNG plots) is rebuilt from
the CSV at the end, or alone with ``--report-only``.
"""

from __future__ import annotations

import argparse
import csv
import os
import shlex
import sys
import tempfile
import time
import warnings
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

from ._augmenters import AugmenterSpec, gan_oversampler_available, make_spec
from ._cells import RESULT_COLUMNS, Cell, Loader, RegistryLoader, cell_applies, run_cell
from ._report import write_report

ALL_DATASETS = (
    "yeast4",
    "flare_F",
    "car_good",
    "oil",
    "ozone_level",
    "seismic_bumps",
    "bank_additional",
    "credit_data",
    "hpc_data",
    "wilt",
    "mammography",
    "adult",
)
IMBALANCED_SETTINGS = ("natural", "ratio_1:20", "ratio_1:100")
LOW_DATA_SETTINGS = ("n_50", "n_100", "n_250", "n_500")


@dataclass(frozen=True)
class Profile:
    """What one run covers. ``augmenters`` maps a display name to factory options."""

    name: str
    datasets: tuple[str, ...]
    settings: tuple[str, ...]
    classifiers: tuple[str, ...]
    n_splits: int
    augmenters: dict = field(default_factory=dict)
    gan_variants: dict = field(default_factory=dict)
    # Tune decision thresholds (and score the *_tuned metrics) on inner folds of the training
    # rows. Off, a GANOversampler cell costs one GAN fit instead of one per fold plus one.
    tune: bool = True

    def augmenter_specs(self, include_gan: bool) -> list[AugmenterSpec]:
        specs = [make_spec(name, options) for name, options in self.augmenters.items()]
        if include_gan:
            specs += [make_spec(name, options) for name, options in self.gan_variants.items()]
        return specs


_CHEAP = {"none": {}, "RandomOverSampler": {}, "SMOTE": {}, "ADASYN": {}, "BorderlineSMOTE": {}}
# The baselines the literature asks for (class weights; thresholds tuned by CV are reported for
# every method) and the CV-chosen augmentation.
_BASELINES = {"class weights": {}}


def _gan_question(name: str, gan_variants: dict) -> Profile:
    """A profile that asks one question of GANOversampler variants, on three tables in a natural
    and a low-data setting: PR-AUC only, since thresholds are not tuned and each GAN cell costs
    one fit."""
    return Profile(
        name,
        datasets=("yeast4", "seismic_bumps", "wilt"),
        settings=("natural", "n_500"),
        classifiers=("logreg", "hist_gb"),
        n_splits=3,
        augmenters={"none": {}, "SMOTE": {}, **_BASELINES},
        gan_variants=gan_variants,
        tune=False,
    )


PROFILES = {
    "quick": Profile(
        "quick",
        datasets=("yeast4", "flare_F", "credit_data"),
        settings=("natural", "ratio_1:100", "n_100"),
        classifiers=("logreg", "hist_gb"),
        n_splits=2,
        augmenters={**_CHEAP, **_BASELINES, "GaussianCopula": {}},
        gan_variants={"GANOversampler": {"epochs": 5}, "AugmentedClassifierCV": {"epochs": 5}},
    ),
    # What fits a shared 2-core machine in about two hours with the GAN methods: the methods of
    # `gansynth compare` on the full profile's twelve tables, two imbalanced and two low-data
    # settings, three splits, two classifiers (benchmarks/results/baselines.md).
    "reduced": Profile(
        "reduced",
        datasets=ALL_DATASETS,
        settings=("natural", "ratio_1:100", "n_100", "n_250"),
        classifiers=("logreg", "hist_gb"),
        n_splits=3,
        augmenters={"none": {}, "RandomOverSampler": {}, "SMOTE": {}, **_BASELINES},
        gan_variants={"GANOversampler": {}, "AugmentedClassifierCV": {}},
    ),
    # Does the auxiliary classifier loss fix the joint GAN's drift, downstream
    # (benchmarks/results/auxiliary_loss.md)? PR-AUC only: thresholds are not tuned, so each GAN
    # cell costs one fit.
    "auxiliary": _gan_question(
        "auxiliary",
        {
            "GANOversampler": {},
            "GANOversampler[joint]": {"per_class": False},
            "GANOversampler[joint+aux]": {"per_class": False, "auxiliary_loss": True},
        },
    ),
    # Candidates for rows that carry more information, and for a cheaper fit (issue #13): the
    # per-class GANs' samples raked to their class's marginals (marginal calibration), and the
    # lazy gradient penalty (benchmarks/results/penalty_interval.md). PR-AUC only, as "auxiliary".
    "candidates": _gan_question(
        "candidates",
        {
            "GANOversampler": {},
            "GANOversampler[calibrated]": {"marginal_calibration": 2},
            "GANOversampler[lazy penalty]": {"penalty_interval": 4},
        },
    ),
    "full": Profile(
        "full",
        datasets=ALL_DATASETS,
        settings=IMBALANCED_SETTINGS + LOW_DATA_SETTINGS,
        classifiers=("logreg", "random_forest", "hist_gb", "mlp"),
        n_splits=5,
        # SDV defaults (300 epochs) as a user would run them.
        augmenters={**_CHEAP, **_BASELINES, "GaussianCopula": {}, "CTGAN": {}, "TVAE": {}},
        # GANOversampler's default: one GAN per class on its rows alone, and of twice the rows
        # needed the half a classifier finds most typical of the class. [joint...] train one
        # class-conditional GAN on all rows (the default until per-class GANs measured better).
        gan_variants={
            "GANOversampler": {},
            "AugmentedClassifierCV": {},
            "GANOversampler[unfiltered]": {"quality_filter": None},
            "GANOversampler[joint]": {"per_class": False},
            # The joint GAN with an auxiliary classifier loss on the class (AC-GAN, CTAB-GAN+).
            "GANOversampler[joint+aux]": {"per_class": False, "auxiliary_loss": True},
            "GANOversampler[joint+unfiltered]": {"per_class": False, "quality_filter": None},
            "GANOversampler[joint+nearest]": {"per_class": False, "quality_filter": "nearest"},
            # TabularGAN fitted on the minority rows alone, as the SDV synthesizers are here.
            "TabularGAN-minority": {},
            # Candidates one knob away from the default of their day. Only longer training beat it
            # (it became the per-class rule, ten steps a row); downstream_notes.md has the figures.
            "GANOversampler[filter x4]": {"filter_oversampling": 4.0},
            "GANOversampler[half]": {"sampling_strategy": 0.5},
            "GANOversampler[augment=1]": {"augment_ratio": 1.0},
            "GANOversampler[nearest]": {"quality_filter": "nearest"},
            "GANOversampler[epochs=1500]": {"epochs": 1500},
        },
    ),
}

MAIN_GAN = "GANOversampler"  # the default configuration; other gan_variants are variants of it
# The default configuration and the CV-chosen one; other gan_variants are variants of them.
MAIN_GANS = (MAIN_GAN, "AugmentedClassifierCV")
PRESENTATION_ORDER = [
    "none",
    "class weights",
    "RandomOverSampler",
    "SMOTE",
    "ADASYN",
    "BorderlineSMOTE",
    "GaussianCopula",
    "CTGAN",
    "TVAE",
    "GANOversampler",
    "AugmentedClassifierCV",
]


def plan_cells(profile: Profile, specs: list[AugmenterSpec], loader: Loader) -> list[Cell]:
    """Every applicable cell, cheap augmenters first and small datasets first within a tier."""
    blocks = []
    for dataset in profile.datasets:
        X, y = loader(dataset)
        for setting in profile.settings:
            for split in range(profile.n_splits):
                if cell_applies(X, y, setting, split):
                    blocks.append((len(y), dataset, setting, split))
    cells = []
    for tier in sorted({s.tier for s in specs}):
        tier_specs = [s for s in specs if s.tier == tier]
        for _, dataset, setting, split in sorted(blocks, key=lambda b: (b[0], b[3])):
            cells += [Cell(dataset, setting, split, s.name) for s in tier_specs]
    return cells


def done_keys(csv_path: Path) -> set[tuple]:
    if not csv_path.exists():
        return set()
    with csv_path.open(newline="") as handle:
        return {(r["dataset"], r["setting"], int(r["split"]), r["augmenter"]) for r in csv.DictReader(handle)}


def _append_rows(csv_path: Path, rows: list[dict]) -> None:
    new = not csv_path.exists()
    with csv_path.open("a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=RESULT_COLUMNS, extrasaction="ignore")
        if new:
            writer.writeheader()
        writer.writerows(rows)
        handle.flush()
        os.fsync(handle.fileno())


def _single_thread_worker() -> None:
    # Convergence and SDV warnings would drown the log; real failures are recorded in the CSV.
    warnings.simplefilter("ignore")
    # The machine is shared: one BLAS/torch thread per process, parallelism comes from --jobs.
    # joblib (GANOversampler's per-column mixture fits) would otherwise start its own process
    # pool inside each worker; those pools also kept the workers from exiting at the end.
    os.environ["LOKY_MAX_CPU_COUNT"] = "1"
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:  # pragma: no cover
        pass
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover
        pass


def run(
    profile: Profile,
    loader: Loader,
    out_dir,
    *,
    jobs: int = 1,
    stem: str = "downstream",
    include_gan: bool | None = None,
    time_budget_s: float | None = None,
    report_profile: Profile | None = None,
    cache_dir: str | None = None,
    log=print,
) -> Path:
    """Run (or resume) the profile, checkpointing to ``<out_dir>/<stem>_runs.csv``; returns the report path.

    ``report_profile`` (default: ``profile``) is what the report counts as planned, so a run
    restricted to some datasets or augmenters still reports coverage of the whole profile.
    ``cache_dir`` keeps the GAN draws GANOversampler's threshold tuning and AugmentedClassifierCV
    share (see ``run_cell``); None shares nothing.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path = out_dir / f"{stem}_runs.csv"
    if include_gan is None:
        include_gan = gan_oversampler_available()
    specs = {s.name: s for s in profile.augmenter_specs(include_gan)}
    cells = plan_cells(profile, list(specs.values()), loader)
    done = done_keys(csv_path)
    pending = [c for c in cells if c.key not in done]
    log(
        f"{len(cells)} cells planned, {len(cells) - len(pending)} already done, {len(pending)} to run "
        f"with {jobs} job(s); GANOversampler {'included' if include_gan else 'not importable: left out'}"
    )

    deadline = time.monotonic() + time_budget_s if time_budget_s else None
    finished = 0
    if jobs <= 1:
        _single_thread_worker()
        for cell in pending:
            if deadline and time.monotonic() > deadline:
                log("time budget reached; stopping (rerun to resume)")
                break
            _append_rows(
                csv_path,
                run_cell(cell, loader, specs[cell.augmenter], profile.classifiers, cache_dir, profile.tune),
            )
            finished += 1
    else:
        finished = _run_parallel(pending, loader, specs, profile, csv_path, jobs, deadline, log, cache_dir)
    log(f"{finished} cells run this time")

    return report(report_profile or profile, loader, out_dir, stem=stem, include_gan=include_gan)


def report(
    profile: Profile, loader: Loader, out_dir, *, stem: str = "downstream", include_gan: bool | None = None
) -> Path:
    """Rebuild ``<stem>.md`` and the plots from the CSV, counting coverage against ``profile``."""
    out_dir = Path(out_dir)
    if include_gan is None:
        include_gan = gan_oversampler_available()
    cells = plan_cells(profile, profile.augmenter_specs(include_gan), loader)
    done = done_keys(out_dir / f"{stem}_runs.csv")
    # The main grid is every augmenter but the GANOversampler variants, which are run on the
    # subsets where they answer a question; their coverage is reported apart.
    is_main = {c.augmenter: c.augmenter in profile.augmenters or c.augmenter in MAIN_GANS for c in cells}
    main = [c for c in cells if is_main[c.augmenter]]
    variants = [c for c in cells if not is_main[c.augmenter]]
    commands_file = out_dir / f"{stem}_commands.txt"
    commands = commands_file.read_text().splitlines() if commands_file.exists() else []
    header = _header(
        profile,
        commands,
        include_gan,
        len(main),
        len({c.key for c in main} & done),
        len(variants),
        len({c.key for c in variants} & done),
    )
    return write_report(
        out_dir / f"{stem}_runs.csv", out_dir, stem, header, PRESENTATION_ORDER, planned_cells=len(cells)
    )


def _run_parallel(pending, loader, specs, profile, csv_path, jobs, deadline, log, cache_dir) -> int:
    import multiprocessing

    finished = 0
    queue = list(pending)
    # spawn, not fork: workers must not inherit torch's thread pools or the parent's locks.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_single_thread_worker) as pool:
        running = {}
        while queue or running:
            while queue and len(running) < 2 * jobs and not (deadline and time.monotonic() > deadline):
                cell = queue.pop(0)
                future = pool.submit(
                    run_cell,
                    cell,
                    loader,
                    specs[cell.augmenter],
                    profile.classifiers,
                    cache_dir,
                    profile.tune,
                )
                running[future] = cell
            if not running:
                log("time budget reached; stopping (rerun to resume)")
                break
            completed, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in completed:
                cell = running.pop(future)
                try:
                    rows = future.result()
                except Exception as error:  # noqa: BLE001 - a crashed worker is a recorded failure
                    rows = [
                        {
                            "dataset": cell.dataset,
                            "setting": cell.setting,
                            "split": cell.split,
                            "augmenter": cell.augmenter,
                            "classifier": c,
                            "status": "failed",
                            "error": f"worker: {type(error).__name__}: {error}"[:300],
                        }
                        for c in profile.classifiers
                    ]
                _append_rows(csv_path, rows)
                finished += 1
                if finished % 25 == 0:
                    log(f"  {finished} cells finished ({len(queue)} queued)")
    return finished


def _header(
    profile: Profile,
    commands: list[str],
    include_gan: bool,
    planned: int,
    done: int,
    variants_planned: int = 0,
    variants_done: int = 0,
) -> list[str]:
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    status = "complete" if done >= planned else f"PARTIAL: {done} of {planned} planned cells finished"
    if variants_planned:
        status += (
            f" for the main augmenters; GANOversampler variants: {variants_done} of "
            f"{variants_planned} cells, run where they answer a question"
        )
    produced = ["Produced by these commands, run from the repository root (each resumes the same CSV):", ""]
    produced += [f"    {line}" for line in commands] if commands else ["    (the benchmarks.downstream API)"]
    return [
        f"# Downstream benchmark ({profile.name} profile)",
        "",
        *produced,
        "",
        f"Report written {now}; status: **{status}**.",
        "GANOversampler: "
        + ("planned" if include_gan else "not importable when the report was written, so not planned")
        + ".",
        "",
        "Method: stratified 75/25 split per repeat; the test part is real and untouched. Settings "
        "reshape the training part only (`ratio_1:R`: all majority rows, minority cut to one per R; "
        "`n_N`: stratified subset of N rows; at least 2 minority rows are always kept). "
        "Augmenters grow the minority to the "
        "majority count. `SMOTE` means SMOTE, SMOTENC or SMOTEN as the columns require, after median / "
        "most-frequent imputation, with k_neighbors shrunk to minority size − 1; ADASYN and "
        "BorderlineSMOTE run on one-hot encoded categoricals, decoded by arg-max. SDV synthesizers "
        "(GaussianCopula, CTGAN, TVAE; SDV defaults) are fitted on the minority rows only and sampled to "
        'the missing count. `class weights`: no resampling, classes weighted as `class_weight="balanced"` '
        "(balanced sample weights for the MLP). `AugmentedClassifierCV`: each classifier wrapped, choosing "
        "by inner CV on the training rows (average precision) how much of GANOversampler's output to add, "
        "none included. Classifiers share one preprocessing (impute, scale, one-hot); F1, balanced "
        "accuracy and G-mean use the 0.5 threshold, and `*_tuned` the threshold that maximised that metric "
        "on held-out training rows: 3 stratified folds of the training rows (fewer for a smaller minority), "
        "the method applied to each fold's training part (resampling and GANs included), as "
        "TunedThresholdClassifierCV tunes it. PR-AUC is average precision. The multi-class hpc_data "
        "is binarised as class L (minority) vs the rest.",
        "",
        *(
            []
            if profile.tune
            else ["This profile tunes no thresholds: the `*_tuned` metrics are not measured (NaN).", ""]
        ),
    ]


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    parser = parser or argparse.ArgumentParser(
        prog="python -m benchmarks downstream", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--profile", choices=sorted(PROFILES), default="quick")
    parser.add_argument(
        "--data-dir",
        default=os.environ.get("GANSYNTH_DATA_DIR"),
        help="folder with the dataset files (default: $GANSYNTH_DATA_DIR)",
    )
    parser.add_argument(
        "--out", default="benchmarks/results", help="output folder (default: benchmarks/results)"
    )
    parser.add_argument(
        "--jobs", type=int, default=1, help="parallel worker processes (each single-threaded)"
    )
    parser.add_argument("--datasets", help="comma-separated subset of the profile's datasets")
    parser.add_argument("--augmenters", help="comma-separated subset of the profile's augmenters to run now")
    parser.add_argument("--settings", help="comma-separated subset of the profile's settings to run now")
    parser.add_argument("--splits", type=int, help="override the number of repeated splits")
    parser.add_argument(
        "--time-budget",
        type=float,
        metavar="MINUTES",
        help="stop starting new cells after this long; rerun to resume",
    )
    parser.add_argument("--no-gan", action="store_true", help="leave GANOversampler out even if importable")
    parser.add_argument("--report-only", action="store_true", help="rebuild the report from the existing CSV")
    parser.add_argument(
        "--cache-dir",
        default=str(Path(tempfile.gettempdir()) / "gansynth-downstream-cache"),
        help="GAN draws shared by GANOversampler's threshold tuning and AugmentedClassifierCV",
    )
    return parser


def _names(given: str, known, kind: str, where: str) -> list[str] | None:
    """The comma-separated names in ``given``; None, after saying which, if any is not in ``known``."""
    wanted = given.split(",")
    unknown = [name for name in wanted if name not in known]
    if unknown:
        print(f"error: {kind} {unknown} are not in {where}: {', '.join(known)}", file=sys.stderr)
        return None
    return wanted


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    if not args.data_dir:
        print("error: pass --data-dir or set GANSYNTH_DATA_DIR", file=sys.stderr)
        return 2
    if not Path(args.data_dir).is_dir():
        print(f"error: data directory {args.data_dir} does not exist", file=sys.stderr)
        return 2
    profile = PROFILES[args.profile]
    in_profile = f"the {profile.name} profile"
    if args.datasets:
        wanted = _names(args.datasets, ALL_DATASETS, "datasets", "the benchmark")
        if wanted is None:
            return 2
        profile = replace(profile, datasets=tuple(wanted))
    if args.augmenters:
        wanted = _names(
            args.augmenters, {**profile.augmenters, **profile.gan_variants}, "augmenters", in_profile
        )
        if wanted is None:
            return 2
        profile = replace(
            profile,
            augmenters={a: o for a, o in profile.augmenters.items() if a in wanted},
            gan_variants={a: o for a, o in profile.gan_variants.items() if a in wanted},
        )
    if args.settings:
        wanted = _names(args.settings, profile.settings, "settings", in_profile)
        if wanted is None:
            return 2
        profile = replace(profile, settings=tuple(wanted))
    if args.splits:
        profile = replace(profile, n_splits=args.splits)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(var, "1")  # inherited by spawned workers before numpy loads
    stem = {"full": "downstream", "reduced": "baselines"}.get(profile.name, f"downstream_{profile.name}")
    loader = RegistryLoader(str(Path(args.data_dir).resolve()))
    include_gan = False if args.no_gan else None
    report_profile = replace(PROFILES[args.profile], n_splits=profile.n_splits)
    if args.report_only:
        path = report(report_profile, loader, args.out, stem=stem, include_gan=include_gan)
    else:
        Path(args.out).mkdir(parents=True, exist_ok=True)
        with (Path(args.out) / f"{stem}_commands.txt").open("a") as handle:
            started = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
            handle.write(f"python -m benchmarks downstream {shlex.join(argv)}   # started {started}\n")
        path = run(
            profile,
            loader,
            args.out,
            jobs=args.jobs,
            stem=stem,
            include_gan=include_gan,
            time_budget_s=args.time_budget * 60 if args.time_budget else None,
            report_profile=report_profile,
            cache_dir=args.cache_dir,
        )
    print(f"report: {path}")
    return 0


__all__ = ["PROFILES", "Profile", "main", "plan_cells", "report", "run"]

if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
