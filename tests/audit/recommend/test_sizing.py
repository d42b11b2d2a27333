"""Memory estimates worked out by hand (docs/sizing.md); GiB = 2**30 bytes throughout."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infraaudit.audit.recommend.sizing import (
    BYTES_PER_PARAM,
    DEFAULT_BATCH_SIZE,
    DEFAULT_CONTEXT_TOKENS,
    MemoryEstimate,
    Precision,
    WorkloadKind,
    estimate_memory,
    gpus_needed,
)

GIB = 2**30
LLAMA2_7B: dict[str, Any] = {"layers": 32, "hidden_size": 4096}  # 32 heads of 128, no GQA
LLAMA2_70B: dict[str, Any] = {"layers": 80, "hidden_size": 8192, "attention_heads": 64, "kv_heads": 8}
MISTRAL_7B: dict[str, Any] = {"layers": 32, "hidden_size": 4096, "attention_heads": 32, "kv_heads": 8}

# 7B × 2 B = 14e9 B = 13.0385 GiB; the same share of every 7B formula below.
W7_BF16 = 7e9 * 2 / GIB


def part(estimate: MemoryEstimate, name: str) -> float:
    return dict(estimate.parts)[name]


def overhead(subtotal_gib: float) -> float:
    return 0.10 * subtotal_gib + 1.0  # default: 10% of the rest + 1 GiB per replica


# ------------------------------------------------------------------ the enums and the table


def test_bytes_per_param_table() -> None:
    assert dict(BYTES_PER_PARAM) == {"fp32": 4, "bf16": 2, "fp16": 2, "fp8": 1, "int8": 1, "int4": 0.5}
    assert set(BYTES_PER_PARAM) == set(Precision)
    assert [k.value for k in WorkloadKind] == ["training", "fine-tuning", "inference", "batch"]


# ------------------------------------------------------------------ inference


def test_llama2_7b_bf16_inference_at_4096_tokens() -> None:
    e = estimate_memory(WorkloadKind.INFERENCE, 7, Precision.BF16, context_tokens=4096, batch_size=1, **LLAMA2_7B)
    # weights: 7e9 × 2 B = 13.04 GiB
    assert part(e, "weights") == pytest.approx(13.0385, abs=1e-4)
    # KV cache: 2 (K, V) × 32 layers × 4096 (32 heads × 128) × 2 B × 4096 tokens × 1 = 2**31 B = 2 GiB exactly
    assert part(e, "kv_cache") == 2.0
    # overhead: 10% × 15.04 + 1 = 2.50; total 17.54 GiB: one 24 GiB L4 (21.6 usable)
    assert part(e, "overhead") == pytest.approx(overhead(W7_BF16 + 2))
    assert e.total_gib == pytest.approx(17.542, abs=1e-3)
    assert [name for name, _ in e.parts] == ["weights", "kv_cache", "overhead"]
    assert gpus_needed(e.total_gib, 24) == 1
    assert "17.54 GiB" in e.formula and "\n" not in e.formula


def test_inference_defaults_are_4096_tokens_and_one_sequence() -> None:
    assert DEFAULT_CONTEXT_TOKENS == 4096 and DEFAULT_BATCH_SIZE[WorkloadKind.INFERENCE] == 1
    explicit = estimate_memory("inference", 7, "bf16", context_tokens=4096, batch_size=1, **LLAMA2_7B)
    assert estimate_memory("inference", 7, "bf16", **LLAMA2_7B) == explicit


def test_llama2_70b_with_grouped_query_attention() -> None:
    e = estimate_memory(WorkloadKind.INFERENCE, 70, Precision.BF16, **LLAMA2_70B)
    # weights: 70e9 × 2 B = 130.39 GiB
    assert part(e, "weights") == pytest.approx(130.385, abs=1e-3)
    # KV: 2 × 80 layers × (8 kv heads × 128) × 2 B × 4096 tokens = 80 × 2**24 B = 1.25 GiB
    assert part(e, "kv_cache") == 1.25
    # total: 131.64 × 1.1 + 1 = 145.80 GiB -> 3 H100s (72 GiB usable each), 4 for tensor parallelism
    assert e.total_gib == pytest.approx(145.799, abs=1e-3)
    assert gpus_needed(e.total_gib, 80) == 3
    assert gpus_needed(e.total_gib, 80, power_of_two=True) == 4


def test_without_kv_heads_every_head_keeps_k_and_v() -> None:
    gqa = estimate_memory("inference", 7, "bf16", **MISTRAL_7B)
    mha = estimate_memory("inference", 7, "bf16", layers=32, hidden_size=4096, attention_heads=32)
    # Mistral-7B: 8 of 32 heads keep K/V -> a quarter of the 2 GiB: 0.5 GiB
    assert part(gqa, "kv_cache") == 0.5
    assert part(mha, "kv_cache") == 2.0


def test_explicit_head_dim_wins_over_hidden_over_heads() -> None:
    # Gemma-7B-like: 28 layers, hidden 3072, 16 heads of 256 (16 × 256 != 3072)
    e = estimate_memory("inference", 8.5, "bf16", layers=28, hidden_size=3072, attention_heads=16, head_dim=256)
    # 2 × 28 × (16 × 256) × 2 B × 4096 = 28 × 2**25 B = 1.75 GiB
    assert part(e, "kv_cache") == 1.75


def test_fp32_doubles_weights_and_kv_cache() -> None:
    bf16 = estimate_memory("inference", 7, "bf16", **LLAMA2_7B)
    fp32 = estimate_memory("inference", 7, "fp32", **LLAMA2_7B)
    assert part(fp32, "weights") == pytest.approx(2 * part(bf16, "weights"))  # 26.08 GiB
    assert part(fp32, "kv_cache") == 4.0  # activations run in fp32 too
    # 30.08 × 1.1 + 1 = 34.09 GiB: no longer fits a 24 GiB L4
    assert fp32.total_gib == pytest.approx((2 * W7_BF16 + 4) * 1.1 + 1)
    assert gpus_needed(fp32.total_gib, 24) == 2


@pytest.mark.parametrize(("precision", "weights_gib"), [("fp8", 7e9 / GIB), ("int8", 7e9 / GIB), ("int4", 3.5e9 / GIB)])
def test_quantized_inference_shrinks_weights_but_keeps_a_16_bit_kv_cache(precision: str, weights_gib: float) -> None:
    e = estimate_memory("inference", 7, precision, **LLAMA2_7B)
    assert part(e, "weights") == pytest.approx(weights_gib)  # 6.52 GiB (8-bit), 3.26 GiB (4-bit)
    assert part(e, "kv_cache") == 2.0


def test_kv_cache_precision_can_be_set() -> None:
    e = estimate_memory("inference", 7, "bf16", kv_cache_precision=Precision.FP8, **LLAMA2_7B)
    assert part(e, "kv_cache") == 1.0  # 1 B per value: half the 16-bit cache
    assert "fp8" in e.formula


def test_batch_is_inference_with_eight_sequences_by_default() -> None:
    assert DEFAULT_BATCH_SIZE[WorkloadKind.BATCH] == 8
    batch = estimate_memory("batch", 7, "bf16", **LLAMA2_7B)
    inference = estimate_memory("inference", 7, "bf16", batch_size=8, **LLAMA2_7B)
    assert batch.parts == inference.parts
    # 8 × 2 GiB = 16 GiB of KV; (13.04 + 16) × 1.1 + 1 = 32.94 GiB
    assert part(batch, "kv_cache") == 16.0
    assert batch.total_gib == pytest.approx((W7_BF16 + 16) * 1.1 + 1)


def test_kv_cache_is_linear_in_tokens_and_sequences() -> None:
    e = estimate_memory("inference", 7, "bf16", context_tokens=32768, batch_size=4, **LLAMA2_7B)
    assert part(e, "kv_cache") == 2.0 * 8 * 4  # 8× the tokens, 4 sequences: 64 GiB


# ------------------------------------------------------------------ derived architecture


def test_derived_architecture_matches_llama2_13b_and_is_close_for_7b() -> None:
    # layers = round(cbrt(P / (12 × 128²))): 13e9 -> cbrt(66121) = 40.4 -> 40, hidden 128 × 40 = 5120 (Llama-2-13B)
    e13 = estimate_memory("inference", 13, "bf16")
    assert "40 layers × 5120 hidden (derived)" in e13.formula
    # KV = 2 × 40 × 5120 × 2 B × 4096 = 25 × 2**27 B = 3.125 GiB, as for the real model
    assert part(e13, "kv_cache") == 3.125
    # 7e9 -> cbrt(35604) = 32.9 -> 33 layers × 4224: 6% more KV than Llama-2-7B's 2 GiB (conservative)
    e7 = estimate_memory("inference", 7, "bf16")
    assert "33 layers × 4224 hidden (derived)" in e7.formula
    assert part(e7, "kv_cache") == pytest.approx(2 * 33 * 4224 * 2 * 4096 / GIB)


def test_one_given_dimension_derives_the_other() -> None:
    # hidden = round(sqrt(7e9 / (12 × 32))) = round(4269.6) = 4270
    by_layers = estimate_memory("inference", 7, "bf16", layers=32)
    assert "32 layers × 4270 hidden (derived)" in by_layers.formula
    # layers = round(7e9 / (12 × 4096²)) = round(34.8) = 35
    by_hidden = estimate_memory("inference", 7, "bf16", hidden_size=4096)
    assert "35 layers × 4096 hidden (derived)" in by_hidden.formula


def test_tiny_models_still_get_at_least_one_layer() -> None:
    e = estimate_memory("inference", 0.000001, "bf16")
    assert "1 layers × 128 hidden" in e.formula
    assert e.total_gib > 1.0  # the fixed 1 GiB overhead dominates


# ------------------------------------------------------------------ training and fine-tuning


def test_7b_full_training_in_bf16_with_adam() -> None:
    e = estimate_memory(WorkloadKind.TRAINING, 7, Precision.BF16, **LLAMA2_7B)
    # 2 B weights + 2 B gradients + 12 B optimizer (4 B fp32 master + 4 B + 4 B Adam moments) = 16 B/param
    assert part(e, "weights") == pytest.approx(W7_BF16)
    assert part(e, "gradients") == pytest.approx(W7_BF16)
    assert part(e, "optimizer") == pytest.approx(6 * W7_BF16)  # 78.23 GiB
    # activations, checkpointed: (2 × 32 layers + 34 for the layer being recomputed) × 4096 hidden × 4096 tokens
    # = 98 × 2**24 B = 1.53125 GiB
    assert part(e, "activations") == 1.53125
    # (104.31 + 1.53) × 1.1 + 1 = 117.42 GiB: two 80 GiB H100s (72 usable each)
    assert e.total_gib == pytest.approx((8 * W7_BF16 + 1.53125) * 1.1 + 1)
    assert e.total_gib == pytest.approx(117.42, abs=0.01)
    assert gpus_needed(e.total_gib, 80) == 2
    assert [name for name, _ in e.parts] == ["weights", "gradients", "optimizer", "activations", "overhead"]


def test_training_without_activation_checkpointing_keeps_every_layer() -> None:
    e = estimate_memory("training", 7, "bf16", activation_checkpointing=False, **LLAMA2_7B)
    # 34 × 32 layers × 4096 × 4096 tokens = 34 × 2**29 B = 17 GiB
    assert part(e, "activations") == 17.0


def test_training_activations_grow_with_micro_batch_and_sequence() -> None:
    e = estimate_memory("training", 7, "bf16", context_tokens=8192, batch_size=4, **LLAMA2_7B)
    assert part(e, "activations") == 1.53125 * 2 * 4  # 12.25 GiB


def test_fp32_training_has_no_master_copy() -> None:
    e = estimate_memory("training", 7, "fp32", **LLAMA2_7B)
    # 4 B weights + 4 B gradients + 8 B Adam moments: also 16 B/param, but fp32 activations double
    assert part(e, "weights") == pytest.approx(2 * W7_BF16)
    assert part(e, "gradients") == pytest.approx(2 * W7_BF16)
    assert part(e, "optimizer") == pytest.approx(4 * W7_BF16)
    assert part(e, "activations") == 2 * 1.53125
    bf16 = estimate_memory("training", 7, "bf16", **LLAMA2_7B)
    assert e.total_gib > bf16.total_gib


def test_fp8_training_keeps_16_bit_weights_and_gradients() -> None:
    fp8 = estimate_memory("training", 7, "fp8", **LLAMA2_7B)
    bf16 = estimate_memory("training", 7, "bf16", **LLAMA2_7B)
    assert fp8.parts == bf16.parts
    assert "fp8 kept as 16-bit" in fp8.formula


def test_full_fine_tuning_is_sized_as_training() -> None:
    full = estimate_memory("fine-tuning", 7, "bf16", fine_tuning_method="full", **LLAMA2_7B)
    assert full.parts == estimate_memory("training", 7, "bf16", **LLAMA2_7B).parts


def test_7b_lora_fine_tuning() -> None:
    e = estimate_memory("fine-tuning", 7, "bf16", fine_tuning_method="lora", **LLAMA2_7B)
    assert part(e, "weights") == pytest.approx(W7_BF16)  # frozen base, 13.04 GiB
    # adapters: 1% of 7e9 = 70M params × 16 B (2 weights + 2 gradients + 12 optimizer) = 1.12e9 B = 1.04 GiB
    assert part(e, "adapters") == pytest.approx(1.12e9 / GIB)
    assert part(e, "activations") == 1.53125  # backprop still crosses every layer
    # (13.04 + 1.04 + 1.53) × 1.1 + 1 = 18.17 GiB: a 24 GiB L4
    assert e.total_gib == pytest.approx((W7_BF16 + 1.12e9 / GIB + 1.53125) * 1.1 + 1)
    assert gpus_needed(e.total_gib, 24) == 1
    assert "gradients" not in dict(e.parts) and "optimizer" not in dict(e.parts)


def test_7b_qlora_fine_tuning_stores_the_base_in_4_bit() -> None:
    e = estimate_memory("fine-tuning", 7, "bf16", fine_tuning_method="qlora", **LLAMA2_7B)
    # base: 7e9 × 0.5 B = 3.26 GiB; adapters 1.04 GiB; activations 1.53 GiB
    assert part(e, "weights") == pytest.approx(3.5e9 / GIB)
    # (3.26 + 1.04 + 1.53) × 1.1 + 1 = 7.42 GiB: fits a 16 GiB T4
    assert e.total_gib == pytest.approx((3.5e9 / GIB + 1.12e9 / GIB + 1.53125) * 1.1 + 1)
    assert gpus_needed(e.total_gib, 16) == 1


def test_adapter_fraction_is_configurable_and_method_names_are_normalised() -> None:
    e = estimate_memory("fine-tuning", 7, "bf16", fine_tuning_method=" LoRA ", adapter_fraction=0.001, **LLAMA2_7B)
    assert part(e, "adapters") == pytest.approx(7e6 * 16 / GIB)  # 0.1%: 7M params × 16 B


def test_lora_on_an_int8_base_is_allowed() -> None:
    e = estimate_memory("fine-tuning", 7, "int8", fine_tuning_method="lora", **LLAMA2_7B)
    assert part(e, "weights") == pytest.approx(7e9 / GIB)


# ------------------------------------------------------------------ overheads and the parts


@pytest.mark.parametrize(
    ("kind", "method"),
    [(kind, "full") for kind in WorkloadKind]
    + [(WorkloadKind.FINE_TUNING, "lora"), (WorkloadKind.FINE_TUNING, "qlora")],
)
def test_parts_sum_to_the_total_and_the_formula_shows_it(kind: WorkloadKind, method: str) -> None:
    e = estimate_memory(kind, 13, "bf16", fine_tuning_method=method)
    assert math.fsum(gib for _, gib in e.parts) == pytest.approx(e.total_gib, rel=1e-12)
    assert all(gib > 0 for _, gib in e.parts)
    assert e.formula.endswith(f"= {e.total_gib:.2f} GiB")
    for name, gib in e.parts:
        assert f"{name} {gib:.2f}" in e.formula


def test_overhead_knobs() -> None:
    bare = estimate_memory("inference", 7, "bf16", overhead_fraction=0, overhead_gib=0, **LLAMA2_7B)
    assert bare.total_gib == pytest.approx(W7_BF16 + 2)
    assert part(bare, "overhead") == 0


# ------------------------------------------------------------------ monotonicity


@settings(max_examples=80, deadline=None)
@given(
    kind=st.sampled_from([k for k in WorkloadKind]),
    method=st.sampled_from(["full", "lora", "qlora"]),
    precision=st.sampled_from([Precision.FP32, Precision.BF16, Precision.FP8]),
    params=st.floats(min_value=0.01, max_value=2000),
    more_params=st.floats(min_value=0, max_value=500),
    tokens=st.integers(min_value=1, max_value=200_000),
    more_tokens=st.integers(min_value=0, max_value=100_000),
    batch=st.integers(min_value=1, max_value=256),
    more_batch=st.integers(min_value=0, max_value=64),
)
def test_more_params_context_or_batch_never_needs_less_memory(
    kind: WorkloadKind,
    method: str,
    precision: Precision,
    params: float,
    more_params: float,
    tokens: int,
    more_tokens: int,
    batch: int,
    more_batch: int,
) -> None:
    method = method if kind is WorkloadKind.FINE_TUNING else "full"

    def total(p: float, t: int, b: int) -> float:
        return estimate_memory(kind, p, precision, context_tokens=t, batch_size=b, fine_tuning_method=method).total_gib

    base = total(params, tokens, batch)
    assert total(params + more_params, tokens, batch) >= base
    assert total(params, tokens + more_tokens, batch) >= base
    assert total(params, tokens, batch + more_batch) >= base


def test_training_needs_more_than_fine_tuning_than_inference() -> None:
    kw: dict[str, Any] = {"batch_size": 1, **LLAMA2_7B}
    training = estimate_memory("training", 7, "bf16", **kw).total_gib
    lora = estimate_memory("fine-tuning", 7, "bf16", fine_tuning_method="lora", **kw).total_gib
    qlora = estimate_memory("fine-tuning", 7, "bf16", fine_tuning_method="qlora", **kw).total_gib
    inference = estimate_memory("inference", 7, "bf16", **kw).total_gib
    assert training > lora > inference > qlora


# ------------------------------------------------------------------ invalid input


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"params_billion": 0}, "params_billion must be a positive number"),
        ({"params_billion": -7}, "params_billion must be a positive number"),
        ({"params_billion": float("nan")}, "params_billion must be a positive number"),
        ({"params_billion": float("inf")}, "params_billion must be a positive number"),
        ({"params_billion": 7e9}, "params_billion is in billions"),
        ({"params_billion": True}, "params_billion must be a number"),
        ({"precision": "fp64"}, "unknown precision 'fp64'"),
        ({"kind": "serving"}, "unknown workload kind 'serving'"),
        ({"context_tokens": 0}, "context_tokens must be a positive integer"),
        ({"batch_size": -1}, "batch_size must be a positive integer"),
        ({"layers": 2.5}, "layers must be a positive integer"),
        ({"hidden_size": 0}, "hidden_size must be a positive integer"),
        ({"kv_heads": 0}, "kv_heads must be a positive integer"),
        ({"kv_heads": 16, "attention_heads": 8}, "kv_heads (16) cannot exceed attention_heads (8)"),
        ({"hidden_size": 64, "attention_heads": 128}, "attention_heads (128) cannot exceed hidden_size (64)"),
        ({"kind": "fine-tuning", "fine_tuning_method": "dora"}, "fine_tuning_method must be one of full, lora, qlora"),
        ({"fine_tuning_method": "lora"}, "applies to fine-tuning workloads only, not inference"),
        ({"kind": "fine-tuning", "fine_tuning_method": "lora", "adapter_fraction": 0}, "adapter_fraction"),
        ({"overhead_fraction": 1.5}, "overhead_fraction"),
        ({"overhead_gib": -1}, "overhead_gib"),
    ],
)
def test_invalid_inputs_raise_one_line_value_errors(kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {"kind": "inference", "params_billion": 7, "precision": "bf16"} | kwargs
    with pytest.raises(ValueError) as excinfo:
        estimate_memory(args.pop("kind"), args.pop("params_billion"), args.pop("precision"), **args)
    assert message in str(excinfo.value)
    assert "\n" not in str(excinfo.value)


@pytest.mark.parametrize("kind", ["training", "fine-tuning"])
@pytest.mark.parametrize("precision", ["int8", "int4"])
def test_full_training_in_int8_or_int4_is_refused(kind: str, precision: str) -> None:
    with pytest.raises(ValueError, match=r"not supported.*lora or qlora"):
        estimate_memory(kind, 7, precision)


# ------------------------------------------------------------------ gpus_needed


@pytest.mark.parametrize(
    ("total", "gpu", "usable", "expected"),
    [
        (0.0, 24, 0.9, 1),  # nothing still takes a GPU
        (10.0, 24, 0.9, 1),
        (21.6, 24, 0.9, 1),  # exactly 24 × 0.9: fits despite float rounding
        (21.61, 24, 0.9, 2),
        (24.0, 24, 1.0, 1),
        (145.8, 80, 0.9, 3),  # 145.8 / 72 = 2.03
        (700.0, 80, 0.9, 10),  # 700 / 72 = 9.7
    ],
)
def test_gpus_needed(total: float, gpu: float, usable: float, expected: int) -> None:
    assert gpus_needed(total, gpu, usable) == expected


def test_gpus_needed_default_usable_fraction_and_power_of_two() -> None:
    assert gpus_needed(72.0, 80) == 1 and gpus_needed(72.1, 80) == 2
    assert [gpus_needed(72 * n, 80, power_of_two=True) for n in (1, 2, 3, 5, 8, 9)] == [1, 2, 4, 8, 8, 16]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((-1.0, 80), "total_gib must be >= 0"),
        ((float("nan"), 80), "total_gib must be a finite number"),
        ((10.0, 0), "gpu_memory_gib must be positive"),
        ((10.0, 80, 0.0), "usable_fraction"),
        ((10.0, 80, 1.2), "usable_fraction"),
    ],
)
def test_gpus_needed_rejects_bad_input(args: tuple[Any, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        gpus_needed(*args)
