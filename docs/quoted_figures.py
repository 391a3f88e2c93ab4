"""The ``:figure:`` role: a number quoted from a results file, checked when the docs are built.

``:figure:`0.42x <ctgan_comparison.json ratios.epoch_time>``` renders ``0.42x`` and fails the
build (warnings are errors) unless the number equals the figure that ``ctgan_comparison.json`` in
``benchmarks/results/`` holds under ``ratios.epoch_time``, rounded as written. The text may be
wrapped in ``**`` to render bold. Sources and keys: ``benchmarks/_figure_sources.py``;
``python -m benchmarks figures --check`` runs the same check on the README and these pages.
"""

from __future__ import annotations

from docutils import nodes

from benchmarks._figure_sources import RESULTS
from benchmarks.figures import RST_QUOTE, quotes_in


def figure_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    page = inliner.document.current_source or "?"
    quotes = quotes_in(".rst", rawtext)
    if len(quotes) != 1 or not RST_QUOTE.fullmatch(rawtext):
        message = inliner.reporter.error(
            f"{rawtext!r}: write :figure:`NUMBER <RESULTS_FILE KEY>`", line=lineno
        )
        return [inliner.problematic(rawtext, rawtext, message)], [message]
    quote = quotes[0]
    env = getattr(inliner.document.settings, "env", None)
    if env is not None:  # rebuild the page when its results file changes
        env.note_dependency(str(RESULTS / quote.source))
    problem = quote.problem()
    if problem:
        message = inliner.reporter.error(f"{page}: quoted figure {quote.text or '?'}: {problem}", line=lineno)
        return [inliner.problematic(rawtext, rawtext, message)], [message]
    shown = " ".join(RST_QUOTE.fullmatch(rawtext).group(1).split())
    if shown.startswith("**") and shown.endswith("**"):
        return [nodes.strong(shown, shown[2:-2])], []
    return [nodes.Text(shown)], []


def setup(app):
    app.add_role("figure", figure_role)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
