"""The Fashion-MNIST mix study's training sets and report (benchmarks/image_mix.py)."""

import numpy as np
import pandas as pd

from benchmarks.image_mix import DOUBLED, METRICS, ON_TOP, mixes, share_name, write_markdown


def _parts():
    flat = np.zeros((6, 2))
    y = np.array([0, 0, 0, 0, 1, 1])
    generated = (np.full((4, 2), 1.0), np.ones(4, dtype=int))
    copied = (np.full((4, 2), 2.0), np.ones(4, dtype=int))
    return flat, y, generated, copied


def test_each_share_fills_the_same_gap_with_that_share_of_generated_images():
    sets = mixes(*_parts())
    for share, generated in ((0.0, 0), (0.25, 1), (0.5, 2), (1.0, 4)):
        x, y = sets[share_name(share)]
        assert len(x) == 10 and (y == 1).sum() == 6
        assert (x[:, 0] == 1.0).sum() == generated
        assert (x[:, 0] == 2.0).sum() == 4 - generated


def test_on_top_keeps_every_copy_and_every_generated_image():
    x, y = mixes(*_parts())[ON_TOP]
    assert len(x) == 14
    assert (x[:, 0] == 1.0).sum() == 4 and (x[:, 0] == 2.0).sum() == 4


def test_report_pairs_each_method_with_random_oversampling_by_seed(tmp_path):
    rows = []
    for seed, base, better in ((0, 0.70, 0.72), (1, 0.60, 0.59)):
        for method, score in ((share_name(0), base), (DOUBLED, better)):
            rows.append(
                {"variant": "imbalanced", "seed": seed, "method": method, **dict.fromkeys(METRICS, score)}
            )
    path = tmp_path / "mix.md"
    write_markdown(path, pd.DataFrame(rows), "python -m benchmarks image-mix", "test")
    text = path.read_text()
    assert f"| imbalanced | {DOUBLED} | random oversampling | +0.005 (1/2) |" in text
    assert "| imbalanced | random oversampling | 0.650 ± 0.071 |" in text
