"""
GANOversampler in an imbalanced-learn pipeline
==============================================

:class:`gansynth.GANOversampler` is an imbalanced-learn sampler, so it goes inside
:class:`imblearn.pipeline.Pipeline`: during cross-validation only the training folds are
oversampled, and every score is computed on real rows.

We predict whether a student was placed, from the table that ships with gansynth, with and without
generated rows for the minority class. The GANs train for few steps so that the example runs in
about a minute; see the benchmarks page for when oversampling helps at all.
"""

# %%
# The data
# --------
from gansynth.datasets import load_student_placements

data = load_student_placements()
features = [
    "gender",
    "second_perc",
    "high_perc",
    "high_spec",
    "degree_perc",
    "degree_type",
    "work_experience",
    "employability_perc",
    "mba_spec",
    "mba_perc",
]
X, y = data[features], ~data["placed"]  # the minority class: students not placed
y.value_counts()

# %%
# The pipeline
# ------------
# The oversampler takes the DataFrame as it is (categories, booleans); the classifier's
# preprocessing comes after it.
from imblearn.pipeline import Pipeline
from sklearn.compose import make_column_transformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.preprocessing import OneHotEncoder

from gansynth import GANOversampler, TabularGAN

categories = ["gender", "high_spec", "degree_type", "mba_spec"]


def make_pipeline(augmenter):
    one_hot = OneHotEncoder(handle_unknown="ignore")
    encode = make_column_transformer((one_hot, categories), remainder="passthrough")
    classifier = RandomForestClassifier(n_estimators=200, random_state=0)
    return Pipeline([("aug", augmenter), ("encode", encode), ("clf", classifier)])


oversampler = GANOversampler(generator=TabularGAN(epochs=150, verbose=False), random_state=0)
make_pipeline(oversampler)

# %%
# Cross-validation
# ----------------
# The same folds for both pipelines; PR-AUC of the minority class is the score that matters for
# an imbalanced problem.
import pandas as pd
from sklearn.model_selection import StratifiedKFold, cross_validate

folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)
results = {}
for name, augmenter in {"no augmentation": "passthrough", "GANOversampler": oversampler}.items():
    scores = cross_validate(
        make_pipeline(augmenter), X, y, cv=folds, scoring=["average_precision", "balanced_accuracy"]
    )
    results[name] = {
        "PR-AUC": scores["test_average_precision"].mean(),
        "balanced accuracy": scores["test_balanced_accuracy"].mean(),
        "fit seconds": scores["fit_time"].mean(),
    }
pd.DataFrame(results).T.round(3)

# %%
# What the oversampler added
# --------------------------
# ``fit_resample`` returns the real rows first, unchanged, then the generated ones.
X_resampled, y_resampled = oversampler.fit_resample(X, y)
print(f"{len(X)} real rows, {len(X_resampled) - len(X)} generated")
y_resampled.value_counts()
