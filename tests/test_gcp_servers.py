"""The local Compute and Monitoring servers in tests/support/gcp_servers.py, driven by the real Google clients."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from gcp_servers import ComputeServer, MonitoringServer, gpu_instance, project_number, send_return_partial_success
from google.api import metric_pb2
from google.api_core import exceptions
from google.api_core.client_options import ClientOptions
from google.api_core.retry import Retry, if_exception_type
from google.auth.credentials import AnonymousCredentials
from google.cloud import compute_v1, monitoring_v3
from google.cloud.compute_v1.services.instances.pagers import AggregatedListPager
from google.cloud.monitoring_v3.services.metric_service.pagers import ListTimeSeriesPager
from google.cloud.monitoring_v3.services.metric_service.transports import MetricServiceGrpcTransport
from google.rpc import error_details_pb2

PROJECT = "infraaudit-demo"
AGGREGATED = "compute.instances.aggregatedList"
# Retry 429 quickly: the clients' default retries leave it to the caller.
RETRY_429 = Retry(predicate=if_exception_type(exceptions.TooManyRequests), initial=0.01, maximum=0.05, timeout=5)


# ------------------------------------------------------------------------------------------------------------ Compute


@pytest.fixture
def compute() -> Iterator[ComputeServer]:
    with ComputeServer() as server:
        yield server


def _options(server: ComputeServer) -> dict[str, Any]:
    return {
        "credentials": AnonymousCredentials(),
        "transport": "rest",
        "client_options": ClientOptions(api_endpoint=server.url),
    }


@pytest.fixture
def instances(compute: ComputeServer) -> compute_v1.InstancesClient:
    return compute_v1.InstancesClient(**_options(compute))


def _list(client: compute_v1.InstancesClient, max_results: int = 500, **kwargs: Any) -> AggregatedListPager:
    request = compute_v1.AggregatedListInstancesRequest(project=PROJECT, max_results=max_results)
    return client.aggregated_list(request=request, timeout=10, **kwargs)


def test_gpu_instance_is_a_strictly_valid_compute_instance() -> None:
    doc = gpu_instance(
        "train-1",
        "us-central1-a",
        "a2-highgpu-1g",
        provisioning_model="SPOT",
        labels={"team": "research"},
        external_ip=True,
        disk_encrypted_with_kms=True,
    )
    # Unknown or misspelt field names would fail here; the client's own parse silently drops them.
    instance = compute_v1.Instance.from_json(json.dumps(doc), ignore_unknown_fields=False)
    assert instance.id == int(doc["id"]) and isinstance(doc["id"], str)
    assert instance.machine_type.endswith(f"/projects/{PROJECT}/zones/us-central1-a/machineTypes/a2-highgpu-1g")
    assert [(a.accelerator_type.rsplit("/", 1)[1], a.accelerator_count) for a in instance.guest_accelerators] == [
        ("nvidia-tesla-a100", 1)
    ]
    assert instance.scheduling.provisioning_model == "SPOT"
    assert instance.scheduling.instance_termination_action == "STOP"
    assert instance.network_interfaces[0].access_configs[0].type_ == "ONE_TO_ONE_NAT"
    assert instance.network_interfaces[0].access_configs[0].nat_i_p.startswith("34.")
    assert instance.disks[0].boot and instance.disks[0].disk_encryption_key.kms_key_name.startswith("projects/")
    assert instance.shielded_instance_config.enable_secure_boot
    assert dict(instance.labels) == {"team": "research"}

    plain = gpu_instance("dev-1", "us-east1-c", "n1-standard-8", status="TERMINATED", external_ip=True, shielded=False)
    parsed = compute_v1.Instance.from_json(json.dumps(plain), ignore_unknown_fields=False)
    assert parsed.guest_accelerators[0].accelerator_type.endswith("/acceleratorTypes/nvidia-tesla-t4")
    assert parsed.scheduling.provisioning_model == "STANDARD" and not parsed.scheduling.instance_termination_action
    assert parsed.network_interfaces[0].access_configs[0].nat_i_p == ""  # ephemeral IP released while stopped
    assert not parsed.shielded_instance_config.enable_vtpm and "diskEncryptionKey" not in plain["disks"][0]


def test_aggregated_list_pages_across_zones(compute: ComputeServer, instances: compute_v1.InstancesClient) -> None:
    placed = [("us-central1-a", f"a-{n}") for n in range(4)] + [("europe-west4-a", "e-0"), ("asia-east1-a", "s-0")]
    placed.append(("us-central1-a", "a-4"))
    for zone, name in placed:
        compute.add_instance(PROJECT, zone, gpu_instance(name, zone, "g2-standard-8"))

    pager = _list(instances, max_results=3)
    seen: dict[str, list[str]] = {}
    warnings: dict[str, set[str]] = {}
    for scope, scoped in pager:
        seen.setdefault(scope, []).extend(i.name for i in scoped.instances)
        if scoped.warning.code:
            assert {d.key: d.value for d in scoped.warning.data} == {"scope": scope}
            warnings.setdefault(scope, set()).add(scoped.warning.code)

    assert sorted(name for names in seen.values() for name in names) == sorted(name for _, name in placed)
    assert seen["zones/us-central1-a"] == ["a-0", "a-1", "a-2", "a-3", "a-4"]
    assert warnings["zones/us-central1-b"] == {"NO_RESULTS_ON_PAGE"}  # empty zones are listed on every page
    calls = [r for r in compute.requests if r.api_method == AGGREGATED]
    assert len(calls) == compute.count(AGGREGATED) == 3  # 7 instances, 3 a page
    assert [c.query.get("maxResults") for c in calls] == [["3"]] * 3
    assert "pageToken" not in calls[0].query and all(c.query["pageToken"][0] for c in calls[1:])


def test_aggregated_list_raw_page_shape(compute: ComputeServer, instances: compute_v1.InstancesClient) -> None:
    compute.add_instance(PROJECT, "us-central1-a", gpu_instance("a-0", "us-central1-a", "g2-standard-4"))
    page = next(iter(_list(instances).pages))
    assert page.kind == "compute#instanceAggregatedList" and not page.next_page_token
    assert page.items["zones/us-central1-a"].instances[0].name == "a-0"
    warning = page.items["zones/europe-west4-b"].warning
    assert warning.code == "NO_RESULTS_ON_PAGE"
    assert warning.message == "There are no results for scope 'zones/europe-west4-b' on this page."


def test_unreachable_zone_is_a_per_scope_warning(compute: ComputeServer, instances: compute_v1.InstancesClient) -> None:
    compute.add_instance(PROJECT, "us-central1-a", gpu_instance("a-0", "us-central1-a", "g2-standard-4"))
    compute.add_instance(PROJECT, "europe-west4-b", gpu_instance("hidden", "europe-west4-b", "g2-standard-4"))
    compute.set_unreachable(PROJECT, "europe-west4-b")

    # 1.57.0 has no return_partial_success field, and session-level params are dropped by the transport.
    with pytest.raises(ValueError, match="Unknown field for AggregatedListInstancesRequest: return_partial_success"):
        compute_v1.AggregatedListInstancesRequest(project=PROJECT, return_partial_success=True)
    instances.transport._session.params["returnPartialSuccess"] = "true"
    dict(_list(instances))
    assert "returnPartialSuccess" not in compute.requests[-1].query
    send_return_partial_success(instances)

    scopes = dict(_list(instances))
    assert scopes["zones/europe-west4-b"].warning.code == "UNREACHABLE"
    assert not scopes["zones/europe-west4-b"].instances
    assert [i.name for i in scopes["zones/us-central1-a"].instances] == ["a-0"]
    assert compute.requests[-1].query["returnPartialSuccess"] == ["true"]


def test_service_disabled_is_forbidden_with_reason(
    compute: ComputeServer, instances: compute_v1.InstancesClient
) -> None:
    compute.fail(PROJECT, "SERVICE_DISABLED")
    with pytest.raises(exceptions.Forbidden) as caught:
        list(_list(instances))
    exc = caught.value
    assert exc.code == 403 and type(exc) is exceptions.Forbidden
    assert exc.reason == "SERVICE_DISABLED" and exc.domain == "googleapis.com"
    assert exc.metadata["service"] == "compute.googleapis.com"
    assert exc.metadata["consumer"] == f"projects/{project_number(PROJECT)}"
    assert exc.details[0]["@type"] == "type.googleapis.com/google.rpc.ErrorInfo"
    assert exc.errors[0]["reason"] == "accessNotConfigured"
    assert "Compute Engine API has not been used" in exc.message
    assert compute.count(AGGREGATED) == 1  # a 403 is not retried


def test_permission_denied_is_forbidden_with_iam_reason(
    compute: ComputeServer, instances: compute_v1.InstancesClient
) -> None:
    compute.fail(PROJECT, "PERMISSION_DENIED")
    with pytest.raises(exceptions.Forbidden) as caught:
        list(_list(instances))
    assert caught.value.reason == "IAM_PERMISSION_DENIED"
    assert caught.value.metadata["permission"] == "compute.instances.list"
    assert caught.value.errors[0]["reason"] == "forbidden"


def test_rate_limit_fails_until_retried(compute: ComputeServer, instances: compute_v1.InstancesClient) -> None:
    compute.add_instance(PROJECT, "us-central1-a", gpu_instance("a-0", "us-central1-a", "g2-standard-4"))
    compute.fail(PROJECT, "RATE_LIMIT", times=3)
    with pytest.raises(exceptions.TooManyRequests) as caught:
        list(_list(instances))  # the default retry does not cover 429
    assert caught.value.code == 429 and caught.value.reason == "RATE_LIMIT_EXCEEDED"
    assert compute.count(AGGREGATED) == 1

    scopes = dict(_list(instances, retry=RETRY_429))
    assert [i.name for i in scopes["zones/us-central1-a"].instances] == ["a-0"]
    assert compute.count(AGGREGATED) == 4  # two more 429s, then the answer


def test_unavailable_is_retried_by_default(compute: ComputeServer, instances: compute_v1.InstancesClient) -> None:
    compute.fail(PROJECT, "UNAVAILABLE", times=1)
    assert dict(_list(instances))
    assert compute.count(AGGREGATED) == 2


def test_other_projects_are_unaffected_and_bad_tokens_rejected(
    compute: ComputeServer, instances: compute_v1.InstancesClient
) -> None:
    compute.fail("other-project", "SERVICE_DISABLED")
    assert all(scoped.warning.code == "NO_RESULTS_ON_PAGE" for _, scoped in _list(instances))
    bad = compute_v1.AggregatedListInstancesRequest(project=PROJECT, page_token="not-a-token")
    with pytest.raises(exceptions.BadRequest):
        list(instances.aggregated_list(request=bad, timeout=10))


def test_machine_type_get(compute: ComputeServer) -> None:
    client = compute_v1.MachineTypesClient(**_options(compute))
    machine = client.get(project=PROJECT, zone="us-central1-a", machine_type="a2-highgpu-1g", timeout=10)
    assert (machine.guest_cpus, machine.memory_mb) == (12, 87040)
    assert [(a.guest_accelerator_type, a.guest_accelerator_count) for a in machine.accelerators] == [
        ("nvidia-tesla-a100", 1)
    ]
    with pytest.raises(exceptions.NotFound):
        client.get(project=PROJECT, zone="us-central1-a", machine_type="z9-nothing", timeout=10)
    assert compute.count("compute.machineTypes.get") == 2


# --------------------------------------------------------------------------------------------------------- Monitoring

T0 = datetime(2026, 11, 1, tzinfo=UTC)
END = T0 + timedelta(days=3)
HOURS = 72
UTIL = "agent.googleapis.com/gpu/utilization"
MEMORY = "agent.googleapis.com/gpu/memory/bytes_used"
GCE_FILTER = f'metric.type = "{UTIL}" AND resource.type = "gce_instance"'
# (instance_id, gpu_number) -> the hourly mean for hour h after T0.
HOURLY = {
    ("1001", "0"): lambda h: float(h % 24),
    ("1001", "1"): lambda h: 50.0,
    ("1002", "0"): lambda h: 10.0 + h // 24,
}


def _hour_points(mean: Any) -> list[tuple[datetime, float]]:
    """Six points an hour, at :05 ... :55, spread ±2.5 around the hour's mean so ALIGN_MEAN gives it exactly."""
    return [(T0 + timedelta(hours=h, minutes=5 + 10 * j), mean(h) + j - 2.5) for h in range(HOURS) for j in range(6)]


@pytest.fixture(scope="module")
def monitoring() -> Iterator[MonitoringServer]:
    with MonitoringServer() as server:
        for (instance_id, gpu), mean in HOURLY.items():
            resource = {"project_id": PROJECT, "instance_id": instance_id, "zone": "us-central1-a"}
            labels = {"gpu_number": gpu, "model": "NVIDIA L4", "uuid": f"GPU-{instance_id}-{gpu}"}
            server.add_series(PROJECT, UTIL, labels, "gce_instance", resource, _hour_points(mean))
        memory_points = [(T0 + timedelta(hours=h, minutes=30), 2**30 * (h % 3)) for h in range(HOURS)]
        server.add_series(
            PROJECT, MEMORY, {"gpu_number": "0"}, "gce_instance", {"instance_id": "1001"}, memory_points, "INT64"
        )
        # Same metric on another resource type: only a resource.type clause keeps it out.
        server.add_series(
            PROJECT, UTIL, {"gpu_number": "0"}, "generic_node", {"node_id": "n1"}, _hour_points(HOURLY[("1001", "1")])
        )
        yield server


@pytest.fixture
def metrics(monitoring: MonitoringServer) -> Iterator[monitoring_v3.MetricServiceClient]:
    monitoring.calls.clear()
    monitoring.clear_failures()
    channel = grpc.insecure_channel(monitoring.target)
    yield monitoring_v3.MetricServiceClient(transport=MetricServiceGrpcTransport(channel=channel))
    channel.close()


def _query(
    client: monitoring_v3.MetricServiceClient,
    filter_: str = GCE_FILTER,
    *,
    aligner: int | None = monitoring_v3.Aggregation.Aligner.ALIGN_MEAN,
    reducer: int = monitoring_v3.Aggregation.Reducer.REDUCE_NONE,
    group_by: tuple[str, ...] = (),
    start: datetime = T0,
    page_size: int = 0,
    view: int = monitoring_v3.ListTimeSeriesRequest.TimeSeriesView.FULL,
    **kwargs: Any,
) -> ListTimeSeriesPager:
    request: dict[str, Any] = {
        "name": f"projects/{PROJECT}",
        "filter": filter_,
        "interval": monitoring_v3.TimeInterval(start_time=start, end_time=END),
        "view": view,
        "page_size": page_size,
    }
    if aligner is not None:
        request["aggregation"] = monitoring_v3.Aggregation(
            alignment_period=timedelta(hours=1),
            per_series_aligner=aligner,
            cross_series_reducer=reducer,
            group_by_fields=list(group_by),
        )
    return client.list_time_series(request=request, timeout=10, **kwargs)


def _values(series: monitoring_v3.TimeSeries) -> list[float]:
    """Oldest first (the API answers newest first)."""
    return [p.value.double_value for p in reversed(series.points)]


def test_hourly_means_over_three_days(metrics: monitoring_v3.MetricServiceClient) -> None:
    result = {(s.resource.labels["instance_id"], s.metric.labels["gpu_number"]): s for s in _query(metrics)}
    assert set(result) == set(HOURLY)
    for key, mean in HOURLY.items():
        series = result[key]
        assert _values(series) == [mean(h) for h in range(HOURS)]
        assert series.value_type == metric_pb2.MetricDescriptor.ValueType.DOUBLE
        assert series.resource.type == "gce_instance" and series.metric.labels["model"] == "NVIDIA L4"
        newest = series.points[0].interval
        assert newest.end_time == END and newest.start_time == END
        assert series.points[-1].interval.end_time == T0 + timedelta(hours=1)


def test_align_max_per_hour(metrics: monitoring_v3.MetricServiceClient) -> None:
    aligner = monitoring_v3.Aggregation.Aligner.ALIGN_MAX
    result = {
        s.resource.labels["instance_id"] + "/" + s.metric.labels["gpu_number"]: s
        for s in _query(metrics, aligner=aligner)
    }
    assert _values(result["1002/0"]) == [10.0 + h // 24 + 2.5 for h in range(HOURS)]


def test_reduce_mean_grouped_by_instance(metrics: monitoring_v3.MetricServiceClient) -> None:
    reducer = monitoring_v3.Aggregation.Reducer.REDUCE_MEAN
    result = {
        s.resource.labels["instance_id"]: s
        for s in _query(metrics, reducer=reducer, group_by=("resource.label.instance_id",))
    }
    assert _values(result["1001"]) == [(h % 24 + 50.0) / 2 for h in range(HOURS)]
    assert _values(result["1002"]) == [10.0 + h // 24 for h in range(HOURS)]
    assert dict(result["1001"].resource.labels) == {"instance_id": "1001"} and not result["1001"].metric.labels
    assert result["1001"].metric.type == UTIL and result["1001"].resource.type == "gce_instance"


def test_reduce_mean_grouped_by_gpu_label(metrics: monitoring_v3.MetricServiceClient) -> None:
    reducer = monitoring_v3.Aggregation.Reducer.REDUCE_MEAN
    series = list(_query(metrics, reducer=reducer, group_by=("metric.label.gpu_number",)))
    result = {s.metric.labels["gpu_number"]: s for s in series}
    assert len(series) == 2
    assert _values(result["0"]) == [(h % 24 + 10.0 + h // 24) / 2 for h in range(HOURS)]
    assert _values(result["1"]) == [50.0] * HOURS


def test_raw_points_and_filters(metrics: monitoring_v3.MetricServiceClient) -> None:
    last_hour = list(_query(metrics, aligner=None, start=END - timedelta(hours=1)))
    assert len(last_hour) == 3 and all(len(s.points) == 6 for s in last_hour)
    newest = last_hour[0].points[0]
    assert newest.interval.end_time == END - timedelta(minutes=5)

    everywhere = list(_query(metrics, f'metric.type = "{UTIL}"'))
    assert sorted(s.resource.type for s in everywhere) == ["gce_instance"] * 3 + ["generic_node"]

    prefixed = list(_query(metrics, 'metric.type = starts_with("agent.googleapis.com/gpu/")', aligner=None))
    memory = [s for s in prefixed if s.metric.type == MEMORY]
    assert len(prefixed) == 5 and len(memory) == 1
    assert [p.value.int64_value for p in reversed(memory[0].points)][:4] == [0, 2**30, 2**31, 0]

    one = list(_query(metrics, f'{GCE_FILTER} AND resource.label.instance_id = "1002"'))
    assert [s.resource.labels["instance_id"] for s in one] == ["1002"]

    with pytest.raises(exceptions.InvalidArgument):
        list(_query(metrics, "metric.type ~ nonsense"))


def test_pages_follow_next_page_token(monitoring: MonitoringServer, metrics: monitoring_v3.MetricServiceClient) -> None:
    # FULL: page_size counts points, but a series is never split, so 72-point series come one a page.
    pager = _query(metrics, page_size=100)
    pages = list(pager.pages)
    assert [len(p.time_series) for p in pages] == [1, 1, 1]
    assert monitoring.count("ListTimeSeries") == 3
    tokens = [c.request.page_token for c in monitoring.calls]
    assert tokens[0] == "" and tokens[1] == pages[0].next_page_token and tokens[2] == pages[1].next_page_token
    assert pages[-1].next_page_token == ""

    headers = monitoring_v3.ListTimeSeriesRequest.TimeSeriesView.HEADERS
    series = list(_query(metrics, page_size=2, view=headers))
    assert len(series) == 3 and all(not s.points for s in series)
    assert monitoring.count() == 5


def test_monitoring_service_disabled(monitoring: MonitoringServer, metrics: monitoring_v3.MetricServiceClient) -> None:
    monitoring.fail(PROJECT, "SERVICE_DISABLED")
    with pytest.raises(exceptions.PermissionDenied) as caught:
        list(_query(metrics))
    exc = caught.value
    assert exc.grpc_status_code == grpc.StatusCode.PERMISSION_DENIED and isinstance(exc, exceptions.Forbidden)
    assert exc.reason == "SERVICE_DISABLED" and exc.domain == "googleapis.com"
    assert exc.metadata["service"] == "monitoring.googleapis.com"
    assert isinstance(exc.details[0], error_details_pb2.ErrorInfo)
    assert "Cloud Monitoring API has not been used" in exc.message


def test_monitoring_resource_exhausted_then_success(
    monitoring: MonitoringServer, metrics: monitoring_v3.MetricServiceClient
) -> None:
    monitoring.fail(PROJECT, "RATE_LIMIT", times=3)
    with pytest.raises(exceptions.ResourceExhausted) as caught:
        list(_query(metrics))  # the default retry only covers UNAVAILABLE
    assert caught.value.reason == "RATE_LIMIT_EXCEEDED"
    assert len(list(_query(metrics, retry=RETRY_429))) == 3
    assert monitoring.count() == 4


def test_monitoring_unavailable_is_retried_by_default(
    monitoring: MonitoringServer, metrics: monitoring_v3.MetricServiceClient
) -> None:
    monitoring.fail(PROJECT, "UNAVAILABLE", times=1)
    assert len(list(_query(metrics))) == 3
    assert monitoring.count() == 2
