"""Finding: one rule violated by one resource."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import Field

from .base import ContractModel
from .policy import Category, Severity


class Suppression(ContractModel):
    """A waiver matched the finding; it stays in the report, marked, and does not fail the gate."""

    reason: str
    expires: date | None = None
    resource_pattern: str


class RuleOutput(ContractModel):
    """What a Rego rule puts in its `deny` set; the engine adds the rule's METADATA."""

    resource_uid: str = Field(min_length=1)
    message: str = Field(min_length=1)
    evidence: dict[str, Any] = Field(default_factory=dict)
    recommendation: str = ""
    estimated_monthly_savings_usd: float = Field(default=0.0, ge=0)


class Finding(ContractModel):
    rule_id: str
    title: str
    severity: Severity
    category: Category
    resource_uid: str
    message: str
    evidence: dict[str, Any] = Field(default_factory=dict)
    recommendation: str = ""
    estimated_monthly_savings_usd: float = Field(default=0.0, ge=0)
    remediation: str = ""
    suppression: Suppression | None = None

    @property
    def suppressed(self) -> bool:
        return self.suppression is not None
