"""Model files without pickle: safetensors weights plus a JSON header.

A gansynth model file is a single safetensors file. Its tensors are the network weights; its
string metadata holds one key, ``"gansynth"``, whose value is a JSON document describing the
model (class, constructor parameters, fitted schema). Reading one parses JSON and raw tensor
bytes only, so a file from an untrusted source cannot run code. A SHA-256 digest of the tensors
is stored in the header and checked on load, so truncation or tampering is reported instead of
silently producing a broken model.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import save_file

FORMAT_NAME = "gansynth"
# 2: the tabular matrix is laid out tanh columns first, then one-hot blocks grouped by width.
FORMAT_VERSION = 2

# The estimator classes a file may name; ``gansynth.models`` maps each to its class.
MODEL_KINDS = ("TabularGAN", "ImageGAN")


class ModelFileError(ValueError):
    """Raised when a file is not a readable gansynth model."""


def _digest(tensors: dict[str, torch.Tensor]) -> str:
    sha = hashlib.sha256()
    for name in sorted(tensors):
        tensor = tensors[name].detach().to("cpu").contiguous()
        sha.update(name.encode())
        sha.update(str(tensor.dtype).encode())
        sha.update(str(tuple(tensor.shape)).encode())
        sha.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return sha.hexdigest()


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
    header = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "kind": kind,
        "weights_sha256": _digest(cpu_tensors),
        "model": metadata,
    }
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    save_file(cpu_tensors, str(tmp), metadata={FORMAT_NAME: json.dumps(header, allow_nan=True)})
    os.replace(tmp, path)
    return path


def read_model(path) -> tuple[str, dict, dict[str, torch.Tensor]]:
    """Read and verify a model file without constructing the model.

    Parameters
    ----------
    path : str or os.PathLike
        The model file.

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
        If the file is not a gansynth model, is truncated, or its weights do not match its
        recorded digest.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"model file not found: {path}")
    try:
        with safe_open(str(path), framework="pt", device="cpu") as handle:
            raw_header = (handle.metadata() or {}).get(FORMAT_NAME)
            tensors = {name: handle.get_tensor(name) for name in handle.keys()}  # noqa: SIM118 (a safetensors handle, not a dict)
    except Exception as exc:  # safetensors raises its own error types for bad headers
        raise ModelFileError(
            f"{path} is not a valid gansynth model file (safetensors could not read it: {exc}). "
            "It may be truncated, corrupt, or in another format such as pickle, which gansynth "
            "never loads."
        ) from None
    if raw_header is None:
        raise ModelFileError(f"{path} is a safetensors file but not a gansynth model (no header)")
    try:
        header = json.loads(raw_header)
    except json.JSONDecodeError as exc:
        raise ModelFileError(f"{path}: the gansynth header is not valid JSON ({exc})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT_NAME:
        raise ModelFileError(f"{path}: the header does not describe a gansynth model")
    if header.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: model format version {header.get('format_version')!r} is not supported "
            f"by this gansynth (expects {FORMAT_VERSION})"
        )
    kind = header.get("kind")
    if kind not in MODEL_KINDS:
        raise ModelFileError(f"{path}: unknown model kind {kind!r}")
    if header.get("weights_sha256") != _digest(tensors):
        raise ModelFileError(f"{path}: the weights do not match their recorded digest (tampered or corrupt)")
    if not isinstance(header.get("model"), dict):
        raise ModelFileError(f"{path}: the model description is missing")
    return kind, header["model"], tensors
