"""Scanned GPU resources → jobs with their measured need, so a layout rightsizes today's fleet.

Per running GPU resource (an inventory from `scan --save-inventory`):
- need: peak GPU memory used over the lookback (enough coverage) × MEASURED_HEADROOM, but never more
  than today's usable GPU memory (which served that peak), at least one GPU; without memory
  telemetry the resource keeps its current GPU memory and count (never shrunk on a guess);
- demand: `count` replicas running `uptime_fraction` × 24 h a day (24 h when unknown);
- interruptible: the spot rule's tags (the interruptible flag; else no opt-out and an interruptible
  workload kind), also in their GCP label form;
- residency: the classification tag's class patterns; an unclassified resource stays where it is
  (provider and region), because where its data may go is unknown;
- today's cost: the catalog's current hourly price × the same hours × replicas.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..config import Settings
from ..models import HOURS_PER_MONTH, Resource, ResourceState
from .inputs import Demand, GpuSpec, Workload
from .options import Job
from .sizing import WorkloadKind

MEASURED_HEADROOM = 1.25  # peak memory × this: allocator fragmentation, longer prompts than seen
_ACTIVE = (ResourceState.RUNNING, ResourceState.PENDING, ResourceState.UNKNOWN)


def _name(resource: Resource, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9-]+", "-", (resource.name or resource.uid.rsplit(":", 1)[-1]).lower()).strip("-")
    base = (base or "workload")[:55].rstrip("-")
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    taken.add(name)
    return name


def _tag(resource: Resource, key: str) -> str:
    """A tag's value, also under its GCP label form (labels cannot hold "." or "/"), normalised."""
    value = resource.tags.get(key)
    if value is None:
        value = resource.tags.get(re.sub(r"[^a-z0-9_-]", "_", key.lower()), "")
    return value.strip().lower()


def _interruptible(resource: Resource, settings: Settings) -> bool:
    """The declared flag wins (stacks/ opts interruptible work out of the spot rule where the layout
    chose on-demand or a commitment); then an opt-out; then an interruptible workload kind."""
    spot = settings.spot
    if _tag(resource, spot.interruptible_tag) == "true":
        return True
    if _tag(resource, spot.opt_out_tag) == "true":
        return False
    return _tag(resource, spot.workload_tag) in {w.lower() for w in spot.interruptible_workloads}


def _kind(resource: Resource, settings: Settings) -> WorkloadKind:
    tag = resource.tags.get(settings.spot.workload_tag, "").strip().lower()
    try:
        return WorkloadKind(tag)
    except ValueError:
        return WorkloadKind.INFERENCE  # unknown: keep a replica on one instance


def _need(resource: Resource, settings: Settings, usable_fraction: float) -> tuple[float, int, str] | None:
    memory = resource.utilization.gpu_memory_used_gib if resource.utilization else None
    total = resource.gpu_memory_gib
    if memory is not None and memory.coverage >= settings.min_coverage:
        peak = max(memory.max, 0.5)
        need = peak * MEASURED_HEADROOM
        if total is not None:  # today's machine served this peak: the headroom never asks for more than it has
            need = min(need, max(peak, total * usable_fraction))
        need = round(need, 2)
        return need, 1, f"peak GPU memory used {memory.max:g} GiB + headroom = {need:g} GiB"
    if total is None or not resource.accelerators:
        return None
    # No (or too little) memory telemetry: keep today's GPU memory and count.
    need = round(total * usable_fraction, 2)
    return (
        need,
        resource.gpu_count,
        f"no GPU memory telemetry: keeps today's {resource.gpu_count} GPU(s), {total:g} GiB",
    )


def jobs_from_inventory(
    resources: Iterable[Resource], settings: Settings, usable_fraction: float
) -> tuple[list[Job], list[str]]:
    """Jobs for the active GPU resources, and a note per resource left out (and why)."""
    jobs: list[Job] = []
    notes: list[str] = []
    taken: set[str] = set()
    classes = settings.residency.classes
    for resource in sorted(resources, key=lambda r: r.uid):
        if not resource.accelerators or resource.count == 0:
            continue
        if resource.state not in _ACTIVE:
            notes.append(f"{resource.uid}: {resource.state.value}, not placed")
            continue
        need = _need(resource, settings, usable_fraction)
        if need is None:
            notes.append(f"{resource.uid}: GPU memory unknown (type not in the catalog), not placed")
            continue
        need_gib, gpus, sizing = need
        uptime = resource.utilization.uptime_fraction if resource.utilization else None
        hours_per_day = 24.0 if uptime is None else max(round(24 * uptime, 2), 0.5)
        classification = resource.tags.get(settings.residency.classification_tag)
        locations = tuple(classes[classification]) if classification in classes else None
        hourly = resource.cost.hourly_current if resource.cost else None
        current = None if hourly is None else round(hourly * hours_per_day / 24 * HOURS_PER_MONTH * resource.count, 2)
        tags = {k: v for k, v in resource.tags.items() if k in settings.tagging.required}
        workload = Workload(
            name=_name(resource, taken),
            kind=_kind(resource, settings),
            gpu=GpuSpec(memory_gib=need_gib, count=gpus),
            demand=Demand(replicas=max(resource.count, 1), hours_per_day=hours_per_day),
            interruptible=_interruptible(resource, settings),
            data_classification=classification if locations is not None else "unclassified",
            owner=resource.tags.get("owner"),
            tags=tags,
        )
        jobs.append(
            Job(
                workload=workload,
                need_gib=need_gib,
                min_gpus=gpus,
                sizing=sizing,
                locations=locations or (f"{resource.provider.value}:{resource.region}",),
                classification=classification if locations is not None else None,
                source_uid=resource.uid,
                current_monthly_cost_usd=current,
            )
        )
    return jobs, notes
