"""Load any saved gansynth model: the file's recorded kind picks the estimator class.

This sits above both engines so that neither the file format (``persistence``) nor an engine
needs to import the other to turn a file back into an estimator.
"""

from __future__ import annotations

from gansynth.image.gan import ImageGAN
from gansynth.persistence import ModelFileError, read_model
from gansynth.tabular.synthesizer import TabularGAN

_CLASSES = {"TabularGAN": TabularGAN, "ImageGAN": ImageGAN}


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
        If the file is not a readable, intact gansynth model.
    """
    kind, metadata, tensors = read_model(path)
    try:
        return _CLASSES[kind]._from_state(metadata, tensors, device=device)
    except ModelFileError:
        raise
    except Exception as exc:
        raise ModelFileError(
            f"{path}: the model description is inconsistent ({type(exc).__name__}: {exc})"
        ) from None
