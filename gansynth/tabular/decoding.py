"""Sampling's path from a call's seed to output chunks: generated blocks decoded into table rows.

:func:`sample_chunks` checks the conditions at once and returns the chunks lazily: the
generator's blocks (:mod:`gansynth.tabular.generation`) are regrouped into the caller's chunks,
decoded by the transformer (each column drawing from its own numpy stream, in row order, so that
the rows do not depend on the chunk size), mapped back through the table's logic, and given back
their columns' dtypes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gansynth.tabular.conditions import condition_codes_by_rows, condition_levels_by_rows
from gansynth.tabular.generation import generate_blocks, regroup
from gansynth.tabular.schema import restore_column


def sample_chunks(model, logic, n: int, chunk_size: int, conditions, seed: int, clip: bool):
    """Lazy chunks of ``n`` sampled rows; bad conditions are refused now, before any row is made.

    Parameters
    ----------
    model : TabularGAN
        A fitted model (its transformer, generator, columns and input format).
    logic : LogicTransform
        The model's way back from the engine's columns to the table's.
    n, chunk_size : int
        Rows in all, and rows per chunk.
    conditions : dict or None
        The user's conditions, as given to ``TabularGAN.sample``.
    seed : int
        The call's seed.
    clip : bool
        Keep numeric values inside their training range.

    Returns
    -------
    iterator of pandas.DataFrame or numpy.ndarray
    """
    transformer = model.transformer_
    # Conditions on a determined column become conditions on its determinants.
    conditions = logic.engine_conditions(conditions, n, np.random.default_rng([seed, 1]))
    specs = transformer.specs_
    codes_for = condition_codes_by_rows(conditions, n, specs, transformer)
    levels_for = condition_levels_by_rows(conditions, n, specs, transformer)
    model.generator_.eval()
    blocks = regroup(
        generate_blocks(model, n, codes_for, seed, model.marginal_calibration), chunk_size, transformer.spans_
    )
    # One numpy stream per column, apart from torch's, for the values of grouped categorical
    # levels or a numeric column's redraws and rounding habits (each column has one encoder, so
    # one stream each), consumed in row order so that the rows do not depend on the chunk size.
    column_rngs = [np.random.default_rng([seed, 2, index]) for index in range(len(specs))]
    return _decoded(model, logic, blocks, levels_for, column_rngs, clip)


def _decoded(model, logic, blocks, levels_for, column_rngs, clip: bool):
    transformer = model.transformer_
    start = 0
    for alphas, choices in blocks:
        stop = start + len(alphas)
        raw_columns = transformer.inverse_transform(alphas, choices, rng=column_rngs, clip=clip)
        # Conditioned columns carry exactly the requested values (the code alone says only
        # "other" for a grouped level).
        for column, levels in levels_for(start, stop).items():
            raw_columns[column] = levels
        raw_columns = logic.decode(raw_columns, transformer.specs_, clip)
        yield as_output(table_frame(model.columns_, raw_columns, clip, start), model.input_format_)
        start = stop


def table_frame(columns: list, raw_columns: list, clip: bool, start: int = 0) -> pd.DataFrame:
    """The table's columns, with their dtypes, from decoded raw values; the index starts at ``start``."""
    series = []
    for spec, raw in zip(columns, raw_columns):
        # The engine's decoding keeps its columns in range already (redrawn, never clipped);
        # float values the table's logic derived are clipped here.
        if clip and not spec.is_discrete and isinstance(raw, np.ndarray) and raw.dtype.kind == "f":
            raw = np.clip(raw, spec.minimum, spec.maximum)
        series.append(restore_column(spec, raw))
    frame = pd.concat(series, axis=1) if series else pd.DataFrame()
    frame.columns = [spec.name for spec in columns]
    if start:
        frame.index = pd.RangeIndex(start, start + len(frame))
    return frame


def as_output(frame: pd.DataFrame, input_format: dict):
    """``frame`` as ``fit`` got its input: a DataFrame, or an array of the input's dtype."""
    if input_format["type"] == "ndarray":
        return frame.to_numpy(dtype=np.dtype(input_format["dtype"]))
    return frame
