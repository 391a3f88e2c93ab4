"""
Quick start: a synthetic table with TabularGAN
==============================================

Fit :class:`gansynth.TabularGAN` on the small table that ships with gansynth, sample new rows,
sample rows with fixed column values, and save the model to a file and load it back.

The GAN trains for 60 epochs here so that the example runs in seconds; the default
(``epochs="auto"``, 300 epochs) gives closer distributions.
"""

# %%
# The data
# --------
# 215 students with floats, integers, booleans, categories, dates and missing values.
from gansynth.datasets import load_student_placements

data = load_student_placements()
data.head()

# %%
# Fit and sample
# --------------
# The synthetic rows have the same columns, order and dtypes as the real ones.
from gansynth import TabularGAN

model = TabularGAN(epochs=60, random_state=0, verbose=False).fit(data)
synthetic = model.sample(1000, random_state=0)
synthetic.head()

# %%
# The column kinds the model inferred from the dtypes:
model.columns_

# %%
# Losses per epoch are kept in ``loss_history_``.
import matplotlib.pyplot as plt

axes = model.loss_history_.plot(figsize=(7, 3.5), title="TabularGAN losses per epoch")
axes.set_ylabel("loss")
plt.tight_layout()

# %%
# Conditional sampling
# --------------------
# Conditions set the generator's conditional vector: every row carries the requested values
# exactly, without rejection sampling.
women = model.sample(500, conditions={"gender": "F"}, random_state=0)
women["gender"].value_counts()

# %%
# One value per row is accepted too:
import numpy as np

mixed = model.sample(4, conditions={"degree_type": np.array(["Sci&Tech", "Comm&Mgmt", "Others", "Others"])})
mixed[["degree_type", "degree_perc", "placed"]]

# %%
# Save and load
# -------------
# A model file is one safetensors file with a JSON header: loading it never runs code.
import tempfile
from pathlib import Path

import gansynth

with tempfile.TemporaryDirectory() as folder:
    path = model.save(Path(folder) / "students.gsyn")
    loaded = gansynth.load(path)

# The same seed gives the same rows from the loaded model.
loaded.sample(1000, random_state=0).equals(synthetic)
