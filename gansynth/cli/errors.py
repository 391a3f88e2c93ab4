"""The command line's own error, and the one-line form of every message it prints."""

from gansynth.errors import GansynthError


class CLIError(GansynthError):
    """A user-facing error: printed without a traceback."""


def one_line(text) -> str:
    """``text`` on one line, safe for a terminal: newlines, escape codes and other control
    characters (which a column name or a file's text may hold) escaped."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in str(text))
