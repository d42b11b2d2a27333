"""Resource: one GPU-bearing machine, from a scan, a preview or a file."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from .base import ContractModel
from .change import IacOrigin

Percent = Annotated[float, Field(ge=0, le=100)]
Fraction = Annotated[float, Field(ge=0, le=1)]
NonNegative = Annotated[float, Field(ge=0)]


class Provider(StrEnum):
    AWS = "aws"
    GCP = "gcp"
    ONPREM = "onprem"


class Market(StrEnum):
    ON_DEMAND = "on_demand"
    SPOT = "spot"
    RESERVED = "reserved"
    CAPACITY_BLOCK = "capacity_block"


class ResourceState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"
    TERMINATED = "terminated"
    UNKNOWN = "unknown"


class Source(StrEnum):
    SCAN = "scan"
    PREVIEW = "preview"
    FILE = "file"


class Accelerator(ContractModel):
    model: str = Field(min_length=1, description="Accelerator model as the catalog names it, e.g. A100-80GB, H100, L4.")
    count: int = Field(ge=1)
    memory_gib: NonNegative | None = Field(default=None, description="Memory of one accelerator in GiB.")


class MetricSummary(ContractModel):
    """One metric over the lookback window, summarised client-side from hourly samples."""

    avg: NonNegative
    p95: NonNegative
    max: NonNegative
    samples: int = Field(ge=0, description="Hourly samples present.")
    coverage: Fraction = Field(description="samples / expected samples over the window.")
    window_days: NonNegative

    @model_validator(mode="after")
    def _ordered(self) -> MetricSummary:
        if not (self.p95 <= self.max + 1e-9):
            raise ValueError("p95 must not exceed max")
        if not (self.avg <= self.max + 1e-9):
            raise ValueError("avg must not exceed max")
        return self


class DeviceUtilization(ContractModel):
    """Per-accelerator telemetry, so a multi-GPU box can show which GPUs sit idle."""

    index: int = Field(ge=0)
    gpu_percent: MetricSummary
    memory_used_gib: MetricSummary | None = None


class Utilization(ContractModel):
    """Telemetry; a metric that is absent means no data, never zero."""

    gpu_percent: MetricSummary | None = None
    gpu_memory_used_gib: MetricSummary | None = None
    cpu_percent: MetricSummary | None = None
    devices: list[DeviceUtilization] = Field(default_factory=list)
    uptime_fraction: Fraction | None = Field(
        default=None, description="Share of the lookback window the machine was running."
    )


class Cost(ContractModel):
    """Hourly prices in USD from the catalog; absent when the type is not in the catalog."""

    hourly_current: NonNegative | None = None
    hourly_on_demand: NonNegative | None = None
    hourly_spot: NonNegative | None = None
    catalog_region: str | None = Field(default=None, description="Region whose price was used.")


class SecurityFacts(ContractModel):
    """Security basics of an instance; None where the provider has no such notion or it is unknown."""

    public_ip: bool | None = None
    imdsv2_required: bool | None = None
    boot_disk_encrypted: bool | None = None
    boot_disk_customer_key: bool | None = Field(
        default=None, description="Boot disk encrypted with a customer-managed key (GCP CMEK/CSEK)."
    )
    shielded_vm: bool | None = Field(
        default=None, description="GCP Shielded VM: Secure Boot, vTPM and integrity monitoring all on."
    )


_UID_PARTS = {Provider.AWS: 4, Provider.GCP: 4, Provider.ONPREM: 3}


class Resource(ContractModel):
    uid: str = Field(
        description="aws:<account>:<region>:<instance-id>, gcp:<project>:<zone>:<name> or onprem:<site>:<host>."
    )
    provider: Provider
    account: str = Field(min_length=1, description="AWS account id, GCP project id or on-prem site.")
    region: str = Field(min_length=1)
    zone: str | None = None
    name: str | None = None
    instance_type: str = Field(min_length=1)
    state: ResourceState = ResourceState.UNKNOWN
    market: Market = Market.ON_DEMAND
    accelerators: list[Accelerator] = Field(default_factory=list)
    vcpus: int | None = Field(default=None, ge=0)
    memory_gib: NonNegative | None = None
    launched_at: datetime | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    security: SecurityFacts = Field(default_factory=SecurityFacts)
    utilization: Utilization | None = None
    cost: Cost | None = None
    source: Source = Source.FILE
    count: int = Field(
        default=1,
        ge=0,
        description="Instances this resource stands for: 1 for a machine, an Auto Scaling group's or node "
        "pool's planned size, 0 for a launch/instance template (it runs nothing by itself).",
    )
    origin: IacOrigin | None = Field(default=None, description="The IaC resource it was planned from (preview).")
    unknown: list[str] = Field(
        default_factory=list,
        description="Dotted paths of values not known yet (preview); rules never deny on them.",
    )

    @field_validator("launched_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("launched_at must include a timezone (e.g. 2026-11-01T00:00:00Z)")
        return value

    @model_validator(mode="after")
    def _uid_matches(self) -> Resource:
        parts = self.uid.split(":")
        expected = _UID_PARTS[self.provider]
        if parts[0] != self.provider.value or len(parts) != expected or not all(parts):
            raise ValueError(f"uid {self.uid!r} must have the form {_uid_form(self.provider)}")
        return self

    @property
    def gpu_count(self) -> int:
        return total_gpu_count(self.accelerators)

    @property
    def gpu_memory_gib(self) -> float | None:
        return total_gpu_memory_gib(self.accelerators)


def total_gpu_count(accelerators: Sequence[Accelerator]) -> int:
    return sum(a.count for a in accelerators)


def total_gpu_memory_gib(accelerators: Sequence[Accelerator]) -> float | None:
    """Total accelerator memory, or None unless every accelerator declares its memory."""
    if not accelerators or any(a.memory_gib is None for a in accelerators):
        return None
    return sum(a.count * (a.memory_gib or 0.0) for a in accelerators)


def _uid_form(provider: Provider) -> str:
    return {
        Provider.AWS: "aws:<account>:<region>:<instance-id>",
        Provider.GCP: "gcp:<project>:<zone>:<name>",
        Provider.ONPREM: "onprem:<site>:<host>",
    }[provider]
