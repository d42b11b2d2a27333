"""Relative training/inference speed per accelerator model, to compare GPU-hours across models.

A demand in GPU-hours (`gpu_hours_per_month`) is in A100-equivalent GPU-hours: on another model
it takes `hours / speed` GPU-hours. Speed is the ratio of dense FP16/BF16 tensor-core throughput
from the vendors' data sheets (no sparsity), a first-order proxy: real jobs are often memory- or
communication-bound and gain less from a faster GPU. Override per model with `pricing.relative_speed`.

The table is also the list of accelerators the recommender places work on: NVIDIA GPUs, which
run CUDA workloads unchanged. Inferentia, Trainium, Gaudi, FPGAs and others need ported code and
are left out unless given a speed.
"""

from __future__ import annotations

from collections.abc import Mapping

A100_DENSE_FP16_TFLOPS = 312.0

# Dense FP16/BF16 tensor TFLOPS (data sheets; SXM parts where the clouds use SXM).
DENSE_FP16_TFLOPS: Mapping[str, float] = {
    "T4": 65.0,
    "A10G": 70.0,
    "A10": 125.0,
    "L4": 121.0,
    "L40S": 362.0,
    "V100": 125.0,
    "V100-32GB": 125.0,
    "A100": 312.0,
    "A100-80GB": 312.0,
    "H100": 989.0,
    "H100-MEGA": 989.0,
    "H200": 989.0,
    "B200": 2250.0,
}


def speed_table(overrides: Mapping[str, float] | None = None) -> dict[str, float]:
    """Accelerator model → speed relative to an A100 (A100 = 1.0), with the user's overrides."""
    table = {model: round(tflops / A100_DENSE_FP16_TFLOPS, 4) for model, tflops in DENSE_FP16_TFLOPS.items()}
    table.update(overrides or {})
    return table
