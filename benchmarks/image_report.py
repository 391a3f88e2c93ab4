"""The markdown report of the Fashion-MNIST benchmark (``benchmarks/image.py``): table and margins."""

from __future__ import annotations

from pathlib import Path

import numpy as np

MINORITY_CLASSES = (0, 2, 7)  # T-shirt/top, Pullover, Sneaker
BASELINES = ("real only", "class weights", "mixup", "random oversampling")
JUDGED = ("balanced_accuracy", "minority_recall", "cnn_balanced_accuracy", "cnn_minority_recall")
HEADERS = {
    "balanced_accuracy": "balanced accuracy (LR)",
    "minority_recall": "minority recall (LR)",
    "cnn_balanced_accuracy": "balanced accuracy (CNN)",
    "cnn_minority_recall": "minority recall (CNN)",
    "fd_added": "FD of added images",
    "conditional_accuracy_added": "conditional accuracy of added",
    "fd_gan_all_classes": "GAN FD, all classes",
    "precision_added_test": "precision of added (test)",
    "recall_added_test": "recall of added (test)",
    "coverage_added_test": "coverage of added (test)",
    "recall_added_train": "recall of added (train)",
    "coverage_added_train": "coverage of added (train)",
}
PLAIN_GAN = "ImageGANOversampler"


def write_markdown(
    path, results, command, *, judge_accuracy, judge_images, seconds, class_names, cnn, machine
):
    """Write the table of means ± standard deviations over seeds and the GANs' paired margins.

    ``cnn`` is ``(updates, mixup_alpha)`` of the CNN judge, or None when the run had no CNN.
    ``machine`` says what the CPU was doing while the run took its times.
    """
    metrics = [m for m in HEADERS if m in results and results[m].notna().any()]
    summary = results.groupby(["variant", "method"], sort=False)[metrics].agg(["mean", "std"])
    took = "" if np.isnan(seconds) else f"; {seconds / 60:.1f} min in total on 1 thread"
    seeds = ", ".join(map(str, sorted(results["seed"].unique())))
    lines = [
        "# Fashion-MNIST: ImageGANOversampler against real data only, class weights, mixup and "
        "random over-sampling, judged by logistic regression and a small CNN",
        "",
        f"Command: `{command}` (run from the repository root{took}; {machine}).",
        "",
        "Minority classes in the imbalanced variant: "
        f"{', '.join(class_names[c] for c in MINORITY_CLASSES)} "
        "(20 training images each, 2% of the 1,000 kept for the other classes). "
        "Low-data: 20 images per class, every class topped up to 200. "
        "Test set: all 10,000 Fashion-MNIST test images. Minority recall: mean recall of the "
        "minority classes (all ten classes in the low-data variant).",
        "",
        "Judges. LR: logistic regression (C=0.1, at most 200 lbfgs iterations) on raw pixels "
        "scaled to [0, 1]. " + _cnn_text(cnn),
        "",
        'Baselines: *real only*; *class weights* (`class_weight="balanced"` for LR, the same '
        "weights in the CNN's cross-entropy); *mixup* (CNN only); *random oversampling* "
        "(imbalanced-learn, to the oversampler's target counts). Each GAN is fitted once per "
        "(variant, seed) and its resampled set is judged by both classifiers.",
        "",
        f"Quality judge: a small CNN trained for 2 epochs on {judge_images:,} real training images "
        f"(test accuracy {judge_accuracy:.3f}). `FD of added images`: Fréchet distance between its "
        "128-d features of the images a sampler added and those of the real test images of the same "
        "classes (lower is closer); `conditional accuracy of added`: how often it assigns an added "
        "image to the class it was added for; `GAN FD, all classes`: 200 GAN images per class vs the "
        "whole test set. Random over-sampling adds copies of real images, so its columns show what "
        "real images score." + _coverage_text(results),
        "",
        f"Mean ± standard deviation over seeds {seeds}.",
        "",
        "| variant | method | " + " | ".join(HEADERS[m] for m in metrics) + " |",
        "|---|---|" + "---|" * len(metrics),
    ]
    for (variant, method), row in summary.iterrows():
        cells = []
        for metric in metrics:
            mean, std = row[(metric, "mean")], row[(metric, "std")]
            cells.append(
                "–" if np.isnan(mean) else f"{mean:.3f} ± {std:.3f}" if not np.isnan(std) else f"{mean:.3f}"
            )
        lines.append(f"| {variant} | {method} | " + " | ".join(cells) + " |")
    lines += ["", *margins(results, [m for m in JUDGED if m in metrics]), ""]
    Path(path).write_text("\n".join(lines))


def _coverage_text(results):
    if "coverage_added_test" not in results or results["coverage_added_test"].isna().all():
        return ""
    return (
        " k-NN metrics of the added images (`gansynth.image.coverage`, k=5, in the same 128-d "
        "features), per added class against that class's real training images (train) or real test "
        "images (test), averaged over the added classes: *precision*, the share of added images "
        "inside the real images' k-NN balls (fidelity); *recall*, the share of real images inside "
        "the added images' balls; *coverage*, the share of real images whose own ball holds an "
        "added image (diversity that outliers cannot inflate). Copies repeat real images, so "
        "the balls of images copied more than k times have radius 0: random over-sampling's recall "
        "is 1 against the training images and small against the test images; compare its coverage."
    )


def _cnn_text(cnn):
    if cnn is None:
        return ""
    updates, alpha = cnn
    return (
        "CNN: two 3x3 convolutions (16 and 32 channels, ReLU, 2x2 max-pooling) and a linear head "
        f"(`benchmarks/image_judges.py`), Adam (lr 1e-3), {updates} updates of 64 images for every "
        "method, whatever the size of its training set, so that adding images buys no extra "
        "training; seeded by the run's seed. Mixup: Beta"
        f"({alpha:g}, {alpha:g}) weights, images and one-hot labels mixed within each batch."
    )


def margins(results, metrics):
    """Each GAN's per-seed difference from each baseline: mean ± standard deviation, wins, spread."""
    lines = [
        "Margins: GAN minus baseline, paired by seed: mean ± standard deviation over seeds, (seeds "
        "where the GAN is higher / seeds); **beyond spread** marks a margin whose size exceeds the "
        "seed-to-seed standard deviation of both methods and whose sign all seeds share.",
        "",
        "| variant | GAN | baseline | " + " | ".join(HEADERS[m] for m in metrics) + " |",
        "|---|---|---|" + "---|" * len(metrics),
    ]
    for variant, rows in results.groupby("variant", sort=False):
        table = rows.set_index(["method", "seed"])[metrics]
        methods = list(dict.fromkeys(rows["method"]))
        for gan in (m for m in methods if m.startswith("ImageGANOversampler")):
            plain = (PLAIN_GAN,) if gan != PLAIN_GAN else ()
            for baseline in (b for b in BASELINES + plain if b in methods):
                cells = [_margin_cell(table.loc[gan, m], table.loc[baseline, m]) for m in metrics]
                lines.append(f"| {variant} | {gan} | {baseline} | " + " | ".join(cells) + " |")
    return lines


def _margin_cell(gan, baseline):
    difference = (gan - baseline).dropna()
    if difference.empty:
        return "–"
    mean, n = difference.mean(), len(difference)
    wins = int((difference > 0).sum())
    if n < 2:
        return f"{mean:+.3f} ({wins}/{n})"
    spread = max(gan.std(), baseline.std())
    beyond = abs(mean) > spread and wins in (0, n)
    return f"{mean:+.3f} ± {difference.std():.3f} ({wins}/{n})" + (" **beyond spread**" if beyond else "")
