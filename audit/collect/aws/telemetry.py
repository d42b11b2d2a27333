"""CloudWatch telemetry: CloudWatch-agent GPU metrics and EC2 CPU, fetched in bulk.

Series are discovered with ListMetrics (one paginated listing per metric name, not per
instance), then fetched with GetMetricData, 500 queries per call, at an hourly period over
the lookback window, and summarised per instance as each batch arrives (audit/collect/series.py
computes averages, p95, maxima and coverage). No series means no data (None), never 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ..series import (
    PERIOD_S,
    Hourly,
    InstanceSeries,
    InstanceTelemetry,
    Window,
    instance_telemetry,
)
from ..shared import chunks

AGENT_NAMESPACE = "CWAgent"
GPU_UTILIZATION = "nvidia_smi_utilization_gpu"  # percent
GPU_MEMORY_USED = "nvidia_smi_memory_used"  # MiB, as nvidia-smi reports it
GPU_MEMORY_TOTAL = "nvidia_smi_memory_total"  # MiB
EC2_NAMESPACE = "AWS/EC2"
CPU_UTILIZATION = "CPUUtilization"
MAX_QUERIES_PER_CALL = 500  # the GetMetricData limit


@dataclass(frozen=True)
class Query:
    """One series to fetch: which instance/GPU/metric it answers, and its CloudWatch identity."""

    instance_id: str
    device: int | None  # GPU index from the agent's `index` dimension; None for instance-level series
    metric: str
    namespace: str
    dimensions: tuple[tuple[str, str], ...]
    stat: str = "Average"

    def metric_stat(self) -> dict[str, Any]:
        return {
            "Metric": {
                "Namespace": self.namespace,
                "MetricName": self.metric,
                "Dimensions": [{"Name": name, "Value": value} for name, value in self.dimensions],
            },
            "Period": PERIOD_S,
            "Stat": self.stat,
        }


def list_gpu_queries(cloudwatch: Any, instance_ids: set[str], metrics: Sequence[str]) -> list[Query]:
    """The agent's GPU series of these instances. The agent's dimensions vary with its config
    (index, name, arch, host...), so the series are discovered rather than guessed."""
    paginator = cloudwatch.get_paginator("list_metrics")
    queries: dict[tuple[str, tuple[tuple[str, str], ...]], Query] = {}
    for metric in metrics:
        for page in paginator.paginate(Namespace=AGENT_NAMESPACE, MetricName=metric):
            for listed in page.get("Metrics", []):
                # Kept in the listed order: CloudWatch ignores the order, emulators may not.
                dimensions = tuple((d["Name"], d["Value"]) for d in listed.get("Dimensions", []))
                found = dict(dimensions)
                instance_id = found.get("InstanceId")
                if instance_id not in instance_ids:
                    continue
                stat = "Maximum" if metric == GPU_MEMORY_TOTAL else "Average"
                device = _device(found.get("index"))
                key = (metric, tuple(sorted(dimensions)))  # a series listed twice is fetched once
                queries.setdefault(key, Query(instance_id, device, metric, AGENT_NAMESPACE, dimensions, stat))
    return list(queries.values())


def _device(index: str | None) -> int | None:
    return int(index) if index is not None and index.isdigit() else None


def cpu_queries(instance_ids: Iterable[str]) -> list[Query]:
    return [
        Query(instance_id, None, CPU_UTILIZATION, EC2_NAMESPACE, (("InstanceId", instance_id),))
        for instance_id in sorted(instance_ids)
    ]


def batches(queries: Sequence[Query], size: int = MAX_QUERIES_PER_CALL) -> Iterator[list[Query]]:
    return chunks(queries, size)


class MetricDataError(Exception):
    """GetMetricData answered a query with an error status instead of data."""


def fetch(cloudwatch: Any, queries: Sequence[Query], window: Window) -> Iterator[tuple[Query, Hourly]]:
    """Hourly values of every query, in query order: 500 queries per call, pages followed. A
    generator, so the caller can summarise and drop each batch before the next one arrives."""
    paginator = cloudwatch.get_paginator("get_metric_data")
    for batch in batches(queries):
        request = [
            {"Id": f"q{i}", "MetricStat": query.metric_stat(), "ReturnData": True} for i, query in enumerate(batch)
        ]
        results: list[Hourly] = [{} for _ in batch]
        pages = paginator.paginate(
            MetricDataQueries=request, StartTime=window.start, EndTime=window.end, ScanBy="TimestampAscending"
        )
        for page in pages:
            for result in page.get("MetricDataResults", []):
                if result.get("StatusCode") in ("Forbidden", "InternalError"):
                    raise MetricDataError(f"{result.get('StatusCode')}: {result.get('Messages') or 'no data returned'}")
                series = results[int(result["Id"][1:])]
                series.update(zip(result.get("Timestamps", []), result.get("Values", []), strict=False))
        yield from zip(batch, results, strict=True)


def by_instance(queries: Sequence[Query]) -> list[Query]:
    """Queries ordered so each instance's series are contiguous (stable otherwise)."""
    order = {instance_id: n for n, instance_id in enumerate(dict.fromkeys(q.instance_id for q in queries))}
    return sorted(queries, key=lambda q: order[q.instance_id])


def summarize_instances(fetched: Iterable[tuple[Query, Hourly]], window: Window) -> dict[str, InstanceTelemetry]:
    """Summaries per instance from `fetch` over `by_instance`-ordered queries: an instance is
    summarised and its hourly values dropped as soon as its last series arrives, so memory
    stays at about one batch, not the whole region's 14 days x every series."""
    summaries: dict[str, InstanceTelemetry] = {}
    current: str | None = None
    series = InstanceSeries()
    for query, hourly in fetched:
        if query.instance_id != current:
            if current is not None:
                summaries[current] = instance_telemetry(series, window)
            current, series = query.instance_id, InstanceSeries()
        add(series, query, hourly)
    if current is not None:
        summaries[current] = instance_telemetry(series, window)
    return summaries


def add(series: InstanceSeries, query: Query, hourly: Hourly) -> None:
    if query.metric == CPU_UTILIZATION:
        series.cpu.update(hourly)
        return
    target = {
        GPU_UTILIZATION: series.gpu,
        GPU_MEMORY_USED: series.memory_mib,
        GPU_MEMORY_TOTAL: series.memory_total_mib,
    }[query.metric]
    # Several series for one GPU (the agent's config changed): union of their hours.
    target.setdefault(query.device, {}).update(hourly)
