"""The check pipeline: planned infrastructure (Pulumi previews and programs, Terraform plans) →
preview Inventory → the policies written for preview input → a Report with the GPU cost change.
Orchestrates layer-3 modules, so only the CLI imports it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from .catalog import Catalog
from .config import Settings
from .engine.evaluate import Progress
from .models import Coverage, Inventory, PolicySource, Report, Resource
from .preview import Plan, cost_change, plan_resources
from .scan import EngineOptions, run_scan


def plan_inventory(plans: Sequence[Plan], settings: Settings, *, generated_at: datetime) -> Inventory:
    """Every GPU-capable resource the plans leave in place (deletions are not evaluated)."""
    resources: list[Resource] = []
    seen: set[str] = set()
    for plan in plans:
        for resource in plan_resources(plan, classification_tag=settings.residency.classification_tag):
            uid = resource.uid
            n = 2
            while uid in seen:  # the same logical name in two inputs
                uid = f"{resource.uid}#{n}"
                n += 1
            seen.add(uid)
            resources.append(resource if uid == resource.uid else resource.model_copy(update={"uid": uid}))
    return Inventory(
        generated_at=generated_at,
        resources=resources,
        coverage=Coverage(
            accounts=sorted({r.account for r in resources}),
            regions=sorted({r.region for r in resources}),
            apis=sorted({plan.input_file for plan in plans}),
        ),
    )


def run_check(
    plans: Sequence[Plan],
    settings: Settings,
    catalog: Catalog,
    *,
    now: Callable[[], datetime],
    options: EngineOptions | None = None,
    progress: Progress | None = None,
) -> Report:
    inventory = plan_inventory(plans, settings, generated_at=now())
    preview_only = replace(options or EngineOptions(), source=PolicySource.PREVIEW)
    report = run_scan(inventory, settings, catalog, now=now, options=preview_only, progress=progress)
    cost = cost_change(plans, catalog, classification_tag=settings.residency.classification_tag)
    origins = {r.uid: r.origin for r in inventory.resources if r.origin is not None}
    return report.model_copy(update={"cost_change": cost, "origins": origins})
