"""The deprecation path of the generator options that the oversamplers used to re-declare.

Until 0.3, ``GANOversampler(epochs=50)`` still works: the option is passed on to the clone of
``generator`` with a ``FutureWarning`` that names the replacement.
"""

from __future__ import annotations

import warnings

from sklearn.base import clone

DEPRECATED = "deprecated"

# GANOversampler's former TabularGAN options.
DEPRECATED_GENERATOR_OPTIONS = (
    "epochs",
    "batch_size",
    "embedding_dim",
    "generator_dim",
    "discriminator_dim",
    "generator_lr",
    "discriminator_lr",
    "pac",
    "device",
    "verbose",
)


# ImageGANOversampler's former ImageGAN options.
DEPRECATED_IMAGE_GENERATOR_OPTIONS = (
    "epochs",
    "batch_size",
    "latent_dim",
    "generator_width",
    "discriminator_width",
    "class_balance",
    "verbose",
    "device",
)


def legacy_options(sampler, names=DEPRECATED_GENERATOR_OPTIONS) -> dict:
    """The deprecated options that ``sampler`` was given, by name."""
    given = {name: getattr(sampler, name) for name in names}
    return {
        name: value for name, value in given.items() if not (isinstance(value, str) and value == DEPRECATED)
    }


def generator_with_legacy_options(sampler, generator, default, names=DEPRECATED_GENERATOR_OPTIONS):
    """A clone of ``generator`` (``default()`` when None) with the deprecated options applied."""
    template = default() if generator is None else clone(generator)
    legacy = legacy_options(sampler, names)
    if legacy:
        name = type(template).__name__
        example = ", ".join(f"{key}={value!r}" for key, value in legacy.items())
        warnings.warn(
            f"{type(sampler).__name__}({', '.join(legacy)}=...) is deprecated and will be removed in "
            f"0.3; pass generator={name}({example}) instead.",
            FutureWarning,
            stacklevel=4,
        )
        template.set_params(**legacy)
    return template
