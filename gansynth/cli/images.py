"""The ``gansynth fit-images`` and ``gansynth sample-images`` subcommands.

Each parser carries its handler in ``handler``. Handlers raise ``ValueError`` or
``FileNotFoundError`` for bad input, which the CLI prints as one line with exit status 2. torch
loads only when a handler runs, keeping ``gansynth --help`` fast.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from gansynth.cli.options import epochs, non_negative_int, positive_int
from gansynth.cli.outputs import check_output, make_parents
from gansynth.io.images import read_images, write_images


def add_subcommands(subparsers) -> None:
    """Add ``fit-images`` and ``sample-images`` to an argparse subparsers object."""
    fit = subparsers.add_parser(
        "fit-images",
        help="train a class-conditional image GAN on an .npz or a folder of PNGs",
        description="Train an ImageGAN. DATA is an .npz with an 'images' array (n,h,w), (n,h,w,c) or "
        "(n,c,h,w) and optional 'labels', or a folder of PNGs (one sub-folder per class for labels).",
    )
    fit.add_argument("data", help=".npz file or folder of PNG images")
    fit.add_argument("-o", "--output", required=True, help="model file to write (e.g. model.gsyn)")
    fit.add_argument("--epochs", type=epochs, default="auto", help="training epochs, or 'auto' (default)")
    fit.add_argument("--batch-size", type=positive_int, default=64)
    fit.add_argument("--layout", default="auto", choices=["auto", "nhw", "nhwc", "nchw"])
    fit.add_argument("--images-key", default="images", help="array name of the images in an .npz")
    fit.add_argument("--labels-key", default="labels", help="array name of the labels in an .npz (optional)")
    fit.add_argument("--unconditional", action="store_true", help="ignore labels even if present")
    fit.add_argument("--seed", type=int, default=None, help="random seed (same seed, same model on CPU)")
    fit.add_argument("--device", default="auto", help="'auto', 'cpu' or 'cuda'")
    fit.add_argument("--grid", default=None, help="also write a PNG grid of samples, one row per class")
    fit.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    fit.set_defaults(handler=_fit_images)

    sample = subparsers.add_parser(
        "sample-images",
        help="generate images from a model written by fit-images",
        description="Generate images. OUTPUT ending in .npz gets 'images' and 'labels' arrays in the "
        "training layout and dtype; any other OUTPUT is a folder of PNGs, one sub-folder per label.",
    )
    sample.add_argument("-m", "--model", required=True, help="model file from fit-images")
    sample.add_argument("--rows", type=non_negative_int, required=True, help="number of images to generate")
    sample.add_argument(
        "--label",
        default=None,
        help="generate only this class (default: classes in their training proportions)",
    )
    sample.add_argument("-o", "--output", required=True, help="output .npz file or folder")
    sample.add_argument("--seed", type=int, default=None)
    sample.add_argument("--device", default="cpu")
    sample.add_argument("--grid", default=None, help="also write a PNG grid of samples, one row per class")
    sample.set_defaults(handler=_sample_images)


def _fit_images(args: argparse.Namespace) -> None:
    from gansynth.image.gan import ImageGAN

    check_output(args.output, "-o")
    if args.grid:
        check_output(args.grid, "--grid", (".png",))
    images, labels = read_images(args.data, args.images_key, args.labels_key)
    model = ImageGAN(
        epochs=args.epochs,
        batch_size=args.batch_size,
        layout=args.layout,
        random_state=args.seed,
        verbose=not args.quiet,
        device=args.device,
    )
    model.fit(images, None if args.unconditional else labels)
    path = model.save(make_parents(args.output))
    if args.grid:
        model.save_grid(make_parents(args.grid), random_state=args.seed)
    print(
        f"saved model of {len(images)} images, {len(model.classes_)} classes, "
        f"{model.n_epochs_} epochs to {path}",
        file=sys.stderr,
    )


def _sample_images(args: argparse.Namespace) -> None:
    from gansynth.image.gan import ImageGAN
    from gansynth.models import load

    check_output(args.output, "-o", (".npz",), folder=True)
    if args.grid:
        check_output(args.grid, "--grid", (".png",))
    model = load(args.model, device=args.device)
    if not isinstance(model, ImageGAN):
        raise ValueError(
            f"{args.model} holds a {type(model).__name__}, not an ImageGAN; use 'gansynth sample'"
        )
    label = None
    if args.label is not None:
        # The command line gives text; match it to the model's own label values.
        matches = [c for c in model.classes_ if str(c) == args.label]
        if not matches:
            raise ValueError(
                f"unknown label {args.label!r}; the model knows {[str(c) for c in model.classes_]}"
            )
        label = matches[0]
    images, labels = model.sample(args.rows, labels=label, random_state=args.seed, return_labels=True)
    path = write_images(make_parents(args.output), images, np.asarray(labels), model.image_format_)
    if args.grid:
        model.save_grid(make_parents(args.grid), random_state=args.seed)
    print(f"wrote {args.rows} images to {path}", file=sys.stderr)
