"""Every way one workload could run: (site pool | provider+region+instance type) × capacity type.

An Option carries what it costs and what shared capacity it uses (concurrent GPUs, GPU-hours), so
the optimiser only has to pick one per workload. Filters that concern one workload alone (residency,
memory fit, spot only when interruptible, allowed accelerators, its budget) are applied here; each
filter counts what it removed, so an empty result can be explained (`Rejections`).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import cached_property

import numpy as np

from ..catalog import Catalog, Offer
from ..models import HOURS_PER_MONTH, Capacity, Provider
from .inputs import Demand, LatencyClass, Pricing, Quota, Site, Workload
from .sizing import WorkloadKind

MAX_NODES_PER_REPLICA = 16  # a training replica may span this many instances (data/pipeline parallel)
# Only whole multi-GPU nodes are worth sharding a replica across (they are the sizes with fast
# interconnects: EFA, GPUDirect-TCPX); a replica on smaller instances must fit in one.
MIN_GPUS_TO_SPAN = 8
ALWAYS_ON_HOURS_PER_DAY = 24


@dataclass(frozen=True)
class Job:
    """A workload ready to place: its need per replica and where it may run."""

    workload: Workload
    need_gib: float  # GPU memory one replica needs
    min_gpus: int  # GPUs one replica needs at least
    sizing: str  # how need_gib was obtained (one line)
    locations: tuple[str, ...]  # allowed '<provider>:<region>' glob patterns
    classification: str | None
    source_uid: str | None = None
    current_monthly_cost_usd: float | None = None

    @property
    def name(self) -> str:
        return self.workload.name

    @property
    def may_span_instances(self) -> bool:
        return self.workload.kind in (WorkloadKind.TRAINING, WorkloadKind.FINE_TUNING, WorkloadKind.BATCH)

    @property
    def spot_allowed(self) -> bool:
        return self.workload.interruptible and self.workload.latency not in (
            LatencyClass.REALTIME,
            LatencyClass.INTERACTIVE,
        )

    @property
    def always_on(self) -> bool:
        demand = self.workload.demand
        return demand.replicas is not None and (demand.hours_per_day or ALWAYS_ON_HOURS_PER_DAY) >= 24


@dataclass(frozen=True)
class Option:
    job: int  # index of the job
    provider: Provider
    region: str
    capacity: Capacity
    accelerator: str
    gpus_per_instance: int
    gpu_memory_gib_per_instance: float
    instances: int
    hours_per_month: float  # per instance, as run (overhead included)
    monthly_cost_usd: float
    objective_usd: float  # the cost the optimiser minimises (preference margin applied)
    instance_type: str | None = None
    site: str | None = None
    pool: int | None = None  # index of the pool within the site

    @property
    def concurrent_gpus(self) -> int:
        return self.instances * self.gpus_per_instance

    @property
    def gpu_hours(self) -> float:
        return self.instances * self.gpus_per_instance * self.hours_per_month

    @property
    def location(self) -> str:
        return f"{self.provider.value}:{self.region}"


@dataclass
class Rejections:
    """Why options of one job were dropped, filter by filter (the first empty stage explains infeasibility)."""

    counts: Counter[str] = field(default_factory=Counter)
    cheapest_over_budget: float | None = None

    def over_budget(self, cheapest: float, count: int = 1) -> None:
        """`count` options dropped by the workload's budget, the cheapest of them costing `cheapest`."""
        best = self.cheapest_over_budget
        self.cheapest_over_budget = cheapest if best is None else min(best, cheapest)
        self.counts["budget"] += count


def location_allowed(location: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatchcase(location, pattern) for pattern in patterns)


def quota_covers(quota: Quota, provider: Provider, region: str, accelerator: str) -> bool:
    """Whether GPUs of this accelerator in this provider region count against the quota (any capacity)."""
    return (
        provider is quota.provider and fnmatchcase(region, quota.region) and fnmatchcase(accelerator, quota.accelerator)
    )


def preference_factor(workload: Workload, provider: Provider, margin: float) -> float:
    """The objective's factor on a provider's cost: 1 + margin unless the workload prefers it (or none)."""
    return 1 + margin if workload.prefer and provider not in workload.prefer else 1.0


def _committed_factor(pricing: Pricing, provider: Provider) -> float:
    """On-demand price × this under a commitment; NaN (no commitment) without a configured discount."""
    discount = pricing.committed_discount.get(provider)
    return np.nan if discount is None else 1 - discount


def option_order(option: Option) -> tuple[object, ...]:
    """Deterministic order: cheapest first, then by where and what."""
    return (
        round(option.objective_usd, 6),
        round(option.monthly_cost_usd, 6),
        option.concurrent_gpus,
        option.provider.value,
        option.region,
        option.site or "",
        option.instance_type or option.accelerator,
        option.capacity.value,
    )


@dataclass(frozen=True)
class _Shapes:
    """How a replica maps onto instances of each shape (GPUs and memory per instance), per shape."""

    fits: np.ndarray  # the replica fits (on one instance, or spans whole nodes where allowed)
    instances: np.ndarray
    hours: np.ndarray  # wall-clock hours each instance runs
    paid: np.ndarray  # hours each instance is paid for (spot overhead on an always-on fleet included)


def _shapes(job: Job, gpus: np.ndarray, memory: np.ndarray, speed: np.ndarray, pricing: Pricing, spot: bool) -> _Shapes:
    """Instances and hours for shapes of `gpus` GPUs and `memory` GiB each (NaN: unknown, never fits)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        usable = memory * pricing.usable_memory_fraction
        nodes = np.maximum(np.ceil(job.need_gib / usable - 1e-9), np.ceil(job.min_gpus / gpus - 1e-9))
        nodes = np.maximum(nodes, 1)
        fits = nodes == 1
        if job.may_span_instances:
            fits |= (gpus >= MIN_GPUS_TO_SPAN) & (nodes <= MAX_NODES_PER_REPLICA)
        demand: Demand = job.workload.demand
        overhead = 1 + pricing.spot_interruption_overhead if spot else 1.0
        if demand.gpu_hours_per_month is not None:
            fits &= ~np.isnan(speed)  # GPU-hours cannot be converted to an accelerator without a speed
            run_hours = demand.gpu_hours_per_month / speed * overhead / (nodes * gpus)
            window = job.workload.deadline_hours or HOURS_PER_MONTH
            replicas = np.maximum(1, np.ceil(run_hours / window - 1e-9))
            return _Shapes(fits, replicas * nodes, run_hours / replicas, run_hours / replicas)
        # A fleet of replicas: preemptions do not lengthen the month, they cost replacement capacity.
        hours = np.full(gpus.shape, (demand.hours_per_day or ALWAYS_ON_HOURS_PER_DAY) * HOURS_PER_MONTH / 24)
        return _Shapes(fits, (demand.replicas or 1) * nodes, hours, hours * overhead)


@dataclass(frozen=True)
class OfferTable:
    """The catalog's cloud offers as arrays, so one job's options are computed in a few vector steps.
    Offers are ordered by provider, instance type and region: that order breaks exact price ties."""

    offers: tuple[Offer, ...]
    speeds: dict[str, float]
    excluded: frozenset[str]

    @cached_property
    def arrays(self) -> dict[str, np.ndarray]:
        def column(values: list[float | None]) -> np.ndarray:
            return np.array([np.nan if v is None else v for v in values], dtype=np.float64)

        offers = self.offers
        return {
            "gpus": column([o.accelerator_count for o in offers]),
            "memory": column([o.gpu_memory_gib for o in offers]),
            "on_demand": column([o.on_demand for o in offers]),
            "spot": column([o.spot for o in offers]),
            "speed": column([self.speeds.get(o.accelerator or "") for o in offers]),
            "known": np.array(
                [
                    o.accelerator is not None and o.accelerator_count is not None and o.gpu_memory_gib is not None
                    for o in offers
                ]
            ),  # fmt: skip
            "excluded": np.array([o.accelerator in self.excluded for o in offers]),
        }

    @cached_property
    def accelerators(self) -> np.ndarray:
        return np.array([o.accelerator or "" for o in self.offers], dtype=object)

    @cached_property
    def providers(self) -> np.ndarray:
        return np.array([o.provider.value for o in self.offers], dtype=object)

    def per_provider(self, value: Callable[[Provider], float]) -> np.ndarray:
        """`value(provider)` for each offer's provider (offers are AWS or GCP)."""
        return np.where(self.providers == Provider.GCP.value, value(Provider.GCP), value(Provider.AWS))

    @cached_property
    def _masks(self) -> dict[tuple[str, ...], np.ndarray]:
        return {}

    def quota_mask(self, quota: Quota) -> np.ndarray:
        """Offers a quota covers, whatever the capacity type (cached per quota)."""
        key = ("quota", quota.provider.value, quota.region, quota.accelerator)
        mask = self._masks.get(key)
        if mask is None:
            mask = np.array([quota_covers(quota, o.provider, o.region, o.accelerator or "") for o in self.offers])
            self._masks[key] = mask
        return mask

    def allowed(self, patterns: tuple[str, ...]) -> np.ndarray:
        """Offers whose '<provider>:<region>' matches a pattern (cached: jobs share few pattern sets)."""
        mask = self._masks.get(patterns)
        if mask is None:
            mask = np.array([location_allowed(f"{o.provider.value}:{o.region}", patterns) for o in self.offers])
            self._masks[patterns] = mask
        return mask


@dataclass(frozen=True)
class OptionSpace:
    """What options are generated from: the catalog, the sites and the pricing knobs."""

    catalog: Catalog
    sites: tuple[Site, ...]
    pricing: Pricing
    speeds: dict[str, float]
    excluded_accelerators: frozenset[str]  # previous generation, unless allowed

    def cloud_offers(self) -> list[Offer]:
        offers: list[Offer] = []
        for provider in (Provider.AWS, Provider.GCP):
            for instance_type in self.catalog.instance_types(provider):
                offers.extend(self.catalog.offers_for(provider, instance_type))
        return offers

    @cached_property
    def table(self) -> OfferTable:
        return OfferTable(tuple(self.cloud_offers()), self.speeds, self.excluded_accelerators)


@dataclass(frozen=True)
class JobOptions:
    """One job's options: what the optimiser chooses from, and what explains and compares the choice."""

    candidates: list[Option]  # a superset of the job's non-dominated options (see solve.prune)
    cheapest: list[Option]  # the few cheapest options of any kind, for the rationale
    cheapest_on_demand_usd: float | None  # cloud on-demand, for the all-on-demand baseline
    cheapest_on_prem_usd: float | None
    rejected: Rejections
    total: int  # options that pass the job's own filters (most are never built as Options)
    every: list[Option] | None = None  # all options, when asked for (tests)


_CAPACITY_CODES = (Capacity.ON_DEMAND, Capacity.SPOT, Capacity.COMMITTED)


def job_options(
    index: int,
    job: Job,
    space: OptionSpace,
    *,
    quotas: Sequence[Quota] = (),
    budget: bool = False,
    exhaustive: bool = False,
) -> JobOptions:
    """The job's options that pass its own filters. Cloud options are computed as arrays over the
    catalog; only those that can be optimal are built as Options: per quota signature (the quotas an
    option counts against) the cheapest, or with a budget the cost/objective frontier; options that
    count against a quota are all kept for `solve.prune`."""
    workload = job.workload
    pricing = space.pricing
    rejected = Rejections()
    on_prem = _on_prem_options(index, job, space, rejected)
    table = space.table
    a = table.arrays
    n = len(table.offers)

    def drop(mask: np.ndarray, keep: np.ndarray, reason: str) -> np.ndarray:
        rejected.counts[reason] += int(np.count_nonzero(mask & ~keep))
        kept: np.ndarray = mask & keep
        return kept

    mask = np.ones(n, dtype=bool)
    forbidden = {p.value for p in workload.forbid}
    if forbidden:
        mask = drop(mask, ~np.isin(table.providers, list(forbidden)), "forbidden provider")
    mask = drop(mask, table.allowed(job.locations), "residency")
    if workload.accelerators:
        mask = drop(mask, a["known"], "unsupported accelerator")
        mask = drop(mask, np.isin(table.accelerators, workload.accelerators), "accelerator")
    else:
        mask = drop(mask, a["known"] & ~np.isnan(a["speed"]), "unsupported accelerator")
        mask = drop(mask, ~a["excluded"], "previous generation")

    gpus, memory = a["gpus"], a["memory"]
    columns: list[tuple[Capacity, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    for capacity in _CAPACITY_CODES:
        if capacity is Capacity.SPOT and not job.spot_allowed:
            continue
        if capacity is Capacity.ON_DEMAND:
            price = a["on_demand"]
        elif capacity is Capacity.SPOT:
            price = a["spot"]
        else:  # no discount configured for a provider: no commitment there (NaN)
            price = a["on_demand"] * table.per_provider(lambda p: _committed_factor(pricing, p))
        priced = drop(mask, ~np.isnan(price), f"no {capacity.value} price")
        shape = _shapes(job, gpus, memory, a["speed"], pricing, capacity is Capacity.SPOT)
        valid = drop(priced, shape.fits, "memory")
        # A commitment bills every hour of the month.
        paid = np.full(n, float(HOURS_PER_MONTH)) if capacity is Capacity.COMMITTED else shape.paid
        with np.errstate(invalid="ignore"):
            cost = shape.instances * paid * price
        if workload.budget_usd is not None:
            over = valid & (cost > workload.budget_usd)
            if over.any():
                rejected.over_budget(float(cost[over].min()), int(np.count_nonzero(over)))
                valid = valid & ~over
        columns.append((capacity, valid, cost, shape.instances, shape.hours))

    objective_factor = table.per_provider(lambda p: preference_factor(workload, p, pricing.preference_margin))

    def build(capacity: Capacity, i: int, cost: np.ndarray, instances: np.ndarray, hours: np.ndarray) -> Option:
        offer = table.offers[i]
        return Option(
            job=index,
            provider=offer.provider,
            region=offer.region,
            capacity=capacity,
            accelerator=offer.accelerator or "",
            gpus_per_instance=int(gpus[i]),
            gpu_memory_gib_per_instance=float(memory[i]),
            instances=int(instances[i]),
            hours_per_month=float(hours[i]),
            monthly_cost_usd=float(cost[i]),
            objective_usd=float(cost[i] * objective_factor[i]),
            instance_type=offer.instance_type,
        )

    every = [*on_prem] if exhaustive else None
    cloud: list[Option] = []
    cheapest_cloud: list[Option] = []
    cheapest_on_demand: float | None = None
    for capacity, valid, cost, instances, hours in columns:
        chosen = np.flatnonzero(valid)
        if chosen.size == 0:
            continue
        if every is not None:
            every.extend(build(capacity, int(i), cost, instances, hours) for i in chosen)
        if capacity is Capacity.ON_DEMAND:
            cheapest_on_demand = float(cost[chosen].min())
        objective = cost[chosen] * objective_factor[chosen]
        # Cheapest first; exact ties by catalog order.
        order = chosen[np.lexsort((chosen, np.round(cost[chosen], 6), np.round(objective, 6)))]
        cheapest_cloud.extend(build(capacity, int(i), cost, instances, hours) for i in order[:4])
        # The quotas each option counts against, as a bit set per option.
        signature = np.zeros(order.size, dtype=np.int64)
        for q, quota in enumerate(quotas):
            if quota.capacity is None or quota.capacity is capacity:
                signature |= table.quota_mask(quota)[order].astype(np.int64) << q
        free = order[signature == 0]
        if free.size and budget:  # the frontier of objective and cost, cheapest objective first
            best_cost = math.inf
            for i in free:
                if cost[i] < best_cost - 1e-9:
                    best_cost = float(cost[i])
                    cloud.append(build(capacity, int(i), cost, instances, hours))
        elif free.size:  # nothing shared but the objective: only the cheapest can be optimal
            cloud.append(build(capacity, int(free[0]), cost, instances, hours))
        # Options that count against a quota: solve.prune keeps the non-dominated ones.
        cloud.extend(build(capacity, int(i), cost, instances, hours) for i in order[signature != 0])
    from_all = sorted([*on_prem, *cheapest_cloud], key=option_order)[:4]
    return JobOptions(
        candidates=[*on_prem, *cloud],
        cheapest=from_all,
        cheapest_on_demand_usd=cheapest_on_demand,
        cheapest_on_prem_usd=min((o.monthly_cost_usd for o in on_prem), default=None),
        rejected=rejected,
        total=len(on_prem) + sum(int(np.count_nonzero(valid)) for _, valid, *_ in columns),
        every=every,
    )


def _on_prem_options(index: int, job: Job, space: OptionSpace, rejected: Rejections) -> list[Option]:
    workload = job.workload
    pricing = space.pricing
    factor = preference_factor(workload, Provider.ONPREM, pricing.preference_margin)
    found: list[Option] = []
    for site in space.sites:
        if Provider.ONPREM in workload.forbid:
            rejected.counts["forbidden provider"] += len(site.pools)
            continue
        if not location_allowed(f"{Provider.ONPREM.value}:{site.region}", job.locations):
            rejected.counts["residency"] += len(site.pools)
            continue
        for pool_index, pool in enumerate(site.pools):
            if workload.accelerators and pool.accelerator not in workload.accelerators:
                rejected.counts["accelerator"] += 1
                continue
            if not workload.accelerators and pool.accelerator not in space.speeds:
                rejected.counts["unsupported accelerator"] += 1
                continue
            if not workload.accelerators and pool.accelerator in space.excluded_accelerators:
                rejected.counts["previous generation"] += 1
                continue
            # A replica takes as many of the pool's GPUs as its memory needs: one shape that fits.
            gpus = max(math.ceil(job.need_gib / (pool.memory_gib * pricing.usable_memory_fraction) - 1e-9),
                       job.min_gpus, 1)  # fmt: skip
            if gpus > pool.gpus_per_host and not job.may_span_instances:
                rejected.counts["memory"] += 1
                continue
            speed = space.speeds.get(pool.accelerator, np.nan)
            shape = _shapes(
                job, np.array([gpus]), np.array([gpus * pool.memory_gib]), np.array([speed]), pricing, False
            )
            instances, hours = int(shape.instances[0]), float(shape.hours[0])
            if not shape.fits[0] or instances * gpus > pool.count:
                rejected.counts["memory" if not shape.fits[0] else "capacity"] += 1
                continue
            cost = instances * gpus * hours * pool.cost_per_gpu_hour
            if workload.budget_usd is not None and cost > workload.budget_usd:
                rejected.over_budget(cost)
                continue
            found.append(
                Option(
                    job=index,
                    provider=Provider.ONPREM,
                    region=site.region,
                    capacity=Capacity.ON_PREM,
                    accelerator=pool.accelerator,
                    gpus_per_instance=gpus,
                    gpu_memory_gib_per_instance=gpus * pool.memory_gib,
                    instances=instances,
                    hours_per_month=hours,
                    monthly_cost_usd=cost,
                    objective_usd=cost * factor,
                    site=site.name,
                    pool=pool_index,
                )
            )
    return found
