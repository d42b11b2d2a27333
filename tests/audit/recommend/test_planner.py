"""The recommender on small instances whose optimum is worked out by hand (tiny catalog in conftest)."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime
from typing import Any

import pytest

from infraaudit.audit.catalog import Catalog
from infraaudit.audit.config import Settings
from infraaudit.audit.errors import InfeasibleError, InputError
from infraaudit.audit.models import Capacity, Layout, Provider
from infraaudit.audit.recommend import Pricing, Quota, Request, Site, Workload, job_from_workload, plan_layout
from infraaudit.audit.recommend.options import OptionSpace, job_options
from infraaudit.audit.recommend.solve import Problem, prune, solve
from infraaudit.audit.recommend.speed import speed_table

NOW = datetime(2026, 11, 23, tzinfo=UTC)
SETTINGS = Settings()
NO_COMMIT = Pricing(committed_discount={})


def workload(name: str, **fields: Any) -> Workload:
    base: dict[str, Any] = {
        "kind": "inference",
        "gpu": {"memory_gib": 12},
        "demand": {"replicas": 1},
        "data_classification": "internal",
    }
    base.update(fields)
    return Workload.model_validate({"name": name, **base})


def site(name: str = "fra1", region: str = "eu-frankfurt", gpus: int = 2, cost: float = 0.3, **pool: Any) -> Site:
    return Site.model_validate(
        {
            "name": name,
            "region": region,
            "pools": [{"accelerator": "L4", "count": gpus, "memory_gib": 24, "cost_per_gpu_hour": cost, **pool}],
        }
    )


def plan(catalog: Catalog, workloads: list[Workload], pricing: Pricing = NO_COMMIT, **request: Any) -> Layout:
    jobs = [job_from_workload(w, SETTINGS) for w in workloads]
    return plan_layout(jobs, Request(pricing=pricing, **request), catalog, SETTINGS, now=NOW)


def by_name(layout: Layout) -> dict[str, Any]:
    return {p.workload: p for p in layout.placements}


# ------------------------------------------------------------------ single workloads, known optimum


def test_always_on_inference_takes_the_cheapest_on_demand_fit(catalog: Catalog) -> None:
    layout = plan(catalog, [workload("chat")])
    (p,) = layout.placements
    # 12 GiB fits one L4 (24 GiB x 0.9 usable); g.small on demand in us-east-1: 730 h x $1.00.
    assert (p.provider, p.region, p.instance_type, p.capacity) == (
        Provider.AWS,
        "us-east-1",
        "g.small",
        Capacity.ON_DEMAND,
    )
    assert p.monthly_cost_usd == 730.0
    assert p.instances == 1 and p.hours_per_month == 730.0
    assert layout.totals.monthly_cost_usd == 730.0
    assert layout.baselines.all_on_demand_usd == 730.0
    assert "g.small" in p.rationale and "next best" in p.rationale


def test_commitment_wins_for_always_on_when_discounted(catalog: Catalog) -> None:
    layout = plan(catalog, [workload("chat")], pricing=Pricing(committed_discount={Provider.AWS: 0.3}))
    (p,) = layout.placements
    assert p.capacity is Capacity.COMMITTED
    assert p.monthly_cost_usd == pytest.approx(730 * 0.7)  # $511.00


def test_a_zero_discount_commitment_is_priced_at_on_demand(catalog: Catalog) -> None:
    pricing = Pricing(committed_discount={Provider.AWS: 0.0})
    space = OptionSpace(catalog, (), pricing, speed_table(), frozenset())
    found = job_options(0, job_from_workload(workload("chat"), SETTINGS), space, exhaustive=True)
    committed = [o for o in found.every or [] if o.capacity is Capacity.COMMITTED and o.instance_type == "g.small"]
    assert [(o.region, o.monthly_cost_usd) for o in committed] == [("eu-west-1", 730 * 1.2), ("us-east-1", 730.0)]


def test_commitment_loses_for_part_time_work(catalog: Catalog) -> None:
    # 6 h/day = 182.5 h on demand ($182.50) vs a commitment billing 730 h x $0.70 = $511.
    layout = plan(catalog, [workload("night", demand={"replicas": 1, "hours_per_day": 6})], pricing=Pricing())
    assert layout.placements[0].capacity is Capacity.ON_DEMAND
    assert layout.placements[0].monthly_cost_usd == 182.5


def test_interruptible_work_goes_to_spot_with_the_overhead(catalog: Catalog) -> None:
    w = workload("batch", kind="batch", interruptible=True, demand={"replicas": 1, "hours_per_day": 12})
    layout = plan(catalog, [w])
    (p,) = layout.placements
    assert p.capacity is Capacity.SPOT
    # 365 h x $0.40 x 1.1 (10% interruption overhead) = $160.60
    assert p.monthly_cost_usd == pytest.approx(160.6)
    assert p.hours_per_month == 365.0


def test_realtime_never_on_spot(catalog: Catalog) -> None:
    with pytest.raises(ValueError, match="cannot be interruptible"):
        workload("chat", latency="realtime", interruptible=True)
    layout = plan(catalog, [workload("chat", latency="realtime")])
    assert layout.placements[0].capacity is Capacity.ON_DEMAND


def test_residency_keeps_eu_personal_data_in_eu(catalog: Catalog) -> None:
    layout = plan(catalog, [workload("eu", data_classification="eu-personal")])
    (p,) = layout.placements
    assert (p.region, p.instance_type, p.monthly_cost_usd) == ("eu-west-1", "g.small", pytest.approx(730 * 1.2))
    assert p.data_classification == "eu-personal"


def test_memory_picks_the_smallest_instance_that_fits(catalog: Catalog) -> None:
    # 30 GiB does not fit one L4 (21.6 usable) but fits g.quad (86.4) and the GCP A100 (36).
    layout = plan(catalog, [workload("mid", gpu={"memory_gib": 30})])
    (p,) = layout.placements
    assert p.instance_type == "a2-highgpu-1g" and p.monthly_cost_usd == pytest.approx(730 * 3.0)


def test_gpu_hours_are_converted_by_accelerator_speed(catalog: Catalog) -> None:
    w = workload("train", kind="training", gpu={"memory_gib": 12}, demand={"gpu_hours_per_month": 100})
    layout = plan(catalog, [w])
    (p,) = layout.placements
    speed = speed_table()["L4"]  # 121 / 312 of an A100
    # 100 A100-hours = 100 / speed L4-hours on one g.small at $1.00.
    assert p.instance_type == "g.small"
    assert p.gpu_hours_per_month == pytest.approx(100 / speed, rel=1e-3)
    assert p.monthly_cost_usd == pytest.approx(100 / speed, abs=0.01)


def test_deadline_runs_replicas_in_parallel(catalog: Catalog) -> None:
    w = workload(
        "train", kind="training", gpu={"memory_gib": 12}, demand={"gpu_hours_per_month": 100}, deadline_hours=100
    )
    (p,) = plan(catalog, [w]).placements
    # 257.9 L4-hours within 100 wall-clock hours: 3 single-GPU replicas of 86 h each.
    assert p.instances == 3
    assert p.hours_per_month == pytest.approx(100 / speed_table()["L4"] / 3, rel=1e-3)


def test_a_training_replica_spans_whole_8_gpu_nodes_only(catalog: Catalog) -> None:
    big = {"memory_gib": 700}
    (p,) = plan(catalog, [workload("train", kind="training", gpu=big, demand={"replicas": 1})]).placements
    assert (p.instance_type, p.instances) == ("g.big", 2)  # 700 GiB > 576 usable on one g.big
    with pytest.raises(InfeasibleError, match="no location allowed for internal .* 700.0 GiB"):
        plan(catalog, [workload("serve", gpu=big)])


def test_previous_generation_is_skipped_unless_allowed(catalog: Catalog) -> None:
    w = workload("cheap", gpu={"memory_gib": 10})
    assert plan(catalog, [w]).placements[0].accelerator == "L4"
    allowed = Pricing(committed_discount={}, allow_previous_generation=True, relative_speed={"V100": 0.4})
    assert plan(catalog, [w], pricing=allowed).placements[0].instance_type == "g.old"


def test_preferred_provider_wins_within_the_margin(catalog: Catalog) -> None:
    # on-prem at $1.03/GPU-hour ($751.90) vs g.small at $1.00 ($730): 3% dearer, within a 5% margin.
    sites = (site(cost=1.03),)
    assert plan(catalog, [workload("w")], sites=sites).placements[0].provider is Provider.AWS
    preferred = plan(catalog, [workload("w", prefer=["onprem"])], sites=sites).placements[0]
    assert preferred.site == "fra1" and preferred.monthly_cost_usd == pytest.approx(751.9)
    narrow = Pricing(committed_discount={}, preference_margin=0.01)
    assert plan(catalog, [workload("w", prefer=["onprem"])], pricing=narrow, sites=sites).placements[0].site is None


def test_forbidden_and_allowed_accelerators(catalog: Catalog) -> None:
    (p,) = plan(catalog, [workload("a", forbid=["aws"])]).placements
    assert p.provider is Provider.GCP
    (p,) = plan(catalog, [workload("b", accelerators=["A100-80GB"], kind="batch")]).placements
    assert p.instance_type == "g.big"


# ------------------------------------------------------------------ shared constraints


def test_on_prem_pool_is_used_up_to_its_gpus(catalog: Catalog) -> None:
    workloads = [workload(n) for n in ("a", "b", "c")]
    layout = plan(catalog, workloads, sites=(site(gpus=2),))
    on_prem = [p for p in layout.placements if p.site == "fra1"]
    assert len(on_prem) == 2  # two GPUs held by always-on fleets; the third goes to the cloud
    # 2 x 730 h x $0.30 + 730 h x $1.00
    assert layout.totals.monthly_cost_usd == pytest.approx(2 * 219 + 730)
    assert layout.totals.by_capacity == {"on_demand": 730.0, "on_prem": 438.0}


def test_restricted_data_gets_the_scarce_on_prem_gpu(catalog: Catalog) -> None:
    workloads = [workload("a-internal"), workload("b-restricted", data_classification="restricted")]
    layout = plan(catalog, workloads, sites=(site(gpus=1),))
    placed = by_name(layout)
    assert placed["b-restricted"].site == "fra1"
    assert placed["a-internal"].instance_type == "g.small"
    # greedy places the most constrained first and gets it right: $219 + $730
    assert layout.baselines.greedy_usd == layout.totals.monthly_cost_usd == 949.0
    # all on demand: a-internal on g.small ($730) + b-restricted at its on-prem cost ($219)
    assert layout.baselines.all_on_demand_usd == 949.0
    assert any("1 workload(s) with no cloud on-demand option" in n for n in layout.notes)
    assert layout.solver is not None and layout.solver.status == "optimal" and layout.solver.mip_gap <= 1e-3


def test_optimum_beats_greedy(catalog: Catalog) -> None:
    # One on-prem GPU ($219/month for either). Greedy serves 'a-batch' first (same number of options,
    # ties by name) and pushes 'b-service' to on-demand ($730): $949. The optimum gives the GPU to
    # b-service and sends the interruptible batch to spot (730 h x $0.40 x 1.1 = $321.20): $540.20.
    workloads = [workload("a-batch", kind="batch", interruptible=True), workload("b-service")]
    layout = plan(catalog, workloads, sites=(site(gpus=1),))
    placed = by_name(layout)
    assert placed["b-service"].site == "fra1"
    assert placed["a-batch"].capacity is Capacity.SPOT
    assert layout.totals.monthly_cost_usd == pytest.approx(540.2)
    assert layout.baselines.greedy_usd == pytest.approx(949.0)
    assert "needed by other workloads" in placed["a-batch"].rationale


def test_part_time_work_shares_a_pool_by_gpu_hours(catalog: Catalog) -> None:
    # 3 batch jobs of 12 h/day on a 2-GPU pool: 3 x 365 = 1,095 GPU-hours <= 2 x 730 x 0.85 = 1,241.
    workloads = [workload(n, kind="batch", demand={"replicas": 1, "hours_per_day": 12}) for n in "abc"]
    layout = plan(catalog, workloads, sites=(site(gpus=2),))
    assert all(p.site == "fra1" for p in layout.placements)
    # a fourth does not fit: 1,460 > 1,241
    layout = plan(catalog, [*workloads, workload("d", kind="batch", demand={"replicas": 1, "hours_per_day": 12})],
                  sites=(site(gpus=2),))  # fmt: skip
    assert sum(p.site == "fra1" for p in layout.placements) == 3


def test_quota_caps_spot_gpus(catalog: Catalog) -> None:
    quota = Quota(provider=Provider.AWS, region="us-*", accelerator="L4", capacity=Capacity.SPOT, max_gpus=1)
    workloads = [workload(n, kind="batch", interruptible=True) for n in ("a", "b")]
    layout = plan(catalog, workloads, quotas=(quota,))
    spots = [p for p in layout.placements if p.capacity is Capacity.SPOT and p.region == "us-east-1"]
    assert len(spots) == 1
    others = [p for p in layout.placements if p not in spots]
    # next best: spot g.small in eu-west-1 at 730 x 0.5 x 1.1
    assert others[0].region == "eu-west-1" and others[0].monthly_cost_usd == pytest.approx(401.5)
    assert "needed by other workloads" in others[0].rationale


def test_budget_moves_work_to_cheaper_options(catalog: Catalog) -> None:
    w = workload("chat", latency="realtime", data_classification="eu-personal")
    with pytest.raises(InfeasibleError, match=r"budget \$500/month is short by 376.0 USD .* chat"):
        plan(catalog, [w], budget_usd=500)
    with pytest.raises(InfeasibleError, match=r"cheapest fitting option costs \$876.00/month, over its budget"):
        plan(catalog, [workload("chat", data_classification="eu-personal", budget_usd=500)])


# ------------------------------------------------------------------ infeasible inputs say why


def test_restricted_data_without_a_site_is_explained(catalog: Catalog) -> None:
    with pytest.raises(InfeasibleError) as caught:
        plan(catalog, [workload("secret", data_classification="restricted")])
    message = str(caught.value)
    assert "workload secret: no location allowed for restricted (onprem:*)" in message
    assert "residency" in message


def test_on_prem_shortage_names_the_workloads(catalog: Catalog) -> None:
    workloads = [workload(n, data_classification="restricted") for n in ("r1", "r2", "r3")]
    with pytest.raises(InfeasibleError) as caught:
        plan(catalog, workloads, sites=(site(gpus=2),))
    # 3 always-on GPUs on a 2-GPU pool: one GPU's bookable month (730 h x 0.85) too many.
    assert "on-prem site fra1 pool 1 (2 x L4) is short by 620.5 GPU-hours" in str(caught.value)
    assert "r1, r2, r3" in str(caught.value)


def test_bad_model_is_an_input_error(catalog: Catalog) -> None:
    with pytest.raises(InputError, match="workload w:"):
        plan(catalog, [workload("w", gpu=None, kind="training", model={"params_billion": 7, "precision": "int4"})])


def test_nothing_to_place(catalog: Catalog) -> None:
    with pytest.raises(InputError, match="nothing to place"):
        plan(catalog, [])


# ------------------------------------------------------------------ exactness and determinism


def _random_instance(rng: random.Random) -> tuple[list[Workload], Request]:
    workloads = []
    for i in range(4):
        kind = rng.choice(["inference", "batch", "training"])
        demand: dict[str, Any] = (
            {"gpu_hours_per_month": rng.choice([50, 200, 800])}
            if kind == "training"
            else {"replicas": rng.randint(1, 3), "hours_per_day": rng.choice([6, 24])}
        )
        workloads.append(
            workload(
                f"w{i}",
                kind=kind,
                gpu={"memory_gib": rng.choice([8, 20, 30, 60])},
                demand=demand,
                interruptible=kind != "inference" and rng.random() < 0.7,
                data_classification=rng.choice(["internal", "eu-personal", "restricted", "public"]),
            )
        )
    quota = Quota(
        provider=Provider.AWS, region="*", accelerator="L4", capacity=Capacity.SPOT, max_gpus=rng.randint(1, 4)
    )
    sites = (site(gpus=rng.randint(2, 6), cost=rng.choice([0.2, 0.9])),)
    return workloads, Request(sites=sites, pricing=Pricing(), quotas=(quota,), budget_usd=rng.choice([None, 20000.0]))


@pytest.mark.parametrize("seed", range(8))
def test_pruned_model_matches_brute_force(catalog: Catalog, seed: int) -> None:
    """The optimum over the non-dominated options equals the best feasible combination of all options."""
    workloads, request = _random_instance(random.Random(seed))
    jobs = [job_from_workload(w, SETTINGS) for w in workloads]
    space = OptionSpace(catalog, request.sites, request.pricing, speed_table(), frozenset({"V100"}))
    budget = request.budget_usd is not None
    found = [
        job_options(i, j, space, quotas=request.quotas, budget=budget, exhaustive=True) for i, j in enumerate(jobs)
    ]
    full = [f.every or [] for f in found]
    if not all(full):
        pytest.skip("some workload has no option at all")
    pruned = [prune(f.candidates, request.quotas, budget) for f in found]
    solution = solve(Problem(jobs, pruned, request.sites, request.quotas, request.budget_usd))

    best = None
    for combo in itertools.product(*full):
        site_ = request.sites[0]
        bookable = 730 * site_.max_utilization
        booked = sum(
            o.concurrent_gpus * bookable if j.always_on else o.gpu_hours
            for o, j in zip(combo, jobs, strict=True)
            if o.site
        )
        quota_gpus = sum(
            o.concurrent_gpus
            for o in combo
            if o.provider is Provider.AWS and o.accelerator == "L4" and o.capacity is Capacity.SPOT
        )
        feasible = (
            booked <= site_.pools[0].count * bookable + 1e-6
            and quota_gpus <= request.quotas[0].max_gpus
            and (request.budget_usd is None or sum(o.monthly_cost_usd for o in combo) <= request.budget_usd)
        )
        if feasible:
            cost = sum(o.objective_usd for o in combo)
            best = cost if best is None else min(best, cost)
    if best is None:
        assert solution.chosen is None
    else:
        assert solution.chosen is not None
        assert sum(o.objective_usd for o in solution.chosen) == pytest.approx(best, rel=1e-6)


def test_layout_is_deterministic(catalog: Catalog) -> None:
    workloads, request = _random_instance(random.Random(3))
    jobs = [job_from_workload(w, SETTINGS) for w in workloads]
    first = plan_layout(jobs, request, catalog, SETTINGS, now=NOW)
    second = plan_layout(jobs, request, catalog, SETTINGS, now=NOW)
    strip = {"solver": {"solve_seconds"}}
    assert first.model_dump(exclude=strip) == second.model_dump(exclude=strip)
