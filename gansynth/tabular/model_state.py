"""A TabularGAN as a model file's contents and back: the JSON description and generator tensors.

The description holds what sampling needs (parameters, column specs, the table's logic and the
columns the engine models in its place, encoders, condition counts, input format, seed, loss
history); the tensors are the generator's state. Reading a file
checks the description against :mod:`gansynth.tabular.model_schema` first, so
:func:`restore_tabular` receives a description already known to be consistent with the tensors.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from gansynth._torch_utils import resolve_device
from gansynth.persistence import loaded_params, stored_params
from gansynth.tabular.conditions import ConditionSampler
from gansynth.tabular.constraints import record_from_dict
from gansynth.tabular.logic_transform import LogicTransform
from gansynth.tabular.networks import Generator, OutputActivation
from gansynth.tabular.schema import ColumnSpec
from gansynth.tabular.transformer import DataTransformer

_PREFIX = "generator."


def tabular_state(model) -> tuple[dict, dict[str, torch.Tensor]]:
    """A fitted TabularGAN's description and tensors, as ``save_model`` takes them."""
    metadata = {
        # As the model was made; the seed drawn from random_state is "seed" (sampling's stream).
        "params": stored_params(model.get_params()),
        "columns": [spec.to_dict() for spec in model.columns_],
        "constraints": [record.to_dict() for record in model.constraints_],
        "engine_columns": [spec.to_dict() for spec in model.transformer_.specs_],
        "transformer": model.transformer_.to_dict(),
        "condition_counts": [c.tolist() for c in model.condition_sampler_.counts],
        "input_format": model.input_format_,
        "seed": model.seed_,
        "world_size": model.world_size_,
        "loss_history": model.loss_history_.reset_index().to_dict(orient="list"),
    }
    tensors = {_PREFIX + k: v for k, v in model.generator_.state_dict().items()}
    return metadata, tensors


def restore_tabular(cls, metadata: dict, tensors: dict[str, torch.Tensor], device="cpu"):
    """A fitted ``cls`` (TabularGAN) from a checked description and its generator tensors.

    Only the generator is rebuilt; the critic is not saved, so ``discriminator_`` is ``None``.
    """
    # Files from before marginal calibration existed sample as they did: without it.
    model = cls(**{"marginal_calibration": 1, **loaded_params(metadata["params"])})
    model.device_ = resolve_device(device)  # where it runs now; the device parameter stays as made
    model.columns_ = [ColumnSpec.from_dict(c) for c in metadata["columns"]]
    model.constraints_ = [record_from_dict(r) for r in metadata["constraints"]]
    model._logic_ = LogicTransform(model.constraints_, model.columns_)
    engine_columns = [ColumnSpec.from_dict(c) for c in metadata["engine_columns"]]
    model.transformer_ = DataTransformer.from_dict(metadata["transformer"], engine_columns)
    model.condition_sampler_ = ConditionSampler(
        metadata["condition_counts"],
        [s for _, s, _ in model.transformer_.condition_blocks],
        log_frequency=model.log_frequency,
        device=model.device_,
    )
    model.input_format_ = metadata["input_format"]
    model.seed_ = int(metadata["seed"])
    model.world_size_ = int(metadata["world_size"])
    model.n_features_in_ = len(model.columns_)
    if (
        all(isinstance(spec.name, str) for spec in model.columns_)
        and model.input_format_["type"] == "dataframe"
    ):
        model.feature_names_in_ = np.asarray([spec.name for spec in model.columns_], dtype=object)
    model.loss_history_ = pd.DataFrame(metadata["loss_history"]).set_index("epoch")
    input_dim = model.embedding_dim + model.condition_sampler_.dim
    # Built on the meta device and given the file's tensors: no initialisation, no random draws.
    with torch.device("meta"):
        generator = Generator(input_dim, tuple(model.generator_dim), model.transformer_.output_dim_)
    state = {k[len(_PREFIX) :]: v for k, v in tensors.items() if k.startswith(_PREFIX)}
    generator.load_state_dict(state, strict=True, assign=True)
    model.generator_ = generator.to(model.device_).eval()
    model.activation_ = OutputActivation(model.transformer_.spans_).to(model.device_)
    model.discriminator_ = None
    model.auxiliary_classifier_ = None
    model._sample_stream_ = np.random.RandomState(model.seed_)
    return model
