"""The schema of a saved TabularGAN's description, checked before any network is built.

:func:`tabular_tensors` walks the description that :mod:`gansynth.tabular.model_state` writes,
checks every field a loaded model uses (kinds, dtypes allowed for each kind, finite ranges,
category and mode counts, encoders agreeing with their columns, condition counts agreeing with
the encoders, time zones, sizes within bounds) and returns the generator tensors the
description implies, so that the file's tensors can be checked against them unread.
"""

from __future__ import annotations

import math
from dataclasses import fields

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from gansynth._columns import DISCRETE_KINDS, KINDS, NUMERIC_KINDS
from gansynth._model_checks import (
    MAX_CATEGORIES,
    MAX_COLUMNS,
    MAX_LAYERS,
    MAX_WIDTH,
    array,
    boolean,
    distinct_scalars,
    estimator_params,
    integer,
    invalid,
    loss_history,
    network_tensors,
    number,
    numpy_dtype,
    record,
    shown,
    text,
)
from gansynth.persistence import TensorSpecs
from gansynth.tabular.networks import Generator
from gansynth.tabular.numeric_schema import numeric_encoder
from gansynth.tabular.schema import _DATETIME_STEPS_NS, ColumnSpec
from gansynth.tabular.synthesizer import TabularGAN

_KEYS = ("params", "columns", "transformer", "condition_counts", "input_format", "seed", "loss_history")
# datetime64[ns] holds about +-292 years around 1970: seconds beyond this cannot become timestamps.
_MAX_EPOCH_SECONDS = 9.2e9
_MAX_COUNT = 2**53


def tabular_tensors(description: dict) -> TensorSpecs:
    """Check a TabularGAN description and return the generator tensors it implies.

    Parameters
    ----------
    description : dict
        The ``model`` part of a model file's header.

    Returns
    -------
    dict of str to (str, tuple of int)
        ``{tensor name: (safetensors dtype, shape)}`` of the generator's state.

    Raises
    ------
    ModelFileError
        Naming the first field that is missing, of the wrong type, out of bounds or
        inconsistent with another.
    """
    record(description, "the model", _KEYS)
    params = _params(description["params"])
    columns = array(description["columns"], "columns", 1, MAX_COLUMNS)
    for i, column in enumerate(columns):
        _column(column, f"columns[{i}]")
    names = [(type(c["name"]), c["name"]) for c in columns]
    if len(set(names)) != len(names):
        raise invalid("columns", "have duplicate names")
    data_widths, condition_widths = _transformer(description["transformer"], columns)
    _condition_counts(description["condition_counts"], condition_widths)
    _input_format(description["input_format"])
    integer(description["seed"], "seed", 0, 2**32 - 1)
    loss_history(description["loss_history"], "loss_history")
    noise_and_condition = params["embedding_dim"] + sum(condition_widths)
    return network_tensors(
        lambda: Generator(noise_and_condition, tuple(params["generator_dim"]), sum(data_widths)), "generator."
    )


def _params(value) -> dict:
    params = estimator_params(value, "params", TabularGAN)
    integer(params["embedding_dim"], "params.embedding_dim", 1, MAX_WIDTH)
    integer(params["pac"], "params.pac", 1, MAX_WIDTH)
    for name in ("generator_dim", "discriminator_dim"):
        for width in array(params[name], f"params.{name}", 0, MAX_LAYERS):
            integer(width, f"params.{name}", 1, MAX_WIDTH)
    return params


def _column(column, where: str) -> None:
    record(column, where, [f.name for f in fields(ColumnSpec)])
    name = column["name"]
    if isinstance(name, str):
        text(name, f"{where}.name")
    else:
        integer(name, f"{where}.name", -(2**63), 2**63 - 1)
    kind = column["kind"]
    if kind not in KINDS:
        raise invalid(f"{where}.kind", f"must be one of {list(KINDS)}; got {shown(kind)}")
    dtype = _dtype(column["dtype"], kind, f"{where}.dtype")
    number(column["nan_rate"], f"{where}.nan_rate", 0.0, 1.0)
    boolean(column["ordered"], f"{where}.ordered")
    if not isinstance(column["extra"], dict):
        raise invalid(f"{where}.extra", "must be an object")
    numeric_only = ("minimum", "maximum", "datetime_step_ns", "timezone")
    discrete_only = ("categories", "dtype_categories")
    for key in discrete_only if kind in NUMERIC_KINDS else numeric_only:
        if column[key] is not None:
            raise invalid(f"{where}.{key}", f"must be null for a {kind} column")
    if kind in NUMERIC_KINDS:
        _numeric_column(column, dtype, where)
    else:
        _discrete_column(column, dtype, where)


def _dtype(value, kind: str, where: str):
    text(value, where, 64)
    try:
        dtype = ptypes.pandas_dtype(value)
    except Exception:
        raise invalid(where, f"is not a pandas dtype: {shown(value)}") from None
    numeric = ptypes.is_numeric_dtype(dtype) and not ptypes.is_complex_dtype(dtype)
    if kind == "datetime":
        allowed = ptypes.is_datetime64_any_dtype(dtype)
    elif kind in ("continuous", "integer"):
        allowed = numeric and not ptypes.is_bool_dtype(dtype)
    else:
        allowed = (
            numeric
            or ptypes.is_object_dtype(dtype)
            or ptypes.is_string_dtype(dtype)
            or isinstance(dtype, pd.CategoricalDtype)
        )
    if not allowed:
        raise invalid(where, f"{shown(value)} cannot hold a {kind} column")
    return dtype


def _numeric_column(column, dtype, where: str) -> None:
    if ptypes.is_integer_dtype(dtype):
        info = np.iinfo(getattr(dtype, "numpy_dtype", dtype))
        low = integer(column["minimum"], f"{where}.minimum", int(info.min), int(info.max))
        high = integer(column["maximum"], f"{where}.maximum", int(info.min), int(info.max))
    else:
        bound = _MAX_EPOCH_SECONDS if column["kind"] == "datetime" else math.inf
        low = number(column["minimum"], f"{where}.minimum", -bound, bound)
        high = number(column["maximum"], f"{where}.maximum", -bound, bound)
    if low > high:
        raise invalid(where, f"has minimum {low} above maximum {high}")
    if column["kind"] != "datetime":
        return
    if column["datetime_step_ns"] not in _DATETIME_STEPS_NS:
        raise invalid(f"{where}.datetime_step_ns", f"must be one of {list(_DATETIME_STEPS_NS)}")
    timezone = column["timezone"]
    if (timezone is None) != (getattr(dtype, "tz", None) is None):
        raise invalid(f"{where}.timezone", f"{shown(timezone)} does not match the dtype {dtype}")
    if timezone is not None:
        try:
            pd.Timestamp(0, tz="UTC").tz_convert(text(timezone, f"{where}.timezone", 64))
        except Exception:
            raise invalid(f"{where}.timezone", f"is not a known time zone: {shown(timezone)}") from None


def _discrete_column(column, dtype, where: str) -> None:
    categories = distinct_scalars(column["categories"], f"{where}.categories")
    if column["kind"] == "boolean" and not all(isinstance(c, bool) for c in categories):
        raise invalid(f"{where}.categories", "of a boolean column must be true/false")
    if column["dtype_categories"] is not None:
        if not isinstance(dtype, pd.CategoricalDtype):
            raise invalid(f"{where}.dtype_categories", "must be null unless the dtype is 'category'")
        declared = distinct_scalars(column["dtype_categories"], f"{where}.dtype_categories")
        if not set(categories) <= set(declared):
            raise invalid(f"{where}.dtype_categories", "must include every category")


def _transformer(value, columns: list) -> tuple[list[int], list[int]]:
    """Check the encoders against their columns; return the data and condition block widths."""
    record(value, "transformer", ("max_modes", "max_rows", "random_state", "encoders"))
    max_modes = integer(value["max_modes"], "transformer.max_modes", 1, MAX_CATEGORIES)
    integer(value["max_rows"], "transformer.max_rows", 1, 2**63 - 1)
    integer(value["random_state"], "transformer.random_state", 0, 2**32 - 1)
    encoders = array(value["encoders"], "transformer.encoders", len(columns), len(columns))
    data_widths, condition_widths = [], []
    for i, (encoder, column) in enumerate(zip(encoders, columns)):
        where = f"transformer.encoders[{i}]"
        has_nan = column["nan_rate"] > 0
        if column["kind"] in DISCRETE_KINDS:
            record(encoder, where, ("type", "categories", "has_nan"))
            if encoder["type"] != "discrete" or encoder["categories"] != column["categories"]:
                raise invalid(where, f"does not encode the categories of column {shown(column['name'])}")
            width = len(column["categories"]) + has_nan
            data_widths.append(width)
            condition_widths.append(width)
        else:
            n_modes, n_spikes = numeric_encoder(encoder, column, max_modes, where)
            slots = n_modes + n_spikes + has_nan
            data_widths.append((n_modes > 0) + slots)
            if has_nan or n_spikes or n_modes == 0:
                condition_widths.append(slots)
        if boolean(encoder["has_nan"], f"{where}.has_nan") != has_nan:
            raise invalid(f"{where}.has_nan", "disagrees with the column's nan_rate")
    return data_widths, condition_widths


def _condition_counts(value, widths: list[int]) -> None:
    blocks = array(value, "condition_counts", len(widths), len(widths))
    totals = set()
    for j, (counts, width) in enumerate(zip(blocks, widths)):
        for count in array(counts, f"condition_counts[{j}]", width, width):
            integer(count, f"condition_counts[{j}]", 0, _MAX_COUNT)
        totals.add(sum(counts))
    if 0 in totals or len(totals) > 1:
        raise invalid("condition_counts", "must each add up to the same positive number of rows")


def _input_format(value) -> None:
    if isinstance(value, dict) and value.get("type") == "dataframe":
        record(value, "input_format", ("type",))
        return
    record(value, "input_format", ("type", "dtype"))
    if value["type"] != "ndarray":
        raise invalid("input_format.type", f"must be 'dataframe' or 'ndarray'; got {shown(value['type'])}")
    numpy_dtype(value["dtype"], "input_format.dtype", "biufcOMmUS")
