"""The data contract: frozen pydantic models shared by every layer."""

from .change import ChangeOp, CostChange, CostLine, IacOrigin
from .finding import Finding, RuleOutput, Suppression
from .inventory import INVENTORY_SCHEMA_VERSION, Coverage, CoverageGap, Inventory
from .layout import LAYOUT_SCHEMA_VERSION, Baselines, Capacity, Layout, LayoutTotals, Placement, SolverInfo
from .policy import Category, PolicyMeta, PolicySource, Severity
from .report import HOURS_PER_MONTH, REPORT_SCHEMA_VERSION, InventorySummary, Report, Totals, UnpricedResource
from .resource import (
    Accelerator,
    Cost,
    DeviceUtilization,
    Market,
    MetricSummary,
    Provider,
    Resource,
    ResourceState,
    SecurityFacts,
    Source,
    Utilization,
)

__all__ = [
    "LAYOUT_SCHEMA_VERSION",
    "Baselines",
    "Capacity",
    "Layout",
    "LayoutTotals",
    "Placement",
    "SolverInfo",
    "HOURS_PER_MONTH",
    "INVENTORY_SCHEMA_VERSION",
    "REPORT_SCHEMA_VERSION",
    "Accelerator",
    "Category",
    "ChangeOp",
    "CostChange",
    "CostLine",
    "Cost",
    "Coverage",
    "CoverageGap",
    "DeviceUtilization",
    "Finding",
    "IacOrigin",
    "Inventory",
    "InventorySummary",
    "Market",
    "MetricSummary",
    "PolicyMeta",
    "PolicySource",
    "Provider",
    "Report",
    "Resource",
    "RuleOutput",
    "ResourceState",
    "SecurityFacts",
    "Severity",
    "Source",
    "Suppression",
    "Totals",
    "UnpricedResource",
    "Utilization",
]
