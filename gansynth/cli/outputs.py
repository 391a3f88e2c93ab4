"""The command line's one rule for output paths, checked before any work starts.

Every command that writes (``fit``, ``sample``, ``evaluate``, ``fit-images``,
``sample-images``) checks each output path when it starts, not after minutes of training:

* the extension must be one the command writes (``.csv``/``.parquet``/``.pq`` for tables,
  ``.html`` for reports, ``.png`` for grids, ``.npz`` or a folder for images); a model file may
  have any name;
* an existing path must be of the right sort: a file for a file output, not a folder;
* missing folders on the way are created, as ``mkdir -p`` would, but only when the output is
  written (a failed run leaves no new folder), and only below an existing folder that this
  user may write into; a file in the way (``-o small.csv/out.csv``) is refused.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from gansynth.cli.errors import CLIError

TABLE_SUFFIXES = (".csv", ".parquet", ".pq")


def check_output(path, option: str, suffixes=None, folder: bool = False) -> Path:
    """Refuse an output path that cannot be written, naming the option and the reason.

    Parameters
    ----------
    path : str or os.PathLike
        The path given on the command line.
    option : str
        The option that gave it (``"-o"``, ``"--grid"``), named in the message.
    suffixes : sequence of str or None, default=None
        The extensions accepted (lower case, with the dot); ``None`` accepts any.
    folder : bool, default=False
        The output may be a folder: an existing folder, or a new name without an extension.

    Returns
    -------
    pathlib.Path
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if path.is_dir():
        if not folder:
            raise CLIError(f"{option} {path}: is a folder; give a file name")
    elif suffixes is not None and suffix not in suffixes and not (folder and not suffix):
        expected = ", ".join(suffixes) + (", or a folder name without an extension" if folder else "")
        raise CLIError(f"{option} {path}: unknown extension {suffix or '(none)'!r}; expected {expected}")
    existing = _nearest_existing(path.parent)
    if not existing.is_dir():
        raise CLIError(f"{option} {path}: {existing} is a file, not a folder")
    if not _writable(existing):
        raise CLIError(f"{option} {path}: cannot write into the folder {existing}")
    if path.exists() and not path.is_dir() and not os.access(path, os.W_OK):
        raise CLIError(f"{option} {path}: the file exists and cannot be overwritten (permission denied)")
    return path


def make_parents(path) -> Path:
    """Create the missing folders above ``path`` (checked by :func:`check_output`)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _writable(folder: Path) -> bool:
    """Whether a file can be created in ``folder``: tried, since permissions alone do not tell
    (a read-only mount, a pseudo file system, or root's rights)."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def _nearest_existing(folder: Path) -> Path:
    """``folder`` or its closest ancestor that exists (as a file or a folder)."""
    folder = folder.absolute()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder
