"""The ``gansynth`` command line.

Each command module (:mod:`~gansynth.cli.tabular`, :mod:`~gansynth.cli.evaluate`,
:mod:`~gansynth.cli.images`) has an ``add_subcommands(subparsers)`` that builds its parsers and
sets a ``handler`` on each; :data:`_COMMAND_MODULES` lists them in help order. Handlers raise
:class:`CLIError` (or ``ValueError``/``TypeError``/``FileNotFoundError`` from the library) for bad
input, which :func:`main` prints as one clear line and exit status 2, without a traceback.
"""

from __future__ import annotations

import argparse
import sys

from gansynth import __version__
from gansynth.cli import compare, evaluate, images, tabular
from gansynth.cli.errors import CLIError

__all__ = ["main", "build_parser", "CLIError"]

_COMMAND_MODULES = [tabular, evaluate, compare, images]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gansynth", description="Synthetic data with conditional GANs.")
    parser.add_argument("--version", action="version", version=f"gansynth {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module in _COMMAND_MODULES:
        module.add_subcommands(subparsers)
    return parser


def main(argv=None) -> int:
    """Entry point of the ``gansynth`` console script."""
    # persistence loads torch; import it only once a command runs.
    from gansynth.persistence import ModelFileError

    args = build_parser().parse_args(argv)
    try:
        args.handler(args)
    except (CLIError, ModelFileError, FileNotFoundError, ValueError, TypeError) as exc:
        print(f"gansynth {args.command}: error: {exc}", file=sys.stderr)
        return 2
    return 0
