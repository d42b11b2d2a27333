"""collect_gcp end to end on the local Compute, Monitoring and Resource Manager servers: project
discovery under an organization, machine-type lookups, call counts, gaps."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from gcp_servers import ComputeServer, MonitoringServer, ResourceManagerServer, gpu_instance

from infraaudit.audit.collect.gcp.collector import GcpScanOptions, GcpTargetSpec, collect_gcp
from infraaudit.audit.collect.gcp.projects import ProjectDiscoveryError

NOW = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)
ZONE = "us-central1-a"
ORG = "123456789012"


@pytest.fixture
def servers() -> Iterator[tuple[ComputeServer, MonitoringServer, ResourceManagerServer]]:
    with ComputeServer() as compute, MonitoringServer() as monitoring, ResourceManagerServer(page_size=2) as manager:
        yield compute, monitoring, manager


def _spec(servers: tuple[Any, ...], **targets: Any) -> GcpTargetSpec:
    compute, monitoring, manager = servers
    endpoints = {"compute": compute.url, "monitoring": monitoring.target, "resourcemanager": manager.url}
    return GcpTargetSpec(endpoints=endpoints, **targets)


def _add_vm(compute: ComputeServer, project: str, name: str, machine_type: str = "g2-standard-8", **kw: Any) -> None:
    compute.add_instance(project, ZONE, gpu_instance(name, ZONE, machine_type, project=project, **kw))


def test_every_active_project_under_the_organization(servers) -> None:
    compute, _, manager = servers
    org = f"organizations/{ORG}"
    research = manager.add_folder("1001", org)
    deep = manager.add_folder("1002", research)
    manager.add_folder("1003", org, state="DELETE_REQUESTED")
    denied = manager.add_folder("1004", org)
    manager.deny(denied)
    for project, parent in (("top-a", org), ("top-b", org), ("top-c", org), ("in-research", research), ("deep", deep)):
        manager.add_project(project, parent)
        _add_vm(compute, project, f"{project}-vm")
    manager.add_project("doomed", org, state="DELETE_REQUESTED")
    _add_vm(compute, "doomed", "doomed-vm")

    result = collect_gcp(_spec(servers, organization=ORG, projects=("top-a",)), now=NOW)

    inventory = result.inventory
    assert inventory.coverage.accounts == ["deep", "in-research", "top-a", "top-b", "top-c"]
    assert sorted(r.name for r in inventory.resources) == [
        "deep-vm", "in-research-vm", "top-a-vm", "top-b-vm", "top-c-vm",
    ]  # fmt: skip
    [gap] = inventory.gaps
    assert (gap.account, gap.api, gap.error_code) == (
        denied,
        "cloudresourcemanager.projects.list",
        "IAM_PERMISSION_DENIED",
    )
    # org: 3 active projects over 2 pages of 2, folders 1001/1002/1004 over 2 pages; research: 1+1; deep: 1+1
    assert (
        result.api_calls["cloudresourcemanager.projects.list"]
        == manager.count("cloudresourcemanager.projects.list") - 1
    )
    assert result.api_calls["compute.instances.aggregatedList"] == 5  # one per project: top-a is scanned once


def test_an_organization_that_cannot_be_listed_stops_the_scan(servers) -> None:
    _, _, manager = servers
    manager.deny(f"organizations/{ORG}")
    with pytest.raises(ProjectDiscoveryError, match=f"organizations/{ORG}: IAM_PERMISSION_DENIED"):
        collect_gcp(_spec(servers, organization=ORG), now=NOW)


@pytest.mark.parametrize(
    ("targets", "message"),
    [
        ({}, "needs --project, --organization or --folder"),
        ({"organization": "acme.com"}, "--organization takes a numeric id"),
        ({"folders": ("research",)}, "--folder takes a numeric id"),
    ],
)
def test_target_validation(targets: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        GcpTargetSpec(**targets)


def test_unknown_machine_types_are_looked_up_once(servers) -> None:
    compute, _, _ = servers
    compute.add_machine_type(ZONE, "a4-highgpu-8g", 224, 3968 * 1024, [("nvidia-b200", 8)])
    for project in ("p-one", "p-two"):
        _add_vm(compute, project, "n1-t4", "n1-standard-8", accelerators=[("nvidia-tesla-t4", 2)])
        _add_vm(compute, project, "b200", "a4-highgpu-8g", accelerators=[])
        _add_vm(compute, project, "l4", "g2-standard-8")  # in the catalog: not fetched
    options = GcpScanOptions(known_machine_types=frozenset({"g2-standard-8"}))
    result = collect_gcp(_spec(servers, projects=("p-one", "p-two")), now=NOW, options=options)
    by_name = {(r.account, r.name): r for r in result.inventory.resources}
    n1 = by_name[("p-one", "n1-t4")]
    assert (n1.vcpus, n1.memory_gib, [(a.model, a.count) for a in n1.accelerators]) == (8, 30.0, [("T4", 2)])
    b200 = by_name[("p-two", "b200")]
    assert (b200.vcpus, b200.memory_gib, [(a.model, a.count) for a in b200.accelerators]) == (
        224,
        3968.0,
        [("B200", 8)],
    )
    assert by_name[("p-one", "l4")].vcpus is None  # left to the catalog
    assert compute.count("compute.machineTypes.get") == result.api_calls["compute.machineTypes.get"] == 2


def test_a_machine_type_lookup_failure_is_a_gap(servers) -> None:
    compute, _, _ = servers
    _add_vm(compute, "p-one", "custom", "n1-custom-8-30720", accelerators=[("nvidia-tesla-t4", 1)])
    result = collect_gcp(_spec(servers, projects=("p-one",)), now=NOW)
    [gap] = result.inventory.gaps
    assert (gap.api, gap.error_code) == ("compute.machineTypes.get", "NotFound")
    [resource] = result.inventory.resources
    assert resource.vcpus is None and [(a.model, a.count) for a in resource.accelerators] == [("T4", 1)]


def test_calls_do_not_grow_with_vms(servers) -> None:
    compute, monitoring, _ = servers
    hours = [NOW.replace(minute=0) - timedelta(hours=h, minutes=30) for h in range(24)]
    for i in range(520):  # two pages of VMs
        _add_vm(compute, "big", f"vm-{i:03}")
    for resource_id in range(0, 520, 10):
        labels = {"instance_id": str(resource_id), "zone": ZONE, "project_id": "big"}
        monitoring.add_series("big", "compute.googleapis.com/instance/cpu/utilization", {}, "gce_instance", labels,
                              [(t, 0.5) for t in hours])  # fmt: skip
    known = GcpScanOptions(known_machine_types=frozenset({"g2-standard-8"}))
    result = collect_gcp(_spec(servers, projects=("big",)), now=NOW, options=known)
    assert len(result.inventory.resources) == 520
    assert result.api_calls == {"compute.instances.aggregatedList": 2, "monitoring.timeSeries.list": 5}
    assert monitoring.count("ListTimeSeries", project="big") == 5
