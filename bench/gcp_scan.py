#!/usr/bin/env python3
"""GCP scan benchmark: `--vms` GPU VMs across `--projects` projects on the local Compute (REST)
and Cloud Monitoring (gRPC) servers of tests/support/gcp_servers.py.

    .venv/bin/python bench/gcp_scan.py [--vms 2000] [--projects 3] [--days 14] [--markdown]

Each project gets the same mix (MIX below): g2 L4 VMs busy, idle and on spot, two-GPU g2 VMs
partly idle, n1 hosts with T4s and no agent, a2 A100 VMs on spot; `--days` of hourly Ops Agent
GPU utilisation and memory per GPU and CPU utilisation per VM. The scan runs twice, at a quarter
of the fleet and at the full fleet, each time:

1. `collect_gcp` in a child process: wall time, API calls by method, peak RSS;
2. `infraaudit scan --gcp` end to end (collection + OPA): wall time, IA-GPU-001 count against
   the ground truth.

The servers run in this process; their CPU time is reported apart from the client's. Target
(issue 4): Monitoring calls independent of the number of VMs except for pagination, so the
Monitoring calls are also compared with what pagination alone predicts: per project and metric
type, ceil(points / 100,000) pages (the API's cap on points per FULL page).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "support"))

from gcp_servers import ComputeServer, MonitoringServer, gpu_instance  # noqa: E402
from measure import scan_idle  # noqa: E402  (bench/ is on sys.path: the script's folder)

ZONES = ("us-central1-a", "us-central1-b", "europe-west4-a")
CPU = "compute.googleapis.com/instance/cpu/utilization"
GPU_UTIL = "agent.googleapis.com/gpu/utilization"
GPU_MEM = "agent.googleapis.com/gpu/memory/bytes_used"
METRIC_TYPES = 5  # the collector's ListTimeSeries per project: NVML x2, DCGM x2, CPU
POINTS_PER_PAGE = 100_000
LABELS = {"owner": "ml", "team": "research", "cost-center": "cc-42", "data-classification": "internal"}
# (machine type, GPUs, shape, provisioning model, share out of 20)
MIX: tuple[tuple[str, int, str, str, int], ...] = (
    ("g2-standard-8", 1, "busy", "STANDARD", 6),
    ("g2-standard-8", 1, "idle", "STANDARD", 5),
    ("g2-standard-8", 1, "busy", "SPOT", 2),
    ("g2-standard-24", 2, "partly_idle", "STANDARD", 3),
    ("n1-standard-8", 1, "missing", "STANDARD", 2),
    ("a2-highgpu-1g", 1, "busy", "SPOT", 2),
)
MIX_TOTAL = sum(share for *_, share in MIX)
GPU_LEVEL = {"busy": (75.0, 75.0), "idle": (1.0, 1.0), "partly_idle": (80.0, 1.0)}  # GPU 0, other GPUs


def seed(
    compute: ComputeServer, monitoring: MonitoringServer, vms: int, projects: int, days: int, now: datetime
) -> dict[str, Any]:
    started = time.perf_counter()
    end = now.replace(minute=0, second=0, microsecond=0)
    hours = [end - timedelta(hours=h) + timedelta(minutes=30) for h in range(1, days * 24 + 1)]
    names = [f"bench-{chr(ord('a') + p)}" for p in range(projects)]
    # VM i of a project takes the MIX entry at i % MIX_TOTAL (shares spread evenly, totals exact).
    cycle = [entry for entry in MIX for _ in range(entry[-1])]
    truth: dict[str, Any] = {"vms": 0, "gpus": 0, "idle": 0, "series": 0, "points": {}, "projects": names}
    for index, project in enumerate(names):
        points = dict.fromkeys((GPU_UTIL, GPU_MEM, CPU), 0)
        for n in range(vms // projects + (index < vms % projects)):
            machine_type, gpus, shape, model, _ = cycle[n % MIX_TOTAL]
            series = _seed_vm(compute, monitoring, project, n, machine_type, gpus, shape, model, hours)
            for metric in series:
                points[metric] += len(hours)
            truth["vms"] += 1
            truth["series"] += len(series)
            truth["gpus"] += gpus
            truth["idle"] += shape == "idle"
        truth["points"][project] = points
    truth["seed_s"] = round(time.perf_counter() - started, 1)
    return truth


def _seed_vm(
    compute: ComputeServer,
    monitoring: MonitoringServer,
    project: str,
    n: int,
    machine_type: str,
    gpus: int,
    shape: str,
    model: str,
    hours: list[datetime],
) -> list[str]:
    """One VM and its hourly series; returns the metric type of each series."""
    zone = ZONES[n % len(ZONES)]
    accelerators = [("nvidia-tesla-t4", 1)] if machine_type.startswith("n1-") else None
    vm = gpu_instance(f"vm-{n:05}", zone, machine_type, project=project, labels=LABELS,
                      provisioning_model=model, accelerators=accelerators)  # fmt: skip
    compute.add_instance(project, zone, vm)
    labels = {"instance_id": vm["id"], "zone": zone, "project_id": project}
    series: list[tuple[str, dict[str, str], float]] = [(CPU, {}, 0.35)]
    if shape != "missing":
        for gpu in range(gpus):
            level = GPU_LEVEL[shape][0 if gpu == 0 else 1]
            series += [
                (GPU_UTIL, {"gpu_number": str(gpu)}, level),
                (GPU_MEM, {"gpu_number": str(gpu), "memory_state": "used"}, 12.0 * 1024**3),
            ]
    for metric, metric_labels, value in series:
        monitoring.add_series(project, metric, metric_labels, "gce_instance", labels, [(t, value) for t in hours])
    return [metric for metric, _, _ in series]


def expected_monitoring_pages(truth: dict[str, Any]) -> int:
    """What pagination alone costs: per project and metric type at least one call, then one per
    100,000 points (series are never split across pages, which can add a page; see gcp_servers)."""
    pages = 0
    for points in truth["points"].values():
        with_data = [math.ceil(n / POINTS_PER_PAGE) for n in points.values() if n]
        pages += sum(with_data) + (METRIC_TYPES - len(with_data))
    return pages


COLLECT_CHILD = r"""
import json, resource, sys, time
from datetime import datetime
from infraaudit.audit.catalog import Catalog
from infraaudit.audit.collect.gcp.collector import GcpScanOptions, GcpTargetSpec, collect_gcp
from infraaudit.audit.models import Provider
compute, monitoring, projects, days, now = sys.argv[1:6]
spec = GcpTargetSpec(projects=tuple(projects.split(",")), endpoints={"compute": compute, "monitoring": monitoring})
known = frozenset(Catalog.load().instance_types(Provider.GCP))
started = time.perf_counter()
result = collect_gcp(spec, now=datetime.fromisoformat(now),
                     options=GcpScanOptions(lookback_days=int(days), known_machine_types=known))
wall = time.perf_counter() - started
inventory = result.inventory
rss = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
seen = sum(1 for r in inventory.resources if r.utilization and r.utilization.gpu_percent)
print(json.dumps({"wall_s": round(wall, 2), "calls": result.api_calls, "resources": len(inventory.resources),
                  "gaps": len(inventory.gaps), "peak_rss_mib": rss, "with_gpu_telemetry": seen}))
"""


def _cpu() -> tuple[float, float]:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def run(vms: int, projects: int, days: int, now: datetime, home: Path) -> dict[str, Any]:
    with ComputeServer(zones=ZONES) as compute, MonitoringServer(max_workers=8) as monitoring:
        print(f"seeding {vms} VMs in {projects} projects ...", file=sys.stderr)
        truth = seed(compute, monitoring, vms, projects, days, now)
        env = {**os.environ, "PYTHONPATH": ""}
        names = ",".join(truth["projects"])
        child = [sys.executable, "-c", COLLECT_CHILD, compute.url, monitoring.target, names, str(days), now.isoformat()]
        print("collect_gcp ...", file=sys.stderr)
        before = _cpu()
        collected = json.loads(subprocess.run(child, env=env, check=True, capture_output=True, text=True).stdout)
        after = _cpu()
        collected["server_cpu_s"] = round(after[0] - before[0], 1)
        collected["client_cpu_s"] = round(after[1] - before[1], 1)
        collected["server_calls"] = {
            "compute.instances.aggregatedList": compute.count("compute.instances.aggregatedList"),
            "monitoring.timeSeries.list": monitoring.count("ListTimeSeries"),
        }
        projects = [arg for p in truth["projects"] for arg in ("--project", p)]
        endpoints = ["--gcp-endpoint", f"compute={compute.url}", "--gcp-endpoint", f"monitoring={monitoring.target}"]
        print("infraaudit scan --gcp ...", file=sys.stderr)
        collected.update(scan_idle(["--gcp", *projects, *endpoints], env=env, home=home, days=days))
    collected["expected_monitoring_calls"] = expected_monitoring_pages(truth)
    del truth["points"]
    return {"fleet": truth, **collected}


def markdown(runs: list[dict[str, Any]], days: int) -> str:
    lines = [
        f"{days} days of hourly Ops Agent GPU metrics (utilisation and memory per GPU) and CPU per VM; "
        "servers in the benchmark process, the collector in a child process.",
        "",
        "| | " + " | ".join(f"{r['fleet']['vms']:,} VMs" for r in runs) + " |",
        "| --- | " + " | ".join("---:" for _ in runs) + " |",
    ]

    def row(label: str, values: list[Any]) -> None:
        lines.append(f"| {label} | " + " | ".join(str(v) for v in values) + " |")

    row("projects / GPUs / series", [f"{len(r['fleet']['projects'])} / {r['fleet']['gpus']:,} / "
                                     f"{r['fleet']['series']:,}" for r in runs])  # fmt: skip
    row("compute.instances.aggregatedList", [r["calls"].get("compute.instances.aggregatedList", 0) for r in runs])
    row("compute.machineTypes.get", [r["calls"].get("compute.machineTypes.get", 0) for r in runs])
    row("monitoring.timeSeries.list", [r["calls"].get("monitoring.timeSeries.list", 0) for r in runs])
    row("... predicted by pagination alone", [r["expected_monitoring_calls"] for r in runs])
    row("all API calls", [sum(r["calls"].values()) for r in runs])
    row("collection wall time", [f"{r['wall_s']} s" for r in runs])
    row("client CPU / local servers' CPU", [f"{r['client_cpu_s']} s / {r['server_cpu_s']} s" for r in runs])
    row("peak RSS (collector)", [f"{r['peak_rss_mib']} MiB" for r in runs])
    row("`scan --gcp` end to end (+ OPA)", [f"{r['scan_wall_s']} s" for r in runs])
    row("idle VMs reported / truth", [f"{r['idle_found']} / {r['fleet']['idle']}" for r in runs])
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vms", type=int, default=2000)
    parser.add_argument("--projects", type=int, default=3)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    now = datetime.now(UTC)
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for vms in (args.vms // 4, args.vms):
            runs.append(run(vms, args.projects, args.days, now, Path(tmp)))
    print(markdown(runs, args.days) if args.markdown else json.dumps(runs, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
