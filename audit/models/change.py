"""Planned infrastructure changes (`infraaudit check`): where a resource comes from in the IaC
input, and the monthly GPU cost before and after the change."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from .base import ContractModel


class ChangeOp(StrEnum):
    """What the plan does to a resource (Pulumi steps and Terraform actions, normalised)."""

    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    SAME = "same"
    DELETE = "delete"


class IacOrigin(ContractModel):
    """The IaC resource a preview Resource was built from, for locations in SARIF and PR comments."""

    input_file: str = Field(description="The plan, preview or program the resource was read from.")
    address: str = Field(description="Pulumi URN or Terraform resource address.")
    type: str = Field(description="aws:ec2/instance:Instance, aws_instance, ...")
    op: ChangeOp
    source_file: str | None = Field(default=None, description="Program file that declares it, when known.")
    source_line: int | None = Field(default=None, ge=1)


class CostLine(ContractModel):
    """One planned resource's monthly GPU cost (730 h) before and after the change; None = unknown."""

    address: str
    type: str
    op: ChangeOp
    instance_type_before: str | None = None
    instance_type_after: str | None = None
    instances_before: int = 0
    instances_after: int = 0
    monthly_before_usd: float | None = None
    monthly_after_usd: float | None = None
    note: str | None = Field(default=None, description="Why a side is unknown or zero, if it is.")

    @property
    def delta_usd(self) -> float | None:
        if self.monthly_before_usd is None or self.monthly_after_usd is None:
            return None
        return self.monthly_after_usd - self.monthly_before_usd


class CostChange(ContractModel):
    lines: list[CostLine] = Field(default_factory=list)
    monthly_before_usd: float = 0.0
    monthly_after_usd: float = 0.0
    unpriced: int = Field(default=0, description="Lines with a side that could not be priced (left out of totals).")

    @property
    def delta_usd(self) -> float:
        return self.monthly_after_usd - self.monthly_before_usd
