"""Cloud Monitoring telemetry through the real google-cloud-monitoring client and a local gRPC
MetricService (tests/support/gcp_servers.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from gcp_servers import MonitoringServer
from google.api_core import exceptions as api_exceptions
from google.api_core.retry import Retry, if_exception_type
from google.cloud import monitoring_v3
from google.cloud.monitoring_v3.services.metric_service.transports import MetricServiceGrpcTransport

from infraaudit.audit.collect.gcp import monitoring
from infraaudit.audit.collect.series import Window
from infraaudit.audit.collect.shared import ApiCallCounter

PROJECT = "ml-prod"
NOW = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)
WINDOW = Window.ending(NOW, 3)
FAST = Retry(predicate=if_exception_type(api_exceptions.TooManyRequests), initial=0.01, maximum=0.05, timeout=5)


def _hours(value: float, hours: int = 72) -> list[tuple[datetime, float]]:
    # two samples per hour, as an agent reporting every 30 minutes (aligned means must average them)
    points = []
    for h in range(hours):
        start = WINDOW.end - timedelta(hours=hours - h)
        points += [(start + timedelta(minutes=15), value - 1), (start + timedelta(minutes=45), value + 1)]
    return points


@pytest.fixture
def server() -> Iterator[MonitoringServer]:
    with MonitoringServer() as running:
        gce = "gce_instance"
        for gpu, value in (("0", 80.0), ("1", 2.0)):  # VM 1001: one busy, one idle GPU
            labels = {"instance_id": "1001", "zone": "us-central1-a", "project_id": PROJECT}
            running.add_series(PROJECT, monitoring.GPU_UTILIZATION, {"gpu_number": gpu}, gce, labels, _hours(value))
            running.add_series(
                PROJECT, monitoring.GPU_MEMORY_USED, {"gpu_number": gpu, "memory_state": "used"}, gce, labels,
                _hours(8 * 1024**3),
            )  # fmt: skip
            running.add_series(
                PROJECT, monitoring.GPU_MEMORY_USED, {"gpu_number": gpu, "memory_state": "free"}, gce, labels,
                _hours(16 * 1024**3),
            )  # fmt: skip
        for vm in ("1001", "1002"):  # 1002: no agent, CPU only, for one day
            labels = {"instance_id": vm, "zone": "us-central1-a", "project_id": PROJECT}
            running.add_series(
                PROJECT, monitoring.CPU_UTILIZATION, {}, gce, labels, _hours(0.25, 72 if vm == "1001" else 24)
            )
        yield running


@pytest.fixture
def client(server: MonitoringServer) -> Iterator[monitoring_v3.MetricServiceClient]:
    channel = grpc.insecure_channel(server.target)
    yield monitoring_v3.MetricServiceClient(transport=MetricServiceGrpcTransport(channel=channel))
    channel.close()


def test_summaries_per_vm_and_gpu(server, client) -> None:
    found = monitoring.project_telemetry(client, PROJECT, WINDOW, retry=FAST)
    busy_idle = found["1001"].utilization
    assert busy_idle is not None and busy_idle.gpu_percent is not None
    assert [(d.index, d.gpu_percent.p95) for d in busy_idle.devices] == [(0, 80.0), (1, 2.0)]
    assert busy_idle.gpu_percent.avg == 41.0 and busy_idle.gpu_percent.coverage == 1.0
    assert busy_idle.gpu_memory_used_gib is not None and busy_idle.gpu_memory_used_gib.max == 16.0  # 8 GiB x 2 GPUs
    assert busy_idle.cpu_percent is not None and busy_idle.cpu_percent.avg == 25.0
    no_agent = found["1002"].utilization
    assert no_agent is not None and no_agent.gpu_percent is None  # absent, never 0
    assert no_agent.uptime_fraction == round(24 / 72, 4)
    assert server.count("ListTimeSeries", project=PROJECT) == len(monitoring.METRICS)  # per metric, not per VM


def test_dcgm_fills_gpus_nvml_does_not_report(server, client) -> None:
    gce = "gce_instance"
    dcgm_only = {"instance_id": "1003", "zone": "us-central1-a", "project_id": PROJECT}
    both = {"instance_id": "1001", "zone": "us-central1-a", "project_id": PROJECT}
    for labels in (dcgm_only, both):
        for gpu in ("0", "1"):
            # DCGM reports utilisation as a 0-1 ratio
            server.add_series(
                PROJECT, monitoring.DCGM_UTILIZATION, {"gpu_number": gpu, "model": "NVIDIA L4", "uuid": f"GPU-{gpu}"},
                gce, labels, _hours(0.5),
            )  # fmt: skip
            for state, gib in (("used", 4), ("free", 20)):
                server.add_series(
                    PROJECT, monitoring.DCGM_MEMORY_USED, {"gpu_number": gpu, "memory_state": state}, gce, labels,
                    _hours(gib * 1024**3),
                )  # fmt: skip
    counter = ApiCallCounter()
    found = monitoring.project_telemetry(client, PROJECT, WINDOW, retry=FAST, counter=counter)
    dcgm = found["1003"].utilization
    assert dcgm is not None and dcgm.gpu_percent is not None
    assert [(d.index, d.gpu_percent.avg) for d in dcgm.devices] == [(0, 50.0), (1, 50.0)]
    assert dcgm.gpu_memory_used_gib is not None and dcgm.gpu_memory_used_gib.max == 8.0  # "used" only, 2 GPUs
    nvml_wins = found["1001"].utilization
    assert nvml_wins is not None
    assert [(d.index, d.gpu_percent.p95) for d in nvml_wins.devices] == [(0, 80.0), (1, 2.0)]  # not doubled
    assert counter.snapshot() == {monitoring.LIST_TIME_SERIES: len(monitoring.METRICS)}


def test_permission_denied_propagates_for_a_gap(server, client) -> None:
    server.fail(PROJECT, "PERMISSION_DENIED")
    with pytest.raises(api_exceptions.PermissionDenied):
        monitoring.project_telemetry(client, PROJECT, WINDOW, retry=FAST)


def test_quota_errors_are_retried(server, client) -> None:
    server.fail(PROJECT, "RATE_LIMIT", times=2)
    assert "1001" in monitoring.project_telemetry(client, PROJECT, WINDOW, retry=FAST)
