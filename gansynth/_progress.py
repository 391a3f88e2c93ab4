"""Training progress bars: Jupyter's widget in a notebook that has ipywidgets, plain tqdm elsewhere.

``tqdm.auto`` makes the same choice but warns ("IProgress not found") in a notebook without
ipywidgets; a plain text bar is a fine outcome there, not worth a warning.
"""

from __future__ import annotations

import importlib.util
import sys


def progress_bar(iterable, *, description: str, verbose: bool, unit: str = "epoch"):
    """A per-epoch (or per-``unit``) bar over ``iterable``; hidden when ``verbose`` is false.

    Update its losses with ``set_postfix(..., refresh=False)``: the next step redraws the bar, so a
    log file gets at most one line per epoch rather than two.
    """
    return _bar_class()(iterable, desc=description, disable=not verbose, unit=unit)


def _bar_class():
    if _in_jupyter_kernel() and importlib.util.find_spec("ipywidgets") is not None:
        from tqdm.notebook import tqdm
    else:
        from tqdm.std import tqdm
    return tqdm


def _in_jupyter_kernel() -> bool:
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})
