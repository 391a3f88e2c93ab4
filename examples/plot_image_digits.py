"""
ImageGAN on handwritten digits
==============================

Train the class-conditional :class:`gansynth.ImageGAN` on scikit-learn's 8x8 digits and draw a
grid of generated digits, one row per class. The GAN trains for 10 epochs (about 280 updates)
here; the default is about 1,000 updates (its timings are on the benchmarks page).
"""

# %%
# Train
# -----
from sklearn.datasets import load_digits

from gansynth import ImageGAN

digits = load_digits()
gan = ImageGAN(epochs=10, random_state=0, verbose=False).fit(digits.images, digits.target)
gan

# %%
# Generated digits
# ----------------
# ``sample`` returns images in the layout, dtype and value range of the training images
# ((n, 8, 8) floats in [0, 16]); ``labels`` picks the class of each image.
import matplotlib.pyplot as plt
import numpy as np

per_class = 8
labels = np.repeat(gan.classes_, per_class)
images = gan.sample(len(labels), labels=labels, random_state=0)

figure, axes = plt.subplots(len(gan.classes_), per_class, figsize=(per_class * 0.8, len(gan.classes_) * 0.8))
for ax, image in zip(axes.ravel(), images):
    ax.imshow(image, cmap="gray_r", vmin=0, vmax=16)
    ax.set_axis_off()
figure.suptitle("ImageGAN samples, one row per digit")
plt.tight_layout()

# %%
# Real digits, for comparison
# ---------------------------
figure, axes = plt.subplots(len(gan.classes_), per_class, figsize=(per_class * 0.8, len(gan.classes_) * 0.8))
for label, row in zip(gan.classes_, axes):
    for ax, image in zip(row, digits.images[digits.target == label][:per_class]):
        ax.imshow(image, cmap="gray_r", vmin=0, vmax=16)
        ax.set_axis_off()
figure.suptitle("Real digits")
plt.tight_layout()

# %%
# Training losses
# ---------------
axes = gan.loss_history_.plot(figsize=(7, 3.5), title="ImageGAN losses per epoch")
axes.set_ylabel("loss")
plt.tight_layout()

# %%
# ``gan.save_grid("digits.png")`` writes such a grid as one PNG, and ``gan.save("digits.gsyn")``
# the model (safetensors and JSON, no pickle), read back by :func:`gansynth.load`.
