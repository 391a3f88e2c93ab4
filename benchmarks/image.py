"""Fashion-MNIST benchmark: does ImageGANOversampler help a classifier on imbalanced or tiny image sets?

Two variants, each over several seeds:

* ``imbalanced``: 1,000 training images per class, except three classes cut to 2% (20 images);
  the oversampler's ``"auto"`` strategy tops every class up to 1,000.
* ``lowdata``: 20 training images per class; every class is topped up to 200.

For each, a logistic regression on raw pixels is trained on the real images alone, after random
over-sampling, and after ``ImageGANOversampler``, and scored
on the full 10,000-image test set (balanced accuracy, recall of the minority classes). The images
the samplers added are judged by a small CNN trained once on 20,000 real training images (see
``gansynth.image.metrics``): the Fréchet distance between their features and those of real test
images of the same classes, and the CNN's accuracy on them against the class they were made for
(conditional accuracy). Random over-sampling adds copies of real images, so its figures are the
"real images, few of them" reference for the GAN's.

Run from the repository root (about 20 minutes on one CPU thread with the defaults)::

    python -m benchmarks.image --data-dir ../shared/datasets/fashion_mnist
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

MINORITY_CLASSES = (0, 2, 7)  # T-shirt/top, Pullover, Sneaker
RESULTS = Path(__file__).resolve().parent / "results"


def _subset(images, labels, per_class, rng):
    keep = np.concatenate(
        [rng.choice(np.flatnonzero(labels == c), size=n, replace=False) for c, n in per_class.items()]
    )
    keep.sort()
    return images[keep], labels[keep]


def make_variant(name, images, labels, rng):
    """Training images, labels, the sampling strategy and the minority classes of a variant."""
    classes = np.unique(labels)
    if name == "imbalanced":
        counts = {int(c): (20 if c in MINORITY_CLASSES else 1000) for c in classes}
        x, y = _subset(images, labels, counts, rng)
        return x, y, "auto", list(MINORITY_CLASSES)
    if name == "lowdata":
        x, y = _subset(images, labels, {int(c): 20 for c in classes}, rng)
        return x, y, {int(c): 200 for c in classes}, [int(c) for c in classes]
    raise ValueError(f"unknown variant {name!r}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-dir", default=os.environ.get("GANSYNTH_DATA_DIR", "../shared/datasets") + "/fashion_mnist"
    )
    parser.add_argument("--variants", nargs="+", default=["imbalanced", "lowdata"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--gan-epochs", default="auto", help="ImageGAN epochs per fit, or 'auto'")
    parser.add_argument(
        "--gan-steps", type=int, default=500, help="GAN updates per fit when --gan-epochs is auto"
    )
    parser.add_argument("--gan-width", type=int, default=16, help="generator and discriminator width")
    parser.add_argument(
        "--judge-images", type=int, default=20000, help="real training images for the feature CNN"
    )
    parser.add_argument("--threads", type=int, default=1, help="torch/BLAS threads")
    parser.add_argument(
        "--augment",
        nargs="+",
        default=["color,translation,cutout"],
        help="DiffAugment policies of the GANs compared, one ImageGANOversampler each ('none': off)",
    )
    parser.add_argument(
        "--skip-baselines",
        action="store_true",
        help="run only the GANs (real only and random oversampling cost a classifier fit each)",
    )
    parser.add_argument(
        "--cnn-epochs",
        type=int,
        default=0,
        help="also judge by a small 2-convolution CNN trained this many epochs on each set (0: no)",
    )
    parser.add_argument("--out", default=str(RESULTS), help="folder for image_*.md/.csv/.png")
    parser.add_argument("--tag", default="image_fashion_mnist", help="file name stem of the results")
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="rebuild the markdown from an existing CSV (e.g. of a run cut short); needs --judge-accuracy",
    )
    parser.add_argument(
        "--judge-accuracy",
        type=float,
        default=None,
        help="with --report-only: the feature CNN's logged accuracy",
    )
    parser.add_argument(
        "--command", default=None, help="with --report-only: the command that produced the CSV"
    )
    args = parser.parse_args(argv)
    out = Path(args.out)
    if args.report_only:
        results = pd.read_csv(out / f"{args.tag}.csv")
        from benchmarks.image_datasets import FASHION_MNIST_CLASSES

        command = (args.command or "?") + " (markdown rebuilt from its CSV with --report-only)"
        write_markdown(
            out / f"{args.tag}.md",
            results,
            command,
            args.judge_accuracy,
            args.judge_images,
            float("nan"),
            FASHION_MNIST_CLASSES,
        )
        return 0

    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(args.threads)
    threadpool_limits(args.threads)  # BLAS too: oversubscribed threads crawl on a shared machine
    from imblearn.over_sampling import RandomOverSampler
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import balanced_accuracy_score, recall_score

    from benchmarks.image_datasets import FASHION_MNIST_CLASSES, load_fashion_mnist
    from gansynth.image.gan import ImageGAN
    from gansynth.image.metrics import FeatureClassifier, conditional_accuracy, frechet_distance
    from gansynth.sampling.image import ImageGANOversampler

    started = time.time()
    out.mkdir(parents=True, exist_ok=True)
    train_x, train_y = load_fashion_mnist("train", data_dir=args.data_dir, download=False)
    test_x, test_y = load_fashion_mnist("test", data_dir=args.data_dir, download=False)
    flat_test = test_x.reshape(len(test_x), -1) / 255.0

    judge_rows = np.random.default_rng(12345).choice(len(train_x), size=args.judge_images, replace=False)
    judge = FeatureClassifier(epochs=2, random_state=0, device="cpu").fit(
        train_x[judge_rows], train_y[judge_rows]
    )
    judge_accuracy = float(np.mean(judge.predict(test_x) == test_y))
    test_features = judge.transform(test_x)
    print(f"feature CNN: test accuracy {judge_accuracy:.3f} ({time.time() - started:.0f}s)", flush=True)

    rows = []
    # Seeds outermost, so that a run cut short still covers every variant.
    for seed in args.seeds:
        for variant in args.variants:
            rng = np.random.default_rng(seed)
            x, y, strategy, minority = make_variant(variant, train_x, train_y, rng)
            flat = x.reshape(len(x), -1) / 255.0
            batches = max(1, len(x) // 64)
            epochs = args.gan_epochs if args.gan_epochs != "auto" else max(1, -(-args.gan_steps // batches))
            samplers = {
                "real only": None,
                "random oversampling": RandomOverSampler(sampling_strategy=strategy, random_state=seed),
            }
            if args.skip_baselines:
                samplers = {}
            for policy in args.augment:
                name = "ImageGANOversampler" + ("" if policy == "none" else f", DiffAugment {policy}")
                samplers[name] = ImageGANOversampler(
                    image_shape=(28, 28),
                    sampling_strategy=strategy,
                    random_state=seed,
                    generator=ImageGAN(
                        epochs=int(epochs),
                        generator_width=args.gan_width,
                        discriminator_width=args.gan_width,
                        augment=None if policy == "none" else policy,
                        class_balance=True,
                        verbose=False,
                        device="cpu",
                    ),
                )
            for method, sampler in samplers.items():
                tick = time.time()
                # fit_resample then fit, rather than a Pipeline, to keep the exact rows added.
                x_res, y_res = (flat, y) if sampler is None else sampler.fit_resample(flat, y)
                with warnings.catch_warnings():
                    warnings.simplefilter(
                        "ignore", ConvergenceWarning
                    )  # capped at 200 iterations for CPU time
                    clf = LogisticRegression(max_iter=200, C=0.1).fit(x_res, y_res)
                predicted = clf.predict(flat_test)
                row = {
                    "variant": variant,
                    "seed": seed,
                    "method": method,
                    "n_real": len(x),
                    "n_added": len(x_res) - len(x),
                    "balanced_accuracy": balanced_accuracy_score(test_y, predicted),
                    "minority_recall": float(
                        np.mean(recall_score(test_y, predicted, labels=minority, average=None))
                    ),
                    "cnn_balanced_accuracy": np.nan,
                    "cnn_minority_recall": np.nan,
                    "fd_added": np.nan,
                    "conditional_accuracy_added": np.nan,
                    "fd_gan_all_classes": np.nan,
                }
                if args.cnn_epochs:
                    cnn = FeatureClassifier(epochs=args.cnn_epochs, random_state=seed, device="cpu")
                    as_images = np.clip(np.rint(x_res * 255.0), 0, 255).astype(np.uint8).reshape(-1, 28, 28)
                    cnn_predicted = cnn.fit(as_images, y_res).predict(test_x)
                    row["cnn_balanced_accuracy"] = balanced_accuracy_score(test_y, cnn_predicted)
                    row["cnn_minority_recall"] = float(
                        np.mean(recall_score(test_y, cnn_predicted, labels=minority, average=None))
                    )
                if sampler is not None:
                    added = (
                        np.clip(np.rint(x_res[len(x) :] * 255.0), 0, 255).astype(np.uint8).reshape(-1, 28, 28)
                    )
                    added_labels = y_res[len(x) :]
                    same_classes = np.isin(test_y, np.unique(added_labels))
                    row["fd_added"] = frechet_distance(judge.transform(added), test_features[same_classes])
                    row["conditional_accuracy_added"] = conditional_accuracy(judge, added, added_labels)
                if method.startswith("ImageGANOversampler"):
                    gan = sampler.gan_
                    balanced = np.repeat(np.arange(10), 200)
                    generated = gan.sample(len(balanced), labels=balanced, random_state=seed)
                    generated = np.clip(np.rint(generated * 255.0), 0, 255).astype(np.uint8)
                    row["fd_gan_all_classes"] = frechet_distance(judge.transform(generated), test_features)
                    if seed == args.seeds[0]:
                        suffix = (
                            ""
                            if method == "ImageGANOversampler"
                            else "_" + method.split()[-1].replace(",", "_")
                        )
                        gan.save_grid(
                            out / f"{args.tag}_{variant}_seed{seed}{suffix}.png",
                            n_per_class=12,
                            random_state=0,
                        )
                row["seconds"] = time.time() - tick
                rows.append(row)
                # Written after every run so that an interrupted benchmark still leaves its results.
                pd.DataFrame(rows).to_csv(out / f"{args.tag}.csv", index=False)
                print({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()}, flush=True)

    results = pd.DataFrame(rows)
    results.to_csv(out / f"{args.tag}.csv", index=False)
    command = ("python -m benchmarks.image " + " ".join(sys.argv[1:] if argv is None else argv)).strip()
    write_markdown(
        out / f"{args.tag}.md",
        results,
        command,
        judge_accuracy,
        args.judge_images,
        time.time() - started,
        FASHION_MNIST_CLASSES,
    )
    print(f"done in {time.time() - started:.0f}s", flush=True)
    return 0


def write_markdown(path, results, command, judge_accuracy, judge_images, seconds, class_names):
    metrics = [
        "balanced_accuracy",
        "minority_recall",
        "cnn_balanced_accuracy",
        "cnn_minority_recall",
        "fd_added",
        "conditional_accuracy_added",
        "fd_gan_all_classes",
    ]
    metrics = [m for m in metrics if m in results and results[m].notna().any()]
    summary = results.groupby(["variant", "method"], sort=False)[metrics].agg(["mean", "std"])
    lines = [
        "# Fashion-MNIST: ImageGANOversampler vs random over-sampling vs real data only",
        "",
        f"Command: `{command}` (run from the repository root"
        + (
            ""
            if np.isnan(seconds)
            else f"; {seconds / 60:.1f} min in total on 1 thread of a 2-core CPU shared with other jobs"
        )
        + ").",
        "",
        "Minority classes in the imbalanced variant: "
        f"{', '.join(class_names[c] for c in MINORITY_CLASSES)} "
        "(20 training images each, 2% of the 1,000 kept for the other classes). "
        "Low-data: 20 images per class, every class topped up to 200. "
        "Classifier: logistic regression (C=0.1, at most 200 lbfgs iterations) "
        "on raw pixels scaled to [0, 1]; test set: all "
        "10,000 Fashion-MNIST test images. Minority recall: mean recall of the minority classes "
        "(all ten classes in the low-data variant). CNN columns, when present: the two-convolution "
        "CNN of `gansynth.image.metrics.FeatureClassifier` trained on each resampled set "
        "(seeded by the run's seed) and scored on the same test set.",
        "",
        f"Quality judge: a small CNN trained for 2 epochs on {judge_images:,} real training images "
        f"(test accuracy {judge_accuracy:.3f}). "
        "`fd_added`: Fréchet distance between its 128-d features of the images a sampler added "
        "and those of the real test images of the same classes (lower is closer). "
        "`conditional_accuracy_added`: how often it assigns "
        "an added image to the class it was added for. `fd_gan_all_classes`: 200 GAN images per class vs the "
        "whole test set. Random over-sampling adds copies of real training images, so its columns show what "
        "real images score.",
        "",
        "Mean ± standard deviation over seeds " + ", ".join(map(str, sorted(results["seed"].unique()))) + ".",
        "",
        "| variant | method | " + " | ".join(_HEADERS[m] for m in metrics) + " |",
        "|---|---|" + "---|" * len(metrics),
    ]
    for (variant, method), row in summary.iterrows():
        cells = []
        for metric in metrics:
            mean, std = row[(metric, "mean")], row[(metric, "std")]
            cells.append("–" if np.isnan(mean) else f"{mean:.3f} ± {std:.3f}")
        lines.append(f"| {variant} | {method} | " + " | ".join(cells) + " |")
    judged = [m for m in metrics if m.endswith(("balanced_accuracy", "minority_recall"))]
    lines += ["", *_margins(results, judged)]
    lines.append("")
    Path(path).write_text("\n".join(lines))


_HEADERS = {
    "balanced_accuracy": "balanced accuracy",
    "minority_recall": "minority recall",
    "cnn_balanced_accuracy": "balanced accuracy (CNN)",
    "cnn_minority_recall": "minority recall (CNN)",
    "fd_added": "FD of added images",
    "conditional_accuracy_added": "conditional accuracy of added",
    "fd_gan_all_classes": "GAN FD, all classes",
}


def _margins(results, metrics):
    """Each GAN's per-seed difference from each baseline: mean, standard deviation, and wins."""
    lines = [
        "Margins: GAN minus baseline, paired by seed (mean ± standard deviation over seeds; "
        "wins = seeds where the GAN is higher).",
        "",
        "| variant | GAN | baseline | " + " | ".join(_HEADERS[m] for m in metrics) + " |",
        "|---|---|---|" + "---|" * len(metrics),
    ]
    for variant, rows in results.groupby("variant", sort=False):
        table = rows.set_index(["method", "seed"])[metrics]
        methods = list(dict.fromkeys(rows["method"]))
        for gan in (m for m in methods if m.startswith("ImageGANOversampler")):
            for baseline in ("real only", "random oversampling"):
                if baseline not in methods:
                    continue
                difference = (table.loc[gan] - table.loc[baseline]).dropna(how="all")
                cells = [
                    f"{difference[m].mean():+.3f} ± {difference[m].std():.3f} "
                    f"({int((difference[m] > 0).sum())}/{difference[m].notna().sum()})"
                    for m in metrics
                ]
                lines.append(f"| {variant} | {gan} | {baseline} | " + " | ".join(cells) + " |")
    return lines


if __name__ == "__main__":
    raise SystemExit(main())
