"""A TabularGAN fit for ``tests/test_distributed.py`` to launch with torchrun: ``OUT [fail]``.

Each rank writes ``OUT/rank<R>.json``: digests of its transformer, of the initial and final weights
(read where training starts and ends), its shard's size, batch and steps, and whether a process
group is left initialised after ``fit``. Rank 0 saves ``OUT/model.gsyn``. With ``fail``, rank 1
raises in its third training step; with ``aux``, the fit uses an auxiliary classifier loss on
"gender", and the digests include the classifier.
"""

import hashlib
import json
import os
import sys

import torch

from gansynth import TabularGAN
from gansynth.datasets import load_student_placements
from gansynth.tabular import fitting, training

TINY = dict(
    epochs=2,
    batch_size=40,
    pac=4,
    embedding_dim=16,
    generator_dim=(32, 32),
    discriminator_dim=(32, 32),
    verbose=False,
    n_jobs=1,
)


def weights_digest(*networks) -> str:
    digest = hashlib.sha256()
    for network in networks:
        for name, tensor in getattr(network, "module", network).state_dict().items():
            digest.update(name.encode() + tensor.detach().cpu().numpy().tobytes())
    return digest.hexdigest()


def main(out: str, mode: str) -> None:
    rank = int(os.environ["RANK"])
    record = {}
    real_train, real_step = training.train, training.train_step

    def recording_train(modules, data, sampler, **options):
        record["initial"] = weights_digest(modules.generator, modules.discriminator)
        record.update(rows=len(data), batch=options["batch_size"], steps=options["steps_per_epoch"])
        return real_train(modules, data, sampler, **options)

    calls = []

    def failing_step(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("rank 1 fails on purpose")
        return real_step(*args, **kwargs)

    fitting.train = recording_train
    if mode == "fail" and rank == 1:
        training.train_step = failing_step
    auxiliary = {"auxiliary_target": "gender"} if mode == "aux" else {}
    model = TabularGAN(**TINY, **auxiliary, random_state=0).fit(load_student_placements())
    classifier = [model.auxiliary_classifier_] if mode == "aux" else []
    description = json.dumps(model.transformer_.to_dict(), sort_keys=True, default=repr)
    record.update(
        transformer=hashlib.sha256(description.encode()).hexdigest(),
        final=weights_digest(model.generator_, model.discriminator_, *classifier),
        world_size=model.world_size_,
        batch_size_=model.batch_size_,
        group_left=torch.distributed.is_initialized(),
        loss_history=model.loss_history_.to_numpy().tolist(),
    )
    with open(os.path.join(out, f"rank{rank}.json"), "w") as file:
        json.dump(record, file)
    if rank == 0:
        model.save(os.path.join(out, "model.gsyn"))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "fit")
