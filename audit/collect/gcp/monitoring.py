"""Cloud Monitoring telemetry of a project's VMs: a few ListTimeSeries calls per project.

One call (plus pages) per metric type for the whole project, aligned server-side to hourly
means (ALIGN_MEAN, 3,600 s), one series per VM and GPU; never a call per VM. GPU values come
from the Ops Agent's NVML metrics; where a GPU has none, from the Ops Agent's DCGM receiver
(`workload.googleapis.com/dcgm.gpu.*`, utilisation as a 0-1 ratio).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from google.api_core import exceptions as api_exceptions
from google.api_core.retry import Retry, if_exception_type
from google.cloud import monitoring_v3

from ..series import PERIOD_S, Hourly, InstanceSeries, InstanceTelemetry, Window, instance_telemetry
from ..shared import ApiCallCounter

GPU_UTILIZATION = "agent.googleapis.com/gpu/utilization"  # Ops Agent, percent, label gpu_number
GPU_MEMORY_USED = "agent.googleapis.com/gpu/memory/bytes_used"  # Ops Agent, bytes, label gpu_number
DCGM_UTILIZATION = "workload.googleapis.com/dcgm.gpu.utilization"  # DCGM receiver, ratio 0-1
DCGM_MEMORY_USED = "workload.googleapis.com/dcgm.gpu.memory.bytes_used"  # DCGM receiver, bytes, memory_state
CPU_UTILIZATION = "compute.googleapis.com/instance/cpu/utilization"  # fraction 0-1, every VM
METRICS = (GPU_UTILIZATION, GPU_MEMORY_USED, DCGM_UTILIZATION, DCGM_MEMORY_USED, CPU_UTILIZATION)
LIST_TIME_SERIES = "monitoring.timeSeries.list"
BYTES_PER_MIB = 1024.0 * 1024.0
RETRY = Retry(
    predicate=if_exception_type(api_exceptions.TooManyRequests, api_exceptions.ServiceUnavailable),
    initial=1.0,
    maximum=30.0,
    timeout=120.0,
)


def hourly_series(
    client: Any,
    project: str,
    metric_type: str,
    window: Window,
    *,
    retry: Retry = RETRY,
    counter: ApiCallCounter | None = None,
) -> Iterator[tuple[str, int | None, Hourly]]:
    """(instance id, GPU number or None, hourly means) for every gce_instance series of the metric;
    each page fetched is one call on `counter`."""
    request = monitoring_v3.ListTimeSeriesRequest(
        name=f"projects/{project}",
        filter=f'metric.type = "{metric_type}" AND resource.type = "gce_instance"',
        interval=monitoring_v3.TimeInterval(start_time=window.start, end_time=window.end),
        aggregation=monitoring_v3.Aggregation(
            alignment_period=timedelta(seconds=PERIOD_S),
            per_series_aligner=monitoring_v3.Aggregation.Aligner.ALIGN_MEAN,
        ),
        view=monitoring_v3.ListTimeSeriesRequest.TimeSeriesView.FULL,
    )
    for page in client.list_time_series(request=request, retry=retry).pages:
        if counter is not None:
            counter.record(LIST_TIME_SERIES)
        yield from _page_series(page)


def _page_series(page: Any) -> Iterator[tuple[str, int | None, Hourly]]:
    # The raw protobuf, not proto-plus wrappers: wrapping each of ~1,000,000 points a project
    # can return cost most of the client's CPU (see docs/benchmarks.md).
    raw = monitoring_v3.ListTimeSeriesResponse.pb(page)
    for series in raw.time_series:
        labels = series.metric.labels
        if labels.get("memory_state", "used") != "used":
            continue  # only memory in use, where the agent also reports free/reserved
        gpu = labels.get("gpu_number")
        hourly = {_hour(point.interval.end_time.seconds): _number(point.value) for point in series.points}
        yield series.resource.labels["instance_id"], int(gpu) if gpu and gpu.isdigit() else None, hourly


@lru_cache(maxsize=4096)
def _hour(seconds: int) -> datetime:
    """Aligned points share a few hundred end times: build each datetime once."""
    return datetime.fromtimestamp(seconds, UTC)


def _number(value: Any) -> float:
    kind = value.WhichOneof("value")
    return float(getattr(value, kind)) if kind in ("double_value", "int64_value") else float("nan")


# How each metric's hourly values become InstanceSeries fields (percent and MiB).
_SCALE = {
    GPU_UTILIZATION: 1.0,
    DCGM_UTILIZATION: 100.0,
    GPU_MEMORY_USED: 1 / BYTES_PER_MIB,
    DCGM_MEMORY_USED: 1 / BYTES_PER_MIB,
    CPU_UTILIZATION: 100.0,
}


def project_telemetry(
    client: Any,
    project: str,
    window: Window,
    *,
    retry: Retry = RETRY,
    counter: ApiCallCounter | None = None,
) -> dict[str, InstanceTelemetry]:
    """Summaries per VM id (the numeric instance id Compute Engine reports as `id`).
    API errors propagate (the caller records a gap for the project)."""
    nvml: dict[str, InstanceSeries] = defaultdict(InstanceSeries)
    dcgm: dict[str, InstanceSeries] = defaultdict(InstanceSeries)
    for metric in METRICS:
        source = dcgm if metric in (DCGM_UTILIZATION, DCGM_MEMORY_USED) else nvml
        scale = _SCALE[metric]
        for instance_id, gpu, hourly in hourly_series(client, project, metric, window, retry=retry, counter=counter):
            scaled = {stamp: value * scale for stamp, value in hourly.items()}
            target = source[instance_id]
            if metric == CPU_UTILIZATION:
                target.cpu.update(scaled)
            elif metric in (GPU_UTILIZATION, DCGM_UTILIZATION):
                target.gpu.setdefault(gpu, {}).update(scaled)
            else:
                target.memory_mib.setdefault(gpu, {}).update(scaled)
    for instance_id, fallback in dcgm.items():
        _fill_from_dcgm(nvml[instance_id], fallback)
    return {instance_id: instance_telemetry(found, window) for instance_id, found in nvml.items()}


def _fill_from_dcgm(target: InstanceSeries, dcgm: InstanceSeries) -> None:
    """DCGM values for the GPUs NVML did not report: both receivers may run on one VM, and the
    same GPU must not be counted twice."""
    for gpu, hourly in dcgm.gpu.items():
        target.gpu.setdefault(gpu, hourly)
    for gpu, hourly in dcgm.memory_mib.items():
        target.memory_mib.setdefault(gpu, hourly)
