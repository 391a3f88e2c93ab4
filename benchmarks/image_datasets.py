"""Fashion-MNIST from its original idx ``.gz`` files: a local folder, a cache, or its public home."""

from __future__ import annotations

import gzip
import os
import struct
import urllib.request
from pathlib import Path

import numpy as np

FASHION_MNIST_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)


def read_idx(path) -> np.ndarray:
    """Read one gzipped idx file (the MNIST container format) into a numpy array.

    Parameters
    ----------
    path : str or os.PathLike
        A ``*-idx?-ubyte.gz`` file.

    Returns
    -------
    ndarray
        uint8 array shaped as the file's header says.
    """
    with gzip.open(path, "rb") as handle:
        magic = handle.read(4)
        if len(magic) != 4 or magic[:2] != b"\x00\x00" or magic[2] != 0x08:
            raise ValueError(f"{path} is not an unsigned-byte idx file (magic {magic!r})")
        ndim = magic[3]
        shape = struct.unpack(f">{ndim}I", handle.read(4 * ndim))
        data = np.frombuffer(handle.read(), dtype=np.uint8)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path}: header promises shape {shape} but holds {data.size} bytes (truncated?)")
    return data.reshape(shape)


def _default_cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "gansynth" / "fashion_mnist"


def load_fashion_mnist(split="train", data_dir=None, download=True):
    """Load Fashion-MNIST (Xiao, Rasul & Vollgraf, 2017; MIT licence): 28x28 grey, 10 classes.

    Parameters
    ----------
    split : {"train", "test"}, default="train"
        60,000 training or 10,000 test images.
    data_dir : str or os.PathLike, default=None
        Folder holding the four original ``.gz`` files. ``None`` uses ``~/.cache/gansynth/fashion_mnist``
        (or ``$XDG_CACHE_HOME``).
    download : bool, default=True
        Fetch missing files from the dataset's public home, ``FASHION_MNIST_URL``, into ``data_dir``.

    Returns
    -------
    images : ndarray of shape (n, 28, 28), uint8
    labels : ndarray of shape (n,), uint8
        Class indices; names are in ``FASHION_MNIST_CLASSES``.
    """
    if split not in _FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    folder = Path(data_dir) if data_dir is not None else _default_cache()
    paths = [folder / name for name in _FILES[split]]
    missing = [path for path in paths if not path.is_file()]
    if missing and not download:
        raise FileNotFoundError(f"Fashion-MNIST files missing from {folder}: {[p.name for p in missing]}")
    for path in missing:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        urllib.request.urlretrieve(FASHION_MNIST_URL + path.name, tmp)
        os.replace(tmp, path)
    images, labels = (read_idx(path) for path in paths)
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"{folder}: {images.shape[0]} images but {labels.shape[0]} labels")
    return images, labels
