"""Fashion-MNIST benchmark: does ImageGANOversampler help a classifier on imbalanced or tiny image sets?

Two variants, each over several seeds:

* ``imbalanced``: 1,000 training images per class, except three classes cut to 2% (20 images);
  the oversampler's ``"auto"`` strategy tops every class up to 1,000.
* ``lowdata``: 20 training images per class; every class is topped up to 200.

For each, two judges are trained on the real images alone, with class weights, with mixup (CNN
only), after random over-sampling and after ``ImageGANOversampler`` (each GAN fitted once per
variant and seed, its resampled set shared by the judges): a logistic regression on raw pixels and,
with ``--cnn-updates``, a small two-convolution CNN (``benchmarks/image_judges.py``). Both are
scored on the full 10,000-image test set (balanced accuracy, recall of the minority classes). The
images the samplers added are judged by a small CNN trained once on real training images (see
``gansynth.image.metrics``): the Fréchet distance between their features and those of real test
images of the same classes, and the CNN's accuracy on them against the class they were made for
(conditional accuracy). Random over-sampling adds copies of real images, so its figures are the
"real images, few of them" reference for the GAN's. ``--augment`` and ``--conditioning`` compare
``ImageGAN`` variants and ``--selection`` the way the added images are chosen (their product);
the added images' k-NN precision, recall and coverage (``gansynth.image.coverage``) against the
real training and test images of their class show how much of the class they cover.
``--include`` adds an earlier run's rows (e.g. its baselines) to the report without running them
again. The report is ``benchmarks/image_report.py``.

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

from benchmarks._load import load_average_note
from benchmarks.image_report import MINORITY_CLASSES, write_markdown

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


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """The data folder, variants and seeds, shared with the benchmarks built on this one."""
    parser.add_argument(
        "--data-dir", default=os.environ.get("GANSYNTH_DATA_DIR", "../shared/datasets") + "/fashion_mnist"
    )
    parser.add_argument("--variants", nargs="+", default=["imbalanced", "lowdata"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_run_arguments(parser)
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
        "--augment-probability",
        default="1.0",
        help="ImageGAN's augment_probability for the DiffAugment GANs: a share, or 'adaptive' (ADA)",
    )
    parser.add_argument(
        "--skip-baselines",
        action="store_true",
        help="run only the GANs (real only and random oversampling cost a classifier fit each)",
    )
    parser.add_argument(
        "--conditioning",
        nargs="+",
        default=["concat"],
        help="ImageGAN generator conditionings compared (each crossed with every --augment policy)",
    )
    parser.add_argument(
        "--selection",
        nargs="+",
        default=["none"],
        choices=["none", "diverse"],
        help="ImageGANOversampler selections compared (each crossed with the GAN variants)",
    )
    parser.add_argument(
        "--cnn-updates",
        type=int,
        default=0,
        help="also judge by a small 2-convolution CNN trained this many updates of 64 images (0: no)",
    )
    parser.add_argument("--mixup-alpha", type=float, default=0.2, help="Beta(alpha, alpha) of the mixup CNN")
    parser.add_argument(
        "--include",
        default=None,
        help="a CSV of an earlier run whose rows for this run's seeds and variants join the report "
        "(e.g. the baselines of the main run in an ablation)",
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
    parser.add_argument(
        "--machine",
        default=None,
        help="with --report-only: what the CPU was doing during the run (a run measures its own load)",
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
            judge_accuracy=args.judge_accuracy,
            judge_images=args.judge_images,
            seconds=float("nan"),
            class_names=FASHION_MNIST_CLASSES,
            cnn=(args.cnn_updates, args.mixup_alpha) if args.cnn_updates else None,
            machine=args.machine or "machine load not recorded",
        )
        return 0

    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(args.threads)
    threadpool_limits(args.threads)  # BLAS too: oversubscribed threads crawl on a shared machine
    from benchmarks.image_datasets import FASHION_MNIST_CLASSES, load_fashion_mnist
    from gansynth.image.metrics import FeatureClassifier

    started, load_at_start = time.time(), os.getloadavg()[0]
    out.mkdir(parents=True, exist_ok=True)
    train_x, train_y = load_fashion_mnist("train", data_dir=args.data_dir, download=False)
    test_x, test_y = load_fashion_mnist("test", data_dir=args.data_dir, download=False)

    judge_rows = np.random.default_rng(12345).choice(len(train_x), size=args.judge_images, replace=False)
    judge = FeatureClassifier(epochs=2, random_state=0, device="cpu").fit(
        train_x[judge_rows], train_y[judge_rows]
    )
    judge_accuracy = float(np.mean(judge.predict(test_x) == test_y))
    test = (test_x, test_y, judge.transform(test_x))
    print(f"feature CNN: test accuracy {judge_accuracy:.3f} ({time.time() - started:.0f}s)", flush=True)

    earlier = pd.DataFrame(columns=["variant", "seed", "method"])
    if args.include:
        earlier = pd.read_csv(args.include)
        earlier = earlier[earlier["seed"].isin(args.seeds) & earlier["variant"].isin(args.variants)]
    args.done = set(zip(earlier["variant"], earlier["seed"], earlier["method"]))  # not run again
    rows = []
    # Seeds outermost, so that a run cut short still covers every variant.
    for seed in args.seeds:
        for variant in args.variants:
            x, y, strategy, minority = make_variant(variant, train_x, train_y, np.random.default_rng(seed))
            for row in run_methods(args, variant, seed, x, y, strategy, minority, judge, test, out):
                rows.append(row)
                # Written after every run so that an interrupted benchmark still leaves its results.
                pd.DataFrame(rows).to_csv(out / f"{args.tag}.csv", index=False)
                print({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()}, flush=True)

    results = pd.DataFrame(rows)
    results.to_csv(out / f"{args.tag}.csv", index=False)
    if len(earlier):
        results = pd.concat([earlier, results], ignore_index=True)
    command = ("python -m benchmarks.image " + " ".join(sys.argv[1:] if argv is None else argv)).strip()
    write_markdown(
        out / f"{args.tag}.md",
        results,
        command,
        judge_accuracy=judge_accuracy,
        judge_images=args.judge_images,
        seconds=time.time() - started,
        class_names=FASHION_MNIST_CLASSES,
        cnn=(args.cnn_updates, args.mixup_alpha) if args.cnn_updates else None,
        machine=f"{os.cpu_count()} CPUs, {load_average_note(load_at_start)}",
    )
    print(f"done in {time.time() - started:.0f}s", flush=True)
    return 0


def epochs_for(steps: int, n_images: int) -> int:
    """ImageGAN epochs that give at least ``steps`` updates of 64 images on ``n_images``."""
    return max(1, -(-steps // max(1, n_images // 64)))


def gan_samplers(args, strategy, seed, n_images):
    """One ImageGANOversampler per (DiffAugment policy, conditioning), named for the report."""
    from gansynth.image.gan import ImageGAN
    from gansynth.sampling.image import ImageGANOversampler

    epochs = args.gan_epochs if args.gan_epochs != "auto" else epochs_for(args.gan_steps, n_images)
    probability = args.augment_probability
    probability = probability if probability == "adaptive" else float(probability)
    samplers = {}
    for policy in args.augment:
        for conditioning in args.conditioning:
            for selection in args.selection:
                name = "ImageGANOversampler" + ("" if policy == "none" else f", DiffAugment {policy}")
                if policy != "none" and probability != 1.0:
                    name += ", ADA" if probability == "adaptive" else f", probability {probability:g}"
                name += "" if conditioning == "concat" else f", {conditioning}"
                name += "" if selection == "none" else f", {selection} selection"
                samplers[name] = ImageGANOversampler(
                    image_shape=(28, 28),
                    sampling_strategy=strategy,
                    random_state=seed,
                    selection=None if selection == "none" else selection,
                    generator=ImageGAN(
                        epochs=int(epochs),
                        generator_width=args.gan_width,
                        discriminator_width=args.gan_width,
                        conditioning=conditioning,
                        augment=None if policy == "none" else policy,
                        augment_probability=probability,
                        class_balance=True,
                        verbose=False,
                        device="cpu",
                    ),
                )
    return samplers


def _as_images(flat):
    return np.clip(np.rint(flat * 255.0), 0, 255).astype(np.uint8).reshape(-1, 28, 28)


def run_methods(args, variant, seed, x, y, strategy, minority, judge, test, out):
    """Yield one result row per method of one (variant, seed): baselines first, then the GANs.

    Each sampler is fitted once; its resampled set is judged by both classifiers.
    """
    from imblearn.over_sampling import RandomOverSampler

    flat = x.reshape(len(x), -1) / 255.0
    # method: (the real set or a sampler, logistic regression options, CNN options; None: not judged)
    plans = {}
    if not args.skip_baselines:
        real = (flat, y)
        plans = {
            "real only": (real, {}, {}),
            "class weights": (real, {"class_weight": "balanced"}, {"class_weight": "balanced"}),
            "mixup": (real, None, {"mixup_alpha": args.mixup_alpha}),
            "random oversampling": (RandomOverSampler(sampling_strategy=strategy, random_state=seed), {}, {}),
        }
    for method, sampler in gan_samplers(args, strategy, seed, len(x)).items():
        plans[method] = (sampler, {}, {})
    plans = {method: plan for method, plan in plans.items() if (variant, seed, method) not in args.done}
    # The CNN gets the same number of updates for every method (see image_judges).
    for method, (source, lr_options, cnn_options) in plans.items():
        tick = time.time()
        sampler = None if isinstance(source, tuple) else source
        x_res, y_res = source if sampler is None else sampler.fit_resample(flat, y)
        fit_seconds = time.time() - tick
        row = {
            "variant": variant,
            "seed": seed,
            "method": method,
            "n_real": len(x),
            "n_added": len(x_res) - len(x),
        }
        row.update(_judge_scores(args, seed, x_res, y_res, minority, test, lr_options, cnn_options))
        row.update(_added_quality(sampler, x, y, x_res, y_res, judge, test))
        if method.startswith("ImageGANOversampler"):
            row["fd_gan_all_classes"] = _gan_distance(sampler.gan_, seed, judge, test)
            row["augment_probability"] = sampler.gan_.augment_probability_  # ADA's last value
            if seed == args.seeds[0]:
                _save_added_grid(
                    out / f"{args.tag}_{variant}_seed{seed}_{_slug(method)}_added.png", x, x_res, y_res
                )
                suffix = _slug(method[len("ImageGANOversampler") :]).replace("_selection", "")
                sampler.gan_.save_grid(
                    out / f"{args.tag}_{variant}_seed{seed}{suffix}.png", n_per_class=12, random_state=0
                )
        row["sampler_seconds"] = fit_seconds
        row["seconds"] = time.time() - tick
        yield row


def _judge_scores(args, seed, x_res, y_res, minority, test, lr_options, cnn_options):
    """Balanced accuracy and minority recall of logistic regression and the CNN on the test set."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    from benchmarks.image_judges import predict_cnn, train_cnn

    test_x, test_y, _ = test
    scores = {}
    if lr_options is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # capped at 200 iterations for CPU time
            clf = LogisticRegression(max_iter=200, C=0.1, **lr_options).fit(x_res, y_res)
        scores.update(_scores("", test_y, clf.predict(test_x.reshape(len(test_x), -1) / 255.0), minority))
    if args.cnn_updates and cnn_options is not None:
        network = train_cnn(
            _as_images(x_res), y_res, n_classes=10, updates=args.cnn_updates, seed=seed, **cnn_options
        )
        scores.update(_scores("cnn_", test_y, predict_cnn(network, test_x), minority))
    return scores


def _scores(prefix, truth, predicted, minority):
    from sklearn.metrics import balanced_accuracy_score, recall_score

    return {
        f"{prefix}balanced_accuracy": balanced_accuracy_score(truth, predicted),
        f"{prefix}minority_recall": float(
            np.mean(recall_score(truth, predicted, labels=minority, average=None))
        ),
    }


def _added_quality(sampler, x, y, x_res, y_res, judge, test):
    """Fréchet distance, conditional accuracy and k-NN precision/recall/coverage of the added images.

    Precision, recall and coverage (k=5, in the judge's feature space) are computed per added class
    against that class's real training images and, apart, its real test images, then averaged over
    the added classes. NaN for a method that adds nothing.
    """
    from gansynth.image.metrics import conditional_accuracy, frechet_distance, precision_recall_coverage

    if sampler is None:
        return {"fd_added": np.nan, "conditional_accuracy_added": np.nan}
    _, test_y, test_features = test
    added, added_labels = _as_images(x_res[len(x) :]), y_res[len(x) :]
    added_features = judge.transform(added)
    same_classes = np.isin(test_y, np.unique(added_labels))
    quality = {
        "fd_added": frechet_distance(added_features, test_features[same_classes]),
        "conditional_accuracy_added": conditional_accuracy(judge, added, added_labels),
    }
    train_features = judge.transform(x)
    per_class = []
    for klass in np.unique(added_labels):
        mine = added_features[added_labels == klass]
        versus_train = precision_recall_coverage(train_features[y == klass], mine)
        versus_test = precision_recall_coverage(test_features[test_y == klass], mine)
        per_class.append(
            {f"{name}_added_train": value for name, value in versus_train.items()}
            | {f"{name}_added_test": value for name, value in versus_test.items()}
        )
    quality.update(pd.DataFrame(per_class).mean().to_dict())
    return quality


def _slug(method):
    return method.replace(", ", "_").replace(",", "_").replace(" ", "_")


def _save_added_grid(path, x, x_res, y_res, per_class=12):
    """The first ``per_class`` images a sampler added to each class, one row per class."""
    from gansynth.image.layout import ImageFormat
    from gansynth.io.images import write_grid

    added, labels = _as_images(x_res[len(x) :]), y_res[len(x) :]
    classes = np.unique(labels)
    rows = [added[labels == klass][:per_class] for klass in classes]
    if not classes.size or min(len(r) for r in rows) < per_class:
        return
    images = np.concatenate(rows)
    write_grid(path, images, ImageFormat.infer(images, "nhw"), n_rows=len(classes))


def _gan_distance(gan, seed, judge, test):
    """Fréchet distance of 200 GAN images per class to the whole test set."""
    from gansynth.image.metrics import frechet_distance

    generated = gan.sample(2000, labels=np.repeat(np.arange(10), 200), random_state=seed)
    generated = np.clip(np.rint(generated * 255.0), 0, 255).astype(np.uint8)
    return frechet_distance(judge.transform(generated), test[2])


if __name__ == "__main__":
    raise SystemExit(main())
