"""Do seeded weights depend on torch's intra-op thread count? Fit with 1 and with 2 threads and compare.

Each model is fitted twice with one thread and twice with two (same seed), and the trained
generators' tensors are compared: equal runs at one count show the fit is deterministic, and
the largest difference between counts shows whether the count changes the result. Sampling is
checked too: one fitted TabularGAN samples the same seed under 1 and under 2 threads.

    python -m benchmarks threads
"""

from __future__ import annotations

import argparse
import warnings

import torch


def _tabular(threads: int, dims, epochs: int):
    from gansynth import TabularGAN
    from gansynth.datasets import load_student_placements

    model = TabularGAN(
        epochs=epochs,
        generator_dim=dims,
        discriminator_dim=dims,
        torch_threads=threads,
        n_jobs=1,
        verbose=False,
        random_state=0,
    )
    return model.fit(load_student_placements()).generator_.state_dict()


def _sampling_differs() -> str:
    from gansynth import TabularGAN
    from gansynth.datasets import load_student_placements

    model = TabularGAN(epochs=5, n_jobs=1, verbose=False, random_state=0).fit(load_student_placements())
    previous, rows = torch.get_num_threads(), {}
    try:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            rows[threads] = model.sample(50_000, random_state=1)
    finally:
        torch.set_num_threads(previous)
    changed = (rows[1] != rows[2]) & ~(rows[1].isna() & rows[2].isna())
    return f"{int(changed.to_numpy().sum())} of {rows[1].size} sampled cells differ"


def _image(threads: int, epochs: int):
    from sklearn.datasets import load_digits

    from gansynth import ImageGAN

    digits = load_digits()
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)  # ImageGAN has no torch_threads parameter: set it around the fit
    try:
        model = ImageGAN(epochs=epochs, verbose=False, device="cpu", random_state=0)
        return model.fit(digits.images[:512], digits.target[:512]).generator_.state_dict()
    finally:
        torch.set_num_threads(previous)


def _largest_difference(first: dict, second: dict) -> float:
    return max(float((first[k].double() - second[k].double()).abs().max()) for k in first)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks threads", description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=20)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    cases = {
        "TabularGAN generator_dim=(256, 256)": lambda t: _tabular(t, (256, 256), args.epochs),
        "TabularGAN generator_dim=(32, 32)": lambda t: _tabular(t, (32, 32), args.epochs),
        "ImageGAN on 512 digits": lambda t: _image(t, max(1, args.epochs // 10)),
    }
    print(f"torch {torch.__version__}, {torch.__config__.parallel_info().splitlines()[-1].strip()}")
    for name, fit in cases.items():
        one_a, one_b, two_a, two_b = fit(1), fit(1), fit(2), fit(2)
        print(
            f"{name}: 1 vs 1 thread max |diff| {_largest_difference(one_a, one_b):.3g}; "
            f"2 vs 2 threads {_largest_difference(two_a, two_b):.3g}; "
            f"1 vs 2 threads {_largest_difference(one_a, two_a):.3g}"
        )
    print(f"TabularGAN sampling 50,000 rows, 1 vs 2 threads, same model and seed: {_sampling_differs()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
