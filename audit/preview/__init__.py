"""Planned infrastructure (Pulumi previews and programs, Terraform plans) as preview Resources."""

from .cost import cost_change
from .mapping import MAPPERS, plan_resources, planned_resources, supported
from .plan import UNKNOWN, Plan, PlannedResource
from .readers import read_pulumi_preview, read_terraform_plan

__all__ = [
    "MAPPERS",
    "UNKNOWN",
    "Plan",
    "PlannedResource",
    "cost_change",
    "plan_resources",
    "planned_resources",
    "read_pulumi_preview",
    "read_terraform_plan",
    "supported",
]
