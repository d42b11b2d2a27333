"""Inventory: what was collected, what was covered and what could not be."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, model_validator

from .base import ContractModel
from .resource import Provider, Resource

INVENTORY_SCHEMA_VERSION = "1"


class CoverageGap(ContractModel):
    """Something that should have been collected and was not: the scan is incomplete."""

    provider: Provider
    account: str | None = None
    region: str | None = None
    api: str = Field(min_length=1, description="The API call or data source that failed, e.g. ec2:DescribeInstances.")
    error_code: str = Field(min_length=1)
    message: str = ""


class Coverage(ContractModel):
    accounts: list[str] = Field(default_factory=list)
    regions: list[str] = Field(default_factory=list)
    apis: list[str] = Field(default_factory=list)


class Inventory(ContractModel):
    schema_version: str = INVENTORY_SCHEMA_VERSION
    generated_at: datetime | None = None
    resources: list[Resource] = Field(default_factory=list)
    coverage: Coverage = Field(default_factory=Coverage)
    gaps: list[CoverageGap] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_uids(self) -> Inventory:
        seen: set[str] = set()
        for resource in self.resources:
            if resource.uid in seen:
                raise ValueError(f"duplicate resource uid {resource.uid!r}")
            seen.add(resource.uid)
        return self
