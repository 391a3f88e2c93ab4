"""The ``gansynth compare`` subcommand: does augmentation help a classifier on the user's table?

``gansynth.comparison`` (scikit-learn, and torch once a GAN is fitted) is imported only when the
command runs, so registering it keeps ``gansynth --help`` fast.
"""

from __future__ import annotations

import sys

from gansynth.cli.errors import CLIError
from gansynth.cli.outputs import check_output, make_parents
from gansynth.io.tables import read_table

_CLASSIFIERS = ("hgb", "logreg", "rf", "mlp")
_METHODS = ("none", "class weights", "RandomOverSampler", "SMOTE", "GANOversampler", "AugmentedClassifierCV")


def add_subcommands(subparsers) -> None:
    """Add ``compare`` to an argparse subparsers object."""
    parser = subparsers.add_parser(
        "compare",
        help="repeated CV of no augmentation, class weights, oversamplers and GANs on your table",
        description="Cross-validate one classifier trained with no augmentation, class weights, "
        "RandomOverSampler, SMOTE (SMOTENC/SMOTEN as the columns require), GANOversampler and "
        "AugmentedClassifierCV on the same folds of a table; print mean ± std of PR-AUC, ROC-AUC, "
        "balanced accuracy and minority F1 (at tuned thresholds) with a paired test against no "
        "augmentation, and write an HTML page with plots. GAN methods fit several GANs per fold: "
        "minutes on a small table.",
    )
    parser.add_argument("data", help="table (.csv or .parquet)")
    parser.add_argument("--target", required=True, help="column to predict")
    parser.add_argument(
        "--classifier",
        choices=_CLASSIFIERS,
        default="hgb",
        help="classifier (default hgb: HistGradientBoosting)",
    )
    parser.add_argument(
        "--positive",
        default=None,
        help="class of interest (default: the rarer of two classes; needed with more)",
    )
    parser.add_argument("--folds", type=int, default=5, help="folds per repeat (default 5)")
    parser.add_argument("--repeats", type=int, default=2, help="repeats of the k-fold split (default 2)")
    parser.add_argument(
        "--methods",
        default=",".join(_METHODS),
        help=f"comma-separated subset of: {', '.join(_METHODS)} (none is always included)",
    )
    parser.add_argument(
        "-o", "--output", default="comparison.html", help="HTML page (default comparison.html)"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(handler=_run_compare)


def _run_compare(args) -> None:
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in methods if m not in _METHODS]
    if unknown or not methods:
        raise CLIError(f"--methods: unknown {unknown}; choose from {', '.join(_METHODS)}")
    if args.folds < 2:
        raise CLIError(f"--folds must be at least 2; got {args.folds}")
    if args.repeats < 1:
        raise CLIError(f"--repeats must be at least 1; got {args.repeats}")
    check_output(args.output, "-o", (".html", ".htm"))
    table = read_table(args.data)
    if args.target not in table.columns:
        raise CLIError(
            f"--target {args.target!r} is not a column of {args.data}; columns: {', '.join(table.columns)}"
        )
    from gansynth.comparison import compare, format_summary, summarize
    from gansynth.comparison.page import write_page

    results = compare(
        table.drop(columns=args.target),
        table[args.target],
        classifier=args.classifier,
        methods=methods,
        n_splits=args.folds,
        n_repeats=args.repeats,
        positive=args.positive,
        random_state=args.seed,
        verbose=not args.quiet,
    )
    attrs = results.attrs
    print(
        f"{args.data}: {attrs['n_rows']} rows, class of interest {attrs['positive']!r} "
        f"({attrs['n_minority']} rows), {attrs['classifier']}, {args.repeats} x {args.folds}-fold CV"
    )
    print(format_summary(summarize(results)))
    print(f"wrote {write_page(results, make_parents(args.output))}", file=sys.stderr)
