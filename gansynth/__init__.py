"""gansynth: synthetic-data augmentation for ML pipelines with conditional GANs."""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# Public names are imported lazily so that `import gansynth` stays fast and the CLI does not pay
# for torch/sdmetrics before it needs them.
_EXPORTS = {
    "TabularGAN": "gansynth.tabular.synthesizer",
    "GANOversampler": "gansynth.sampling.tabular",
    "AugmentedClassifierCV": "gansynth.model_selection",
    "ImageGAN": "gansynth.image.gan",
    "ImageGANOversampler": "gansynth.sampling.image",
    "evaluate": "gansynth.evaluation",
    "load": "gansynth.models",
    "ModelFileError": "gansynth.persistence",
    "sample_partitioned": "gansynth.partitioned",
    "write_partitioned": "gansynth.partitioned",
    "FunctionalDependency": "gansynth.tabular.constraints",
    "MissingTogether": "gansynth.tabular.constraints",
    "Inequality": "gansynth.tabular.constraints",
    "RangeByCategory": "gansynth.tabular.constraints",
    "GansynthError": "gansynth.errors",
    "InputError": "gansynth.errors",
    "InputTypeError": "gansynth.errors",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'gansynth' has no attribute {name!r}")


def __dir__():
    return __all__
