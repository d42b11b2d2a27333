"""Report assembly: summary, totals and ordering (pure functions over the contract models)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime

from .models import (
    HOURS_PER_MONTH,
    CoverageGap,
    Finding,
    Inventory,
    InventorySummary,
    PolicyMeta,
    Report,
    Resource,
    ResourceState,
    Severity,
    Totals,
    UnpricedResource,
)

_ACTIVE = {ResourceState.RUNNING, ResourceState.PENDING}


def monthly_cost(resource: Resource) -> float:
    if resource.cost is None or resource.cost.hourly_current is None:
        return 0.0
    return resource.cost.hourly_current * HOURS_PER_MONTH * resource.count


UnpricedReason = Callable[[Resource], str | None]


def summarize_inventory(inventory: Inventory, unpriced_reason: UnpricedReason | None = None) -> InventorySummary:
    providers = Counter(r.provider.value for r in inventory.resources)
    running_cost = sum(monthly_cost(r) for r in inventory.resources if r.state in _ACTIVE)
    unpriced = [
        UnpricedResource(uid=r.uid, reason=(unpriced_reason(r) if unpriced_reason else None) or "no price")
        for r in inventory.resources
        if r.cost is None or r.cost.hourly_current is None
    ]
    return InventorySummary(
        resources=len(inventory.resources),
        gpus=sum(r.gpu_count * r.count for r in inventory.resources),
        by_provider=dict(sorted(providers.items())),
        monthly_cost_usd=round(running_cost, 2),
        unpriced_resources=unpriced,
    )


def totals(findings: Sequence[Finding], inventory: Inventory) -> Totals:
    """Savings are not additive on one resource (stopping an idle GPU and moving it to spot
    cannot both happen): count each resource's largest saving, capped at its own cost."""
    open_findings = [f for f in findings if not f.suppressed]
    severities = Counter(f.severity.value for f in open_findings)
    best: dict[str, float] = defaultdict(float)
    for finding in open_findings:
        best[finding.resource_uid] = max(best[finding.resource_uid], finding.estimated_monthly_savings_usd)
    costs = {r.uid: monthly_cost(r) for r in inventory.resources}
    savings = sum(min(value, costs[uid]) if costs.get(uid) else value for uid, value in best.items())
    return Totals(
        findings=len(open_findings),
        suppressed=len(findings) - len(open_findings),
        by_severity={s.value: severities[s.value] for s in Severity if severities[s.value]},
        estimated_monthly_savings_usd=round(savings, 2),
    )


def order_findings(findings: Sequence[Finding]) -> list[Finding]:
    return sorted(
        findings,
        key=lambda f: (-f.severity.rank, -f.estimated_monthly_savings_usd, f.rule_id, f.resource_uid),
    )


def build_report(
    inventory: Inventory,
    findings: Sequence[Finding],
    policies: Sequence[PolicyMeta],
    *,
    generated_at: datetime,
    tool_version: str,
    extra_gaps: Sequence[CoverageGap] = (),
    unpriced_reason: UnpricedReason | None = None,
) -> Report:
    return Report(
        tool_version=tool_version,
        generated_at=generated_at,
        findings=order_findings(findings),
        inventory=summarize_inventory(inventory, unpriced_reason),
        gaps=[*inventory.gaps, *extra_gaps],
        policies=list(policies),
        totals=totals(findings, inventory),
    )
