"""The validated configuration (`infraaudit.yaml`) and the policy data written from it.

Defaults live here only: the Rego library reads every threshold from `data.infraaudit.config`,
which is this model dumped to JSON (see `policy_data`).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

Percent = Annotated[float, Field(ge=0, le=100)]
Fraction = Annotated[float, Field(ge=0, le=1)]

CONFIG_VERSION = 1


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class IdleSettings(_Section):
    p95_below_percent: Percent = 5.0
    max_below_percent: Percent = 15.0


class UnderutilizedSettings(_Section):
    avg_below_percent: Percent = 30.0


class OversizedSettings(_Section):
    idle_device_p95_below_percent: Percent = 5.0
    peak_memory_below_fraction: Fraction = 0.4
    declared_model_below_fraction: Fraction = 0.5
    model_params_tag: str = "infraaudit.io/model-params"
    precision_tag: str = "infraaudit.io/precision"
    bytes_per_param: dict[str, float] = Field(
        default_factory=lambda: {"fp32": 4.0, "bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0, "int4": 0.5}
    )
    serving_overhead_factor: float = Field(
        default=1.2, ge=1, description="Weights × this = memory a declared model needs (runtime, KV cache)."
    )


class SpotSettings(_Section):
    interruptible_tag: str = "infraaudit.io/interruptible"
    workload_tag: str = "workload"
    interruptible_workloads: list[str] = Field(
        default_factory=lambda: ["training", "fine-tuning", "batch", "experiment"]
    )
    opt_out_tag: str = "infraaudit.io/spot-opt-out"


class PreviousGenerationSettings(_Section):
    accelerators: list[str] = Field(default_factory=lambda: ["K80", "M60", "P100", "V100", "V100-32GB"])
    successors: dict[str, str] = Field(
        default_factory=lambda: {"K80": "T4", "M60": "T4", "P100": "L4", "V100": "A10G", "V100-32GB": "L40S"}
    )


class CommitmentSettings(_Section):
    min_uptime_fraction: Fraction = 0.95
    min_avg_gpu_percent: Percent = 40.0
    discount_fraction: Fraction = Field(
        default=0.3, description="Assumed discount of a 1-year commitment over on-demand."
    )


class ResidencySettings(_Section):
    classification_tag: str = "data-classification"
    classes: dict[str, list[str]] = Field(
        default_factory=lambda: {
            "public": ["*"],
            "internal": ["*"],
            "eu-personal": ["aws:eu-*", "gcp:europe-*", "onprem:eu-*"],
            "restricted": ["onprem:*"],
        },
        description="Class → allowed '<provider>:<region>' glob patterns.",
    )


class TaggingSettings(_Section):
    required: list[str] = Field(default_factory=lambda: ["owner", "team", "cost-center"])


class Waiver(_Section):
    rule: str = Field(pattern=r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")
    resource: str = Field(min_length=1, description="Glob over resource uids, e.g. aws:123456789012:*.")
    reason: str = Field(min_length=1)
    expires: date | None = None


class Settings(_Section):
    """Everything `infraaudit.yaml` may set; every key optional."""

    version: int = CONFIG_VERSION
    lookback_days: int = Field(default=14, ge=1, le=90)
    min_coverage: Fraction = Field(default=0.7, description="Share of expected hourly samples needed to judge.")
    idle: IdleSettings = Field(default_factory=IdleSettings)
    underutilized: UnderutilizedSettings = Field(default_factory=UnderutilizedSettings)
    oversized: OversizedSettings = Field(default_factory=OversizedSettings)
    spot: SpotSettings = Field(default_factory=SpotSettings)
    previous_generation: PreviousGenerationSettings = Field(default_factory=PreviousGenerationSettings)
    commitment: CommitmentSettings = Field(default_factory=CommitmentSettings)
    residency: ResidencySettings = Field(default_factory=ResidencySettings)
    tagging: TaggingSettings = Field(default_factory=TaggingSettings)
    waivers: list[Waiver] = Field(default_factory=list)

    @field_validator("version")
    @classmethod
    def _supported(cls, value: int) -> int:
        if value != CONFIG_VERSION:
            raise ValueError(f"unsupported config version {value}; this infraaudit reads version {CONFIG_VERSION}")
        return value

    def policy_data(self) -> dict[str, object]:
        """The document served to OPA as `data.infraaudit.config` (waivers are applied in Python)."""
        return self.model_dump(mode="json", exclude={"waivers", "version"})
