"""The downstream figures that the README and the docs quote, recomputed from a run CSV.

``downstream_notes.md`` was written by hand from the same CSV; these are the same statistics
computed by code (PR-AUC averaged over the splits of each block of dataset x setting x
classifier), so that every quoted figure is checked against the runs themselves. Keys, with
GROUP ``imbalanced`` or ``low-data``:

- ``GROUP.blocks``, ``GROUP.datasets``: blocks where the main augmenters (those of
  ``PRESENTATION_ORDER`` in the runs: nine in the committed run) all ran, and their datasets;
- ``GROUP.rank.AUGMENTER``: mean PR-AUC rank (1 = best) of those augmenters over those blocks;
- ``GROUP.AUGMENTER.vs.REFERENCE.STAT``, STAT one of ``delta`` (mean PR-AUC difference),
  ``wins``, ``blocks``, ``p`` (Wilcoxon signed-rank), over the blocks both cover, for any
  augmenter against ``REFERENCES``: ``none``, ``class weights``, ``SMOTE``,
  ``RandomOverSampler``, ``CTGAN``, ``GANOversampler`` and ``old_default``, the default when
  the variants were run (one training step per row: the ``[short training]`` rows where the
  length rule changed them);
- ``heldout.GROUP.AUGMENTER.vs.REFERENCE.STAT``: the same on the four tables that played little or
  no part in choosing GANOversampler's defaults (``HELD_OUT``);
- ``GROUP.gain.AUGMENTER.dataset.DATASET`` and ``GROUP.gain.AUGMENTER.classifier.CLASSIFIER``: mean
  gain over no augmentation on the complete blocks; ``GROUP.datasets_improved.AUGMENTER``: datasets
  where that mean gain is positive;
- ``epochs1500.gain.DATASET``, ``epochs1500.minority_rows.DATASET``: natural setting,
  ``GANOversampler[epochs=1500]`` against ``old_default``, and the training minority size.

The full profile's ``downstream_runs.csv`` and the reduced profile's ``baselines_runs.csv`` are read
alike; ``python -m benchmarks figures --keys downstream_runs.csv`` lists the keys.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pandas as pd

from ._report import block_means, load_results, wilcoxon_row
from .downstream import MAIN_GAN, PRESENTATION_ORDER

REFERENCES = ("none", "class weights", "SMOTE", "RandomOverSampler", "CTGAN", "GANOversampler", "old_default")
HELD_OUT = ("adult", "credit_data", "wilt", "mammography")
_LONG, _SHORT = f"{MAIN_GAN}[epochs=1500]", f"{MAIN_GAN}[short training]"


class _Figures(dict):
    """Figures by key; a value stored as a function is computed when first read."""

    def __getitem__(self, key):
        value = super().__getitem__(key)
        if callable(value):
            value = value()
            self[key] = value
        return value


def figures(csv_path: Path) -> dict[str, float]:
    runs = load_results(csv_path)
    ok = runs[runs["status"] == "ok"]
    values = _Figures()
    for group in ("imbalanced", "low-data"):
        means = _with_old_default(block_means(ok[ok["group"] == group], "pr_auc"))
        values.update(_main_grid(means, group))
        values.update(_paired(means, group))
        held_out = means[means.index.get_level_values("dataset").isin(HELD_OUT)]
        values.update(_paired(held_out, f"heldout.{group}"))
    values.update(_longer_training(ok))
    values.update(_no_augmentation_chosen(ok))
    return values


def _no_augmentation_chosen(ok: pd.DataFrame) -> dict[str, float]:
    """How often AugmentedClassifierCV chose no augmentation, in percent of its runs: overall
    (``augmented_cv.none_chosen``) and per classifier (``augmented_cv.none_chosen.logreg``)."""
    if "amount" not in ok:  # runs made before AugmentedClassifierCV recorded its choice
        return {}
    chosen = ok.loc[ok["augmenter"] == "AugmentedClassifierCV", ["classifier", "amount"]].dropna()
    if chosen.empty:
        return {}
    none = chosen["amount"].eq(0) * 100.0
    values = {"augmented_cv.none_chosen": none.mean()}
    values.update(
        {
            f"augmented_cv.none_chosen.{name}": share
            for name, share in none.groupby(chosen["classifier"]).mean().items()
        }
    )
    return values


def _main_grid(means: pd.DataFrame, group: str) -> dict[str, float]:
    main = [a for a in PRESENTATION_ORDER if a in means]  # runs made before an augmenter was added lack it
    complete = means[main].dropna()
    values = {
        f"{group}.blocks": len(complete),
        f"{group}.datasets": complete.index.get_level_values("dataset").nunique(),
    }
    ranks = complete.rank(axis=1, ascending=False, method="average").mean()
    values.update({f"{group}.rank.{name}": rank for name, rank in ranks.items()})
    for augmenter in main[1:]:
        gain = complete[augmenter] - complete["none"]
        for level in ("dataset", "classifier"):
            for name, value in gain.groupby(level=level).mean().items():
                values[f"{group}.gain.{augmenter}.{level}.{name}"] = value
        by_dataset = gain.groupby(level="dataset").mean()
        values[f"{group}.datasets_improved.{augmenter}"] = int((by_dataset > 0).sum())
    return values


def _paired(means: pd.DataFrame, prefix: str) -> dict:
    values = {}
    for reference in REFERENCES:
        for augmenter in means.columns:
            if reference not in means or augmenter == reference:
                continue
            diff = (means[augmenter] - means[reference]).dropna()
            if diff.empty:
                continue
            head = f"{prefix}.{augmenter}.vs.{reference}"
            values[f"{head}.delta"] = diff.mean()
            values[f"{head}.wins"] = int((diff > 0).sum())
            values[f"{head}.blocks"] = len(diff)
            # The test is the slow part: run only for the p-values a page quotes.
            values[f"{head}.p"] = partial(lambda a, r: wilcoxon_row(means, a, r)["p"], augmenter, reference)
    return values


def _with_old_default(means: pd.DataFrame) -> pd.DataFrame:
    """Block means plus ``old_default``: GANOversampler at one training step per row."""
    old = means[_SHORT].fillna(means[MAIN_GAN]) if _SHORT in means else means[MAIN_GAN]
    return means.assign(old_default=old)


def _longer_training(ok: pd.DataFrame) -> dict[str, float]:
    natural = ok[ok["setting"] == "natural"]
    means = _with_old_default(block_means(natural, "pr_auc"))
    if _LONG not in means:
        return {}
    gain = (means[_LONG] - means["old_default"]).dropna().groupby(level="dataset").mean()
    minority = natural[natural["augmenter"] == "none"].groupby("dataset")["n_train_minority"].mean()
    values = {f"epochs1500.gain.{name}": value for name, value in gain.items()}
    values.update({f"epochs1500.minority_rows.{name}": minority[name] for name in gain.index})
    return values
