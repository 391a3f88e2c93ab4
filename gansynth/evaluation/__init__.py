"""Judge a synthetic table against the real one: is it faithful, useful and private?

One call, :func:`evaluate`, answers the three questions a user asks before trusting synthetic data:

* **fidelity** - SDMetrics' column shapes and column-pair trends, and the ROC-AUC of a classifier
  that tries to tell real rows from synthetic rows (detection);
* **usefulness** - machine-learning efficacy: a model trained on synthetic rows and tested on held-out
  real rows, against the same model trained on real rows;
* **privacy** - the distance from each synthetic row to its closest real training row (DCR) compared
  with the same distance for real rows the generator never saw, and the share of exact copies.

The result is an :class:`EvaluationReport` with a summary table, detail tables, matplotlib plots and a
self-contained HTML export.

Modules: ``checks`` (arguments, sdtypes, row samples), ``fidelity`` (SDMetrics quality),
``detection``, ``utility`` (ML efficacy), ``privacy``, ``features`` (tree-model encoding shared by
detection and utility), ``summary`` (summary rows, flags, detail tables), ``report``
(:class:`EvaluationReport`), ``plots`` and ``render`` (figures and HTML), ``pipeline``
(:func:`evaluate`).
"""

from __future__ import annotations

import importlib

from gansynth.evaluation.checks import DEFAULT_MAX_ROWS
from gansynth.evaluation.report import EvaluationReport
from gansynth.evaluation.summary import FLAG_DCR_RATIO, FLAG_DETECTION_AUC, FLAG_ML_EFFICACY_RATIO

# scikit-learn, scipy, SDMetrics and matplotlib are imported where they are used, and `evaluate` is
# loaded on first use (its seeding helper imports torch), so that the command line can register
# `gansynth evaluate` and read DEFAULT_MAX_ROWS without paying for any of them.
_LAZY = {"evaluate": "gansynth.evaluation.pipeline"}

__all__ = [
    "evaluate",
    "EvaluationReport",
    "DEFAULT_MAX_ROWS",
    "FLAG_DCR_RATIO",
    "FLAG_DETECTION_AUC",
    "FLAG_ML_EFFICACY_RATIO",
]


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'gansynth.evaluation' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
