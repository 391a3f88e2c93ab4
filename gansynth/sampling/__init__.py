"""Samplers for imbalanced-learn pipelines: tabular and image oversamplers backed by the GANs."""
