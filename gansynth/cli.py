"""The ``gansynth`` command line.

Each subcommand is one ``_add_<name>(subparsers)`` function that builds its parser and sets a
``handler``; :data:`_SUBCOMMANDS` lists them in help order. Handlers raise :class:`CLIError` (or
``ValueError``/``TypeError`` from the library) for bad input, which :func:`main` prints as one
clear line and exit status 2, without a traceback.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import pandas as pd

# Object columns whose every value starts like an ISO date are read as datetimes.
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?([+-]\d{2}:?\d{2}|Z)?$")


class CLIError(Exception):
    """A user-facing error: printed without a traceback."""


# ----------------------------------------------------------------- table I/O
def read_table(path) -> pd.DataFrame:
    """Read a CSV or Parquet file (by extension), parsing ISO-date text columns as datetimes."""
    path = Path(path)
    if not path.is_file():
        raise CLIError(f"file not found: {path}")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path)
    except ImportError as exc:
        raise CLIError(f"cannot read {path}: {exc} (install gansynth[parquet] for Parquet)") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError, OSError) as exc:
        raise CLIError(f"cannot read {path} as a table: {exc}") from None
    for column in frame.columns:
        if frame[column].dtype == object:
            values = frame[column].dropna()
            if len(values) and values.map(lambda v: isinstance(v, str) and bool(_ISO_DATE.match(v))).all():
                frame[column] = pd.to_datetime(frame[column], format="ISO8601")
    return frame


def write_table(frame: pd.DataFrame, path) -> None:
    """Write CSV, or Parquet for ``.parquet``/``.pq``; ``-`` writes CSV to standard output."""
    if str(path) == "-":
        frame.to_csv(sys.stdout, index=False)
        return
    path = Path(path)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() in (".parquet", ".pq"):
        try:
            frame.to_parquet(path, index=False)
        except ImportError as exc:
            raise CLIError(f"cannot write Parquet: {exc} (install gansynth[parquet])") from None
    else:
        frame.to_csv(path, index=False)


def parse_conditions(pairs, model) -> dict:
    """Turn ``["col=value", ...]`` into ``{col: category}`` using the model's own categories."""
    conditions = {}
    specs = {str(spec.name): spec for spec in model.columns_}
    for pair in pairs or []:
        if "=" not in pair:
            raise CLIError(f"--condition expects column=value; got {pair!r}")
        name, text = pair.split("=", 1)
        if name not in specs:
            raise CLIError(f"unknown condition column {name!r}; the columns are {list(specs)}")
        spec = specs[name]
        if not spec.is_discrete:
            raise CLIError(
                f"cannot condition on column {name!r}: it is {spec.kind}, not boolean or categorical"
            )
        matches = [c for c in spec.categories if str(c) == text]
        if not matches:
            raise CLIError(
                f"unknown value {text!r} for column {name!r}; "
                f"known values: {[str(c) for c in spec.categories]}"
            )
        conditions[spec.name] = matches[0]
    return conditions


# ------------------------------------------------------------------ commands
def _tabular_options(parser) -> None:
    parser.add_argument(
        "--epochs", type=int, default=None, help="training epochs (default: 300 for fit, 100 for the demo)"
    )
    parser.add_argument(
        "--batch-size", type=int, default=500, help="rows per step, a multiple of 10 (default: 500)"
    )
    parser.add_argument("--discrete", default=None, help="comma-separated columns to treat as categorical")
    parser.add_argument("--seed", type=int, default=None, help="random seed for reproducible output")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _fit_model(frame: pd.DataFrame, args, default_epochs: int):
    from gansynth import TabularGAN

    model = TabularGAN(
        epochs=args.epochs or default_epochs,
        batch_size=args.batch_size,
        random_state=args.seed,
        verbose=not args.quiet,
    )
    discrete = [c.strip() for c in args.discrete.split(",")] if args.discrete else "auto"
    return model.fit(frame, discrete_columns=discrete)


def _run_fit(args) -> None:
    frame = read_table(args.data)
    model = _fit_model(frame, args, default_epochs=300)
    model.save(args.output)
    print(
        f"saved model of {frame.shape[0]} rows x {frame.shape[1]} columns to {args.output}", file=sys.stderr
    )


def _add_fit(subparsers) -> None:
    parser = subparsers.add_parser("fit", help="fit a TabularGAN on a CSV/Parquet table and save it")
    parser.add_argument("data", help="training table (.csv, or .parquet)")
    parser.add_argument("-o", "--output", required=True, help="model file to write, e.g. model.gsyn")
    _tabular_options(parser)
    parser.set_defaults(handler=_run_fit)


def _run_sample(args) -> None:
    import gansynth

    if args.model:
        if args.epochs or args.discrete:
            raise CLIError(
                "--epochs and --discrete apply only when fitting; a model is already given with -m"
            )
        model = gansynth.load(args.model)
    else:
        from gansynth.datasets import load_student_placements

        print(
            "no model given: fitting on the embedded student placements table (sdmetrics demo)",
            file=sys.stderr,
        )
        model = _fit_model(load_student_placements(), args, default_epochs=100)
    conditions = parse_conditions(args.condition, model)
    rows = model.sample(args.rows, conditions=conditions or None, random_state=args.seed)
    write_table(rows, args.output)
    if str(args.output) != "-":
        print(f"wrote {len(rows)} rows to {args.output}", file=sys.stderr)


def _add_sample(subparsers) -> None:
    parser = subparsers.add_parser(
        "sample", help="generate rows from a saved model (or, without -m, from the embedded default table)"
    )
    parser.add_argument("-m", "--model", default=None, help="model file from `gansynth fit`")
    parser.add_argument("--rows", type=int, required=True, help="number of rows to generate")
    parser.add_argument(
        "-o", "--output", default="-", help="output .csv or .parquet (default: CSV on stdout)"
    )
    parser.add_argument(
        "--condition", action="append", metavar="COL=VALUE", help="fix a discrete column's value (repeatable)"
    )
    _tabular_options(parser)
    parser.set_defaults(handler=_run_sample)


def _run_info(args) -> None:
    import gansynth

    model = gansynth.load(args.model)
    print(f"{type(model).__name__}: {len(model.columns_)} columns, trained {len(model.loss_history_)} epochs")
    for spec in model.columns_:
        detail = (
            f"{len(spec.categories)} categories"
            if spec.is_discrete
            else f"range [{spec.minimum:g}, {spec.maximum:g}]"
        )
        print(f"  {str(spec.name):<24} {spec.kind:<12} {spec.dtype:<16} NaN {spec.nan_rate:6.1%}  {detail}")


def _add_info(subparsers) -> None:
    parser = subparsers.add_parser("info", help="describe a saved tabular model's columns")
    parser.add_argument("model", help="model file")
    parser.set_defaults(handler=_run_info)


def _run_evaluate(args) -> None:
    from gansynth.evaluation import evaluate  # loads scikit-learn, SDMetrics and torch

    real = read_table(args.real)
    synthetic = read_table(args.synthetic)
    holdout = read_table(args.holdout) if args.holdout else None
    report = evaluate(
        real, synthetic, target=args.target, holdout=holdout, max_rows=args.max_rows, random_state=args.seed
    )
    print(report)
    if args.output:
        print(f"wrote {report.save_html(args.output)}", file=sys.stderr)
    if args.fail_on_flags and report.flags:
        raise SystemExit(1)


def _add_evaluate(subparsers) -> None:
    from gansynth.evaluation import DEFAULT_MAX_ROWS  # light: numpy/pandas only

    parser = subparsers.add_parser(
        "evaluate",
        help="compare a synthetic table with the real one: fidelity, ML efficacy, privacy",
        description="Evaluate synthetic rows against real rows and print the summary table. Tables "
        "are CSV files (or .parquet). With --target, ML efficacy is measured as well; -o writes a "
        "self-contained HTML report with plots.",
    )
    parser.add_argument("real", help="real table (.csv or .parquet)")
    parser.add_argument("synthetic", help="synthetic table with the same columns")
    parser.add_argument("--target", default=None, help="column to predict for ML efficacy")
    parser.add_argument(
        "--holdout", default=None, help="real rows the generator never saw (default: split 30%% off REAL)"
    )
    parser.add_argument("-o", "--output", default=None, help="HTML report to write")
    parser.add_argument(
        "--max-rows",
        type=int,
        default=DEFAULT_MAX_ROWS,
        help=f"row sample bound for the costly metrics (default {DEFAULT_MAX_ROWS})",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--fail-on-flags",
        action="store_true",
        help="exit with status 1 when the report raises a flag (copies, low fidelity...)",
    )
    parser.set_defaults(handler=_run_evaluate)


def _add_images(subparsers) -> None:
    from gansynth.image.commands import add_subcommands  # fit-images / sample-images; torch loads on use

    add_subcommands(subparsers)


_SUBCOMMANDS = [_add_fit, _add_sample, _add_info, _add_evaluate, _add_images]


def build_parser() -> argparse.ArgumentParser:
    from gansynth import __version__

    parser = argparse.ArgumentParser(prog="gansynth", description="Synthetic data with conditional GANs.")
    parser.add_argument("--version", action="version", version=f"gansynth {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for add in _SUBCOMMANDS:
        add(subparsers)
    return parser


def main(argv=None) -> int:
    """Entry point of the ``gansynth`` console script."""
    from gansynth.persistence import ModelFileError

    args = build_parser().parse_args(argv)
    try:
        args.handler(args)
    except (CLIError, ModelFileError, FileNotFoundError, ValueError, TypeError) as exc:
        print(f"gansynth {args.command}: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
