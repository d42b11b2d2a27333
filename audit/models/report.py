"""Report: findings plus the context needed to trust them."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from .base import ContractModel
from .change import CostChange, IacOrigin
from .finding import Finding
from .inventory import CoverageGap
from .policy import PolicyMeta

REPORT_SCHEMA_VERSION = "1"
HOURS_PER_MONTH = 730


class UnpricedResource(ContractModel):
    uid: str
    reason: str


class InventorySummary(ContractModel):
    resources: int = 0
    gpus: int = 0
    by_provider: dict[str, int] = Field(default_factory=dict)
    monthly_cost_usd: float = Field(default=0.0, description="Sum of priced resources at 730 h/month.")
    unpriced_resources: list[UnpricedResource] = Field(
        default_factory=list, description="Resources without a current price, and why (never guessed)."
    )


class Totals(ContractModel):
    findings: int = 0
    suppressed: int = 0
    by_severity: dict[str, int] = Field(default_factory=dict)
    estimated_monthly_savings_usd: float = Field(
        default=0.0, description="Unsuppressed findings, at most the resource's own monthly cost each."
    )


class Report(ContractModel):
    schema_version: str = REPORT_SCHEMA_VERSION
    tool_version: str
    generated_at: datetime
    findings: list[Finding] = Field(default_factory=list)
    inventory: InventorySummary = Field(default_factory=InventorySummary)
    gaps: list[CoverageGap] = Field(default_factory=list)
    policies: list[PolicyMeta] = Field(default_factory=list)
    totals: Totals = Field(default_factory=Totals)
    cost_change: CostChange | None = Field(default=None, description="`infraaudit check`: GPU cost before/after.")
    origins: dict[str, IacOrigin] = Field(
        default_factory=dict, description="`infraaudit check`: resource uid → the IaC resource it was planned from."
    )
