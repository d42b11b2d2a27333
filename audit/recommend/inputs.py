"""What `infraaudit recommend` reads: workloads.yaml, onprem.yaml (validated), and a scanned inventory.

    workloads = load_workloads(Path("workloads.yaml"), settings)   # WorkloadsFile
    sites = load_onprem(Path("onprem.yaml"))                        # OnpremFile

Every problem is one InputError naming the file and the key. A workload's data classification must
be one of the residency classes of the config (`residency.classes`), the same ones the policies use.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..config import Settings, describe_validation_error, load_yaml_mapping
from ..errors import InputError
from ..models import Capacity, Provider
from .sizing import Precision, WorkloadKind

INPUT_VERSION = 1
Name = Annotated[str, Field(min_length=1, max_length=63, pattern=r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")]
PositiveFloat = Annotated[float, Field(gt=0)]
Share = Annotated[float, Field(ge=0, lt=1)]


class _Input(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _supported_version(value: int) -> int:
    if value != INPUT_VERSION:
        raise ValueError(f"unsupported version {value}; this infraaudit reads version {INPUT_VERSION}")
    return value


def _unique_names(names: list[str], what: str) -> None:
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"{what} names must be unique: {', '.join(duplicates)}")


class LatencyClass(StrEnum):
    """How quickly a workload must answer. realtime and interactive never run on spot."""

    REALTIME = "realtime"
    INTERACTIVE = "interactive"
    BATCH = "batch"


class ModelSpec(_Input):
    """The model a workload runs; its memory need is estimated (docs/sizing.md)."""

    params_billion: PositiveFloat
    precision: Precision = Precision.BF16
    context_tokens: int | None = Field(default=None, gt=0)
    batch_size: int | None = Field(default=None, gt=0)
    layers: int | None = Field(default=None, gt=0)
    hidden_size: int | None = Field(default=None, gt=0)
    kv_heads: int | None = Field(default=None, gt=0)
    attention_heads: int | None = Field(default=None, gt=0)
    fine_tuning_method: str = Field(default="full", description="full, lora or qlora (fine-tuning only).")


class GpuSpec(_Input):
    """An explicit need per replica, instead of a model: memory in total and/or a GPU count."""

    memory_gib: PositiveFloat | None = None
    count: int | None = Field(default=None, ge=1, le=512)

    @model_validator(mode="after")
    def _something(self) -> GpuSpec:
        if self.memory_gib is None and self.count is None:
            raise ValueError("give memory_gib and/or count")
        return self


class Demand(_Input):
    """Either GPU-hours per month (A100-equivalent, see docs/recommend.md) or replicas × hours per day."""

    gpu_hours_per_month: PositiveFloat | None = None
    replicas: int | None = Field(default=None, ge=1, le=10_000)
    hours_per_day: float | None = Field(default=None, gt=0, le=24)

    @model_validator(mode="after")
    def _one_form(self) -> Demand:
        hourly = self.gpu_hours_per_month is not None
        fleet = self.replicas is not None or self.hours_per_day is not None
        if hourly == fleet:
            raise ValueError("give either gpu_hours_per_month, or replicas (and hours_per_day, default 24)")
        return self


class Workload(_Input):
    name: Name
    kind: WorkloadKind
    model: ModelSpec | None = None
    gpu: GpuSpec | None = None
    demand: Demand
    interruptible: bool = False
    deadline_hours: float | None = Field(
        default=None, gt=0, le=744, description="A GPU-hours job must finish within this many wall-clock hours."
    )
    latency: LatencyClass | None = None
    data_classification: str = Field(min_length=1)
    prefer: list[Provider] = Field(default_factory=list, description="Providers (onprem too) to favour.")
    forbid: list[Provider] = Field(default_factory=list)
    accelerators: list[str] = Field(default_factory=list, description="Allowed accelerator models; empty: all.")
    budget_usd: PositiveFloat | None = Field(default=None, description="Monthly cost cap of this workload.")
    owner: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    public_ip: bool = False

    @model_validator(mode="after")
    def _coherent(self) -> Workload:
        if (self.model is None) == (self.gpu is None):
            raise ValueError("give either model (params_billion, precision) or gpu (memory_gib and/or count)")
        if self.latency in (LatencyClass.REALTIME, LatencyClass.INTERACTIVE) and self.interruptible:
            raise ValueError(f"a {self.latency.value} workload cannot be interruptible")
        if self.deadline_hours is not None and self.demand.gpu_hours_per_month is None:
            raise ValueError("deadline_hours applies to gpu_hours_per_month demand only")
        if set(self.prefer) & set(self.forbid):
            raise ValueError("a provider cannot be both preferred and forbidden")
        return self


class Quota(_Input):
    """A cap on GPUs running at once, e.g. an account's spot quota for H100 in EU regions."""

    provider: Provider
    region: str = Field(default="*", description="Glob over region names.")
    accelerator: str = Field(default="*", description="Glob over accelerator models.")
    capacity: Capacity | None = Field(default=None, description="Only this capacity type; None: all.")
    max_gpus: int = Field(ge=0)


class Pricing(_Input):
    spot_interruption_overhead: Share = Field(
        default=0.1, description="Extra GPU-hours an interruptible job spends redoing work lost to preemption."
    )
    committed_discount: dict[Provider, Share] = Field(
        default_factory=lambda: {Provider.AWS: 0.3, Provider.GCP: 0.37},
        description="Discount of a 1-year commitment over on-demand; a commitment bills 730 h/month.",
    )
    preference_margin: Share = Field(
        default=0.05, description="A non-preferred option must be this much cheaper to win over a preferred one."
    )
    usable_memory_fraction: float = Field(default=0.9, gt=0, le=1)
    allow_previous_generation: bool = False
    relative_speed: dict[str, PositiveFloat] = Field(
        default_factory=dict, description="Overrides of the per-accelerator speed table (A100 = 1)."
    )


class WorkloadsFile(_Input):
    version: int = INPUT_VERSION
    budget_usd: PositiveFloat | None = Field(default=None, description="Monthly cap over all workloads.")
    pricing: Pricing = Field(default_factory=Pricing)
    quotas: list[Quota] = Field(default_factory=list)
    workloads: list[Workload] = Field(default_factory=list)

    _supported = field_validator("version")(_supported_version)

    @model_validator(mode="after")
    def _unique(self) -> WorkloadsFile:
        _unique_names([w.name for w in self.workloads], "workload")
        return self


class Pool(_Input):
    accelerator: str = Field(min_length=1)
    count: int = Field(ge=1, description="GPUs in the pool.")
    memory_gib: PositiveFloat = Field(description="Memory of one GPU.")
    gpus_per_host: int = Field(default=8, ge=1)
    cost_per_gpu_hour: float = Field(ge=0, description="Amortised hardware, power, space and support, USD.")


class Site(_Input):
    name: Name
    region: str = Field(min_length=1, description="What residency patterns see as onprem:<region>, e.g. eu-frankfurt.")
    jurisdiction: str | None = None
    max_utilization: float = Field(
        default=0.85, gt=0, le=1, description="Share of the pool's GPU-hours that can be booked."
    )
    pools: list[Pool] = Field(min_length=1)


class OnpremFile(_Input):
    version: int = INPUT_VERSION
    sites: list[Site] = Field(default_factory=list)

    _supported = field_validator("version")(_supported_version)

    @model_validator(mode="after")
    def _unique(self) -> OnpremFile:
        _unique_names([s.name for s in self.sites], "site")
        return self


_M = TypeVar("_M", bound=BaseModel)


def _validated(path: Path, model: type[_M], what: str) -> _M:
    document: Any = load_yaml_mapping(path, what=what, error=InputError)
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        raise InputError(f"{path}: {describe_validation_error(exc)}") from exc


def load_workloads(path: Path, settings: Settings) -> WorkloadsFile:
    loaded = _validated(path, WorkloadsFile, "workloads file")
    check_classifications(loaded.workloads, settings, str(path))
    return loaded


def check_classifications(workloads: list[Workload], settings: Settings, where: str) -> None:
    classes = settings.residency.classes
    for index, workload in enumerate(workloads):
        if workload.data_classification not in classes:
            known = ", ".join(sorted(classes))
            raise InputError(
                f"{where}: workloads.{index}.data_classification: {workload.data_classification!r} is not a "
                f"residency class of the config ({known})"
            )


def load_onprem(path: Path) -> OnpremFile:
    return _validated(path, OnpremFile, "on-prem file")
