"""The command line's own error: bad arguments, printed as one line without a traceback."""


class CLIError(Exception):
    """A user-facing error: printed without a traceback."""
