"""Mixed-precision training: ``TabularGAN(training_precision="bfloat16")`` against float32.

The networks' forward passes run under ``torch.autocast`` to bfloat16; weights, optimiser state,
losses, the output activation and sampling stay float32. On a CPU with AVX512-BF16 or AMX the
matrix products, most of a training step, run about 2.5 times as fast. This benchmark fits one
TabularGAN per table, seed and precision on the same split (``benchmarks/penalty_interval.py``'s
procedure) and reports each fit's time next to the fidelity of its samples, to show whether
bfloat16 costs fidelity.

Usage::

    python -m benchmarks precision --data-dir ../shared/datasets \\
        --tables adult,bank_additional,credit_data,seismic_bumps,hpc_data,wilt --epochs adult=100 \\
        --seeds 0,1 --out benchmarks/results/training_precision.md
"""

from __future__ import annotations

from benchmarks.penalty_interval import Study, study_main
from gansynth._torch_utils import native_cpu_bfloat16

PRECISION = Study(
    "training_precision",
    "precision",
    "float32",
    "Mixed-precision training: `TabularGAN(training_precision=...)`",
    "`training_precision`, the dtype of the networks' forward passes in training (float32 as CTGAN)",
)


def main(argv=None) -> int:
    print(f"native bfloat16 on this CPU: {native_cpu_bfloat16()}")
    return study_main(
        argv,
        PRECISION,
        command="precision",
        option="precisions",
        parse=str,
        values="float32,bfloat16",
        tuned_on="",
        out="benchmarks/results/training_precision.md",
    )


if __name__ == "__main__":
    raise SystemExit(main())
