"""
Is the synthetic table any good? An evaluation report
=====================================================

:func:`gansynth.evaluate` compares a synthetic table with the real one: fidelity (column shapes,
column-pair trends, how easily a classifier tells them apart), usefulness (a model trained on
synthetic rows, tested on real ones) and privacy (distance to the closest real row, exact copies).

In a notebook the report renders as its summary table, with a status dot per score and any
warnings above it; its plots are matplotlib figures, displayed inline when a cell returns one.
"""

# %%
# A synthetic table to judge
# --------------------------
# Hold out real rows the generator never sees: the privacy and usefulness scores compare against
# them.
from sklearn.model_selection import train_test_split

from gansynth import TabularGAN
from gansynth.datasets import load_student_placements

data = load_student_placements()
train, holdout = train_test_split(data, test_size=0.3, random_state=0, stratify=data["placed"])
generator = TabularGAN(epochs=100, random_state=0, verbose=False).fit(train)
synthetic = generator.sample(len(train), random_state=0)

# %%
# The report
# ----------
import gansynth

report = gansynth.evaluate(train, synthetic, target="placed", holdout=holdout, random_state=0)
report

# %%
# The same numbers as a DataFrame, and the warnings as plain text:
report.summary()

# %%
for flag in report.flags:
    print(flag)

# %%
# Plots
# -----
# Scores at a glance, coloured from good (green) to poor (red):
report.plot_scores()

# %%
# Real (blue) against synthetic (orange) distributions of a few columns:
report.plot_distributions(columns=["gender", "degree_perc", "salary", "placed", "start_date", "mba_spec"])

# %%
# Distance to the closest real training row: synthetic rows should be no closer to the training
# rows than real rows the generator never saw.
report.plot_dcr()

# %%
# Details
# -------
# Per-column scores: a high ``detection_auc`` points at the column that gives the synthetic data
# away.
report.details("columns").round(3)

# %%
# ``report.save_html("report.html")`` writes all of this as one self-contained page.
