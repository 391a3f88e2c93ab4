"""sphinx-gallery helpers: the examples' order, and a scraper for gansynth's pyplot-free figures.

They live in a module of their own, named in ``conf.py`` by string, so that Sphinx can cache the
configuration (a function in ``conf.py`` cannot be pickled).
"""

from __future__ import annotations


def scrape_bare_figures(block, block_vars, gallery_conf, **kwargs):
    """Save the matplotlib figures an example holds in variables without going through pyplot.

    gansynth's plots are plain :class:`matplotlib.figure.Figure` objects (no pyplot state), which
    sphinx-gallery's matplotlib scraper does not see; this scraper writes each one once, in the
    order the example created it.
    """
    from matplotlib.figure import Figure
    from sphinx_gallery.scrapers import figure_rst

    shown = gallery_conf.setdefault("_gansynth_shown_figures", {}).setdefault(block_vars["src_file"], set())
    paths = []
    image_paths = block_vars["image_path_iterator"]
    for value in list(block_vars["example_globals"].values()):
        candidates = value if isinstance(value, (list, tuple)) else [value]
        for figure in candidates:
            if isinstance(figure, Figure) and id(figure) not in shown:
                shown.add(id(figure))
                path = next(image_paths)
                figure.savefig(path, dpi=80, bbox_inches="tight")
                paths.append(path)
    return figure_rst(paths, gallery_conf["src_dir"])


# From first steps to the benchmark; files not listed come last, by name.
_ORDER = [
    "plot_quickstart.py",
    "plot_imbalanced_pipeline.py",
    "plot_evaluation_report.py",
    "plot_image_digits.py",
    "plot_downstream_benchmark.py",
    "oversampling_pipeline.py",
]


class ExampleOrder:
    """Sort key of sphinx-gallery's ``within_subsection_order``: the order of ``_ORDER``."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        return (_ORDER.index(filename) if filename in _ORDER else len(_ORDER), filename)

    def __repr__(self):
        return "ExampleOrder"
