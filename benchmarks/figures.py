"""Figures quoted in the README and the docs, checked against the results files that hold them.

Usage::

    python -m benchmarks figures            # every quoted figure, its source and its value there
    python -m benchmarks figures --check    # exit 1 on a figure that disagrees, or a measurement quoted bare
    python -m benchmarks figures --write    # rewrite each quoted figure from its source (after a rerun)
    python -m benchmarks figures --keys ctgan_comparison.json   # what a results file offers

A page quotes a figure with a marker naming its source (see ``_figure_sources`` for keys):

- Markdown (``README.md``): the number, then an HTML comment, invisible once rendered::

      time per epoch 0.42x<!-- figure: ctgan_comparison.json ratios.epoch_time -->

- reStructuredText (``docs/``): the ``figure`` role, which the docs build checks too::

      time per epoch :figure:`0.42x <ctgan_comparison.json ratios.epoch_time>`

The quoted number must equal the source's value rounded as written: ``0.42`` matches 0.4159,
``5e-13`` matches 4.6e-13, ``+0.0025`` matches 0.00252. A measurement left bare on a page (a
decimal, a duration, a ratio such as ``3x``) fails ``--check`` unless it is listed in
``NOT_MEASUREMENTS``.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from ._figure_sources import NUMBER, FigureError, available_keys, figure_value, parse_number

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("README.md", "docs/*.rst", "docs/user_guide/*.rst")

MARKDOWN_QUOTE = re.compile(r"<!-- figure: (\S+) (.+?) -->")
RST_QUOTE = re.compile(r":figure:`([^`<]+?)\s*<(\S+)\s+([^`>]+)>`")
# What counts as a measurement when left bare: a decimal, a duration, a speed-up ratio.
MEASUREMENT = re.compile(
    r"(?<![\w.^])\d+(?:\.\d+)?(?:[ -]?(?:ms|s|min|minutes|seconds|hours?)\b|x\b)|(?<![\w.^])\d+\.\d+"
)
# Numbers on the pages that are settings or facts, not results: (page, text) pairs.
NOT_MEASUREMENTS = {
    ("README.md", "3.10"),  # the Python version
    ("docs/getting_started.rst", "3.10"),
    ("README.md", "0.5"),  # Adam's betas, the 0.5 decision threshold
    ("README.md", "0.9"),
    ("docs/user_guide/tables.rst", "0.5"),
    ("docs/user_guide/tables.rst", "0.9"),
    ("docs/benchmarks.rst", "0.5"),
    ("README.md", "0.05"),  # the tolerance tests/test_tabular.py asserts
    ("docs/user_guide/tables.rst", "0.05"),
    ("README.md", "2.4"),  # a torch version
    ("docs/user_guide/evaluation.rst", "0.5"),  # a detection AUC of chance
    ("README.md", "10"),  # the Dask scheduler's connection timeout
    ("docs/user_guide/scaling.rst", "10"),
}


@dataclass
class Quote:
    page: str
    line: int
    text: str  # the quoted number as written
    source: str
    key: str
    start: int  # offsets of ``text`` in the page, for --write
    end: int
    span: tuple[int, int]  # the number with its marker, or the whole role

    def value(self) -> float:
        return figure_value(self.source, self.key)

    def problem(self) -> str | None:
        """Why this quote disagrees with its source, or None."""
        try:
            return disagreement(self.text, self.value())
        except FigureError as exc:
            return str(exc)


def quotes_in(page: str, text: str) -> list[Quote]:
    """Every figure quoted on a page."""
    quotes = []
    if page.endswith(".md"):
        for marker in MARKDOWN_QUOTE.finditer(text):
            before = text[text.rfind("\n", 0, marker.start()) + 1 : marker.start()]
            numbers = list(NUMBER.finditer(before))
            start = marker.start() - len(before) + numbers[-1].start() if numbers else marker.start()
            end = start + (len(numbers[-1].group()) if numbers else 0)
            quotes.append(_quote(page, text, (start, end), (start, marker.end()), *marker.groups()))
    else:
        for role in RST_QUOTE.finditer(text):
            numbers = list(NUMBER.finditer(role.group(1)))
            start = role.start(1) + (numbers[-1].start() if numbers else 0)
            end = start + (len(numbers[-1].group()) if numbers else 0)
            quotes.append(_quote(page, text, (start, end), role.span(), role.group(2), role.group(3)))
    return quotes


def _quote(page, text, number, span, source, key) -> Quote:
    start, end = number
    line = text.count("\n", 0, start) + 1
    return Quote(page, line, text[start:end], source, " ".join(key.split()), start, end, span)


def disagreement(written: str, value: float) -> str | None:
    """Why ``written`` does not quote ``value`` (None when it does, rounded as written)."""
    if not written:
        return "no number before the marker"
    expected = formatted(value, written)
    if Decimal(str(parse_number(expected))) != Decimal(str(parse_number(written))):
        return f"the source says {value:.6g}, which is {expected} as written here"
    return None


def formatted(value: float, like: str) -> str:
    """``value`` written the way ``like`` is: same decimals or exponent digits, sign and separators."""
    plain = like.replace("−", "-").replace(",", "").lstrip("+-")
    mantissa, _, exponent = plain.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    if exponent:
        text = re.sub(
            r"e([+-])0*(\d)",
            lambda m: "e" + m.group(1).replace("+", "") + m.group(2),
            f"{value:.{decimals}e}",
        )
    elif "," in like:
        text = f"{value:,.{decimals}f}"
    else:
        text = f"{value:.{decimals}f}"
    if text.startswith("-"):
        text = ("−" if "−" in like else "-") + text[1:]
    elif like.startswith("+"):
        text = "+" + text
    return text


def bare_measurements(page: str, text: str) -> list[tuple[int, str]]:
    """Measurements on a page that quote no source: (line, text) pairs."""
    for quote in sorted(quotes_in(page, text), key=lambda q: -q.start):  # blank each quote out
        start, end = quote.span
        text = text[:start] + re.sub(r"[^\n]", " ", text[start:end]) + text[end:]
    found = []
    for number, line in enumerate(_prose_lines(page, text), start=1):
        for match in MEASUREMENT.finditer(line):
            head = NUMBER.match(match.group()) or match
            if (page, head.group()) not in NOT_MEASUREMENTS:
                found.append((number, match.group()))
    return found


def _prose_lines(page: str, text: str) -> list[str]:
    """The page's lines with code, literals, links, directives and comments blanked."""
    lines, in_block, block_indent = [], False, 0
    for line in text.splitlines():
        stripped, indent = line.strip(), len(line) - len(line.lstrip())
        if page.endswith(".md"):
            if stripped.startswith("```"):
                in_block = not in_block
                line = ""
            line = "" if in_block else re.sub(r"`[^`]*`|\]\([^)]*\)|<!--.*?-->", " ", line)
        else:
            if in_block and stripped and indent <= block_indent:
                in_block = False
            if in_block or stripped.startswith((".. ", ":")):
                line = ""
            if _LITERAL_BLOCK.search(stripped):
                in_block, block_indent = True, indent
            line = re.sub(r"``.*?``|:\w+:`[^`]*`|`[^`]*`_?", " ", line)
        lines.append(line)
    return lines


# A literal block follows a paragraph ending in "::" and a code directive; not other directives.
_LITERAL_BLOCK = re.compile(r"^(?!\.\. ).*::$|^\.\. (code-block|code|sourcecode|literalinclude)::")


# Written by the docs build (sphinx-gallery's timing table), not by hand.
GENERATED = {"docs/sg_execution_times.rst"}


def page_paths() -> list[Path]:
    paths = {path for pattern in PAGES for path in ROOT.glob(pattern)}
    return sorted(path for path in paths if path.relative_to(ROOT).as_posix() not in GENERATED)


def _page(path: Path) -> tuple[str, str]:
    """A page's name (relative to the repository, as ``NOT_MEASUREMENTS`` names it) and text."""
    name = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
    return name, path.read_text(encoding="utf-8")


def check(paths: list[Path]) -> list[str]:
    """Every problem with the figures on these pages, one line each."""
    problems = []
    for path in paths:
        page, text = _page(path)
        for quote in quotes_in(page, text):
            problem = quote.problem()
            if problem:
                problems.append(
                    f"{page}:{quote.line}: {quote.text or '?'} ({quote.source} {quote.key}): {problem}"
                )
        for line, found in bare_measurements(page, text):
            problems.append(f"{page}:{line}: {found!r} is quoted without its source (see CONTRIBUTING.md)")
    return problems


def write(paths: list[Path]) -> int:
    """Rewrite every quoted figure from its source; the number of figures changed."""
    changed = 0
    for path in paths:
        page, text = _page(path)
        quotes = [q for q in quotes_in(page, text) if disagreement(q.text, q.value())]
        for quote in sorted(quotes, key=lambda q: -q.start):
            text = text[: quote.start] + formatted(quote.value(), quote.text or "0") + text[quote.end :]
        if quotes:
            path.write_text(text, encoding="utf-8")
        changed += len(quotes)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks figures", description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--check", action="store_true", help="exit 1 if a quoted figure disagrees")
    action.add_argument("--write", action="store_true", help="rewrite quoted figures from their sources")
    action.add_argument("--keys", metavar="RESULTS_FILE", help="list the keys a results file offers")
    args = parser.parse_args(argv)
    paths = page_paths()
    try:
        if args.keys:
            print("\n".join(available_keys(args.keys)))
            return 0
        if args.write:
            print(f"{write(paths)} figures rewritten")
            return 0
        problems = check(paths)
        if not args.check:
            for path in paths:
                page, text = _page(path)
                for quote in quotes_in(page, text):
                    source = f"{quote.source} {quote.key}"
                    print(f"{page}:{quote.line}\t{quote.text}\t{source}\t= {quote.value():.6g}")
    except FigureError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print("\n".join(problems), file=sys.stderr)
    return 1 if problems and args.check else 0


if __name__ == "__main__":
    raise SystemExit(main())
