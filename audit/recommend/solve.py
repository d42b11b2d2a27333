"""The placement MILP, solved by HiGHS (highspy).

    minimise   Σ_o objective_o · x_o
    subject to Σ_{o of job j} x_o = 1                                for every job j
               Σ_{o on pool p} booked_o · x_o ≤ GPUs_p · 730 · max_utilization_p
                   (booked: GPU-hours of part-time work; GPUs × 730 · max_utilization for an
                    always-on fleet, which holds its GPUs the whole month)
               Σ_{o matching quota q} gpus_o · x_o ≤ max_gpus_q
               Σ_o cost_o · x_o ≤ budget                              (when a budget is given)
               x_o ∈ {0, 1}

Before the model is built, each job's options are pruned to those not dominated: an option is
dropped when another one of the same job touches the same shared constraints and is no worse on
objective, cost and GPUs. Replacing a dominated choice by its dominator never breaks a constraint
nor raises the objective, so the optimum of the pruned model is the optimum of the full one.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property

import highspy
import numpy as np

from ..models import HOURS_PER_MONTH, SolverInfo
from .inputs import Quota, Site
from .options import Job, Option, option_order, quota_covers

MIP_REL_GAP = 1e-3  # stop once the incumbent is proven within 0.1% of the optimum (issue target: 0.5%)
TIME_LIMIT_S = 60.0


@dataclass(frozen=True)
class SharedConstraint:
    """One row that couples jobs: a pool's GPU-hours or GPUs, a quota, or the budget."""

    name: str  # readable, for explanations
    limit: float
    unit: str  # of the limit: "GPU-hours", "GPUs" or "USD"


@dataclass(frozen=True)
class Problem:
    jobs: Sequence[Job]
    options: Sequence[Sequence[Option]]  # per job, already filtered
    sites: Sequence[Site]
    quotas: Sequence[Quota]
    budget_usd: float | None

    @cached_property
    def flat(self) -> list[Option]:
        """Every option, in column order."""
        return [o for options in self.options for o in options]

    @cached_property
    def rows(self) -> list[tuple[SharedConstraint, list[tuple[int, float]]]]:
        """The shared constraints with their (column, coefficient) entries (built once: the greedy
        baseline, the solve and the infeasibility explanation all read them)."""
        return _rows(self, self.flat)


@dataclass(frozen=True)
class Solution:
    chosen: list[Option] | None  # per job; None when infeasible
    info: SolverInfo | None
    violated: list[tuple[SharedConstraint, float, list[str]]]  # when infeasible: constraint, excess, jobs on it


def quota_matches(quota: Quota, option: Option) -> bool:
    return quota_covers(quota, option.provider, option.region, option.accelerator) and (
        quota.capacity is None or quota.capacity is option.capacity
    )


def _signature(option: Option, quotas: Sequence[Quota]) -> tuple[object, ...]:
    if option.site is not None:
        return ("pool", option.site, option.pool)
    return tuple(i for i, quota in enumerate(quotas) if quota_matches(quota, option))


def prune(options: Sequence[Option], quotas: Sequence[Quota], budget: bool) -> list[Option]:
    """The options of one job that no other option of the same constraint signature dominates."""
    kept: dict[tuple[object, ...], list[Option]] = {}
    for option in sorted(options, key=option_order):
        signature = _signature(option, quotas)
        group = kept.setdefault(signature, [])
        if not signature and not budget and group:
            continue  # touches nothing shared: only the cheapest can be optimal
        if any(
            k.objective_usd <= option.objective_usd
            and k.monthly_cost_usd <= option.monthly_cost_usd
            and k.concurrent_gpus <= option.concurrent_gpus
            and k.gpu_hours <= option.gpu_hours
            for k in group
        ):
            continue
        group.append(option)
    return sorted((o for group in kept.values() for o in group), key=option_order)


@contextmanager
def _quiet_stdout() -> Iterator[None]:
    """HiGHS prints a banner on stdout from C++ when constructed; stdout belongs to the report."""
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def _new_highs(time_limit_s: float) -> highspy.Highs:
    with _quiet_stdout():
        highs = highspy.Highs()  # type: ignore[no-untyped-call]
    for option, value in (
        ("output_flag", False),
        ("threads", 1),
        ("random_seed", 0),
        ("mip_rel_gap", MIP_REL_GAP),
        ("time_limit", time_limit_s),
    ):
        highs.setOptionValue(option, value)
    return highs


def highs_version(highs: highspy.Highs) -> str:
    return f"{highs.versionMajor()}.{highs.versionMinor()}.{highs.versionPatch()}"


def _rows(problem: Problem, flat: Sequence[Option]) -> list[tuple[SharedConstraint, list[tuple[int, float]]]]:
    """The shared constraints with their (column, coefficient) entries; rows nobody touches are left out."""
    rows: list[tuple[SharedConstraint, list[tuple[int, float]]]] = []
    for site in problem.sites:
        for p, pool in enumerate(site.pools):
            on_pool = [(c, o) for c, o in enumerate(flat) if o.site == site.name and o.pool == p]
            if not on_pool:
                continue
            # Bookable GPU-hours: part-time work books its hours; an always-on fleet holds its GPUs
            # the whole month, i.e. all the bookable hours of each GPU it holds.
            bookable = HOURS_PER_MONTH * site.max_utilization
            entries = [
                (c, o.concurrent_gpus * bookable if problem.jobs[o.job].always_on else o.gpu_hours) for c, o in on_pool
            ]
            label = f"on-prem site {site.name} pool {p + 1} ({pool.count} x {pool.accelerator})"
            rows.append((SharedConstraint(label, pool.count * bookable, "GPU-hours"), entries))
    for quota in problem.quotas:
        entries = [(c, float(o.concurrent_gpus)) for c, o in enumerate(flat) if quota_matches(quota, o)]
        if entries:
            where = f"{quota.provider.value}:{quota.region} {quota.accelerator}"
            market = f" {quota.capacity.value}" if quota.capacity else ""
            rows.append(
                (
                    SharedConstraint(f"quota {where}{market} (max {quota.max_gpus} GPUs)", quota.max_gpus, "GPUs"),
                    entries,
                )
            )
    if problem.budget_usd is not None:
        rows.append(
            (
                SharedConstraint(f"budget ${problem.budget_usd:,.0f}/month", problem.budget_usd, "USD"),
                [(c, o.monthly_cost_usd) for c, o in enumerate(flat)],
            )
        )
    return rows


def _model(
    problem: Problem,
    flat: Sequence[Option],
    rows: Sequence[tuple[SharedConstraint, list[tuple[int, float]]]],
    elastic: bool,
) -> highspy.HighsLp:
    """Columns: x_o per option (then, when elastic, one slack per shared row); rows: one per job, then shared."""
    n_x = len(flat)
    n_slack = len(rows) if elastic else 0
    columns: list[list[tuple[int, float]]] = [[] for _ in range(n_x + n_slack)]
    for c, option in enumerate(flat):
        columns[c].append((option.job, 1.0))
    n_jobs = len(problem.jobs)
    for r, (_, entries) in enumerate(rows):
        for c, value in entries:
            columns[c].append((n_jobs + r, value))
        if elastic:
            columns[n_x + r].append((n_jobs + r, -1.0))

    lp = highspy.HighsLp()
    lp.num_col_ = n_x + n_slack
    lp.num_row_ = n_jobs + len(rows)
    if elastic:  # minimise the excess over each shared limit, relative to the limit
        cost = [0.0] * n_x + [1.0 / max(row.limit, 1.0) for row, _ in rows]
    else:
        cost = [o.objective_usd for o in flat]
    lp.col_cost_ = np.array(cost, dtype=np.float64)
    lp.col_lower_ = np.zeros(n_x + n_slack)
    lp.col_upper_ = np.concatenate([np.ones(n_x), np.full(n_slack, highspy.kHighsInf)])
    lp.row_lower_ = np.concatenate([np.ones(n_jobs), np.full(len(rows), -highspy.kHighsInf)])
    lp.row_upper_ = np.concatenate([np.ones(n_jobs), np.array([row.limit for row, _ in rows], dtype=np.float64)])
    starts, indices, values = [0], [], []
    for column in columns:
        for row_index, value in sorted(column):
            indices.append(row_index)
            values.append(value)
        starts.append(len(indices))
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.array(indices, dtype=np.int32)
    lp.a_matrix_.value_ = np.array(values, dtype=np.float64)
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n_x + [highspy.HighsVarType.kContinuous] * n_slack
    return lp


def solve(problem: Problem, *, start: Sequence[Option] | None = None, time_limit_s: float = TIME_LIMIT_S) -> Solution:
    """The cheapest choice per job under the shared constraints; every job must have an option.
    `start` (e.g. the greedy layout) is given to HiGHS as a first incumbent: the result is never worse."""
    flat, rows = problem.flat, problem.rows
    started = time.perf_counter()
    highs = _new_highs(time_limit_s)
    highs.passModel(_model(problem, flat, rows, elastic=False))
    if start is not None:
        chosen_ids = {id(o) for o in start}
        incumbent = highspy.HighsSolution()
        incumbent.col_value = [1.0 if id(o) in chosen_ids else 0.0 for o in flat]
        highs.setSolution(incumbent)
    highs.run()
    status = highs.getModelStatus()
    seconds = time.perf_counter() - started
    if status == highspy.HighsModelStatus.kInfeasible:
        return Solution(None, None, _violations(problem, time_limit_s))
    info = highs.getInfo()
    values = highs.getSolution().col_value
    if (
        status not in (highspy.HighsModelStatus.kOptimal, highspy.HighsModelStatus.kTimeLimit)
        or info.primal_solution_status != 2
    ):
        raise RuntimeError(f"HiGHS stopped without a solution ({highs.modelStatusToString(status)})")
    chosen: list[Option | None] = [None] * len(problem.jobs)
    for c, option in enumerate(flat):
        if values[c] > 0.5:
            chosen[option.job] = option
    if any(c is None for c in chosen):
        raise RuntimeError("HiGHS returned a solution that leaves a workload unplaced")
    objective = float(info.objective_function_value)
    bound = float(info.mip_dual_bound)
    solver = SolverInfo(
        version=highs_version(highs),
        status=highs.modelStatusToString(status).lower(),
        objective_usd=round(objective, 2),
        best_bound_usd=round(bound, 2),
        mip_gap=max(0.0, float(info.mip_gap)) if objective > 0 else 0.0,
        solve_seconds=round(seconds, 3),
        variables=len(flat),
        constraints=len(problem.jobs) + len(rows),
    )
    return Solution([c for c in chosen if c is not None], solver, [])


def _violations(problem: Problem, time_limit_s: float) -> list[tuple[SharedConstraint, float, list[str]]]:
    """Which shared constraints must give: the elastic model minimises the (relative) excess over
    each limit; the rows left with an excess, and the jobs placed on them, explain the infeasibility."""
    flat, rows = problem.flat, problem.rows
    highs = _new_highs(time_limit_s)
    highs.passModel(_model(problem, flat, rows, elastic=True))
    highs.run()
    if highs.getModelStatus() not in (highspy.HighsModelStatus.kOptimal, highspy.HighsModelStatus.kTimeLimit):
        return []
    values = highs.getSolution().col_value
    n_x = len(flat)
    found = []
    for r, (row, entries) in enumerate(rows):
        excess = float(values[n_x + r])
        if excess > 1e-6:
            jobs = sorted({problem.jobs[flat[c].job].name for c, _ in entries if values[c] > 0.5})
            found.append((row, excess, jobs))
    return found


def greedy(problem: Problem) -> tuple[list[Option] | None, int]:
    """The usual manual approach: workloads that can only run on-prem first, then the largest, each
    taking its cheapest option that still fits the shared capacity left (pools, quotas, budget).
    Returns the picks (None when it paints itself into a corner) and how many it left without room."""
    flat, rows = problem.flat, problem.rows
    column = {id(o): c for c, o in enumerate(flat)}
    usage: dict[int, list[tuple[int, float]]] = {}
    for r, (_, entries) in enumerate(rows):
        for c, value in entries:
            usage.setdefault(c, []).append((r, value))
    left = [row.limit for row, _ in rows]
    order = sorted(
        range(len(problem.jobs)),
        key=lambda j: (
            any(o.site is None for o in problem.options[j]),  # on-prem-only workloads first
            -min((o.monthly_cost_usd for o in problem.options[j]), default=0),
            problem.jobs[j].name,
        ),
    )
    picks: list[Option | None] = [None] * len(problem.jobs)
    for j in order:
        for option in sorted(problem.options[j], key=lambda o: (o.monthly_cost_usd, option_order(o))):
            needs = usage.get(column[id(option)], [])
            if all(value <= left[r] + 1e-9 for r, value in needs):
                for r, value in needs:
                    left[r] -= value
                picks[j] = option
                break
    placed = [p for p in picks if p is not None]
    return placed if len(placed) == len(picks) else None, len(picks) - len(placed)
