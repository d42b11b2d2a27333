"""The recommend pipeline: workloads (and/or a scanned fleet) → jobs → options → MILP → Layout.

    layout = plan_layout(jobs, request, catalog, settings, now=datetime.now(UTC))

Raises InfeasibleError naming, per failing constraint, which workloads it concerns.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ..catalog import Catalog, Offer
from ..config import Settings
from ..errors import InfeasibleError, InputError
from ..models import Baselines, Capacity, Layout, LayoutTotals, Placement, Provider
from .inputs import Pricing, Quota, Site, Workload
from .options import Job, Option, OptionSpace, Rejections, job_options, option_order
from .sizing import estimate_memory
from .solve import Problem, greedy, prune, solve
from .speed import speed_table

SPOT_ALTERNATIVE_PRICE_RATIO = 1.25  # other spot types within 25% of the chosen price diversify the fleet
MAX_ALTERNATIVES = 3


@dataclass(frozen=True)
class Request:
    """Everything besides the jobs: sites, pricing knobs, quotas and the overall budget."""

    sites: tuple[Site, ...] = ()
    pricing: Pricing = field(default_factory=Pricing)
    quotas: tuple[Quota, ...] = ()
    budget_usd: float | None = None


def job_from_workload(workload: Workload, settings: Settings) -> Job:
    """The workload's need per replica: its model's estimated memory (docs/sizing.md) or its explicit GPUs."""
    locations = tuple(settings.residency.classes[workload.data_classification])
    if workload.model is not None:
        spec = workload.model
        try:
            estimate = estimate_memory(
                workload.kind,
                spec.params_billion,
                spec.precision,
                context_tokens=spec.context_tokens,
                batch_size=spec.batch_size,
                layers=spec.layers,
                hidden_size=spec.hidden_size,
                kv_heads=spec.kv_heads,
                attention_heads=spec.attention_heads,
                fine_tuning_method=spec.fine_tuning_method,
            )
        except ValueError as exc:
            raise InputError(f"workload {workload.name}: {exc}") from exc
        need, gpus, sizing = estimate.total_gib, 1, estimate.formula
    else:
        assert workload.gpu is not None  # the model validator guarantees one of the two
        need = workload.gpu.memory_gib or 0.0
        gpus = workload.gpu.count or 1
        sizing = f"declared: {need:g} GiB over at least {gpus} GPU(s)"
    return Job(workload, need, gpus, sizing, locations, workload.data_classification)


def plan_layout(
    jobs: Sequence[Job], request: Request, catalog: Catalog, settings: Settings, *, now: datetime
) -> Layout:
    if not jobs:
        raise InputError("nothing to place: no workloads (workloads file) and no running GPU resources (--from-scan)")
    space = OptionSpace(
        catalog=catalog,
        sites=request.sites,
        pricing=request.pricing,
        speeds=speed_table(request.pricing.relative_speed),
        excluded_accelerators=frozenset(
            () if request.pricing.allow_previous_generation else settings.previous_generation.accelerators
        ),
    )
    options: list[list[Option]] = []
    shortlists: list[list[Option]] = []  # each job's cheapest options before pruning, for its rationale
    on_demand_baseline = 0.0
    on_prem_only = 0
    problems: list[str] = []
    budget = request.budget_usd is not None
    for index, job in enumerate(jobs):
        found = job_options(index, job, space, quotas=request.quotas, budget=budget)
        if not found.candidates:
            problems.append(_why_no_option(job, found.rejected, bool(request.sites)))
            continue
        if found.cheapest_on_demand_usd is not None:
            on_demand_baseline += found.cheapest_on_demand_usd
        else:  # restricted to on-prem: counted at its cheapest on-prem option
            on_prem_only += 1
            on_prem = found.cheapest_on_prem_usd
            on_demand_baseline += found.cheapest[0].monthly_cost_usd if on_prem is None else on_prem
        options.append(prune(found.candidates, request.quotas, budget))
        shortlists.append(found.cheapest)
    if problems:
        raise InfeasibleError(problems)

    problem = Problem(jobs, options, request.sites, request.quotas, request.budget_usd)
    greedy_picks, unplaced = greedy(problem)
    solution = solve(problem, start=greedy_picks)
    if solution.chosen is None:
        reasons = [
            f"{row.name} is short by {excess:,.1f} {row.unit} even at best (workloads competing for it: "
            f"{_names(names)})"
            for row, excess, names in solution.violated
        ]
        raise InfeasibleError(reasons or ["the shared constraints cannot all hold (pools, quotas, budget)"])
    placements = [
        _placement(job, option, shortlists[i], catalog)
        for i, (job, option) in enumerate(zip(jobs, solution.chosen, strict=True))
    ]
    notes = []
    if greedy_picks is None:
        notes.append(f"greedy baseline: placing workloads one by one left {unplaced} without room")
    if on_prem_only:
        notes.append(
            f"all-on-demand baseline: {on_prem_only} workload(s) with no cloud on-demand option (e.g. restricted "
            "data) counted at their cheapest on-prem option"
        )
    return Layout(
        generated_at=now,
        catalog_date=catalog.snapshot_date.isoformat(),
        placements=placements,
        totals=_totals(placements),
        baselines=Baselines(
            all_on_demand_usd=round(on_demand_baseline, 2),
            greedy_usd=None if greedy_picks is None else _money_sum(greedy_picks),
            cheapest_alone_usd=_money_sum(min(o, key=lambda x: x.monthly_cost_usd) for o in options),
        ),
        solver=solution.info,
        notes=notes,
    )


def _money_sum(options: Iterable[Option]) -> float:
    return round(sum(round(o.monthly_cost_usd, 2) for o in options), 2)


def _names(names: list[str], limit: int = 6) -> str:
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def _why_no_option(job: Job, rejected: Rejections, has_sites: bool) -> str:
    workload = job.workload
    market = "spot or on-demand" if job.spot_allowed else "on-demand or committed"
    where = ", ".join(job.locations)
    detail = [
        f"{reason}: {count}"
        for reason, count in sorted(rejected.counts.items(), key=lambda item: (-item[1], item[0]))
        if count
    ]
    if rejected.cheapest_over_budget is not None:
        return (
            f"workload {workload.name}: its cheapest fitting option costs ${rejected.cheapest_over_budget:,.2f}/month, "
            f"over its budget of ${workload.budget_usd:,.2f}"
        )
    accelerators = "/".join(workload.accelerators) or "any supported GPU"
    return (
        f"workload {workload.name}: no location allowed for {job.classification or 'its current location'} "
        f"({where}) offers {accelerators} with {job.need_gib:.1f} GiB GPU memory"
        f"{f' over {job.min_gpus} GPUs' if job.min_gpus > 1 else ''} on {market}"
        f" (options rejected by {', '.join(detail) or 'nothing: no candidates'})"
        + ("" if has_sites or not all(p.startswith("onprem:") for p in job.locations) else "; give --onprem sites")
    )


def _equivalents(option: Option, catalog: Catalog) -> tuple[str, ...]:
    """Other types in the region with the same accelerator and count, whose spot price is close."""
    if option.capacity is not Capacity.SPOT or option.provider is not Provider.AWS or option.instance_type is None:
        return ()
    chosen = catalog.lookup(option.provider, option.instance_type, option.region)
    if chosen is None or chosen.spot is None:
        return ()
    similar: list[tuple[float, str]] = []
    for instance_type in catalog.instance_types(option.provider):
        offer: Offer | None = catalog.lookup(option.provider, instance_type, option.region)
        if (
            offer is None
            or instance_type == option.instance_type
            or offer.spot is None
            or offer.accelerator != option.accelerator
            or offer.accelerator_count != option.gpus_per_instance
            or offer.spot > chosen.spot * SPOT_ALTERNATIVE_PRICE_RATIO
        ):
            continue
        similar.append((offer.spot, instance_type))
    return tuple(t for _, t in sorted(similar)[:MAX_ALTERNATIVES])


def _describe(option: Option) -> str:
    if option.site:
        return f"on-prem {option.site} ({option.gpus_per_instance} x {option.accelerator})"
    return (
        f"{option.capacity.value.replace('_', '-')} {option.instance_type} in {option.provider.value} {option.region}"
    )


def _rationale(job: Job, chosen: Option, candidates: Sequence[Option]) -> str:
    fit = f"fits {job.need_gib:.1f} GiB" if job.need_gib else f"gives {job.min_gpus} GPU(s)"
    others = [
        o
        for o in candidates
        if (o.capacity, o.location, o.instance_type) != (chosen.capacity, chosen.location, chosen.instance_type)
    ]
    best_alone = min(candidates, key=option_order)
    if best_alone is not chosen and best_alone.objective_usd < chosen.objective_usd - 0.005:
        return (
            f"{_describe(chosen)} {fit} at ${chosen.monthly_cost_usd:,.2f}/month; its cheapest option "
            f"({_describe(best_alone)}, ${best_alone.monthly_cost_usd:,.2f}) is needed by other workloads "
            "or over budget"
        )
    runner_up = min(others, key=option_order) if others else None
    versus = (
        f"; next best {_describe(runner_up)} at ${runner_up.monthly_cost_usd:,.2f}"
        if runner_up is not None
        else "; the only option allowed"
    )
    return f"{_describe(chosen)} is the cheapest that {fit}{versus}"


def _placement(job: Job, option: Option, candidates: Sequence[Option], catalog: Catalog) -> Placement:
    workload = job.workload
    return Placement(
        workload=workload.name,
        kind=workload.kind.value,
        provider=option.provider,
        region=option.region,
        site=option.site,
        capacity=option.capacity,
        instance_type=option.instance_type,
        alternative_instance_types=list(_equivalents(option, catalog)),
        accelerator=option.accelerator,
        gpus_per_instance=option.gpus_per_instance,
        gpu_memory_gib_per_instance=round(option.gpu_memory_gib_per_instance, 2),
        instances=option.instances,
        hours_per_month=round(option.hours_per_month, 2),
        gpu_hours_per_month=round(option.gpu_hours, 2),
        required_gpu_memory_gib=round(job.need_gib, 2),
        monthly_cost_usd=round(option.monthly_cost_usd, 2),
        current_monthly_cost_usd=job.current_monthly_cost_usd,
        interruptible=workload.interruptible,
        data_classification=job.classification,
        owner=workload.owner,
        tags=dict(workload.tags),
        public_ip=workload.public_ip,
        source_uid=job.source_uid,
        rationale=_rationale(job, option, candidates),
    )


def _totals(placements: Sequence[Placement]) -> LayoutTotals:
    by_provider: dict[str, float] = defaultdict(float)
    by_site: dict[str, float] = defaultdict(float)
    by_capacity: dict[str, float] = defaultdict(float)
    for p in placements:
        by_provider[p.provider.value] += p.monthly_cost_usd
        by_site[p.site if p.site else f"{p.provider.value}:{p.region}"] += p.monthly_cost_usd
        by_capacity[p.capacity.value] += p.monthly_cost_usd
    total = sum(p.monthly_cost_usd for p in placements)
    current_known = [p for p in placements if p.current_monthly_cost_usd is not None]
    current = sum(p.current_monthly_cost_usd or 0.0 for p in current_known) if current_known else None
    new_for_known = sum(p.monthly_cost_usd for p in current_known)

    def rounded(table: dict[str, float]) -> dict[str, float]:
        return {k: round(v, 2) for k, v in sorted(table.items())}

    return LayoutTotals(
        monthly_cost_usd=round(total, 2),
        current_monthly_cost_usd=None if current is None else round(current, 2),
        monthly_saving_usd=None if current is None else round(current - new_for_known, 2),
        by_provider=rounded(by_provider),
        by_site=rounded(by_site),
        by_capacity=rounded(by_capacity),
        gpus=sum(p.instances * p.gpus_per_instance for p in placements),
    )
