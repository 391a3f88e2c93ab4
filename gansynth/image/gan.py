"""``ImageGAN``: a class-conditional DCGAN for small grey or RGB images."""

from __future__ import annotations

import math
import numbers

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from gansynth._initialisation import build_network, empty_network
from gansynth._labels import check_labels, encode_labels
from gansynth._random import draw_seed, torch_generator
from gansynth._torch_utils import adam, resolve_device, torch_threads
from gansynth.errors import InputError, InputTypeError
from gansynth.image.augment import FULL_POLICY, POLICIES, AdaptiveProbability
from gansynth.image.layout import LAYOUTS, ImageFormat, as_image_array
from gansynth.image.networks import CONDITIONINGS, Discriminator, Generator
from gansynth.image.training import LOSSES, GANModules, train
from gansynth.io.images import write_grid
from gansynth.persistence import loaded_params, save_model, stored_params

# Used when epochs="auto": enough updates for recognisable class-conditional samples on 8x8
# digits and 28x28 Fashion-MNIST, while staying in CPU minutes (see README, "Images").
_AUTO_STEPS = 1000
_MAX_AUTO_EPOCHS = 1000
# augment="auto" turns DiffAugment on below this many training images, the small-data regime
# in which Zhao et al. (2020) found it to help (100-shot sets to 20% of CIFAR-10).
_AUTO_AUGMENT_MAX_IMAGES = 10_000


class ImageGAN(BaseEstimator):
    """Class-conditional DCGAN for small images (8x8 to 64x64, grey or RGB).

    The generator maps noise plus a class embedding through transposed convolutions with batch
    norm; the discriminator is convolutional with a projection head for the label. The default
    objective is the hinge loss with an R1 gradient penalty (gamma 1) and no spectral
    normalisation: on scikit-learn's digits it gave a Fréchet distance 2-5x lower than spectral
    normalisation with either loss, at equal or better conditional accuracy
    (``benchmarks/results/image_loss_choice.md``). The non-saturating loss and spectral
    normalisation remain available.

    Parameters after ``epochs`` and ``batch_size`` are keyword-only.

    Parameters
    ----------
    epochs : int or "auto", default="auto"
        Passes over the training images. ``"auto"`` picks enough epochs for about 1000
        generator updates (at most 1000 epochs). Timings on scikit-learn's digits, with one and
        two torch threads, are on the documentation's benchmarks page (``python -m benchmarks
        timings``).
    batch_size : int, default=64
        Images per update, at least 2 for batch norm (reduced to the number of images when there
        are fewer).
    latent_dim : int, default=64
        Size of the noise vector.
    generator_width : int or "auto", default="auto"
        Generator channels at full resolution, doubled per halving of resolution (capped at 8x).
        ``"auto"``: 32 for images up to 16 pixels, 16 for larger ones, whose full-resolution
        layers dominate the CPU cost.
    discriminator_width : int or "auto", default="auto"
        Discriminator channels after its first convolution, doubled likewise; ``"auto"`` as above.
    embedding_dim : int, default=32
        Size of the generator's class embedding.
    conditioning : {"concat", "batchnorm"}, default="concat"
        Where the generator takes the label. ``"concat"``: the class embedding joins the noise at
        the input only. ``"batchnorm"``: also class-conditional batch norm in every generator
        layer, its gain and bias mapped from the same embedding by layers all classes share, so
        rare classes learn from the frequent ones' features (de Vries et al., 2017; Brock et al.,
        2019).
    loss : {"hinge", "non_saturating"}, default="hinge"
        Adversarial objective.
    spectral_norm : bool, default=False
        Spectrally normalise every discriminator layer.
    r1_gamma : float, default=1.0
        Weight of the R1 gradient penalty on real images (Mescheder et al., 2018); 0 disables it.
    generator_lr, discriminator_lr : float, default=2e-4
        Adam learning rates (betas 0.5, 0.999).
    augment : str, "auto" or None, default=None
        DiffAugment policy (Zhao et al., 2020): random, differentiable transforms applied to every
        image the discriminator sees, real and generated, so that it cannot memorise a small
        training set. A comma-separated subset of ``"color"``, ``"translation"`` and
        ``"cutout"``, in that order; ``"auto"`` uses all three for fewer than 10,000 training
        images and none for more; ``None`` turns it off. Off by default: on the reduced
        Fashion-MNIST benchmark (330 updates per GAN, 2 seeds) it did not improve the downstream
        classifier (``benchmarks/results/image_fashion_mnist_diffaugment.md``). The policy in
        force is ``augment_``.
    augment_probability : float or "adaptive", default=1.0
        Share of the discriminator's images that ``augment`` transforms, each chosen apart.
        ``"adaptive"``: ADA's rule (Karras et al., 2020), starting at 0 and moving up while the
        mean sign of the discriminator's scores of real images is above 0.6 (about 80% of them
        scored real), down otherwise, by 1/250 per update; the final value is
        ``augment_probability_``.
    class_balance : bool, default=False
        Draw training images with equal total probability per class (with replacement) instead
        of uniformly, so rare classes get as many generator updates as common ones. The
        oversampler turns this on: the classes it must generate are the rare ones.
    layout : {"auto", "nhw", "nhwc", "nchw"}, default="auto"
        Layout of the images passed to ``fit``. ``"auto"``: 3-d arrays are (n, h, w); a 4-d array
        is channels-first when axis 1 has 1 or 3 entries and the last axis does not, and
        channels-last in the mirror case. Other channel counts need an explicit layout.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling and noise, through torch generators of the
        model's own (numpy's and torch's global random state is never read or changed; ``None``
        seeds from fresh operating-system entropy). The same seed gives the same model and
        samples on CPU.
    verbose : bool, default=True
        Show a progress bar during ``fit``.
    torch_threads : "auto", int or None, default="auto"
        Intra-op threads torch uses while ``fit`` trains. ``"auto"`` uses one thread on CPU: on
        28x28 Fashion-MNIST one thread ran a training step several times faster than two on a
        shared 2-core machine (``benchmarks/results/image_speed.md``); ``None`` leaves torch's
        setting alone. Weights depend on the count (parallel kernels sum in another order).
    device : str or torch.device, default="auto"
        ``"auto"`` uses CUDA when available, else CPU.

    Attributes
    ----------
    classes_ : ndarray
        Labels seen in ``fit``; a single ``0`` class when fitted without labels.
    class_prior_ : ndarray
        Fraction of training images per class, the default label distribution of ``sample``.
    image_format_ : ImageFormat
        Layout, dtype, value range and working size of the training images.
    n_epochs_ : int
        Epochs actually run.
    augment_ : str or None
        The DiffAugment policy used in training.
    augment_probability_ : float
        The share of images DiffAugment transformed at the end of training (ADA's last value
        with ``augment_probability="adaptive"``; 0 without ``augment``); not kept in model files.
    loss_history_ : pandas.DataFrame
        Mean ``generator_loss`` and ``discriminator_loss`` per epoch, indexed by ``epoch`` (the
        layout of ``TabularGAN.loss_history_``).
    generator_, discriminator_ : torch.nn.Module
        The trained networks (the discriminator is not kept by ``save``).
    """

    _parameter_constraints: dict = {
        "epochs": [Interval(numbers.Integral, 1, None, closed="left"), StrOptions({"auto"})],
        # At least 2: the generator's batch norm needs more than one image per batch.
        "batch_size": [Interval(numbers.Integral, 2, None, closed="left")],
        "latent_dim": [Interval(numbers.Integral, 1, None, closed="left")],
        "generator_width": [Interval(numbers.Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "discriminator_width": [Interval(numbers.Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "embedding_dim": [Interval(numbers.Integral, 1, None, closed="left")],
        "conditioning": [StrOptions(set(CONDITIONINGS))],
        "loss": [StrOptions(set(LOSSES))],
        "spectral_norm": ["boolean"],
        "r1_gamma": [Interval(numbers.Real, 0, None, closed="left")],
        "generator_lr": [Interval(numbers.Real, 0, None, closed="neither")],
        "discriminator_lr": [Interval(numbers.Real, 0, None, closed="neither")],
        "augment": [StrOptions(POLICIES | {"auto"}), None],
        "augment_probability": [Interval(numbers.Real, 0, 1, closed="both"), StrOptions({"adaptive"})],
        "class_balance": ["boolean"],
        "layout": [StrOptions(set(LAYOUTS))],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "torch_threads": [Interval(numbers.Integral, 1, None, closed="left"), StrOptions({"auto"}), None],
        "device": [str, torch.device, None],
    }

    def __init__(
        self,
        epochs="auto",
        batch_size=64,
        *,
        latent_dim=64,
        generator_width="auto",
        discriminator_width="auto",
        embedding_dim=32,
        conditioning="concat",
        loss="hinge",
        spectral_norm=False,
        r1_gamma=1.0,
        generator_lr=2e-4,
        discriminator_lr=2e-4,
        augment=None,
        augment_probability=1.0,
        class_balance=False,
        layout="auto",
        random_state=None,
        verbose=True,
        torch_threads="auto",
        device="auto",
    ):
        self.epochs = epochs
        self.batch_size = batch_size
        self.latent_dim = latent_dim
        self.generator_width = generator_width
        self.discriminator_width = discriminator_width
        self.embedding_dim = embedding_dim
        self.conditioning = conditioning
        self.loss = loss
        self.spectral_norm = spectral_norm
        self.r1_gamma = r1_gamma
        self.generator_lr = generator_lr
        self.discriminator_lr = discriminator_lr
        self.augment = augment
        self.augment_probability = augment_probability
        self.class_balance = class_balance
        self.layout = layout
        self.random_state = random_state
        self.verbose = verbose
        self.torch_threads = torch_threads
        self.device = device

    # ------------------------------------------------------------------ fitting

    def fit(self, images, labels=None):
        """Train the GAN.

        Parameters
        ----------
        images : array-like of shape (n, h, w), (n, h, w, c) or (n, c, h, w)
            uint8 or float images, 8 to 64 pixels per side.
        labels : array-like of shape (n,), default=None
            Class of each image. Without labels the model is unconditional.

        Returns
        -------
        self : ImageGAN
        """
        self._validate_params()  # called directly: nested fits (the oversampler's) validate too
        images = as_image_array(images)
        if images.ndim and len(images) < 2:
            raise InputError(f"need at least 2 images to train, got {len(images)}")
        image_format = ImageFormat.infer(images, self.layout)
        n = images.shape[0]
        classes, codes = encode_labels(labels, n)
        device = resolve_device(self.device)
        batch_size = min(self.batch_size, n)
        batches_per_epoch = n // batch_size  # drop the ragged last batch: batch norm dislikes tiny ones
        epochs = self.epochs
        if epochs == "auto":
            epochs = min(_MAX_AUTO_EPOCHS, max(1, math.ceil(_AUTO_STEPS / batches_per_epoch)))

        self.image_format_ = image_format
        self.classes_ = classes
        self.class_prior_ = np.bincount(codes, minlength=len(classes)) / n
        self.n_epochs_ = int(epochs)
        self.augment_ = self.augment
        if self.augment == "auto":
            self.augment_ = FULL_POLICY if n < _AUTO_AUGMENT_MAX_IMAGES else None
        self.device_ = device
        data = image_format.to_tensor(images).to(device)
        targets = torch.as_tensor(codes, dtype=torch.long, device=device)
        # One stream on the training device, for the initial weights and then for training.
        rng = torch_generator(draw_seed(self.random_state), device)
        with torch_threads(self._training_threads()):
            self._build_networks(rng)
            # Channels-last convolutions ran a CPU step faster (benchmarks/results/image_speed.md);
            # the networks go back to the default layout afterwards, the one a loaded model has.
            self._set_memory_format(torch.channels_last)
            adaptive = self.augment_probability == "adaptive"
            probability = AdaptiveProbability() if adaptive else self.augment_probability
            self.loss_history_ = train(
                self._modules(probability),
                data.contiguous(memory_format=torch.channels_last),
                targets,
                epochs=self.n_epochs_,
                batch_size=batch_size,
                rng=rng,
                class_balance=self.class_balance,
                verbose=self.verbose,
            )
            self._set_memory_format(torch.contiguous_format)
        final = probability.probability if adaptive else probability
        self.augment_probability_ = 0.0 if self.augment_ is None else float(final)
        return self

    def _training_threads(self):
        if self.torch_threads != "auto":
            return self.torch_threads
        return 1 if self.device_.type == "cpu" else None

    def _set_memory_format(self, memory_format):
        self.generator_.to(memory_format=memory_format)
        self.discriminator_.to(memory_format=memory_format)

    def _modules(self, augment_probability):
        betas = (0.5, 0.999)
        return GANModules(
            generator=self.generator_,
            discriminator=self.discriminator_,
            generator_optimizer=adam(self.generator_.parameters(), lr=self.generator_lr, betas=betas),
            discriminator_optimizer=adam(
                self.discriminator_.parameters(), lr=self.discriminator_lr, betas=betas
            ),
            latent_dim=self.latent_dim,
            loss=self.loss,
            r1_gamma=self.r1_gamma,
            augment=self.augment_,
            augment_probability=augment_probability,
        )

    def _build_networks(self, rng):
        """Both networks, their initial weights drawn from ``rng``."""
        self.generator_ = build_network(self._make_generator, self.device_, rng)
        self.discriminator_ = build_network(self._make_discriminator, self.device_, rng)

    def _width(self, value):
        if value == "auto":
            return 32 if self.image_format_.size <= 16 else 16
        return int(value)

    # The factories build on torch's default device; callers put them on the meta device first
    # (build_network, empty_network), so no weights are drawn from torch's global generator.
    def _make_generator(self):
        fmt = self.image_format_
        return Generator(
            self.latent_dim,
            len(self.classes_),
            fmt.channels,
            fmt.size,
            self._width(self.generator_width),
            self.embedding_dim,
            self.conditioning,
        )

    def _make_discriminator(self):
        fmt = self.image_format_
        return Discriminator(
            len(self.classes_),
            fmt.channels,
            fmt.size,
            self._width(self.discriminator_width),
            self.spectral_norm,
        )

    # Spectrally normalised modules refuse to pickle, so pickles carry state dicts and rebuild.
    _NETWORKS = {"generator_": "_make_generator", "discriminator_": "_make_discriminator"}

    def __getstate__(self):
        state = dict(super().__getstate__())  # a copy: object.__getstate__ may hand out __dict__ itself
        for name in self._NETWORKS:
            if name in state:
                state[name] = state[name].state_dict()
        return state

    def __setstate__(self, state):
        weights = {name: state.pop(name) for name in self._NETWORKS if name in state}
        super().__setstate__(state)
        for name, weights_of in weights.items():
            network = empty_network(getattr(self, self._NETWORKS[name]), self.device_)
            network.load_state_dict(weights_of)
            setattr(self, name, network.eval())

    # ------------------------------------------------------------------ sampling

    def sample(self, n, labels=None, random_state=None, return_labels=False):
        """Generate images.

        Parameters
        ----------
        n : int
            Number of images.
        labels : scalar or array-like of shape (n,), default=None
            Class of each image, or one class for all. ``None`` draws classes in their training
            proportions.
        random_state : int, RandomState instance or None, default=None
            Seed for the noise and drawn labels; the same seed gives the same images on CPU,
            also when several threads sample from one model at once. ``None`` seeds from fresh
            operating-system entropy (numpy's and torch's global generators are never used).
        return_labels : bool, default=False
            Also return the class each image was generated for.

        Returns
        -------
        images : ndarray
            In the layout, dtype and value range of the training images.
        labels : ndarray of shape (n,)
            Only when ``return_labels=True``.
        """
        check_is_fitted(self, "generator_")
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0:
            raise InputError(f"n must be a non-negative integer, got {n!r}")
        seed = draw_seed(random_state)
        codes = self._label_codes(n, labels, np.random.default_rng(seed))
        rng = torch_generator(seed, self.device_)  # this call's own stream: concurrent calls are independent
        self.generator_.eval()  # already so after fit and load; never switched back, so threads cannot race
        chunks = []
        with torch.no_grad():
            for start in range(0, n, 1024):
                part = torch.as_tensor(codes[start : start + 1024], device=self.device_)
                noise = torch.randn(len(part), self.latent_dim, device=self.device_, generator=rng)
                chunks.append(self.generator_(noise, part).cpu())
        fmt = self.image_format_
        tensor = torch.cat(chunks) if chunks else torch.empty(0, fmt.channels, fmt.size, fmt.size)
        images = fmt.from_tensor(tensor)
        return (images, self.classes_[codes]) if return_labels else images

    def _label_codes(self, n, labels, rng):
        if labels is None:
            return rng.choice(len(self.classes_), size=n, p=self.class_prior_).astype(np.int64)
        if isinstance(labels, (set, frozenset, dict)):
            raise InputTypeError(
                f"labels is a {type(labels).__name__}; give one class, or a list or array of {n} classes"
            )
        check_labels(labels, "labels")
        labels = np.asarray(labels)
        if labels.ndim == 0:
            labels = np.repeat(labels, n)
        if labels.shape != (n,):
            raise InputError(
                f"labels must be a single class or one per image ({n}), got shape {labels.shape}"
            )
        codes = np.searchsorted(self.classes_, labels)
        codes = np.clip(codes, 0, len(self.classes_) - 1)
        unknown = self.classes_[codes] != labels
        if unknown.any():
            raise InputError(
                f"unknown labels {sorted(set(labels[unknown].tolist()))[:5]}; "
                f"the model knows {self.classes_.tolist()}"
            )
        return codes.astype(np.int64)

    def save_grid(self, path, n_per_class=10, random_state=None):
        """Write a PNG grid of samples, one row per class.

        Parameters
        ----------
        path : str or os.PathLike
            Destination ``.png`` file.
        n_per_class : int, default=10
            Images per row.
        random_state : int, RandomState instance or None, default=None
            Seed for the samples.

        Returns
        -------
        pathlib.Path
            The path written.
        """
        check_is_fitted(self, "generator_")
        labels = np.repeat(self.classes_, n_per_class)
        images = self.sample(len(labels), labels=labels, random_state=random_state)
        return write_grid(path, images, self.image_format_, n_rows=len(self.classes_))

    # ------------------------------------------------------------------ persistence

    def save(self, path):
        """Save the fitted generator and its metadata (safetensors + JSON, no pickle).

        Parameters
        ----------
        path : str or os.PathLike
            Destination file, conventionally ``*.gsyn``. Load it with ``gansynth.load``.

        Returns
        -------
        pathlib.Path
        """
        check_is_fitted(self, "generator_")
        metadata = {
            "params": stored_params(self.get_params()),
            "image_format": self.image_format_.to_dict(),
            "classes": self.classes_.tolist(),
            "classes_dtype": self.classes_.dtype.str,
            "class_prior": self.class_prior_.tolist(),
            "n_epochs": self.n_epochs_,
            "augment": self.augment_,
            "loss_history": self.loss_history_.reset_index().to_dict(orient="list"),
        }
        tensors = {f"generator.{k}": v for k, v in self.generator_.state_dict().items()}
        return save_model(path, "ImageGAN", metadata, tensors)

    @classmethod
    def _from_state(cls, metadata, tensors, device="cpu"):
        model = cls(**loaded_params(metadata["params"]))
        model.image_format_ = ImageFormat.from_dict(metadata["image_format"])
        model.classes_ = np.asarray(metadata["classes"], dtype=np.dtype(metadata["classes_dtype"]))
        model.class_prior_ = np.asarray(metadata["class_prior"], dtype=float)
        model.n_epochs_ = int(metadata["n_epochs"])
        model.augment_ = metadata.get("augment")  # absent from files written before DiffAugment
        model.loss_history_ = _loss_history(metadata["loss_history"])
        model.device_ = resolve_device(device)
        model.generator_ = empty_network(model._make_generator, model.device_)
        prefix = "generator."
        state = {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
        model.generator_.load_state_dict(state, strict=True)
        model.generator_.eval()
        return model


def _loss_history(columns):
    """The stored loss history as a frame indexed by ``epoch``.

    Files written before the history was indexed by epoch hold the same three columns, with
    ``discriminator_loss`` before ``generator_loss``; the column selection fixes the order.
    """
    frame = pd.DataFrame(columns).set_index("epoch")
    return frame[["generator_loss", "discriminator_loss"]]
