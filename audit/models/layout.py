"""Layout: the placement `infraaudit recommend` chose for every workload, and what stacks/ provisions.

It is written as `layout.yaml` / JSON and carried in a Pulumi stack config (`infraaudit:layout`),
so it is plain data: no prices are recomputed from it, the stacks only read placements.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, model_validator

from .base import ContractModel
from .resource import Provider

LAYOUT_SCHEMA_VERSION = 1

Usd = Annotated[float, Field(ge=0)]


class Capacity(StrEnum):
    """Where a placement's GPUs come from and how they are paid for."""

    ON_PREM = "on_prem"
    SPOT = "spot"
    ON_DEMAND = "on_demand"
    COMMITTED = "committed"  # a 1- or 3-year commitment (reserved instances, savings plans, CUDs)


class Placement(ContractModel):
    """One workload's chosen option: a site's pool, or a cloud instance type in a region and market."""

    workload: str = Field(min_length=1)
    kind: str = Field(description="training, fine-tuning, inference or batch.")
    provider: Provider
    region: str = Field(min_length=1, description="Cloud region, or the on-prem site's region (residency).")
    site: str | None = Field(default=None, description="On-prem site name; None for cloud.")
    capacity: Capacity
    instance_type: str | None = Field(default=None, description="Cloud instance/machine type; None on-prem.")
    alternative_instance_types: list[str] = Field(
        default_factory=list,
        description="Equivalent types (same accelerator and count, similar price) a spot fleet may also use.",
    )
    accelerator: str = Field(min_length=1)
    gpus_per_instance: int = Field(ge=1)
    gpu_memory_gib_per_instance: float = Field(ge=0)
    instances: int = Field(ge=1, description="Instances (cloud) or GPU groups (on-prem) running at once.")
    hours_per_month: float = Field(ge=0, le=744, description="Hours each instance runs per month.")
    gpu_hours_per_month: float = Field(ge=0, description="GPU-hours bought per month, interruption overhead included.")
    required_gpu_memory_gib: float = Field(ge=0, description="Estimated GPU memory one replica needs.")
    monthly_cost_usd: Usd
    current_monthly_cost_usd: Usd | None = Field(default=None, description="Today's cost (from a scan), if known.")
    interruptible: bool
    data_classification: str | None = None
    owner: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    public_ip: bool = False
    source_uid: str | None = Field(default=None, description="The scanned resource this workload came from.")
    rationale: str = Field(min_length=1, description="One line: why this option won.")

    @model_validator(mode="after")
    def _site_xor_type(self) -> Placement:
        if self.provider is Provider.ONPREM:
            if self.site is None or self.capacity is not Capacity.ON_PREM:
                raise ValueError("an on-prem placement needs a site and capacity on_prem")
        elif self.instance_type is None or self.capacity is Capacity.ON_PREM:
            raise ValueError("a cloud placement needs an instance type and a cloud capacity")
        return self


class LayoutTotals(ContractModel):
    monthly_cost_usd: Usd
    current_monthly_cost_usd: Usd | None = Field(
        default=None, description="Today's cost of the workloads that have one (scan input)."
    )
    monthly_saving_usd: float | None = None
    by_provider: dict[str, float] = Field(default_factory=dict)
    by_site: dict[str, float] = Field(default_factory=dict, description="On-prem sites and cloud provider:region.")
    by_capacity: dict[str, float] = Field(default_factory=dict)
    gpus: int = Field(ge=0, description="GPUs running at once over all placements.")


class Baselines(ContractModel):
    """The same workloads under simple strategies, for comparison (None: some workload has no such option)."""

    all_on_demand_usd: float | None = None
    greedy_usd: float | None = Field(
        default=None,
        description="Most constrained workloads first, each taking its cheapest option that still fits what "
        "the others left (pools, quotas, budget); None when that leaves a workload without room.",
    )
    cheapest_alone_usd: float | None = Field(
        default=None,
        description="Each workload's cheapest option as if it were alone: ignores shared capacity and budgets, "
        "so it may over-book; the price of the shared limits is the layout's cost minus this.",
    )


class SolverInfo(ContractModel):
    name: str = "HiGHS"
    version: str
    status: str
    objective_usd: float
    best_bound_usd: float
    mip_gap: float = Field(ge=0, description="(objective - bound) / objective, proven by the solver.")
    solve_seconds: float = Field(ge=0)
    variables: int = Field(ge=0)
    constraints: int = Field(ge=0)


class Layout(ContractModel):
    version: int = LAYOUT_SCHEMA_VERSION
    generated_at: datetime
    catalog_date: str
    placements: list[Placement]
    totals: LayoutTotals
    baselines: Baselines = Field(default_factory=Baselines)
    solver: SolverInfo | None = None
    notes: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_workloads(self) -> Layout:
        seen: set[str] = set()
        for placement in self.placements:
            if placement.workload in seen:
                raise ValueError(f"workload {placement.workload!r} is placed twice")
            seen.add(placement.workload)
        return self

    def cloud_placements(self) -> list[Placement]:
        return [p for p in self.placements if p.provider is not Provider.ONPREM]
