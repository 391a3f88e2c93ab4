"""The schema of a saved numeric encoder: mixture, spikes, exact grid, range and rounding habits.

Called by :mod:`gansynth.tabular.model_schema` for each numeric column. Everything the decoder
uses is checked against its column: an exact column's grid must span exactly the column's
training range, so that an edited file cannot make an integer column sample values it never
held (or values its dtype cannot hold).
"""

from __future__ import annotations

import math

from pandas.api import types as ptypes

from gansynth._model_checks import array, integer, invalid, number, record, shown
from gansynth.tabular.column_values import (
    DISCRETE_MAX_VALUES,
    LADDER_MULTIPLES,
    MAX_DECIMAL_UNITS,
    MAX_DECIMALS,
    MAX_SPIKES,
    REPEATED_MAX_VALUES,
)

_KEYS = ("type", "means", "stds", "weights", "has_nan", "spikes", "units", "low", "high", "ladder")
_MAX_SPIKES = max(DISCRETE_MAX_VALUES, REPEATED_MAX_VALUES, MAX_SPIKES + 1)
_SCALES = tuple(10**d for d in range(MAX_DECIMALS + 1))
_INT64 = (-(2**63) + 1, 2**63 - 1)
_UINT64_MAX = 2**64 - 1


def numeric_encoder(encoder, column: dict, max_modes: int, where: str) -> tuple[int, int]:
    """Check one numeric encoder against its (already checked) column; return (modes, spikes).

    Raises
    ------
    ModelFileError
        Naming the first bad field.
    """
    record(encoder, where, _KEYS)
    if encoder["type"] != "numeric":
        raise invalid(f"{where}.type", f"must be 'numeric' for the {column['kind']} column")
    n_modes = len(array(encoder["means"], f"{where}.means", 0, max_modes))
    for key, low in (("means", -math.inf), ("stds", 5e-324), ("weights", 5e-324)):
        for x in array(encoder[key], f"{where}.{key}", n_modes, n_modes):
            number(x, f"{where}.{key}", low)
    spikes = array(encoder["spikes"], f"{where}.spikes", 0 if n_modes else 1, _MAX_SPIKES)
    if n_modes == 0:
        for key in ("low", "high", "ladder"):
            if encoder[key] is not None:
                raise invalid(f"{where}.{key}", "must be null without mixture modes")
    exact = column["kind"] == "datetime" or ptypes.is_integer_dtype(ptypes.pandas_dtype(column["dtype"]))
    if encoder["units"] is None:
        if exact:
            raise invalid(
                f"{where}.units", f"must be set for the {column['kind']} column {shown(column['name'])}"
            )
        _float_values(encoder, spikes, column, n_modes, where)
    else:
        _grid(encoder, spikes, column, n_modes, exact, where)
    return n_modes, len(spikes)


def _increasing(values: list, where: str) -> None:
    if any(b <= a for a, b in zip(values, values[1:])):
        raise invalid(where, "must be strictly increasing")


def _float_values(encoder, spikes: list, column: dict, n_modes: int, where: str) -> None:
    """Spikes and range of a column modelled as floats: inside the column's range."""
    low, high = column["minimum"], column["maximum"]
    for x in spikes:
        number(x, f"{where}.spikes", low, high)
    _increasing(spikes, f"{where}.spikes")
    if n_modes:
        first = number(encoder["low"], f"{where}.low", low, high)
        if number(encoder["high"], f"{where}.high", first, high) < first:
            raise invalid(where, "has low above high")
    if encoder["ladder"] is not None:
        raise invalid(f"{where}.ladder", "must be null for a column without a grid")


def _grid(encoder, spikes: list, column: dict, n_modes: int, exact: bool, where: str) -> None:
    """An exact grid whose values span exactly the column's range (or stay within float64's exact range)."""
    units = record(encoder["units"], f"{where}.units", ("anchor", "step", "scale"))
    anchor = integer(units["anchor"], f"{where}.units.anchor", -_UINT64_MAX, _UINT64_MAX)
    step = integer(units["step"], f"{where}.units.step", 1, _UINT64_MAX)
    scale = units["scale"]
    if scale not in _SCALES or isinstance(scale, bool) or (exact and scale != 1):
        raise invalid(f"{where}.units.scale", f"must be {1 if exact else list(_SCALES)}; got {shown(scale)}")
    for k in spikes:
        integer(k, f"{where}.spikes", 0, _UINT64_MAX)
    _increasing(spikes, f"{where}.spikes")
    top = spikes[-1] if spikes else 0
    if n_modes:
        low = integer(encoder["low"], f"{where}.low", 0, _UINT64_MAX)
        high = integer(encoder["high"], f"{where}.high", low, _UINT64_MAX)
        top = max(top, high + sum(1 for i, k in enumerate(spikes) if k - i <= high))
        _ladder(encoder["ladder"], f"{where}.ladder")
    first, last = anchor, anchor + top * step
    if column["kind"] == "datetime":
        if not (_INT64[0] <= first and last <= _INT64[1]):
            raise invalid(f"{where}.units", "reach beyond the datetime64[ns] range")
    elif exact:
        if (first, last) != (column["minimum"], column["maximum"]):
            raise invalid(
                f"{where}.units",
                f"span [{first}, {last}], not the column's range [{column['minimum']}, {column['maximum']}]",
            )
    elif max(abs(first), abs(last)) >= MAX_DECIMAL_UNITS:
        raise invalid(f"{where}.units", f"reach beyond {MAX_DECIMAL_UNITS} units")


def _ladder(value, where: str) -> None:
    if value is None:
        return
    levels = array(value, where, 2, len(LADDER_MULTIPLES) + 1)
    multiples, total = [], 0.0
    for level in levels:
        if not isinstance(level, list) or len(level) != 2:
            raise invalid(where, f"must hold [multiple, probability] pairs; got {shown(level)}")
        multiples.append(integer(level[0], where, 1, LADDER_MULTIPLES[-1]))
        total += number(level[1], where, 0.0, 1.0)
    if multiples[0] != 1 or any(b % a or b == a for a, b in zip(multiples, multiples[1:])):
        raise invalid(where, "multiples must start at 1 and each divide the next")
    if not 0.999 <= total <= 1.001:
        raise invalid(where, f"probabilities must add up to 1; got {total}")
