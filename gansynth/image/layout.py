"""Image arrays in and out: layout detection, value ranges, and padding to the working size.

The networks see float32 tensors shaped (n, c, s, s) with values in ``[-1, 1]``, where ``s`` is a
power of two. Users hand over whatever their pipeline carries: (n, h, w) grey images,
channels-last (n, h, w, c) or channels-first (n, c, h, w), as uint8 or float. ``ImageFormat``
records what came in so that generated images go back out in the same layout, dtype and range.

Layout rule for 4-d input with ``layout="auto"``: channels-first when axis 1 has 1 or 3 entries and
the last axis does not; channels-last when the last axis has 1 or 3 entries and axis 1 does not.
Because sides are at least 8 pixels, every valid grey or RGB array matches exactly one of these;
anything else is refused with a request to pass ``layout`` explicitly.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch

from gansynth.errors import InputError
from gansynth.image.networks import MAX_SIZE, MIN_SIZE

LAYOUTS = ("auto", "nhw", "nhwc", "nchw")
_COLOUR_CHANNELS = (1, 3)


def detect_layout(shape: tuple, layout: str = "auto") -> str:
    """Resolve the layout of an image array from its shape.

    Parameters
    ----------
    shape : tuple of int
        The array's shape.
    layout : {"auto", "nhw", "nhwc", "nchw"}
        ``"auto"`` applies the rule in this module's docstring; anything else is checked against the
        number of dimensions and returned.

    Returns
    -------
    str
        One of ``"nhw"``, ``"nhwc"``, ``"nchw"``.
    """
    if layout not in LAYOUTS:
        raise InputError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    ndim = len(shape)
    if ndim not in (3, 4):
        raise InputError(
            f"images must be 3-d (n, h, w) or 4-d (n, h, w, c) / (n, c, h, w); got shape {tuple(shape)}. "
            "Flattened images go through ImageGANOversampler, which takes an image_shape."
        )
    if layout != "auto":
        expected = 3 if layout == "nhw" else 4
        if ndim != expected:
            raise InputError(f"layout={layout!r} needs a {expected}-d array, got shape {tuple(shape)}")
        return layout
    if ndim == 3:
        return "nhw"
    first, last = shape[1] in _COLOUR_CHANNELS, shape[3] in _COLOUR_CHANNELS
    if first and not last:
        return "nchw"
    if last and not first:
        return "nhwc"
    raise InputError(
        f"cannot tell the channel axis of images shaped {tuple(shape)}: expected 1 or 3 channels on "
        "axis 1 (channels-first) or on the last axis (channels-last). Pass layout='nchw' or "
        "layout='nhwc' explicitly."
    )


def as_image_array(images) -> np.ndarray:
    """``images`` as one numpy array, refusing a list of images of different shapes."""
    try:
        return np.asarray(images)
    except ValueError:  # numpy refuses ragged nested sequences
        raise InputError(
            "images must be one array, or a list of images that all have the same shape"
        ) from None


def _working_size(height: int, width: int) -> int:
    side = max(height, width)
    size = MIN_SIZE
    while size < side:
        size *= 2
    return size


@dataclass(frozen=True)
class ImageFormat:
    """What the fitted images looked like, and how to map them to and from network tensors.

    Attributes
    ----------
    layout : str
        ``"nhw"``, ``"nhwc"`` or ``"nchw"``.
    height, width, channels : int
        Image geometry.
    dtype : str
        numpy dtype name of the input.
    low, high : float
        Value range mapped to ``[-1, 1]``: ``[0, 255]`` for uint8, the observed range otherwise.
    size : int
        Working side (a power of two); images are edge-padded to it, centred.
    """

    layout: str
    height: int
    width: int
    channels: int
    dtype: str
    low: float
    high: float
    size: int

    @classmethod
    def infer(cls, images: np.ndarray, layout: str = "auto") -> ImageFormat:
        """Describe an array of images, validating shape, dtype and values."""
        resolved = detect_layout(images.shape, layout)
        nchw = _as_nchw(images, resolved)
        _, channels, height, width = nchw.shape
        for name, side in (("height", height), ("width", width)):
            if not MIN_SIZE <= side <= MAX_SIZE:
                raise InputError(
                    f"image {name} must be between {MIN_SIZE} and {MAX_SIZE} pixels, got {side} "
                    f"(images shaped {tuple(images.shape)}, read as layout {resolved!r})"
                )
        kind = images.dtype.kind
        if kind not in "uif":
            raise InputError(f"images must be an integer or float array, got dtype {images.dtype}")
        if kind == "f":
            bad = int(np.count_nonzero(~np.isfinite(images)))
            if bad:
                raise InputError(f"images contain {bad} NaN or infinite values; clean or impute them first")
        if images.dtype == np.uint8:
            low, high = 0.0, 255.0
        else:
            low, high = float(images.min()), float(images.max())
        return cls(
            resolved,
            int(height),
            int(width),
            int(channels),
            images.dtype.str,
            low,
            high,
            _working_size(height, width),
        )

    @property
    def shape(self) -> tuple:
        """Shape of one image in the input layout."""
        return {
            "nhw": (self.height, self.width),
            "nhwc": (self.height, self.width, self.channels),
            "nchw": (self.channels, self.height, self.width),
        }[self.layout]

    def check(self, images: np.ndarray) -> None:
        """Raise if ``images`` does not match the fitted geometry."""
        if tuple(images.shape[1:]) != self.shape:
            raise InputError(
                f"images must be shaped (n, {', '.join(map(str, self.shape))}), got {tuple(images.shape)}"
            )

    def to_tensor(self, images: np.ndarray) -> torch.Tensor:
        """Input-format images to padded float32 (n, c, size, size) in ``[-1, 1]``."""
        nchw = _as_nchw(images, self.layout).astype(np.float32)
        span = self.high - self.low
        scaled = (nchw - self.low) / span * 2.0 - 1.0 if span > 0 else np.zeros_like(nchw)
        top, left = self._offsets()
        pad = ((0, 0), (0, 0), (top, self.size - self.height - top), (left, self.size - self.width - left))
        # Edge padding adds no new colour, so the generator can reproduce the border trivially.
        return torch.from_numpy(np.pad(scaled, pad, mode="edge"))

    def from_tensor(self, tensor: torch.Tensor) -> np.ndarray:
        """Network output back to the input's layout, dtype and value range."""
        top, left = self._offsets()
        array = tensor.detach().to("cpu", torch.float64).numpy()
        array = array[:, :, top : top + self.height, left : left + self.width]
        values = (np.clip(array, -1.0, 1.0) + 1.0) / 2.0 * (self.high - self.low) + self.low
        dtype = np.dtype(self.dtype)
        if dtype.kind in "ui":
            values = np.clip(np.rint(values), self.low, self.high)
        values = values.astype(dtype)
        if self.layout == "nhw":
            return values[:, 0]
        if self.layout == "nhwc":
            return np.ascontiguousarray(values.transpose(0, 2, 3, 1))
        return np.ascontiguousarray(values)

    def _offsets(self) -> tuple:
        return (self.size - self.height) // 2, (self.size - self.width) // 2

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ImageFormat:
        return cls(**data)


def _as_nchw(images: np.ndarray, layout: str) -> np.ndarray:
    if layout == "nhw":
        return images[:, None]
    if layout == "nhwc":
        return images.transpose(0, 3, 1, 2)
    return images
