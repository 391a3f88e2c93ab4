"""Building blocks of the model-description schemas: each check raises one clear ModelFileError.

A description comes from a file, so nothing in it is trusted: every value a loader uses is
checked for its JSON type, its range and a size bound here, before any network is built. The
bounds are far above what a fitted model needs and far below what would exhaust memory.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
from sklearn.utils._param_validation import InvalidParameterError, validate_parameter_constraints

from gansynth.persistence import SAFETENSORS_DTYPE, ModelFileError, TensorSpecs

# Widest layer, noise or embedding vector a file may describe.
MAX_WIDTH = 65_536
# Most categories per column or classes per model; a generator with more one-hot outputs than
# this would exceed MAX_PARAMETERS anyway.
MAX_CATEGORIES = 65_536
MAX_COLUMNS = 65_536
MAX_EPOCHS = 10_000_000
MAX_LAYERS = 64
# Most generator parameters: 2**28 float32 values are 1 GiB, hundreds of times a default model.
MAX_PARAMETERS = 2**28
MAX_NAME_LENGTH = 4_096


def invalid(where: str, problem: str) -> ModelFileError:
    return ModelFileError(f"invalid model description: {where} {problem}")


def record(value, where: str, required, optional=()) -> dict:
    """``value`` as a JSON object holding all ``required`` keys and no keys but ``optional`` ones."""
    if not isinstance(value, dict):
        raise invalid(where, f"must be an object; got {type(value).__name__}")
    missing = [k for k in required if k not in value]
    unknown = [k for k in value if k not in required and k not in optional]
    if missing:
        raise invalid(where, f"lacks {missing}")
    if unknown:
        raise invalid(where, f"has unexpected keys {[shown(k) for k in unknown[:5]]}")
    return value


def shown(value, limit: int = 60) -> str:
    """A short, printable rendering of a value from a file."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def integer(value, where: str, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise invalid(where, f"must be an integer; got {shown(value)}")
    if not low <= value <= high:
        raise invalid(where, f"must be in [{low}, {high}]; got {value}")
    return value


def number(value, where: str, low: float = -math.inf, high: float = math.inf) -> float:
    """A finite number in ``[low, high]``."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise invalid(where, f"must be a number; got {shown(value)}")
    if not math.isfinite(value) or not low <= value <= high:
        raise invalid(where, f"must be finite and in [{low}, {high}]; got {shown(value)}")
    return float(value)


def boolean(value, where: str) -> bool:
    if not isinstance(value, bool):
        raise invalid(where, f"must be true or false; got {shown(value)}")
    return value


def text(value, where: str, limit: int = MAX_NAME_LENGTH) -> str:
    if not isinstance(value, str) or len(value) > limit:
        raise invalid(where, f"must be a string of at most {limit} characters; got {shown(value)}")
    return value


def array(value, where: str, low: int, high: int) -> list:
    """A JSON array of ``low`` to ``high`` items."""
    if not isinstance(value, list):
        raise invalid(where, f"must be an array; got {type(value).__name__}")
    if not low <= len(value) <= high:
        expected = f"exactly {low}" if low == high else f"{low} to {high}"
        raise invalid(where, f"must hold {expected} items; got {len(value)}")
    return value


def distinct_scalars(value, where: str, high: int = MAX_CATEGORIES) -> list:
    """An array of distinct strings, integers, booleans or non-NaN floats (categories, labels)."""
    items = array(value, where, 1, high)
    for item in items:
        if not isinstance(item, (str, int, float)) or (isinstance(item, float) and math.isnan(item)):
            raise invalid(where, f"must hold strings, numbers or booleans; got {shown(item)}")
        if isinstance(item, str):
            text(item, where)
    if len({(type(item), item) for item in items}) != len(items):
        raise invalid(where, "holds duplicates")
    return items


def numpy_dtype(value, where: str, kinds: str, max_itemsize: int = 2**16) -> np.dtype:
    """A numpy dtype string whose kind is one of ``kinds``."""
    text(value, where, 64)
    try:
        dtype = np.dtype(value)
    except Exception:
        raise invalid(where, f"is not a numpy dtype: {shown(value)}") from None
    if dtype.kind not in kinds or dtype.itemsize > max_itemsize:
        raise invalid(where, f"must be a dtype of kind {list(kinds)}; got {shown(value)}")
    return dtype


def estimator_params(value, where: str, cls) -> dict:
    """The stored constructor parameters over the class defaults, checked by its constraints."""
    record(value, where, (), cls._get_param_names())
    params = {**cls().get_params(), **value}
    try:
        validate_parameter_constraints(cls._parameter_constraints, params, caller_name=cls.__name__)
    except InvalidParameterError as exc:
        raise invalid(where, str(exc)) from None
    if "device" in params:
        _device_name(params["device"], f"{where}.device")
    return params


def _device_name(value, where: str) -> None:
    """A device name torch parses (a loaded model keeps its device parameter; load picks where it runs)."""
    if value is None or value == "auto":
        return
    text(value, where, 64)
    try:
        torch.device(value)
    except (RuntimeError, TypeError, ValueError):
        raise invalid(where, f"is not a torch device name: {shown(value)}") from None


def loss_history(value, where: str) -> None:
    columns = record(value, where, ("epoch", "generator_loss", "discriminator_loss"))
    lengths = {len(array(v, f"{where}.{k}", 0, MAX_EPOCHS)) for k, v in columns.items()}
    if len(lengths) > 1:
        raise invalid(where, "has columns of different lengths")
    for epoch in columns["epoch"]:
        integer(epoch, f"{where}.epoch", 0, MAX_EPOCHS)
    for name in ("generator_loss", "discriminator_loss"):
        # A diverged run legitimately records NaN or infinite losses.
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in columns[name]):
            raise invalid(f"{where}.{name}", "must hold numbers")


def network_tensors(build: Callable[[], torch.nn.Module], prefix: str) -> TensorSpecs:
    """The state dict a network would have, as ``{name: (dtype, shape)}``, without allocating it.

    ``build`` runs on torch's meta device, where parameters have shapes but no storage, so the
    tensor list comes from the network code itself and cannot drift from it.
    """
    with torch.device("meta"):
        state = build().state_dict()
    count = sum(tensor.numel() for tensor in state.values())
    if count > MAX_PARAMETERS:
        raise invalid("the network", f"would have {count} parameters, above the bound of {MAX_PARAMETERS}")
    return {prefix + name: (SAFETENSORS_DTYPE[t.dtype], tuple(t.shape)) for name, t in state.items()}
