"""Fingerprints of seeded outputs of every estimator, to check that a refactoring changed nothing.

Run it before and after a change and compare the two JSON files: equal fingerprints mean the same
weights, rows, reports and images for the same ``random_state`` (on one machine, one torch thread).

    python -m benchmarks fingerprint --out before.json
    ... change the code ...
    python -m benchmarks fingerprint --out after.json && cmp before.json after.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import warnings

import numpy as np
import pandas as pd
import torch

TINY = dict(
    epochs=3,
    batch_size=40,
    pac=4,
    embedding_dim=16,
    generator_dim=(32, 32),
    discriminator_dim=(32, 32),
    verbose=False,
    n_jobs=1,
)


def digest(value) -> str:
    """Short SHA-256 of a DataFrame's values and dtypes, or of an array's bytes."""
    if isinstance(value, pd.DataFrame):
        payload = pd.util.hash_pandas_object(value.astype(str), index=True).values.tobytes()
        return hashlib.sha256(payload + str(list(value.dtypes)).encode()).hexdigest()[:16]
    return hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest()[:16]


def tabular_fingerprints() -> dict:
    from gansynth import TabularGAN, evaluate
    from gansynth.datasets import load_student_placements

    data = load_student_placements()
    model = TabularGAN(**TINY, random_state=0).fit(data)
    rows = model.sample(500, random_state=1)
    report = evaluate(data, rows, target="placed", random_state=0)
    return {
        "tabular_sample": digest(rows),
        "tabular_cond": digest(model.sample(100, conditions={"gender": "F"}, random_state=2)),
        "tabular_loss": model.loss_history_.round(10).values.tolist(),
        "evaluate_summary": {k: round(float(v), 12) for k, v in report.scores.items()},
        "evaluate_tables": {k: digest(v.round(10)) for k, v in report.details().items()},
    }


def oversampler_fingerprints() -> dict:
    from sklearn.base import clone
    from sklearn.datasets import make_classification

    from gansynth import GANOversampler
    from gansynth.sampling.tabular import default_generator

    X, y = make_classification(n_samples=300, n_features=5, weights=[0.9], random_state=0)
    X = pd.DataFrame(X, columns=list("abcde"))
    X["cat"] = np.where(X["a"] > 0, "p", "q")
    out = {}
    for per_class in (True, False):
        for quality_filter in ("classifier", "nearest", None):
            generator = clone(default_generator()).set_params(epochs=3)
            sampler = GANOversampler(
                generator=generator, per_class=per_class, quality_filter=quality_filter, random_state=0
            )
            X_res, y_res = sampler.fit_resample(X, y)
            out[f"over_{per_class}_{quality_filter}"] = digest(X_res) + digest(y_res)
    sampler = GANOversampler(random_state=0)
    X_res, y_res = sampler.fit_resample(X, y)
    out["over_default"] = digest(X_res) + digest(y_res) + str(sampler.training_steps_)
    sampler = GANOversampler(random_state=0, per_class=False)
    X_res, y_res = sampler.fit_resample(X.iloc[:150], y[:150])
    out["over_joint_auto"] = digest(X_res) + digest(y_res) + str(sampler.training_steps_)
    return out


def image_fingerprints() -> dict:
    from sklearn.datasets import load_digits

    from gansynth import ImageGAN, ImageGANOversampler

    digits = load_digits()
    model = ImageGAN(epochs=2, random_state=0, verbose=False).fit(digits.images[:300], digits.target[:300])
    sampler = ImageGANOversampler(
        image_shape=(8, 8), random_state=0, generator=ImageGAN(epochs=2, class_balance=True, verbose=False)
    )
    X_res, y_res = sampler.fit_resample(digits.data[:300], (digits.target[:300] == 1).astype(int))
    return {
        "image_sample": digest(model.sample(20, random_state=3)),
        "image_loss": model.loss_history_.round(8).values.tolist(),
        "image_over": digest(X_res) + digest(y_res),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks fingerprint", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--out", required=True, help="JSON file to write")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    fingerprints = {**tabular_fingerprints(), **oversampler_fingerprints(), **image_fingerprints()}
    with open(args.out, "w") as handle:
        json.dump(fingerprints, handle, indent=1, sort_keys=True)
    print(f"wrote {len(fingerprints)} fingerprints to {args.out}")
    return 0
