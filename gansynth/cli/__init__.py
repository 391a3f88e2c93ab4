"""The ``gansynth`` command line.

Each command module (:mod:`~gansynth.cli.tabular`, :mod:`~gansynth.cli.evaluate`,
:mod:`~gansynth.cli.images`) has an ``add_subcommands(subparsers)`` that builds its parsers and
sets a ``handler`` on each; :data:`_COMMAND_MODULES` lists them in help order. Handlers raise
:class:`CLIError` (or a :class:`~gansynth.errors.GansynthError`, ``ValueError``, ``TypeError``
or ``OSError`` from the library) for bad input, which :func:`main` prints as one line on
standard error with exit status 2; bad arguments get one line too. Any other exception is a
bug: one line naming it, exit status 1. ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading

from gansynth import __version__
from gansynth.cli import compare, evaluate, images, tabular
from gansynth.cli.errors import CLIError, one_line
from gansynth.errors import GansynthError

__all__ = ["main", "build_parser", "CLIError"]

_COMMAND_MODULES = [tabular, evaluate, compare, images]

# Refusals of the user's input or environment (a missing file, a full disk, a bad parameter
# value refused by scikit-learn's validation): one line and exit status 2.
USER_ERRORS = (GansynthError, OSError, ValueError, TypeError)


class Terminated(BaseException):
    """SIGTERM arrived: unwinds like Ctrl-C, so that partial output files are removed on the way."""


def _raise_terminated(signum, frame):
    raise Terminated


@contextlib.contextmanager
def _sigterm_unwinds():
    """Turn SIGTERM into :class:`Terminated` while a command runs; the previous handler comes back."""
    # Only the main thread may set handlers; a notebook may call ``main`` from another thread.
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors on one line (usage stays in ``--help``)."""

    def error(self, message):
        self.exit(2, one_line(f"{self.prog}: error: {message} (see '{self.prog} --help')") + "\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="gansynth", description="Synthetic data with conditional GANs.")
    parser.add_argument("--version", action="version", version=f"gansynth {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module in _COMMAND_MODULES:
        module.add_subcommands(subparsers)
    for command in subparsers.choices.values():
        # Also after the command; SUPPRESS keeps an earlier `gansynth --debug` from being reset.
        command.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help="show the traceback of an error"
        )
    return parser


def main(argv=None) -> int:
    """Entry point of the ``gansynth`` console script."""
    args = build_parser().parse_args(argv)
    try:
        with _sigterm_unwinds():
            args.handler(args)
    except Terminated:
        if args.debug:
            raise
        print(f"gansynth {args.command}: terminated", file=sys.stderr)
        return 128 + signal.SIGTERM
    except KeyboardInterrupt:
        if args.debug:
            raise
        print(f"gansynth {args.command}: interrupted", file=sys.stderr)
        return 130
    except USER_ERRORS as exc:
        if args.debug:
            raise
        print(one_line(f"gansynth {args.command}: error: {exc}"), file=sys.stderr)
        return 2
    except Exception as exc:  # a bug: say so in one line, the traceback is one flag away
        if args.debug:
            raise
        print(
            one_line(
                f"gansynth {args.command}: internal error: {type(exc).__name__}: {exc} "
                "(rerun with --debug for the traceback, and please report it)"
            ),
            file=sys.stderr,
        )
        return 1
    return 0
