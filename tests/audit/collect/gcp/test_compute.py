"""VM mapping on Compute Engine v1 Instance JSON, parsed by google-cloud-compute itself."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from google.cloud import compute_v1

from infraaudit.audit.collect.gcp import compute
from infraaudit.audit.models import Market, ResourceState

BASE = "https://www.googleapis.com/compute/v1/projects/ml-prod/zones/us-central1-a"


def _vm(**fields: Any) -> Any:
    document = {
        "kind": "compute#instance",
        "id": "4893275623412345678",
        "name": "train-01",
        "zone": BASE,
        "machineType": f"{BASE}/machineTypes/n1-standard-8",
        "status": "RUNNING",
        "creationTimestamp": "2026-10-01T09:15:00.000-07:00",
        "scheduling": {"provisioningModel": "STANDARD", "preemptible": False, "onHostMaintenance": "TERMINATE"},
        "guestAccelerators": [{"acceleratorType": f"{BASE}/acceleratorTypes/nvidia-tesla-t4", "acceleratorCount": 2}],
        "networkInterfaces": [{"network": "global/networks/default", "networkIP": "10.128.0.7"}],
        "labels": {"team": "research"},
        **fields,
    }
    return compute_v1.Instance.from_json(json.dumps(document), ignore_unknown_fields=True)


def test_a_t4_vm() -> None:
    resource = compute.instance_resource(_vm(), project="ml-prod", zone="us-central1-a")
    assert resource.uid == "gcp:ml-prod:us-central1-a:train-01"
    assert (resource.region, resource.instance_type) == ("us-central1", "n1-standard-8")
    assert [(a.model, a.count) for a in resource.accelerators] == [("T4", 2)]
    assert resource.state is ResourceState.RUNNING and resource.market is Market.ON_DEMAND
    assert resource.launched_at == datetime(2026, 10, 1, 16, 15, tzinfo=UTC)
    assert resource.tags == {"team": "research"}
    assert resource.security.public_ip is False and resource.security.boot_disk_encrypted is True


@pytest.mark.parametrize(
    ("scheduling", "expected"),
    [
        ({"provisioningModel": "SPOT"}, Market.SPOT),
        ({"preemptible": True}, Market.SPOT),
        ({"provisioningModel": "FLEX_START"}, Market.CAPACITY_BLOCK),
        ({"provisioningModel": "RESERVATION_BOUND"}, Market.RESERVED),
        ({}, Market.ON_DEMAND),
    ],
)
def test_market_from_scheduling(scheduling: dict[str, Any], expected: Market) -> None:
    assert compute.market(_vm(scheduling=scheduling)) is expected


@pytest.mark.parametrize(
    ("status", "state"),
    [("TERMINATED", ResourceState.STOPPED), ("STAGING", ResourceState.PENDING), ("REPAIRING", ResourceState.UNKNOWN)],
)
def test_status(status: str, state: ResourceState) -> None:
    assert compute.instance_resource(_vm(status=status), project="p", zone="us-central1-a").state is state


def test_gpu_vms_by_accelerators_or_family() -> None:
    assert compute.is_gpu_vm(_vm())
    a3 = _vm(machineType=f"{BASE}/machineTypes/a3-highgpu-8g", guestAccelerators=[])
    assert compute.is_gpu_vm(a3)
    assert compute.instance_resource(a3, project="p", zone="us-central1-a").accelerators == []  # from the catalog
    assert not compute.is_gpu_vm(_vm(machineType=f"{BASE}/machineTypes/n2-standard-8", guestAccelerators=[]))


def test_external_ip_and_last_start() -> None:
    vm = _vm(
        networkInterfaces=[{"accessConfigs": [{"type": "ONE_TO_ONE_NAT", "natIP": "34.1.2.3"}]}],
        lastStartTimestamp="2026-11-20T08:00:00.000-08:00",
    )
    resource = compute.instance_resource(vm, project="p", zone="europe-west4-b")
    assert resource.security.public_ip is True
    assert resource.launched_at == datetime(2026, 11, 20, 16, tzinfo=UTC)
    assert resource.region == "europe-west4"


def test_an_access_config_without_an_address_is_not_public() -> None:
    vm = _vm(networkInterfaces=[{"accessConfigs": [{"type": "ONE_TO_ONE_NAT", "name": "external-nat"}]}])
    assert compute.instance_resource(vm, project="p", zone="us-central1-a").security.public_ip is False


def test_shielded_vm_needs_all_three_protections() -> None:
    on = {"enableSecureBoot": True, "enableVtpm": True, "enableIntegrityMonitoring": True}
    shielded = compute.instance_resource(_vm(shieldedInstanceConfig=on), project="ml-prod", zone="us-central1-a")
    assert shielded.security.shielded_vm is True
    partial = compute.instance_resource(
        _vm(shieldedInstanceConfig={**on, "enableSecureBoot": False}), project="ml-prod", zone="us-central1-a"
    )
    assert partial.security.shielded_vm is False
    unknown = compute.instance_resource(_vm(), project="ml-prod", zone="us-central1-a")
    assert unknown.security.shielded_vm is None  # no field in the listing: unknown, not False


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (None, False),  # Google-managed keys
        ({"kmsKeyName": "projects/p/locations/us-central1/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1"}, True),
        ({"sha256": "OyBu0NkeOUehq+1GGZLEGhf/YxsZuFq9WfS0+ulXlJY="}, True),  # customer-supplied (CSEK)
    ],
)
def test_boot_disk_customer_key(key: dict[str, str] | None, expected: bool) -> None:
    disk: dict[str, Any] = {"boot": True, "source": f"{BASE}/disks/train-01"}
    if key is not None:
        disk["diskEncryptionKey"] = key
    data_disk = {"boot": False, "diskEncryptionKey": {"kmsKeyName": "projects/p/locations/l/keyRings/r/cryptoKeys/d"}}
    resource = compute.instance_resource(_vm(disks=[data_disk, disk]), project="ml-prod", zone="us-central1-a")
    assert resource.security.boot_disk_customer_key is expected
    assert (
        compute.instance_resource(_vm(), project="ml-prod", zone="us-central1-a").security.boot_disk_customer_key
        is None
    )
