"""The monthly GPU cost of a plan, before and after, per planned resource and in total.

Each side is mapped to Resources and priced by the catalog at its market (spot at the spot
price), × the instances it stands for, × 730 h. A side that cannot be priced (instance type
unknown until apply, a type or region the catalog lacks) is None and the line is left out of
the totals, never counted as zero; `unpriced` says how many lines that was.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..catalog import Catalog
from ..models import HOURS_PER_MONTH, ChangeOp, CostChange, CostLine, Resource
from .mapping import CLASSIFICATION_TAG, Templates, plan_templates, planned_resources, supported
from .plan import Plan, PlannedResource


def cost_change(plans: Sequence[Plan], catalog: Catalog, *, classification_tag: str = CLASSIFICATION_TAG) -> CostChange:
    lines: list[CostLine] = []
    for plan in plans:
        templates = {side: plan_templates(plan, side) for side in ("before", "after")}  # for groups
        for planned in plan.resources:
            if supported(planned.type):
                lines.append(_line(planned, plan, catalog, classification_tag, templates))
    priced = [line for line in lines if line.monthly_before_usd is not None and line.monthly_after_usd is not None]
    return CostChange(
        lines=lines,
        monthly_before_usd=round(sum(line.monthly_before_usd or 0.0 for line in priced), 2),
        monthly_after_usd=round(sum(line.monthly_after_usd or 0.0 for line in priced), 2),
        unpriced=len(lines) - len(priced),
    )


def _line(
    planned: PlannedResource, plan: Plan, catalog: Catalog, classification_tag: str, templates: dict[str, Templates]
) -> CostLine:
    before, after = (
        catalog.enrich_all(
            planned_resources(
                planned, plan, side=side, templates=templates[side], classification_tag=classification_tag
            )
        )
        for side in ("before", "after")
    )
    before_usd, before_note = _monthly(before, catalog)
    after_usd, after_note = _monthly(after, catalog)
    notes = [f"{side}: {note}" for side, note in (("before", before_note), ("after", after_note)) if note]
    return CostLine(
        address=planned.address,
        type=planned.type,
        op=planned.op,
        instance_type_before=_instance_type(before),
        instance_type_after=_instance_type(after),
        instances_before=sum(r.count for r in before),
        instances_after=sum(r.count for r in after),
        monthly_before_usd=0.0 if planned.op is ChangeOp.CREATE else before_usd,
        monthly_after_usd=0.0 if planned.op is ChangeOp.DELETE else after_usd,
        note="; ".join(notes) or None,
    )


def _monthly(resources: list[Resource], catalog: Catalog) -> tuple[float | None, str | None]:
    """Monthly cost of one side, or None and why it is unknown."""
    if not resources:
        return 0.0, None
    total = 0.0
    for resource in resources:
        if "count" in resource.unknown:
            return None, "instance count unknown until apply"
        if resource.count == 0:
            continue  # a template: its users are priced, not the template
        if "market" in resource.unknown:
            return None, "market unknown until apply"
        hourly = resource.cost.hourly_current if resource.cost else None
        if hourly is None:
            return None, catalog.unpriced_reason(resource) or "no price"
        total += hourly * HOURS_PER_MONTH * resource.count
    if all(r.count == 0 for r in resources):
        return 0.0, "a template runs nothing by itself"
    return round(total, 2), None


def _instance_type(resources: list[Resource]) -> str | None:
    known = sorted({r.instance_type for r in resources if "instance_type" not in r.unknown})
    return ", ".join(known) or None
