"""Tile images into one PNG, one row per class."""

from __future__ import annotations

from pathlib import Path

import numpy as np


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
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib import image as mpimg

    fmt = image_format
    span = fmt.high - fmt.low
    tiles = (np.asarray(images, dtype=np.float64) - fmt.low) / (span if span > 0 else 1.0)
    if fmt.layout == "nhw":
        tiles = tiles[..., None]
    elif fmt.layout == "nchw":
        tiles = tiles.transpose(0, 2, 3, 1)
    tiles = np.clip(tiles, 0.0, 1.0)
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
