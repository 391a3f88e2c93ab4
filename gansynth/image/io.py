"""Read and write labelled image sets: an ``.npz`` archive or a folder of PNG files.

* ``.npz``: an ``images`` array (any layout ``ImageGAN`` reads) and an optional ``labels`` array.
* Folder: PNG files directly inside it (unlabelled), or one sub-folder per class holding that
  class's PNGs (the sub-folder name is the label). All images must share one shape; they are read
  as uint8, grey images as (h, w) and colour images as (h, w, 3) (an alpha channel is dropped).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


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
        raise ValueError(f"{path}: expected an .npz archive or a folder of PNG files")
    with np.load(path, allow_pickle=False) as archive:
        if images_key not in archive:
            raise ValueError(f"{path} has no {images_key!r} array (it holds {sorted(archive.files)})")
        images = archive[images_key]
        labels = archive[labels_key] if labels_key in archive.files else None
    return images, labels


def _read_png(path):
    from matplotlib import image as mpimg

    array = mpimg.imread(path, format="png")
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
        raise ValueError(f"{folder} holds no PNG files (directly or in class sub-folders)")
    images = [_read_png(png) for png, _ in files]
    shapes = {image.shape for image in images}
    if len(shapes) > 1:
        raise ValueError(
            f"{folder}: images differ in shape ({sorted(shapes)[:4]}); resize them to one shape first"
        )
    labels = np.array([label for _, label in files]) if classes else None
    return np.stack(images), labels


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
    span = image_format.high - image_format.low
    scaled = (np.asarray(images, dtype=np.float64) - image_format.low) / (span if span > 0 else 1.0)
    if image_format.layout == "nchw":
        scaled = scaled.transpose(0, 2, 3, 1)
    if scaled.ndim == 4 and scaled.shape[3] == 1:
        scaled = scaled[..., 0]
    # 8-bit RGB arrays are written as they are; floats or colormaps would round pixels differently.
    pixels = np.rint(np.clip(scaled, 0.0, 1.0) * 255.0).astype(np.uint8)
    if pixels.ndim == 3:
        pixels = np.repeat(pixels[..., None], 3, axis=3)
    for index, (image, label) in enumerate(zip(pixels, labels)):
        target = path / str(label)
        target.mkdir(parents=True, exist_ok=True)
        mpimg.imsave(target / f"{index:06d}.png", image, format="png")
    return path
