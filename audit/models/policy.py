"""Policy metadata, read from the METADATA annotations of each Rego rule."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from .base import ContractModel


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is more severe; used for --fail-on and sorting."""
        return _RANK[self]


_RANK = {Severity.CRITICAL: 4, Severity.HIGH: 3, Severity.MEDIUM: 2, Severity.LOW: 1, Severity.INFO: 0}


class Category(StrEnum):
    COST = "cost"
    COMPLIANCE = "compliance"
    SECURITY = "security"
    GOVERNANCE = "governance"


class PolicySource(StrEnum):
    SCAN = "scan"
    PREVIEW = "preview"


class PolicyMeta(ContractModel):
    id: str = Field(pattern=r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")
    title: str = Field(min_length=1)
    description: str = Field(min_length=1)
    severity: Severity
    category: Category
    sources: list[PolicySource] = Field(min_length=1)
    remediation: str = Field(min_length=1)
    package: str = Field(description="Rego package, e.g. infraaudit.gpu.idle.")
    file: str = Field(description="Path of the Rego file, relative to its policy root.")
