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
from gansynth.tabular.constraint_fit import Roles, check_columns
from gansynth.tabular.constraints import FunctionalDependency, Inequality, RangeByCategory, record_from_dict
from gansynth.tabular.networks import Generator
from gansynth.tabular.numeric_schema import numeric_encoder
from gansynth.tabular.schema import _DATETIME_STEPS_NS, ColumnSpec
from gansynth.tabular.synthesizer import TabularGAN

_KEYS = (
    "params",
    "columns",
    "constraints",
    "engine_columns",
    "transformer",
    "condition_counts",
    "input_format",
    "seed",
    "world_size",
    "loss_history",
)
# Most constraint records, and most entries in one functional dependency's lookup.
_MAX_CONSTRAINTS = 65_536
_MAX_LOOKUP = 1_000_000
# datetime64[ns] holds about +-292 years around 1970: seconds beyond this cannot become timestamps.
_MAX_EPOCH_SECONDS = 9.2e9
_MAX_COUNT = 2**53
# Most levels of a column whose rare levels are grouped: the levels live in the JSON header, which
# persistence bounds at 64 MiB; 2**22 short strings and their counts fit in it.
_MAX_LEVELS = 2**22
# Most data-parallel workers a model records having been trained by (torch's own ranks are int32).
_MAX_WORLD_SIZE = 2**31 - 1


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
    engine_columns = array(description["engine_columns"], "engine_columns", 1, len(columns))
    for i, column in enumerate(engine_columns):
        _column(column, f"engine_columns[{i}]")
    _constraints(description["constraints"], columns, engine_columns)
    data_widths, condition_widths, level_counts = _transformer(description["transformer"], engine_columns)
    _condition_counts(description["condition_counts"], condition_widths, level_counts)
    _input_format(description["input_format"])
    integer(description["seed"], "seed", 0, 2**32 - 1)
    integer(description["world_size"], "world_size", 1, _MAX_WORLD_SIZE)
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
    # A training-time option: sampling never reads it, but a column name has a name's bounds.
    if isinstance(params["auxiliary_target"], str):
        text(params["auxiliary_target"], "params.auxiliary_target")
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
    categories = distinct_scalars(column["categories"], f"{where}.categories", _MAX_LEVELS)
    if column["kind"] == "boolean" and not all(isinstance(c, bool) for c in categories):
        raise invalid(f"{where}.categories", "of a boolean column must be true/false")
    if column["dtype_categories"] is not None:
        if not isinstance(dtype, pd.CategoricalDtype):
            raise invalid(f"{where}.dtype_categories", "must be null unless the dtype is 'category'")
        declared = distinct_scalars(column["dtype_categories"], f"{where}.dtype_categories", _MAX_LEVELS)
        if not set(categories) <= set(declared):
            raise invalid(f"{where}.dtype_categories", "must include every category")


def _transformer(value, columns: list) -> tuple[list[int], list[int], list]:
    """Check the encoders against their columns.

    Returns the data and condition block widths, and per condition block the counts its first
    slots must hold (a grouped column's kept levels and "other"), or None.
    """
    record(value, "transformer", ("max_modes", "max_rows", "random_state", "encoders"))
    max_modes = integer(value["max_modes"], "transformer.max_modes", 1, MAX_CATEGORIES)
    integer(value["max_rows"], "transformer.max_rows", 1, 2**63 - 1)
    integer(value["random_state"], "transformer.random_state", 0, 2**32 - 1)
    encoders = array(value["encoders"], "transformer.encoders", len(columns), len(columns))
    data_widths, condition_widths, level_counts = [], [], []
    for i, (encoder, column) in enumerate(zip(encoders, columns)):
        where = f"transformer.encoders[{i}]"
        has_nan = column["nan_rate"] > 0
        if column["kind"] in DISCRETE_KINDS:
            if isinstance(encoder, dict) and encoder.get("type") == "grouped":
                slot_counts = _grouped_encoder(encoder, len(column["categories"]), where)
            else:
                _discrete_encoder(encoder, column, f"columns[{i}]", where)
                slot_counts = None
            width = (len(slot_counts) if slot_counts else len(column["categories"])) + has_nan
            data_widths.append(width)
            condition_widths.append(width)
            level_counts.append(slot_counts)
        else:
            n_modes, n_spikes = numeric_encoder(encoder, column, max_modes, where)
            slots = n_modes + n_spikes + has_nan
            data_widths.append((n_modes > 0) + slots)
            if has_nan or n_spikes or n_modes == 0:
                condition_widths.append(slots)
                level_counts.append(None)
        if boolean(encoder["has_nan"], f"{where}.has_nan") != has_nan:
            raise invalid(f"{where}.has_nan", "disagrees with the column's nan_rate")
    return data_widths, condition_widths, level_counts


def _discrete_encoder(encoder, column, column_where: str, where: str) -> None:
    array(column["categories"], f"{column_where}.categories", 1, MAX_CATEGORIES)
    record(encoder, where, ("type", "categories", "has_nan"))
    if encoder["type"] != "discrete" or encoder["categories"] != column["categories"]:
        raise invalid(where, f"does not encode the categories of column {shown(column['name'])}")


def _grouped_encoder(encoder, n_levels: int, where: str) -> list[int]:
    """Check a grouped encoder's level counts and kept levels; return its slots' counts.

    The kept levels are distinct, ascending indices into the column's categories, at least one
    level is left for "other", and every level has a positive count, all adding up to at most
    ``_MAX_COUNT`` rows (the sampler's running sums stay exact in int64).
    """
    record(encoder, where, ("type", "kept", "counts", "has_nan"))
    counts = array(encoder["counts"], f"{where}.counts", n_levels, n_levels)
    if not all(type(count) is int and 1 <= count <= _MAX_COUNT for count in counts):
        raise invalid(f"{where}.counts", f"must hold integers in [1, {_MAX_COUNT}]")
    if sum(counts) > _MAX_COUNT:
        raise invalid(f"{where}.counts", f"must add up to at most {_MAX_COUNT}")
    kept = array(encoder["kept"], f"{where}.kept", 0, min(n_levels, MAX_CATEGORIES) - 1)
    previous = -1
    for level in kept:
        previous = integer(level, f"{where}.kept", previous + 1, n_levels - 1)
    kept_counts = [counts[level] for level in kept]
    return kept_counts + [sum(counts) - sum(kept_counts)]


def _condition_counts(value, widths: list[int], level_counts: list) -> None:
    blocks = array(value, "condition_counts", len(widths), len(widths))
    totals = set()
    for j, (counts, width, slots) in enumerate(zip(blocks, widths, level_counts)):
        for count in array(counts, f"condition_counts[{j}]", width, width):
            integer(count, f"condition_counts[{j}]", 0, _MAX_COUNT)
        if slots is not None and counts[: len(slots)] != slots:
            raise invalid(f"condition_counts[{j}]", "disagrees with the grouped levels' counts")
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


# ------------------------------------------------------------------------- the table's logic
def _constraints(value, columns: list, engine_columns: list) -> None:
    """Check the records against the columns, and the engine's columns against the records."""
    specs = {c["name"]: ColumnSpec.from_dict(c) for c in columns}
    roles = Roles()
    records = []
    for i, item in enumerate(array(value, "constraints", 0, _MAX_CONSTRAINTS)):
        where = f"constraints[{i}]"
        if not isinstance(item, dict) or item.get("type") not in _RECORD_KEYS:
            raise invalid(f"{where}.type", f"must be one of {list(_RECORD_KEYS)}")
        record(item, where, _RECORD_KEYS[item["type"]])
        for key in ("determinants", "columns"):
            if key in item:
                for name in array(
                    item[key], f"{where}.{key}", 1, 2 if key == "determinants" else MAX_COLUMNS
                ):
                    _name(name, f"{where}.{key}")
        for key in ("column", "when", "low", "high", "by"):
            if key in item and not (key == "when" and item[key] is None):
                _name(item[key], f"{where}.{key}")
        try:
            parsed = record_from_dict({**item, "lookup": None, "values": None, "ranges": None})
            check_columns(parsed, specs)
            roles.add(parsed)
        except (ValueError, TypeError) as exc:
            raise invalid(where, str(exc)) from None
        _learned(item, parsed, specs, where)
        records.append(parsed)
    _engine_columns(engine_columns, columns, records)


_RECORD_KEYS = {
    "functional_dependency": ("type", "determinants", "column", "lookup", "one_to_one"),
    "missing_together": ("type", "columns", "when", "values"),
    "inequality": ("type", "low", "high"),
    "range_by_category": ("type", "column", "by", "ranges"),
}


def _name(value, where: str) -> None:
    if isinstance(value, str):
        text(value, where)
    else:
        integer(value, where, -(2**63), 2**63 - 1)


def _value_of(value, spec: ColumnSpec, where: str) -> None:
    """A value the column can take: a category, a number in its range, or null when it has NaN."""
    if value is None:
        if not spec.has_nan:
            raise invalid(where, f"is null, but column {shown(spec.name)} has no missing values")
    elif spec.is_discrete:
        if isinstance(value, (list, dict)) or value not in spec.categories:
            raise invalid(where, f"{shown(value)} is not a category of column {shown(spec.name)}")
    else:
        number(value, where, spec.minimum, spec.maximum)


def _learned(item: dict, parsed, specs: dict, where: str) -> None:
    """What a record learned from the data: lookups, values and ranges the columns can hold."""
    if isinstance(parsed, FunctionalDependency):
        boolean(item["one_to_one"], f"{where}.one_to_one")
        keys = set()
        for j, entry in enumerate(array(item["lookup"], f"{where}.lookup", 1, _MAX_LOOKUP)):
            at = f"{where}.lookup[{j}]"
            record(entry, at, ("key", "value", "count"))
            key = array(entry["key"], f"{at}.key", len(parsed.determinants), len(parsed.determinants))
            for name, part in zip(parsed.determinants, key):
                if part is None:
                    raise invalid(f"{at}.key", "holds null; determinants have no missing values")
                _value_of(part, specs[name], f"{at}.key")
            _value_of(entry["value"], specs[parsed.column], f"{at}.value")
            integer(entry["count"], f"{at}.count", 1, _MAX_COUNT)
            keys.add(tuple((type(k), k) for k in key))
        if len(keys) != len(item["lookup"]):
            raise invalid(f"{where}.lookup", "holds a key twice")
    elif isinstance(parsed, RangeByCategory):
        seen = set()
        for j, entry in enumerate(array(item["ranges"], f"{where}.ranges", 0, MAX_CATEGORIES + 1)):
            at = f"{where}.ranges[{j}]"
            record(entry, at, ("value", "low", "high"))
            _value_of(entry["value"], specs[parsed.by], f"{at}.value")
            # A declared range may be wider than the training range; sampling clips to the latter.
            bound = _MAX_EPOCH_SECONDS if specs[parsed.column].kind == "datetime" else math.inf
            low = number(entry["low"], f"{at}.low", -bound, bound)
            number(entry["high"], f"{at}.high", low, bound)
            seen.add((type(entry["value"]), entry["value"]))
        if len(seen) != len(item["ranges"]):
            raise invalid(f"{where}.ranges", "holds a value twice")
    elif not isinstance(parsed, Inequality):
        values = item["values"]
        if (values is None) != (parsed.when is None):
            raise invalid(f"{where}.values", "must be given exactly when 'when' is")
        for j, part in enumerate(array(values, f"{where}.values", 0, MAX_CATEGORIES + 1) if values else []):
            _value_of(part, specs[parsed.when], f"{where}.values[{j}]")


def _engine_columns(engine_columns: list, columns: list, records: list) -> None:
    """The engine's columns: the table's less the determined ones, discrete ones unchanged."""
    derived = {r.column for r in records if isinstance(r, FunctionalDependency)}
    reparameterised = {r.high for r in records if isinstance(r, Inequality)}
    reparameterised |= {r.column for r in records if isinstance(r, RangeByCategory)}
    expected = [c for c in columns if c["name"] not in derived]
    if [c["name"] for c in engine_columns] != [c["name"] for c in expected]:
        raise invalid("engine_columns", "must be the columns less the determined ones, in order")
    for i, (engine, column) in enumerate(zip(engine_columns, expected)):
        if column["name"] in reparameterised:
            if engine["kind"] not in ("continuous", "integer"):
                raise invalid(f"engine_columns[{i}].kind", "must be continuous or integer")
        elif engine["kind"] != column["kind"] or engine["categories"] != column["categories"]:
            raise invalid(f"engine_columns[{i}]", f"does not model column {shown(column['name'])} as it is")
