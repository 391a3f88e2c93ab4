"""The ``gansynth fit``, ``gansynth sample`` and ``gansynth info`` subcommands (tabular models).

The model classes load torch, so handlers import them when they run, keeping ``gansynth --help``
fast.
"""

from __future__ import annotations

import os
import sys

import pandas as pd

from gansynth.cli.errors import CLIError
from gansynth.cli.options import calibration_factor, epochs, max_categories, non_negative_int, positive_int
from gansynth.cli.outputs import TABLE_SUFFIXES, check_output, make_parents
from gansynth.io.tables import read_table


def add_subcommands(subparsers) -> None:
    """Add ``fit``, ``sample`` and ``info`` to an argparse subparsers object."""
    _add_fit(subparsers)
    _add_sample(subparsers)
    _add_info(subparsers)


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
        known = spec.categories if spec.is_discrete else _derived_values(model, spec.name)
        if known is None:  # a numeric column: the model checks that the value is one of its spikes
            conditions[spec.name] = _numeric_value(spec, name, text)
            continue
        matches = [c for c in known if str(c) == text or _same_number(c, text)]
        if not matches:
            raise CLIError(
                f"unknown value {text!r} for column {name!r}; known values: {[str(c) for c in known]}"
            )
        conditions[spec.name] = matches[0]
    return conditions


def _derived_values(model, name):
    """The values of a column derived from others (which can be a condition), or None."""
    records = getattr(model, "constraints_", [])
    derived = any(r.kind == "functional_dependency" and r.column == name for r in records)
    return model.condition_values(name) if derived else None


def _numeric_value(spec, name, text: str):
    """``text`` as a value of a numeric or datetime column: a whole number, a float, NaN or a date."""
    try:
        if text.strip().lower() in ("nan", ""):
            return float("nan")
        if spec.kind == "datetime":
            return pd.Timestamp(text)
        return int(text) if text.strip().lstrip("+-").isdigit() else float(text)
    except ValueError:
        wanted = "a date" if spec.kind == "datetime" else "a number"
        raise CLIError(f"--condition {name}={text}: {text!r} is not {wanted}") from None


def _same_number(value, text: str) -> bool:
    try:
        return isinstance(value, float) and value == float(text)
    except ValueError:
        return False


def _tabular_options(parser) -> None:
    parser.add_argument(
        "--epochs",
        type=epochs,
        default=None,
        help="training epochs, or 'auto' (the default: 300 for fit, 100 for the demo)",
    )
    parser.add_argument(
        "--batch-size", type=positive_int, default=500, help="rows per step, a multiple of 10 (default: 500)"
    )
    parser.add_argument("--discrete", default=None, help="comma-separated columns to treat as categorical")
    parser.add_argument(
        "--max-categories",
        type=max_categories,
        default=500,
        help="levels kept per categorical column, the rarest grouped as 'other'; 'none' keeps all (500)",
    )
    parser.add_argument(
        "--marginal-calibration",
        type=calibration_factor,
        default=None,
        metavar="K",
        help="candidate rows generated per sampled row, kept so that discrete columns' shares match "
        "the training rows; 1 is off (default: TabularGAN's for fit, the model's own for sample)",
    )
    parser.add_argument("--seed", type=int, default=None, help="random seed for reproducible output")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _fit_model(frame: pd.DataFrame, args, default_epochs: int):
    from gansynth.tabular.synthesizer import TabularGAN

    model = TabularGAN(
        epochs=default_epochs if args.epochs in (None, "auto") else args.epochs,
        batch_size=args.batch_size,
        max_categories=args.max_categories,
        random_state=args.seed,
        verbose=not args.quiet,
    )
    if args.marginal_calibration is not None:
        model.set_params(marginal_calibration=args.marginal_calibration)
    discrete = [c.strip() for c in args.discrete.split(",")] if args.discrete else "auto"
    return model.fit(frame, discrete_columns=discrete)


def _run_fit(args) -> None:
    check_output(args.output, "-o")
    frame = read_table(args.data)
    model = _fit_model(frame, args, default_epochs=300)
    # Under torchrun every worker holds the same model; only rank 0 writes it.
    if os.environ.get("RANK", "0") != "0":
        return
    model.save(make_parents(args.output))
    workers = f" by {model.world_size_} workers" if model.world_size_ > 1 else ""
    print(
        f"saved model of {frame.shape[0]} rows x {frame.shape[1]} columns{workers} to {args.output}",
        file=sys.stderr,
    )


def _add_fit(subparsers) -> None:
    parser = subparsers.add_parser("fit", help="fit a TabularGAN on a CSV/Parquet table and save it")
    parser.add_argument("data", help="training table (.csv, or .parquet)")
    parser.add_argument("-o", "--output", required=True, help="model file to write, e.g. model.gsyn")
    _tabular_options(parser)
    parser.set_defaults(handler=_run_fit)


def _run_sample(args) -> None:
    if args.partitions is not None or args.scheduler is not None:
        _run_sample_partitioned(args)
        return
    if str(args.output) != "-":
        check_output(args.output, "-o", TABLE_SUFFIXES)
    model = _sampling_model(args)
    conditions = parse_conditions(args.condition, model)
    model.sample_to(
        args.output,
        args.rows,
        chunk_size=args.chunk_size,
        conditions=conditions or None,
        random_state=args.seed,
    )
    if str(args.output) != "-":
        print(f"wrote {args.rows} rows to {args.output}", file=sys.stderr)


def _sampling_model(args):
    """The model given with -m, or one fitted on the embedded table without it."""
    from gansynth.models import load

    if not args.model:
        from gansynth.datasets import load_student_placements

        print(
            "no model given: fitting on the embedded student placements table (sdmetrics demo)",
            file=sys.stderr,
        )
        return _fit_model(load_student_placements(), args, default_epochs=100)
    if args.epochs is not None or args.discrete:
        raise CLIError("--epochs and --discrete apply only when fitting; a model is already given with -m")
    model = load(args.model)
    if not hasattr(model, "columns_"):
        raise CLIError(
            f"{printable(str(args.model))} holds an {type(model).__name__}, not a tabular model; "
            "use 'gansynth sample-images'"
        )
    if args.marginal_calibration is not None:
        model.set_params(marginal_calibration=args.marginal_calibration)
    return model


def _run_sample_partitioned(args) -> None:
    """``--partitions P``: a Parquet dataset of P partitions written by a Dask cluster."""
    if args.partitions is None:
        raise CLIError("--scheduler applies only with --partitions")
    if not args.model:
        raise CLIError("--partitions needs a model file (-m): every partition loads it")
    if args.marginal_calibration is not None:
        raise CLIError(
            "--marginal-calibration does not apply with --partitions: every partition samples with "
            "the model file's own setting (set it with 'gansynth fit --marginal-calibration K')"
        )
    if str(args.output) == "-":
        raise CLIError("--partitions writes a Parquet dataset: give its folder with -o")
    try:
        from gansynth.partitioned import check_output_folder, dask_client, require_dask, write_partitioned

        require_dask()
    except ImportError as exc:
        raise CLIError(str(exc)) from None
    conditions = parse_conditions(args.condition, _sampling_model(args))
    check_output_folder(args.output)  # before a cluster is started
    try:
        with dask_client(args.scheduler, n_workers=min(args.partitions, os.cpu_count() or 1)):
            write_partitioned(
                args.model,
                args.output,
                args.rows,
                args.partitions,
                conditions=conditions or None,
                random_state=args.seed,
                chunk_size=args.chunk_size,
            )
    except ConnectionError as exc:
        raise CLIError(str(exc)) from None
    print(f"wrote {args.rows} rows in {args.partitions} partitions to {args.output}", file=sys.stderr)


def _add_sample(subparsers) -> None:
    parser = subparsers.add_parser(
        "sample", help="generate rows from a saved model (or, without -m, from the embedded default table)"
    )
    parser.add_argument("-m", "--model", default=None, help="model file from `gansynth fit`")
    parser.add_argument("--rows", type=non_negative_int, required=True, help="number of rows to generate")
    parser.add_argument(
        "-o",
        "--output",
        default="-",
        help="output .csv or .parquet (default: CSV on stdout); with --partitions, a new folder",
    )
    parser.add_argument(
        "--condition",
        action="append",
        metavar="COL=VALUE",
        help="fix a column's value: a category, or a numeric column's spike value or NaN (repeatable)",
    )
    parser.add_argument(
        "--chunk-size",
        type=positive_int,
        default=100_000,
        help="rows generated and written at a time: memory follows it, not --rows (default: 100000)",
    )
    parser.add_argument(
        "--partitions",
        type=positive_int,
        default=None,
        metavar="P",
        help="write a Parquet dataset of P partitions with Dask (needs gansynth[distributed])",
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="with --partitions: a running Dask scheduler (default: a local cluster)",
    )
    _tabular_options(parser)
    parser.set_defaults(handler=_run_sample)


def printable(value) -> str:
    """``str(value)`` with control and other non-printable characters escaped, safe for a terminal."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in str(value))


def _run_info(args) -> None:
    from gansynth.models import load

    model = load(args.model)
    if hasattr(model, "columns_"):
        _describe_tabular(model)
    else:
        _describe_images(model)


def _describe_tabular(model) -> None:
    print(
        f"{type(model).__name__}: {len(model.columns_)} columns, trained {len(model.loss_history_)} epochs, "
        f"world size {model.world_size_}"
    )
    for spec in model.columns_:
        if spec.is_discrete:
            detail = f"{len(spec.categories)} categories"
        elif spec.kind == "datetime":
            detail = f"range [{_iso(spec.minimum, spec)}, {_iso(spec.maximum, spec)}]"
        else:
            detail = f"range [{spec.minimum:g}, {spec.maximum:g}]"
        detail += _condition_detail(model, spec)
        print(
            f"  {printable(spec.name):<24} {spec.kind:<12} {printable(spec.dtype):<16} "
            f"NaN {spec.nan_rate:6.1%}  {detail}"
        )
    if model.constraints_:
        seconds = {spec.name for spec in model.columns_ if spec.kind == "datetime"}
        print("logic kept by construction:")
        for record in model.constraints_:
            print(f"  {printable(record.describe(seconds))}")


def _condition_detail(model, spec) -> str:
    """``--condition`` values of a numeric column (its spikes and NaN), shown after its range."""
    if spec.is_discrete:
        return ""
    values = model.condition_values(spec.name)
    shown = [_iso(v.value / 1e9, spec) if isinstance(v, pd.Timestamp) else f"{v:g}" for v in values[:10]]
    more = f", ... ({len(values)} in all)" if len(values) > 10 else ""
    return f"; conditions: {', '.join(shown)}{more}" if values else ""


def _iso(seconds: float, spec) -> str:
    """A datetime column's bound (seconds since the epoch) as an ISO date or timestamp."""
    stamp = pd.Timestamp(round(seconds * 1e9), unit="ns", tz="UTC")
    stamp = stamp.tz_convert(spec.timezone) if spec.timezone else stamp.tz_localize(None)
    whole_days = spec.datetime_step_ns and spec.datetime_step_ns % (86_400 * 10**9) == 0
    return stamp.date().isoformat() if whole_days and not spec.timezone else stamp.isoformat()


def _describe_images(model) -> None:
    fmt = model.image_format_
    print(
        f"{type(model).__name__}: {len(model.classes_)} classes, {fmt.height}x{fmt.width} images with "
        f"{fmt.channels} channel{'s' if fmt.channels > 1 else ''} ({fmt.layout}, {fmt.dtype}), "
        f"trained {model.n_epochs_} epochs"
    )
    for label, share in zip(model.classes_, model.class_prior_):
        print(f"  {printable(label):<24} {share:6.1%}")


def _add_info(subparsers) -> None:
    parser = subparsers.add_parser(
        "info",
        help="describe a saved model: a tabular model's columns, an image model's classes and image size",
    )
    parser.add_argument("model", help="model file")
    parser.set_defaults(handler=_run_info)
