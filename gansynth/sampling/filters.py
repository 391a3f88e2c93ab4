"""Quality filters: score generated rows by how typical they are of the class they were made for.

:class:`~gansynth.GANOversampler` generates more candidate rows than it needs and keeps, per
class, those that score best here. Both scorers work from the real rows and the fitted column
specs alone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.neighbors import NearestNeighbors
from threadpoolctl import threadpool_limits

from gansynth._columns import numeric_values
from gansynth.tabular.transformer import DiscreteEncoder


def class_scores(method, frame, y, candidates, wanted, specs, seed) -> np.ndarray:
    """Per candidate row, how typical it is of the class in ``wanted``; higher is more typical.

    Parameters
    ----------
    method : {"classifier", "nearest"}
        See :class:`~gansynth.GANOversampler`'s ``quality_filter``.
    frame, y : pandas.DataFrame, numpy.ndarray
        The real rows and their classes.
    candidates : pandas.DataFrame
        Generated rows with ``frame``'s columns (and possibly more, ignored).
    wanted : numpy.ndarray
        The class each candidate was generated for.
    specs : list of ColumnSpec
        The columns' fitted kinds and categories.
    seed : int
        Seeds the classifier.

    Returns
    -------
    numpy.ndarray of shape (len(candidates),)
    """
    if method == "classifier":
        return classifier_scores(frame, y, candidates, wanted, specs, seed)
    return nearest_scores(frame, y, candidates, wanted, specs)


def _numeric_matrix(table: pd.DataFrame, specs) -> np.ndarray:
    """Numbers for a scorer: numeric kinds as floats (NaN kept), discrete kinds as category codes."""
    columns = []
    for spec in specs:
        if spec.is_discrete:
            codes = DiscreteEncoder(spec.categories, spec.has_nan).codes(table[spec.name]).astype(float)
            columns.append(codes)
        else:
            columns.append(numeric_values(table[spec.name], spec.kind))
    return np.column_stack(columns)


# Up to this many real rows the filter's classifier runs on one OpenMP thread. Its threads wait
# for one another at every split: on a 2-core machine shared with two busy processes, two
# threads took 17 s (once in three fits) on a 1,100-row table that one thread fits in 0.2 s,
# while on a quiet machine two threads saved at most 0.1 s up to 10,000 rows.
SINGLE_THREAD_ROWS = 20_000


def classifier_scores(frame, y, candidates, wanted, specs, seed) -> np.ndarray:
    """Probability of each candidate's intended class under a classifier fitted on the real rows."""
    scorer = HistGradientBoostingClassifier(max_iter=100, random_state=seed)
    threads = 1 if len(frame) <= SINGLE_THREAD_ROWS else None
    with threadpool_limits(limits=threads, user_api="openmp"):
        scorer.fit(_numeric_matrix(frame, specs), y)
        probabilities = scorer.predict_proba(_numeric_matrix(candidates, specs))
    class_index = {label: i for i, label in enumerate(scorer.classes_.tolist())}
    return probabilities[np.arange(len(candidates)), [class_index[label] for label in wanted.tolist()]]


def _distance_features(table: pd.DataFrame, reference: pd.DataFrame, specs) -> np.ndarray:
    """Points for distances: numeric columns standardised on ``reference`` (NaN at its median,
    plus a missing flag), discrete columns one-hot scaled so that a mismatch adds 1 to the
    squared distance, like one standard deviation of a numeric column."""
    columns = []
    for spec in specs:
        if spec.is_discrete:
            encoder = DiscreteEncoder(spec.categories, spec.has_nan)
            codes = encoder.codes(table[spec.name])
            columns.append(_scaled_one_hot(codes, encoder.width))
        else:
            values, known = (
                numeric_values(table[spec.name], spec.kind),
                numeric_values(reference[spec.name], spec.kind),
            )
            centre = np.nanmedian(known) if np.isfinite(known).any() else 0.0
            scale = np.nanstd(known) if np.isfinite(known).any() else 0.0
            missing = np.isnan(values)
            columns.append(
                ((np.where(missing, centre, values) - centre) / (scale if scale > 0 else 1.0))[:, None]
            )
            if spec.has_nan:
                columns.append(missing[:, None].astype(float))
    return np.hstack(columns)


def nearest_scores(frame, y, candidates, wanted, specs) -> np.ndarray:
    """``d_other / (d_own + d_other)`` per candidate: above 0.5 when the closest real row of its
    intended class is nearer than the closest real row of any other class."""
    real, fake = _distance_features(frame, frame, specs), _distance_features(candidates, frame, specs)
    score = np.zeros(len(candidates))
    for label in np.unique(wanted):
        rows = np.flatnonzero(wanted == label)
        own = y == label
        d_own = NearestNeighbors(n_neighbors=1).fit(real[own]).kneighbors(fake[rows])[0][:, 0]
        d_other = NearestNeighbors(n_neighbors=1).fit(real[~own]).kneighbors(fake[rows])[0][:, 0]
        score[rows] = d_other / np.maximum(d_own + d_other, 1e-12)
    return score


def _scaled_one_hot(codes: np.ndarray, width: int) -> np.ndarray:
    """Rows of ``width`` zeros with ``1/sqrt(2)`` at each code; a missing code (-1) stays all zeros.

    Filled in place, so memory is the rows' and never ``width`` squared (an identity matrix).
    """
    one_hot = np.zeros((len(codes), width))
    known = np.flatnonzero(codes >= 0)
    one_hot[known, codes[known]] = 1 / np.sqrt(2)
    return one_hot
