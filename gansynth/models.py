"""Load any saved gansynth model: the file's recorded kind picks the estimator class.

This sits above both engines so that neither the file format (``persistence``) nor an engine
needs to import the other to turn a file back into an estimator.
"""

from __future__ import annotations

from gansynth.image.gan import ImageGAN
from gansynth.image.model_schema import image_tensors
from gansynth.persistence import ModelFileError, TensorSpecs, read_model
from gansynth.tabular.model_schema import tabular_tensors
from gansynth.tabular.synthesizer import TabularGAN

_CLASSES = {"TabularGAN": TabularGAN, "ImageGAN": ImageGAN}
# Per kind, the schema that checks a description and names the tensors it implies.
_SCHEMAS = {"TabularGAN": tabular_tensors, "ImageGAN": image_tensors}


def _expected_tensors(kind: str, description: dict) -> TensorSpecs:
    return _SCHEMAS[kind](description)


def load(path, device="cpu"):
    """Load any gansynth model saved with ``save``.

    Parameters
    ----------
    path : str or os.PathLike
        A file written by ``TabularGAN.save`` or ``ImageGAN.save``.
    device : str, default="cpu"
        Device to place the networks on. A model trained on GPU loads on CPU.

    Returns
    -------
    TabularGAN or ImageGAN
        The fitted estimator.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ModelFileError
        If the file is not a readable, intact gansynth model: the description is checked
        against its kind's schema and the tensors' names, dtypes and shapes against the
        description before any tensor is read (see "Security and limits" in the README).
    """
    kind, metadata, tensors = read_model(path, expected_tensors=_expected_tensors)
    try:
        return _CLASSES[kind]._from_state(metadata, tensors, device=device)
    except ModelFileError:
        raise
    except Exception as exc:
        raise ModelFileError(
            f"{path}: the model description is inconsistent ({type(exc).__name__}: {exc})"
        ) from None
