"""Read and write labelled image sets (an ``.npz`` archive or a folder of PNGs) and PNG sample grids.

* ``.npz``: an ``images`` array (any layout ``ImageGAN`` reads) and an optional ``labels`` array.
* Folder: PNG files directly inside it (unlabelled), or one sub-folder per class holding that
  class's PNGs (the sub-folder name is the label). All images must share one shape; they are read
  as uint8, grey images as (h, w) and colour images as (h, w, 3) (an alpha channel is dropped).

PNGs are read and written with ``matplotlib.image.imread``/``imsave``, which never select or
change matplotlib's backend.
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

import numpy as np

from gansynth.errors import GansynthError

# An .npz is a zip archive: local file header, or the end record of an empty archive.
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
# What numpy and zipfile raise for a damaged archive or member: a wrong CRC, a truncated or
# corrupt stream, a bad .npy header.
_ARCHIVE_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError)
# What matplotlib (Pillow) raises for a file that is not a readable PNG.
_PNG_ERRORS = (OSError, SyntaxError, ValueError)


class ImageFileError(GansynthError, ValueError):
    """A file or folder that cannot be read as a set of images; the message names it."""


def read_images(path, images_key="images", labels_key="labels"):
    """Read an image set.

    Parameters
    ----------
    path : str or os.PathLike
        An ``.npz`` file or a folder of PNGs.
    images_key, labels_key : str
        Array names inside an ``.npz``; the labels array is optional.

    Returns
    -------
    images : ndarray
    labels : ndarray or None
    """
    path = Path(path)
    if path.is_dir():
        return _read_folder(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such image file or folder: {path}")
    if path.suffix.lower() != ".npz":
        raise ImageFileError(f"{path}: expected an .npz archive or a folder of PNG files")
    return _read_npz(path, images_key, labels_key)


def _read_npz(path: Path, images_key: str, labels_key: str):
    with open(path, "rb") as handle:
        if handle.read(4) not in _ZIP_MAGIC:
            raise ImageFileError(
                f"{path} is not an .npz archive (a zip of .npy arrays, as numpy.savez writes); "
                "it may be another format renamed .npz"
            )
    try:
        with np.load(path, allow_pickle=False) as archive:
            if images_key not in archive.files:
                raise ImageFileError(f"{path} has no {images_key!r} array (it holds {sorted(archive.files)})")
            images = archive[images_key]
            labels = archive[labels_key] if labels_key in archive.files else None
    except ImageFileError:
        raise
    except _ARCHIVE_ERRORS as exc:
        if "allow_pickle" in str(exc):
            reason = "it holds an object array, which gansynth never loads (that would run pickle)"
        else:
            reason = f"it is truncated or corrupt ({exc})"
        raise ImageFileError(f"cannot read {path} as an .npz archive: {reason}") from None
    return images, labels


def _read_png(path):
    from matplotlib import image as mpimg

    try:
        array = mpimg.imread(path, format="png")
    except _PNG_ERRORS as exc:
        raise ImageFileError(f"cannot read {path} as a PNG image ({exc})") from None
    if array.dtype != np.uint8:  # matplotlib returns floats in [0, 1] for 8-bit PNGs
        array = np.clip(np.rint(array * 255.0), 0, 255).astype(np.uint8)
    if array.ndim == 3 and array.shape[2] == 4:
        array = array[..., :3]
    if (
        array.ndim == 3
        and array.shape[2] == 3
        and np.array_equal(array[..., 0], array[..., 1])
        and np.array_equal(array[..., 0], array[..., 2])
    ):
        array = array[..., 0]
    return array


def _read_folder(folder):
    classes = sorted(p for p in folder.iterdir() if p.is_dir())
    if classes:
        files = [(png, c.name) for c in classes for png in sorted(c.glob("*.png"))]
    else:
        files = [(png, None) for png in sorted(folder.glob("*.png"))]
    if not files:
        raise ImageFileError(f"{folder} holds no PNG files (directly or in class sub-folders)")
    images = [_read_png(png) for png, _ in files]
    shapes = {image.shape for image in images}
    if len(shapes) > 1:
        raise ImageFileError(
            f"{folder}: images differ in shape ({sorted(shapes)[:4]}); resize them to one shape first"
        )
    labels = np.array([label for _, label in files]) if classes else None
    return np.stack(images), labels


def unit_range(images, image_format):
    """Images as float64 (n, h, w, c) in ``[0, 1]``, the one scaling behind every PNG written here.

    Parameters
    ----------
    images : ndarray
        Images in the layout (``"nhw"``, ``"nhwc"`` or ``"nchw"``) and value range described by
        ``image_format``.
    image_format : ImageFormat
        Supplies ``layout``, ``low`` and ``high``; ``[low, high]`` maps to ``[0, 1]`` and values
        outside it are clipped.

    Returns
    -------
    ndarray of shape (n, h, w, c)
    """
    span = image_format.high - image_format.low
    scaled = (np.asarray(images, dtype=np.float64) - image_format.low) / (span if span > 0 else 1.0)
    if image_format.layout == "nhw":
        scaled = scaled[..., None]
    elif image_format.layout == "nchw":
        scaled = scaled.transpose(0, 2, 3, 1)
    return np.clip(scaled, 0.0, 1.0)


def write_images(path, images, labels, image_format):
    """Write generated images to an ``.npz`` (``images``, ``labels``) or a folder of PNGs.

    Parameters
    ----------
    path : str or os.PathLike
        Ending in ``.npz`` for an archive; anything else is a folder, created if needed, with one
        sub-folder per label. PNGs hold 8 bits per channel, so float images are quantised.
    images : ndarray
        Images in the layout described by ``image_format``.
    labels : ndarray of shape (n,)
    image_format : ImageFormat
        Layout and value range of ``images``.

    Returns
    -------
    pathlib.Path
    """
    from matplotlib import image as mpimg

    path = Path(path)
    if path.suffix.lower() == ".npz":
        np.savez_compressed(path, images=images, labels=labels)
        return path
    # 8-bit RGB arrays are written as they are; floats or colormaps would round pixels differently.
    pixels = np.rint(unit_range(images, image_format) * 255.0).astype(np.uint8)
    if pixels.shape[3] == 1:
        pixels = np.repeat(pixels, 3, axis=3)
    for index, (image, label) in enumerate(zip(pixels, labels)):
        target = path / str(label)
        target.mkdir(parents=True, exist_ok=True)
        mpimg.imsave(target / f"{index:06d}.png", image, format="png")
    return path


def write_grid(path, images, image_format, n_rows, gap=1):
    """Write ``images`` (in the format described by ``image_format``) as a PNG grid.

    Parameters
    ----------
    path : str or os.PathLike
        Destination ``.png`` file.
    images : ndarray
        ``n_rows * n_cols`` images in row-major order, in the fitted layout and value range.
    image_format : ImageFormat
        Describes the images (layout, channels, value range).
    n_rows : int
        Number of rows.
    gap : int, default=1
        White pixels between tiles.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    from matplotlib import image as mpimg

    tiles = unit_range(images, image_format)
    n, h, w, c = tiles.shape
    n_cols = max(1, -(-n // n_rows))
    canvas = np.ones((n_rows * (h + gap) - gap, n_cols * (w + gap) - gap, c))
    for index in range(n):
        row, col = divmod(index, n_cols)
        canvas[row * (h + gap) : row * (h + gap) + h, col * (w + gap) : col * (w + gap) + w] = tiles[index]
    path = Path(path)
    if c == 1:
        mpimg.imsave(path, canvas[..., 0], cmap="gray", vmin=0.0, vmax=1.0, format="png")
    else:
        mpimg.imsave(path, canvas[..., :3] if c >= 3 else canvas[..., :1].repeat(3, axis=2), format="png")
    return path
