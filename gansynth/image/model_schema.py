"""The schema of a saved ImageGAN's description, checked before any network is built.

:func:`image_tensors` checks every field a loaded ImageGAN uses (parameters, image geometry and
value range, classes and their prior, the loss history) and returns the generator tensors the
description implies, so that the file's tensors can be checked against them unread.
"""

from __future__ import annotations

import math
from dataclasses import fields

import numpy as np

from gansynth._model_checks import (
    MAX_CATEGORIES,
    MAX_EPOCHS,
    MAX_WIDTH,
    array,
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
)
from gansynth.image.augment import POLICIES
from gansynth.image.gan import ImageGAN
from gansynth.image.layout import ImageFormat
from gansynth.image.networks import MAX_SIZE, MIN_SIZE, Generator
from gansynth.persistence import TensorSpecs

_KEYS = ("params", "image_format", "classes", "classes_dtype", "class_prior", "n_epochs", "loss_history")
_OPTIONAL_KEYS = ("augment",)  # the DiffAugment policy used in training; absent from older files
_MAX_CHANNELS = 64


def image_tensors(description: dict) -> TensorSpecs:
    """Check an ImageGAN description and return the generator tensors it implies.

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
    record(description, "the model", _KEYS, _OPTIONAL_KEYS)
    augment = description.get("augment")
    if augment is not None and (not isinstance(augment, str) or augment not in POLICIES):
        raise invalid(
            "augment",
            f"must be null or a DiffAugment policy such as 'color,translation,cutout'; got {shown(augment)}",
        )
    params = estimator_params(description["params"], "params", ImageGAN)
    for name in ("latent_dim", "embedding_dim"):
        integer(params[name], f"params.{name}", 1, MAX_WIDTH)
    for name in ("generator_width", "discriminator_width"):
        if params[name] != "auto":
            integer(params[name], f"params.{name}", 1, MAX_WIDTH)
    image_format = _image_format(description["image_format"])
    classes = _classes(description["classes"], description["classes_dtype"])
    prior = array(description["class_prior"], "class_prior", len(classes), len(classes))
    if abs(sum(number(p, "class_prior", 0.0, 1.0) for p in prior) - 1.0) > 1e-6:
        raise invalid("class_prior", "must hold one probability per class, adding up to 1")
    integer(description["n_epochs"], "n_epochs", 1, MAX_EPOCHS)
    loss_history(description["loss_history"], "loss_history")
    size, width = image_format["size"], params["generator_width"]
    width = (32 if size <= 16 else 16) if width == "auto" else width
    return network_tensors(
        lambda: Generator(
            params["latent_dim"],
            len(classes),
            image_format["channels"],
            size,
            width,
            params["embedding_dim"],
            params["conditioning"],  # a file written before conditioning existed gets "concat"
        ),
        "generator.",
    )


def _image_format(value) -> dict:
    record(value, "image_format", [f.name for f in fields(ImageFormat)])
    if value["layout"] not in ("nhw", "nhwc", "nchw"):
        raise invalid("image_format.layout", f"must be nhw, nhwc or nchw; got {shown(value['layout'])}")
    height = integer(value["height"], "image_format.height", MIN_SIZE, MAX_SIZE)
    width = integer(value["width"], "image_format.width", MIN_SIZE, MAX_SIZE)
    channels = integer(value["channels"], "image_format.channels", 1, _MAX_CHANNELS)
    if value["layout"] == "nhw" and channels != 1:
        raise invalid("image_format.channels", "must be 1 for the nhw layout")
    numpy_dtype(value["dtype"], "image_format.dtype", "uif", 8)
    low = number(value["low"], "image_format.low")
    if number(value["high"], "image_format.high") < low:
        raise invalid("image_format", "has high below low")
    working = max(MIN_SIZE, 2 ** math.ceil(math.log2(max(height, width))))
    if value["size"] != working:
        raise invalid("image_format.size", f"must be {working} for {height}x{width} images")
    return value


def _classes(value, dtype_text) -> list:
    classes = distinct_scalars(value, "classes", MAX_CATEGORIES)
    dtype = numpy_dtype(dtype_text, "classes_dtype", "biufUSO")
    try:
        converted = np.asarray(classes, dtype=dtype)
        distinct = len(np.unique(converted)) == len(classes)
    except Exception:
        distinct = False
    if not distinct:
        raise invalid("classes", f"are not {len(classes)} distinct values of dtype {dtype}")
    return classes
