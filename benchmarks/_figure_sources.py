"""Where quoted figures come from: the committed files in ``benchmarks/results/``.

A figure is named by a results file and a key into it:

- ``NAME.json``: a dotted path, list positions as numbers (``ratios.epoch_time``,
  ``exact_conditions.0``);
- ``NAME.md`` / ``NAME.txt`` with ``::`` in the key: a cell of a Markdown pipe table, as
  ``first cell :: ... :: column header`` (the leading cells pick the row; the first number in
  the cell is the figure: ``0.659 ± 0.002`` gives 0.659);
- ``NAME.md`` / ``NAME.txt`` without ``::``: the first number after the first occurrence of the
  key's text on its line (``run from the repository root;`` in a command line);
- a file in ``COMPUTED``: figures recomputed from it by a function (``downstream_runs.csv``,
  ``baselines_runs.csv``).
"""

from __future__ import annotations

import difflib
import functools
import importlib
import json
import re
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"

# Results files whose figures are computed, not read: file name -> "module:function", a function
# from the file's path to {key: value}.
COMPUTED = {
    "downstream_runs.csv": "benchmarks.downstream_figures:figures",
    "baselines_runs.csv": "benchmarks.downstream_figures:figures",  # the reduced profile's runs
}

# A number as pages and results write it: optional sign (ASCII or Unicode minus), thousands
# separators, decimals, exponent. Not part of a word or of a longer number.
NUMBER = re.compile(r"(?<![\w.])[+\-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][+\-−]?\d+)?(?!\d)")
TABLE_SEPARATOR = " :: "


class FigureError(ValueError):
    """A figure that cannot be found in its results file."""


def figure_value(source: str, key: str) -> float:
    """The value of figure ``key`` in results file ``source`` (a name in ``benchmarks/results/``)."""
    path = RESULTS / source
    if source in COMPUTED:
        values = _computed(source)
        if key not in values:
            raise FigureError(f"{source} has no computed figure {key!r} ({_close(key, values)})")
        return float(values[key])
    if not path.is_file():
        raise FigureError(f"no results file {source} in benchmarks/results/")
    if path.suffix == ".json":
        return _json_value(_read_json(path), key, source)
    if path.suffix in (".md", ".txt"):
        text = _read_text(path)
        if TABLE_SEPARATOR.strip() in key:
            return _table_value(text, key, source)
        return _text_value(text, key, source)
    raise FigureError(
        f"{source}: figures are read from .json, .md and .txt files or computed ({list(COMPUTED)})"
    )


def available_keys(source: str) -> list[str]:
    """The keys a JSON or computed results file offers (for writers looking for a figure)."""
    if source in COMPUTED:
        return sorted(_computed(source))
    path = RESULTS / source
    if path.suffix == ".json":
        return sorted(_flatten(_read_json(path)))
    if path.suffix in (".md", ".txt"):
        return [TABLE_SEPARATOR.join(row) for row in _table_keys(_read_text(path))]
    raise FigureError(f"{source}: no keys to list")


def parse_number(text: str) -> float:
    return float(text.replace(",", "").replace("−", "-"))


@functools.cache
def _computed(source: str) -> dict[str, float]:
    module, function = COMPUTED[source].split(":")
    return getattr(importlib.import_module(module), function)(RESULTS / source)


@functools.cache
def _read_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


@functools.cache
def _read_text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _json_value(data, key: str, source: str) -> float:
    value = data
    for part in key.split("."):
        if isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            raise FigureError(f"{source} has no {key!r} ({_close(key, _flatten(data))})")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FigureError(f"{source}: {key!r} is not a number but {value!r}")
    return float(value)


def _flatten(data, prefix: str = "") -> dict:
    if isinstance(data, dict):
        items = data.items()
    elif isinstance(data, list):
        items = enumerate(data)
    else:
        return {prefix: data}
    flat = {}
    for name, value in items:
        flat.update(_flatten(value, f"{prefix}.{name}" if prefix else str(name)))
    return flat


def _tables(text: str):
    """Each pipe table as (header cells, body rows of cells), in file order."""
    lines = text.splitlines()
    for i in range(len(lines) - 1):
        if lines[i].startswith("|") and re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", lines[i + 1].strip()):
            if i > 0 and lines[i - 1].startswith("|"):
                continue
            rows = []
            for line in lines[i + 2 :]:
                if not line.startswith("|"):
                    break
                rows.append(_cells(line))
            yield _cells(lines[i]), rows


def _cells(line: str) -> list[str]:
    return [cell.strip().strip("*`").strip() for cell in line.strip().strip("|").split("|")]


def _table_value(text: str, key: str, source: str) -> float:
    *row_labels, column = [part.strip() for part in key.split(TABLE_SEPARATOR.strip())]
    for header, rows in _tables(text):
        if column not in header:
            continue
        for row in rows:
            if row[: len(row_labels)] == row_labels:
                cell = row[header.index(column)]
                match = NUMBER.search(cell)
                if match is None:
                    raise FigureError(f"{source}: the cell {key!r} holds no number ({cell!r})")
                return parse_number(match.group())
    raise FigureError(f"{source} has no table cell {key!r} (row by its first cells :: column header)")


def _table_keys(text: str) -> list[list[str]]:
    return [[row[0], column] for header, rows in _tables(text) for row in rows for column in header[1:]]


def _text_value(text: str, key: str, source: str) -> float:
    start = text.find(key)
    if start < 0:
        raise FigureError(f"{source} does not contain the text {key!r}")
    line_end = text.find("\n", start)
    match = NUMBER.search(text[start + len(key) : line_end if line_end >= 0 else None])
    if match is None:
        raise FigureError(f"{source}: no number follows {key!r} on its line")
    return parse_number(match.group())


def _close(key: str, known) -> str:
    close = difflib.get_close_matches(key, list(known), n=3, cutoff=0.5)
    return f"did you mean {', '.join(close)}?" if close else f"{len(known)} keys known"
