"""The yeast4 example over several splits and seeds: how far one split's PR-AUC moves.

``examples/oversampling_pipeline.py`` runs one stratified split with one seed. This runs the same
pipelines (standard scaling, then nothing, SMOTE or GANOversampler at their defaults, then
logistic regression) on splits and seeds 0..k-1 and prints each run and the mean and standard
deviation per method. Run it from the repository root::

    python -m benchmarks.oversampler_seeds ../shared/datasets 0 1 2 3 4

It was used to check whether a change moved GANOversampler's PR-AUC, by running it at two
commits (``benchmarks/results/oversampler_seeds.md``).
"""

from __future__ import annotations

import sys
import time
import warnings

import pandas as pd
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import Pipeline
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, balanced_accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from gansynth import GANOversampler


def run(data_dir: str, seeds: list[int]) -> pd.DataFrame:
    frame = pd.read_csv(f"{data_dir}/yeast4.csv")
    target = frame.columns[-1]
    y = (frame[target].astype(str).str.strip() == "positive").astype(int).to_numpy()
    X = frame.drop(columns=target)
    rows = []
    for seed in seeds:
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.3, stratify=y, random_state=seed
        )
        samplers = [
            ("none", None),
            ("SMOTE", SMOTE(random_state=seed)),
            ("GANOversampler", GANOversampler(random_state=seed)),
        ]
        for name, sampler in samplers:
            steps = [("scale", StandardScaler())] + ([("aug", sampler)] if sampler else [])
            steps.append(("clf", LogisticRegression(max_iter=1000)))
            start = time.perf_counter()
            scores = Pipeline(steps).fit(X_train, y_train).predict_proba(X_test)[:, 1]
            rows.append(
                (
                    seed,
                    name,
                    average_precision_score(y_test, scores),
                    balanced_accuracy_score(y_test, scores > 0.5),
                    time.perf_counter() - start,
                )
            )
            print(*rows[-1], flush=True)
    return pd.DataFrame(rows, columns=["seed", "method", "pr_auc", "balanced_accuracy", "seconds"])


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    warnings.filterwarnings("ignore")
    runs = run(argv[0], [int(s) for s in argv[1:]] or [0, 1, 2, 3, 4])
    print(runs.groupby("method")[["pr_auc", "balanced_accuracy"]].agg(["mean", "std"]).round(3))


if __name__ == "__main__":
    main()
