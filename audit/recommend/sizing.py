"""GPU memory one replica of a workload needs, estimated from its model (docs/sizing.md).

    estimate = estimate_memory(WorkloadKind.INFERENCE, 7, Precision.BF16, layers=32, hidden_size=4096)
    estimate.total_gib     # 17.54
    estimate.parts         # (("weights", 13.04), ("kv_cache", 2.0), ("overhead", 2.5)), in GiB
    estimate.formula       # one line that shows the arithmetic
    gpus_needed(estimate.total_gib, 24)   # 1: one 24 GiB L4 holds it

A first-order estimate for dense decoder-only transformers, from public rules of thumb (EleutherAI's
"Transformer Math 101", Korthikanti et al. for activations, vLLM's KV cache sizing). Sizes are in GiB
(2**30 bytes), as GPU memory is quoted. Bad inputs raise ValueError with a one-line message. Pure: no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import TypeVar

_E = TypeVar("_E", bound=StrEnum)


class Precision(StrEnum):
    """How the model's weights are stored."""

    FP32 = "fp32"
    BF16 = "bf16"
    FP16 = "fp16"
    FP8 = "fp8"
    INT8 = "int8"
    INT4 = "int4"


class WorkloadKind(StrEnum):
    TRAINING = "training"
    FINE_TUNING = "fine-tuning"
    INFERENCE = "inference"
    BATCH = "batch"  # offline batch inference


BYTES_PER_PARAM: Mapping[Precision, float] = MappingProxyType(
    {
        Precision.FP32: 4.0,
        Precision.BF16: 2.0,
        Precision.FP16: 2.0,
        Precision.FP8: 1.0,
        Precision.INT8: 1.0,
        Precision.INT4: 0.5,
    }
)

GIB = 2**30
FINE_TUNING_METHODS = ("full", "lora", "qlora")

# Defaults (docs/sizing.md explains each one).
DEFAULT_CONTEXT_TOKENS = 4096
DEFAULT_BATCH_SIZE: Mapping[WorkloadKind, int] = MappingProxyType(
    {
        WorkloadKind.TRAINING: 1,  # micro-batch per replica; gradient accumulation makes the global batch
        WorkloadKind.FINE_TUNING: 1,
        WorkloadKind.INFERENCE: 1,  # one full-context sequence: the least a server must hold
        WorkloadKind.BATCH: 8,  # offline throughput runs keep several sequences in flight
    }
)
DEFAULT_ADAPTER_FRACTION = 0.01  # LoRA/QLoRA trainable parameters as a share of the base model
DEFAULT_OVERHEAD_FRACTION = 0.10  # allocator fragmentation, temporary buffers, CUDA graphs, logits
DEFAULT_OVERHEAD_GIB = 1.0  # CUDA context and framework, once per replica
DEFAULT_USABLE_FRACTION = 0.9  # share of a GPU's memory a process can fill (vLLM's gpu_memory_utilization)
DEFAULT_HEAD_DIM = 128  # Llama, Mistral, Qwen, ...
LAYER_ASPECT = 128  # hidden ≈ 128 × layers when only the parameter count is known
MAX_PARAMS_BILLION = 100_000.0  # beyond this the value is surely a raw count, not billions

# Adam keeps two fp32 moments (8 B/param); 16-bit training adds an fp32 master copy of the weights (4 B/param).
ADAM_MOMENTS_BYTES = 8.0
FP32_MASTER_BYTES = 4.0
# Activations stored per layer per token, in units of hidden_size × 2 bytes (16-bit), after Korthikanti et al.:
# 34·s·b·h bytes per layer without recomputation (attention scores not kept: FlashAttention-style kernels),
# 2·s·b·h per layer (the layer's input) with full activation checkpointing, plus one layer's 34·s·b·h while
# that layer is recomputed during the backward pass.
ACTIVATION_BYTES_PER_LAYER = 34.0
CHECKPOINT_BYTES_PER_LAYER = 2.0


@dataclass(frozen=True)
class MemoryEstimate:
    """What one replica needs; `parts` sum to `total_gib` (unrounded GiB; `formula` shows them rounded)."""

    total_gib: float
    parts: tuple[tuple[str, float], ...]
    formula: str


@dataclass(frozen=True)
class _Architecture:
    layers: int
    hidden: int
    kv_dim: float  # kv_heads × head_dim: values per token per layer for K (and again for V)
    derived: bool  # some dimension was estimated from the parameter count


def estimate_memory(
    kind: WorkloadKind,
    params_billion: float,
    precision: Precision,
    *,
    context_tokens: int | None = None,
    batch_size: int | None = None,
    layers: int | None = None,
    hidden_size: int | None = None,
    kv_heads: int | None = None,
    attention_heads: int | None = None,
    fine_tuning_method: str = "full",
    head_dim: int | None = None,
    kv_cache_precision: Precision | None = None,
    activation_checkpointing: bool = True,
    adapter_fraction: float = DEFAULT_ADAPTER_FRACTION,
    overhead_fraction: float = DEFAULT_OVERHEAD_FRACTION,
    overhead_gib: float = DEFAULT_OVERHEAD_GIB,
) -> MemoryEstimate:
    """GPU memory for one replica of a `kind` workload running a `params_billion` model in `precision`.

    `context_tokens` is the sequence length (training) or the maximum context per sequence (inference);
    `batch_size` the sequences held at once (the micro-batch when training). Architecture fields are
    optional: missing ones are derived from the parameter count (params ≈ 12 × layers × hidden²,
    hidden ≈ 128 × layers) and, without `kv_heads`, every attention head is assumed to keep K and V
    (no grouped-query attention: conservative).
    """
    kind = _enum(WorkloadKind, kind, "workload kind")
    precision = _enum(Precision, precision, "precision")
    kv_precision = None if kv_cache_precision is None else _enum(Precision, kv_cache_precision, "kv_cache_precision")
    if isinstance(params_billion, bool) or not isinstance(params_billion, int | float):
        raise ValueError(f"params_billion must be a number, got {params_billion!r}")
    if not math.isfinite(params_billion) or params_billion <= 0:
        raise ValueError(f"params_billion must be a positive number, got {params_billion!r}")
    if params_billion > MAX_PARAMS_BILLION:
        raise ValueError(f"params_billion is in billions (7 for a 7B model), got {params_billion:g}")
    for name, value in (
        ("context_tokens", context_tokens),
        ("batch_size", batch_size),
        ("layers", layers),
        ("hidden_size", hidden_size),
        ("kv_heads", kv_heads),
        ("attention_heads", attention_heads),
        ("head_dim", head_dim),
    ):
        _positive_int(name, value)
    if kv_heads is not None and attention_heads is not None and kv_heads > attention_heads:
        raise ValueError(f"kv_heads ({kv_heads}) cannot exceed attention_heads ({attention_heads})")
    if hidden_size is not None and attention_heads is not None and attention_heads > hidden_size:
        raise ValueError(f"attention_heads ({attention_heads}) cannot exceed hidden_size ({hidden_size})")
    for name, fraction, low_open in (
        ("overhead_fraction", overhead_fraction, False),
        ("adapter_fraction", adapter_fraction, True),
    ):
        if not math.isfinite(fraction) or fraction < 0 or fraction >= 1 or (low_open and fraction == 0):
            bounds = "0 < x < 1" if low_open else "0 <= x < 1"
            raise ValueError(f"{name} must satisfy {bounds}, got {fraction!r}")
    if not math.isfinite(overhead_gib) or overhead_gib < 0:
        raise ValueError(f"overhead_gib must be >= 0, got {overhead_gib!r}")
    method = fine_tuning_method.strip().lower() if isinstance(fine_tuning_method, str) else fine_tuning_method
    if method not in FINE_TUNING_METHODS:
        raise ValueError(f"fine_tuning_method must be one of {', '.join(FINE_TUNING_METHODS)}, got {method!r}")
    if kind is not WorkloadKind.FINE_TUNING and method != "full":
        raise ValueError(f"fine_tuning_method {method!r} applies to fine-tuning workloads only, not {kind.value}")

    arch = _architecture(params_billion, layers, hidden_size, kv_heads, attention_heads, head_dim)
    tokens = context_tokens if context_tokens is not None else DEFAULT_CONTEXT_TOKENS
    batch = batch_size if batch_size is not None else DEFAULT_BATCH_SIZE[kind]
    params = params_billion * 1e9
    p = f"{params_billion:g}B"
    # Activations and the KV cache are 16-bit, or fp32 when the model runs in fp32 (8-bit and 4-bit
    # weights are dequantized to 16-bit for the matrix products; fp8 models keep a 16-bit KV cache by default).
    act_bytes = 4.0 if precision is Precision.FP32 else 2.0
    arch_text = f"{arch.layers} layers × {arch.hidden} hidden{' (derived)' if arch.derived else ''}"

    parts: list[tuple[str, float, str]] = []  # (name, GiB, how)
    if kind in (WorkloadKind.INFERENCE, WorkloadKind.BATCH):
        w = BYTES_PER_PARAM[precision]
        parts.append(("weights", params * w / GIB, f"{p} × {w:g} B {precision.value}"))
        kv_bytes = BYTES_PER_PARAM[kv_precision] if kv_precision is not None else act_bytes
        kv_label = kv_precision.value if kv_precision is not None else f"{kv_bytes:g} B"
        kv = 2 * arch.layers * arch.kv_dim * kv_bytes * tokens * batch
        parts.append(
            (
                "kv_cache",
                kv / GIB,
                f"2 × {arch.layers} layers × {arch.kv_dim:g} (kv heads × head dim) × {kv_label}"
                + f" × {tokens} tokens × {batch} seq"
                + (" (derived)" if arch.derived else ""),
            )
        )
    else:
        if kind is WorkloadKind.TRAINING or method == "full":
            if precision in (Precision.INT8, Precision.INT4):
                raise ValueError(
                    f"{kind.value} in {precision.value} is not supported: full training needs fp32, bf16, fp16 or "
                    "fp8; for a quantized base model use fine_tuning_method lora or qlora"
                )
            # fp8 training (e.g. Transformer Engine) computes in fp8 but keeps 16-bit weights and gradients.
            w = 4.0 if precision is Precision.FP32 else 2.0
            stored = precision.value if precision is not Precision.FP8 else "fp8 kept as 16-bit"
            opt = ADAM_MOMENTS_BYTES + (0.0 if precision is Precision.FP32 else FP32_MASTER_BYTES)
            opt_text = "Adam moments" if precision is Precision.FP32 else "fp32 master + Adam moments"
            parts.append(("weights", params * w / GIB, f"{p} × {w:g} B {stored}"))
            parts.append(("gradients", params * w / GIB, f"{p} × {w:g} B"))
            parts.append(("optimizer", params * opt / GIB, f"{p} × {opt:g} B {opt_text}"))
        else:
            if method == "qlora":
                w, base = BYTES_PER_PARAM[Precision.INT4], "4-bit"
            else:
                w, base = BYTES_PER_PARAM[precision], precision.value
            # Adapters train in mixed precision like a full model: weights + gradients + fp32 master + Adam.
            adapter_bytes = 2 * 2.0 + FP32_MASTER_BYTES + ADAM_MOMENTS_BYTES
            parts.append(("weights", params * w / GIB, f"{p} × {w:g} B {base} frozen"))
            parts.append(
                (
                    "adapters",
                    params * adapter_fraction * adapter_bytes / GIB,
                    f"{adapter_fraction * 100:g}% of {p} × {adapter_bytes:g} B trained",
                )
            )
        scale = act_bytes / 2
        if activation_checkpointing:
            per_token = (CHECKPOINT_BYTES_PER_LAYER * arch.layers + ACTIVATION_BYTES_PER_LAYER) * arch.hidden * scale
            act_text = f"(2 × {arch.layers} + 34) × {arch.hidden}"
        else:
            per_token = ACTIVATION_BYTES_PER_LAYER * arch.layers * arch.hidden * scale
            act_text = f"34 × {arch.layers} × {arch.hidden}"
        scale_text = " × 2 fp32" if scale != 1 else ""
        parts.append(
            (
                "activations",
                per_token * tokens * batch / GIB,
                f"{act_text} B{scale_text} × {tokens} tokens × {batch} seq"
                + ("" if activation_checkpointing else " no checkpointing")
                + (" (derived)" if arch.derived else ""),
            )
        )

    subtotal = math.fsum(gib for _, gib, _ in parts)
    parts.append(
        ("overhead", subtotal * overhead_fraction + overhead_gib, f"{overhead_fraction:.0%} + {overhead_gib:g} GiB")
    )
    total = math.fsum(gib for _, gib, _ in parts)
    formula = (
        f"{kind.value} {p} {precision.value}"
        + (f" {method}" if kind is WorkloadKind.FINE_TUNING else "")
        + f" [{arch_text}]: "
        + " + ".join(f"{name} {gib:.2f} ({how})" for name, gib, how in parts)
        + f" = {total:.2f} GiB"
    )
    return MemoryEstimate(total_gib=total, parts=tuple((name, gib) for name, gib, _ in parts), formula=formula)


def gpus_needed(
    total_gib: float,
    gpu_memory_gib: float,
    usable_fraction: float = DEFAULT_USABLE_FRACTION,
    *,
    power_of_two: bool = False,
) -> int:
    """How many GPUs of `gpu_memory_gib` hold a replica of `total_gib` sharded across them (at least 1).

    Only `usable_fraction` of each GPU counts: the CUDA context, the allocator's reserve and fragmentation
    take the rest. `power_of_two` rounds up to 1, 2, 4, 8, ... as tensor parallelism usually requires.
    """
    for name, value in (("total_gib", total_gib), ("gpu_memory_gib", gpu_memory_gib)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number, got {value!r}")
    if total_gib < 0:
        raise ValueError(f"total_gib must be >= 0, got {total_gib!r}")
    if gpu_memory_gib <= 0:
        raise ValueError(f"gpu_memory_gib must be positive, got {gpu_memory_gib!r}")
    if not math.isfinite(usable_fraction) or not 0 < usable_fraction <= 1:
        raise ValueError(f"usable_fraction must satisfy 0 < x <= 1, got {usable_fraction!r}")
    ratio = total_gib / (gpu_memory_gib * usable_fraction)
    count = max(1, math.ceil(ratio - 1e-9))  # tolerance: 21.6 GiB on 24 GiB × 0.9 is one GPU
    if power_of_two:
        count = 1 << (count - 1).bit_length()
    return count


def _architecture(
    params_billion: float,
    layers: int | None,
    hidden: int | None,
    kv_heads: int | None,
    attention_heads: int | None,
    head_dim: int | None,
) -> _Architecture:
    """Fill in missing dimensions from params ≈ 12 × layers × hidden² (attention 4h² + MLP 8h² per layer)."""
    params = params_billion * 1e9
    derived = layers is None or hidden is None
    if layers is None and hidden is None:
        layers = max(1, round((params / (12 * LAYER_ASPECT**2)) ** (1 / 3)))
        hidden = LAYER_ASPECT * layers
    elif hidden is None:
        assert layers is not None
        hidden = max(1, round(math.sqrt(params / (12 * layers))))
    elif layers is None:
        layers = max(1, round(params / (12 * hidden**2)))
    assert layers is not None and hidden is not None
    if head_dim is None:
        head_dim_f = hidden / attention_heads if attention_heads is not None else float(DEFAULT_HEAD_DIM)
    else:
        head_dim_f = float(head_dim)
    heads = float(attention_heads) if attention_heads is not None else hidden / head_dim_f
    kv = float(kv_heads) if kv_heads is not None else heads
    return _Architecture(layers=layers, hidden=hidden, kv_dim=kv * head_dim_f, derived=derived)


def _enum(enum: type[_E], value: object, what: str) -> _E:
    if isinstance(value, enum):
        return value
    if isinstance(value, str):
        try:
            return enum(value.strip().lower())
        except ValueError:
            pass
    choices = ", ".join(member.value for member in enum)
    raise ValueError(f"unknown {what} {value!r}: expected one of {choices}")


def _positive_int(name: str, value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
