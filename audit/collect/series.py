"""Telemetry summaries shared by the live collectors: hourly values in, MetricSummary out.

A collector fetches hourly values per GPU and per instance (CloudWatch, Cloud Monitoring) into
an InstanceSeries; this module turns them into the contract's Utilization: avg, p95 (nearest
rank), max, samples and coverage over the window, per GPU and per instance. No values means no
summary (None), never 0.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..models import DeviceUtilization, MetricSummary, Utilization

PERIOD_S = 3600
MIB_PER_GIB = 1024.0


@dataclass(frozen=True)
class Window:
    """The lookback window, aligned to whole hours so every period is complete."""

    start: datetime
    end: datetime

    @classmethod
    def ending(cls, now: datetime, days: int) -> Window:
        end = now.replace(minute=0, second=0, microsecond=0)
        return cls(end - timedelta(days=days), end)

    @property
    def hours(self) -> int:
        return int((self.end - self.start).total_seconds() // PERIOD_S)

    @property
    def days(self) -> float:
        return self.hours / 24


Hourly = dict[datetime, float]


def summarize(values: Iterable[float], window: Window) -> MetricSummary | None:
    """avg, p95 (nearest rank), max of hourly values; coverage = samples / hours in the window."""
    ordered = sorted(max(0.0, v) for v in values if math.isfinite(v))
    if not ordered:
        return None
    n = len(ordered)
    return MetricSummary(
        avg=round(sum(ordered) / n, 3),
        p95=round(ordered[max(0, math.ceil(0.95 * n) - 1)], 3),
        max=round(ordered[-1], 3),
        samples=n,
        coverage=round(min(1.0, n / window.hours), 4),
        window_days=round(window.days, 3),
    )


@dataclass
class InstanceSeries:
    """Everything fetched for one instance, merged across series that share a GPU index."""

    gpu: dict[int | None, Hourly] = field(default_factory=dict)
    memory_mib: dict[int | None, Hourly] = field(default_factory=dict)
    memory_total_mib: dict[int | None, Hourly] = field(default_factory=dict)
    cpu: Hourly = field(default_factory=dict)


@dataclass(frozen=True)
class InstanceTelemetry:
    """What the inventory keeps of an instance's series: the summaries, not the hourly values."""

    utilization: Utilization | None
    device_memory_gib: dict[int, float]


def instance_telemetry(series: InstanceSeries, window: Window) -> InstanceTelemetry:
    return InstanceTelemetry(utilization(series, window), device_memory_gib(series))


def utilization(series: InstanceSeries | None, window: Window) -> Utilization | None:
    if series is None:
        return None
    devices = sorted(index for index in series.gpu if index is not None)
    per_device = [
        DeviceUtilization(
            index=index,
            gpu_percent=summary,
            memory_used_gib=summarize(_gib(series.memory_mib.get(index, {})), window),
        )
        for index in devices
        if (summary := summarize(series.gpu[index].values(), window)) is not None
    ]
    gpu = series.gpu.get(None) or _combine(series.gpu, devices, mean=True)
    memory = series.memory_mib.get(None) or _combine(series.memory_mib, devices, mean=False)
    gpu_summary = summarize(gpu.values(), window)
    cpu_summary = summarize(series.cpu.values(), window)
    if gpu_summary is None and cpu_summary is None:
        return None
    return Utilization(
        gpu_percent=gpu_summary,
        gpu_memory_used_gib=summarize(_gib(memory), window),
        cpu_percent=cpu_summary,
        devices=per_device,
        uptime_fraction=round(min(1.0, len(series.cpu) / window.hours), 4) if series.cpu else None,
    )


def _combine(by_device: Mapping[int | None, Hourly], devices: Sequence[int], *, mean: bool) -> Hourly:
    """Per hour across GPUs: the mean for utilisation, the sum for memory in use."""
    per_hour: dict[datetime, list[float]] = defaultdict(list)
    for index in devices:
        for stamp, value in by_device.get(index, {}).items():
            per_hour[stamp].append(value)
    return {stamp: (sum(v) / len(v) if mean else sum(v)) for stamp, v in per_hour.items()}


def _gib(hourly: Hourly) -> list[float]:
    return [value / MIB_PER_GIB for value in hourly.values()]


def device_memory_gib(series: InstanceSeries | None) -> dict[int, float]:
    """Per-GPU memory from nvidia_smi_memory_total, for types whose GPU memory is unknown."""
    if series is None:
        return {}
    return {
        index: max(hourly.values()) / MIB_PER_GIB
        for index, hourly in series.memory_total_mib.items()
        if index is not None and hourly
    }
