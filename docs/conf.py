"""Sphinx configuration: pydata theme, numpydoc API pages, and a sphinx-gallery of executed examples."""

from __future__ import annotations

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))  # the checkout's gansynth, not an installed copy
sys.path.insert(0, str(DOCS))  # gallery_support, quoted_figures
os.environ.setdefault("MPLBACKEND", "Agg")

import gansynth  # noqa: E402

project = "gansynth"
author = "gansynth developers"
copyright = "gansynth developers"
release = version = gansynth.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "quoted_figures",  # :figure:`0.42x <results file key>`, checked against benchmarks/results/
]

exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py", "sg_execution_times.rst"]
templates_path = ["_templates"]
html_static_path = ["_static"]
html_css_files = ["gansynth.css"]
html_theme = "pydata_sphinx_theme"
html_title = f"gansynth {release}"
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": [],
}
# An explicit mode: without it the theme logs "Got invalid theme mode" as a console error.
html_context = {"default_mode": "light"}
html_sidebars = {"index": [], "getting_started": []}
html_show_sourcelink = False

autosummary_generate = True
autodoc_default_options = {"members": False, "inherited-members": False}
autodoc_typehints = "none"  # the numpydoc "Parameters" sections carry the types

# numpydoc: autosummary already lists the methods, so numpydoc's own member tables would duplicate
# them (and warn about it under -W). Every validation check is on except those some public
# docstring still fails: extended summaries, examples and "See Also" sections (ES01, EX01, SA01),
# constructor parameters of the report, which users never construct (PR01), scikit-learn's
# ``self : Estimator`` return line (RT02), and ImageGAN's (PR08, RT03; the image engine is being
# reworked on another branch).
numpydoc_show_class_members = False
numpydoc_xref_param_type = False
numpydoc_validation_checks = {"all", "ES01", "EX01", "SA01", "PR01", "PR08", "RT02", "RT03"}
numpydoc_validation_exclude = {r"\.__init__$", r"\._[a-z]"}

# GANSYNTH_DOCS_EXAMPLES=fast executes only the examples that train no GAN (CI, where the test
# suite runs the others as scripts); the default executes them all.
_EXECUTED = {"all": r"/(plot_|oversampling_)", "fast": r"/(plot_downstream|oversampling_)"}

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": _EXECUTED[os.environ.get("GANSYNTH_DOCS_EXAMPLES", "all")],
    "download_all_examples": False,
    "image_scrapers": ("matplotlib", "gallery_support.scrape_bare_figures"),
    "capture_repr": ("_repr_html_", "__repr__"),
    "ignore_repr_types": r"matplotlib[text, axes]|Figure",
    "abort_on_example_error": True,
    "remove_config_comments": True,
    "within_subsection_order": "gallery_support.ExampleOrder",
    "reset_modules": ("matplotlib",),
    "show_memory": False,
    "matplotlib_animations": False,
}
