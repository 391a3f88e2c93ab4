"""Model files without pickle: safetensors weights plus a JSON description, verified whole.

A gansynth model file is a single safetensors file. Its tensors are the network weights; its
string metadata holds one key, ``"gansynth"``, whose value is a JSON header naming the format,
its version and the model kind, and carrying the model description (class parameters, fitted
schema). Reading one parses JSON and raw tensor bytes only, so a file from an untrusted source
cannot run code.

Reading is bounded before anything is allocated: the safetensors header is parsed here (size,
nesting depth, duplicate keys, dtypes, shapes, offsets inside the file, total bytes), the
description is checked against the kind's schema, which says which tensors of which shapes the
file must hold, and only then are exactly those tensors read, one by one. A SHA-256 digest over
the canonical JSON of the description and over the tensors is checked last, so corruption or a
hand edit of either is reported instead of producing a broken model. The digest detects
accidents, not a forger: whoever edits a file can recompute it, which is why the schema checks
stand on their own.
"""

from __future__ import annotations

import hashlib
import json
import math
import numbers
import os
import struct
from collections.abc import Callable
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from gansynth.errors import GansynthError

FORMAT_NAME = "gansynth"
# 2: the tabular matrix is laid out tanh columns first, then one-hot blocks grouped by width.
# 3: the digest covers the canonical JSON description as well as the tensors.
# 4: tabular descriptions carry the table's logic (`constraints`, `engine_columns`) and the
#    grouping of high-cardinality columns; a format-3 file lacks them.
FORMAT_VERSION = 4

# The estimator classes a file may name; ``gansynth.models`` maps each to its class.
MODEL_KINDS = ("TabularGAN", "ImageGAN")

# Bounds checked before parsing or reading. A header is JSON text a few kilobytes to a few
# megabytes long (it grows with the number of categories); 64 MiB leaves room for the largest
# description the schema's size bounds allow while keeping a hostile one from exhausting memory.
MAX_HEADER_BYTES = 64 * 2**20
# Deepest JSON nesting accepted. A description nests 5 levels; the bound stops a hostile file
# before it reaches Python's recursion limit.
MAX_JSON_DEPTH = 32
# Total tensor bytes: 4 GiB, ten times the schema's parameter bound (2**28 float32 parameters).
MAX_TENSOR_BYTES = 2**32
MAX_TENSORS = 10_000

# safetensors dtype names, their sizes, and the torch dtypes gansynth writes.
DTYPE_SIZES = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
    "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8,
}  # fmt: skip
SAFETENSORS_DTYPE = {torch.float32: "F32", torch.float64: "F64", torch.float16: "F16", torch.int64: "I64"}

# What a schema returns: the tensors a description implies, by name, as (safetensors dtype, shape).
TensorSpecs = dict[str, tuple[str, tuple[int, ...]]]


class ModelFileError(GansynthError, ValueError):
    """Raised when a file is not a readable gansynth model."""


def canonical_json(description: dict) -> bytes:
    """The bytes the digest covers: sorted keys, no spaces, ASCII only.

    ``NaN`` and infinities are written as JSON's common ``NaN``/``Infinity`` extensions (a
    diverged loss history may hold them); a parsed description always serialises back to the
    same bytes, which is what lets the reader recompute the digest.
    """
    return json.dumps(description, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _digest(description: dict, tensors: dict[str, torch.Tensor]) -> str:
    sha = hashlib.sha256()
    sha.update(canonical_json(description))
    for name in sorted(tensors):
        tensor = tensors[name].detach().to("cpu").contiguous()
        sha.update(b"\0" + name.encode())
        sha.update(str(tensor.dtype).encode())
        sha.update(str(tuple(tensor.shape)).encode())
        sha.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return sha.hexdigest()


def stored_params(params: dict) -> dict:
    """Constructor parameters as a description stores them: as given, wherever JSON can hold them.

    Tuples (and lists) are written as arrays, which :func:`loaded_params` reads back as tuples;
    numpy scalars are written as numbers and a ``torch.device`` as its name. A ``random_state``
    that is a ``RandomState`` or ``Generator`` instance cannot be stored and is written as null
    (a fitted model that needs its drawn seed stores it apart from its parameters).
    """
    stored = {}
    for name, value in params.items():
        if name == "random_state" and not _is_integer(value):
            value = None
        elif isinstance(value, torch.device):
            value = str(value)
        elif _is_integer(value):
            value = int(value)
        elif isinstance(value, numbers.Real) and not isinstance(value, bool):
            value = float(value)
        elif isinstance(value, (tuple, list)):
            value = [int(v) if _is_integer(v) else v for v in value]
        stored[name] = value
    return stored


def loaded_params(params: dict) -> dict:
    """Stored constructor parameters as the estimator takes them: arrays back to tuples."""
    return {name: tuple(value) if isinstance(value, list) else value for name, value in params.items()}


def _is_integer(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def save_model(path, kind: str, metadata: dict, tensors: dict[str, torch.Tensor]) -> Path:
    """Write a model file.

    Parameters
    ----------
    path : str or os.PathLike
        Destination file. Parent folders must exist.
    kind : str
        The estimator class name, one of the loadable kinds.
    metadata : dict
        JSON-serialisable description of the model.
    tensors : dict of str to torch.Tensor
        Weights and buffers; moved to CPU before writing.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    if kind not in MODEL_KINDS:
        raise ValueError(f"unknown model kind {kind!r}")
    cpu_tensors = {k: v.detach().to("cpu").contiguous() for k, v in tensors.items()}
    # A JSON round trip first, so the digest covers exactly what a reader will parse
    # (tuples become lists, integer keys become strings).
    description = json.loads(json.dumps(metadata))
    header = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "kind": kind,
        "digest_sha256": _digest(description, cpu_tensors),
        "model": description,
    }
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    try:
        save_file(cpu_tensors, str(tmp), metadata={FORMAT_NAME: json.dumps(header)})
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a failed or interrupted write leaves no partial file
        raise
    return path


def read_model(
    path, expected_tensors: Callable[[str, dict], TensorSpecs] | None = None
) -> tuple[str, dict, dict[str, torch.Tensor]]:
    """Read and verify a model file without constructing the model.

    Parameters
    ----------
    path : str or os.PathLike
        The model file.
    expected_tensors : callable or None, default=None
        ``expected_tensors(kind, description)`` validates the description and returns the
        tensors it implies as ``{name: (safetensors dtype, shape)}``, raising
        :class:`ModelFileError` for a bad description. The file must hold exactly these
        tensors; it is called before any tensor is read. ``None`` reads whatever the file
        declares (within the size bounds).

    Returns
    -------
    kind : str
        The estimator class name.
    metadata : dict
        The model description written by :func:`save_model`.
    tensors : dict of str to torch.Tensor
        CPU tensors.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ModelFileError
        If the file is not a gansynth model, is truncated, exceeds a bound, its description
        is invalid, or its description or weights do not match the recorded digest.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"model file not found: {path}")
    declared, raw_header = _read_safetensors_header(path)
    if raw_header is None:
        raise ModelFileError(f"{path} is a safetensors file but not a gansynth model (no header)")
    header = parse_json(raw_header, f"{path}: the gansynth header")
    kind, description = _check_header(path, header)
    if expected_tensors is not None:
        try:
            expected = expected_tensors(kind, description)
        except ModelFileError as exc:
            raise ModelFileError(f"{path}: {exc}") from None
        _check_declared(path, declared, expected)
    try:
        with safe_open(str(path), framework="pt", device="cpu") as handle:
            tensors = {name: handle.get_tensor(name) for name in sorted(declared)}
    except Exception as exc:  # safetensors raises its own error types
        raise ModelFileError(f"{path}: the weights could not be read ({exc})") from None
    if header["digest_sha256"] != _digest(description, tensors):
        raise ModelFileError(
            f"{path}: the description or weights do not match their recorded digest (tampered or corrupt)"
        )
    return kind, description, tensors


def _not_safetensors(path, reason: str) -> ModelFileError:
    return ModelFileError(
        f"{path} is not a valid gansynth model file ({reason}). It may be truncated, corrupt, or in "
        "another format such as pickle, which gansynth never loads."
    )


def _read_safetensors_header(path: Path) -> tuple[dict, str | None]:
    """The declared tensors ``{name: (dtype, shape)}`` and the gansynth header text, all checked.

    The safetensors layout: 8 bytes of little-endian header length, the JSON header, then the
    tensor data, each tensor at ``data_offsets`` relative to the data's start.
    """
    file_size = path.stat().st_size
    with open(path, "rb") as handle:
        prefix = handle.read(8)
        if len(prefix) < 8:
            raise _not_safetensors(path, "shorter than a safetensors header")
        (length,) = struct.unpack("<Q", prefix)
        if length > MAX_HEADER_BYTES:
            raise _not_safetensors(path, f"header of {length} bytes, above the {MAX_HEADER_BYTES} byte bound")
        if 8 + length > file_size:
            raise _not_safetensors(path, "the header runs past the end of the file")
        raw = handle.read(length)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _not_safetensors(path, "the header is not UTF-8 text") from None
    if not text.lstrip().startswith("{"):
        raise _not_safetensors(path, "no JSON header")
    entries = parse_json(text, f"{path}: the safetensors header")
    if not isinstance(entries, dict):
        raise _not_safetensors(path, "the header is not a JSON object")
    metadata = entries.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise _not_safetensors(path, "the header's metadata is not a string map")
    if len(entries) > MAX_TENSORS:
        raise ModelFileError(f"{path}: {len(entries)} tensors, above the {MAX_TENSORS} bound")
    declared, spans = {}, []
    for name, entry in entries.items():
        dtype, shape, begin, end = _tensor_entry(path, name, entry)
        declared[name] = (dtype, shape)
        spans.append((begin, end))
    data_size = file_size - 8 - length
    covered = 0
    for begin, end in sorted(spans):
        if begin != covered:
            raise _not_safetensors(path, "tensor data overlaps or leaves gaps")
        covered = end
    if covered != data_size:
        raise _not_safetensors(path, f"tensors declare {covered} bytes of data, the file holds {data_size}")
    if covered > MAX_TENSOR_BYTES:
        raise ModelFileError(f"{path}: {covered} bytes of weights, above the {MAX_TENSOR_BYTES} byte bound")
    return declared, metadata.get(FORMAT_NAME)


def _tensor_entry(path, name: str, entry) -> tuple[str, tuple[int, ...], int, int]:
    if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
        raise _not_safetensors(path, f"tensor {name!r} is not described by dtype, shape and data_offsets")
    dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
    if dtype not in DTYPE_SIZES:
        raise _not_safetensors(path, f"tensor {name!r} has unknown dtype {dtype!r}")
    if not isinstance(shape, list) or len(shape) > 8 or not all(_is_count(d) for d in shape):
        raise _not_safetensors(path, f"tensor {name!r} has an invalid shape {shape!r}")
    if not isinstance(offsets, list) or len(offsets) != 2 or not all(_is_count(o) for o in offsets):
        raise _not_safetensors(path, f"tensor {name!r} has invalid data offsets")
    begin, end = offsets
    if end - begin != math.prod(shape) * DTYPE_SIZES[dtype]:
        raise _not_safetensors(path, f"tensor {name!r}: its offsets do not match its shape and dtype")
    return dtype, tuple(shape), begin, end


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_header(path, header) -> tuple[str, dict]:
    if not isinstance(header, dict) or header.get("format") != FORMAT_NAME:
        raise ModelFileError(f"{path}: the header does not describe a gansynth model")
    version = header.get("format_version")
    if isinstance(version, int) and not isinstance(version, bool) and version < FORMAT_VERSION:
        raise ModelFileError(
            f"{path} was written by an older gansynth (model format {version}); this version reads "
            f"format {FORMAT_VERSION} only: refit the model and save it again"
        )
    if version != FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: model format version {version!r} is not supported by this gansynth "
            f"(expects {FORMAT_VERSION})"
        )
    kind = header.get("kind")
    if kind not in MODEL_KINDS:
        raise ModelFileError(f"{path}: unknown model kind {kind!r}")
    if not isinstance(header.get("digest_sha256"), str):
        raise ModelFileError(f"{path}: the header has no digest")
    if not isinstance(header.get("model"), dict):
        raise ModelFileError(f"{path}: the model description is missing")
    return kind, header["model"]


def _check_declared(path, declared: TensorSpecs, expected: TensorSpecs) -> None:
    missing, unexpected = sorted(set(expected) - set(declared)), sorted(set(declared) - set(expected))
    if missing or unexpected:
        parts = [
            f"missing {missing[:5]}" if missing else "",
            f"unexpected {unexpected[:5]}" if unexpected else "",
        ]
        raise ModelFileError(
            f"{path}: the tensors do not match the model description ({', '.join(p for p in parts if p)})"
        )
    for name, (dtype, shape) in expected.items():
        if declared[name] != (dtype, tuple(shape)):
            raise ModelFileError(
                f"{path}: tensor {name!r} is {declared[name][0]} {list(declared[name][1])}; "
                f"the description implies {dtype} {list(shape)}"
            )


def _unique_keys(pairs: list) -> dict:
    result = dict(pairs)
    if len(result) != len(pairs):
        keys = [key for key, _ in pairs]
        raise ModelFileError(f"duplicate key {next(k for k in keys if keys.count(k) > 1)!r}")
    return result


def parse_json(text: str, what: str):
    """Parse JSON, refusing duplicate keys and nesting deeper than :data:`MAX_JSON_DEPTH`."""
    try:
        value = json.loads(text, object_pairs_hook=_unique_keys)
    except RecursionError:
        raise ModelFileError(f"{what} nests deeper than {MAX_JSON_DEPTH} levels") from None
    except ModelFileError as exc:
        raise ModelFileError(f"{what} is invalid: {exc}") from None
    except ValueError as exc:  # JSONDecodeError, and invalid numbers
        raise ModelFileError(f"{what} is not valid JSON ({exc})") from None
    if json_depth(value) > MAX_JSON_DEPTH:
        raise ModelFileError(f"{what} nests deeper than {MAX_JSON_DEPTH} levels")
    return value


def json_depth(value) -> int:
    """Nesting depth of parsed JSON (a scalar is 0), computed without recursion."""
    depth, stack = 0, [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            depth = max(depth, level + 1)
            if depth > MAX_JSON_DEPTH:
                return depth
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return depth
