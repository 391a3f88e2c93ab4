"""The ``gansynth evaluate`` subcommand: judge a synthetic table against the real one.

``gansynth.evaluation`` loads :func:`~gansynth.evaluation.evaluate` (and scikit-learn with it) on
first use, so registering this command keeps ``gansynth --help`` fast.
"""

from __future__ import annotations

import sys

from gansynth import evaluation
from gansynth.cli.outputs import check_output, make_parents
from gansynth.evaluation import DEFAULT_MAX_ROWS
from gansynth.io.tables import read_table


def add_subcommands(subparsers) -> None:
    """Add ``evaluate`` to an argparse subparsers object."""
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


def _run_evaluate(args) -> None:
    if args.output:
        check_output(args.output, "-o", (".html", ".htm"))
    real = read_table(args.real)
    synthetic = read_table(args.synthetic)
    holdout = read_table(args.holdout) if args.holdout else None
    report = evaluation.evaluate(
        real, synthetic, target=args.target, holdout=holdout, max_rows=args.max_rows, random_state=args.seed
    )
    print(report)
    if args.output:
        print(f"wrote {report.save_html(make_parents(args.output))}", file=sys.stderr)
    if args.fail_on_flags and report.flags:
        raise SystemExit(1)
