"""`infraaudit recommend`: the cheapest placement of GPU workloads across on-prem pools and cloud
spot / on-demand / committed capacity, within memory, residency, capacity and budget limits.

    workloads = load_workloads(path, settings)
    jobs = [job_from_workload(w, settings) for w in workloads.workloads]
    layout = plan_layout(jobs, Request(sites, workloads.pricing, quotas, budget), catalog, settings, now=now)

Layer 3: imports models, config, catalog and errors only. The solver is HiGHS (highspy); never import
ortools in the same process (both ship libhighs).
"""

from .from_scan import jobs_from_inventory
from .inputs import OnpremFile, Pricing, Quota, Site, Workload, WorkloadsFile, load_onprem, load_workloads
from .options import Job, Option
from .planner import Request, job_from_workload, plan_layout

__all__ = [
    "Job",
    "OnpremFile",
    "Option",
    "Pricing",
    "Quota",
    "Request",
    "Site",
    "Workload",
    "WorkloadsFile",
    "jobs_from_inventory",
    "job_from_workload",
    "load_onprem",
    "load_workloads",
    "plan_layout",
]
