"""Listing GPU VMs through the real google-cloud-compute client against a local Compute REST server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from gcp_servers import ComputeServer, gpu_instance
from google.api_core import exceptions as api_exceptions
from google.api_core.client_options import ClientOptions
from google.api_core.retry import Retry, if_exception_type
from google.auth.credentials import AnonymousCredentials
from google.cloud import compute_v1

from infraaudit.audit.collect.gcp import inventory

PROJECT = "ml-prod"
FAST_RETRY = Retry(predicate=if_exception_type(api_exceptions.TooManyRequests), initial=0.01, maximum=0.05, timeout=5)


@pytest.fixture
def compute() -> Iterator[tuple[ComputeServer, compute_v1.InstancesClient]]:
    with ComputeServer() as server:
        client = compute_v1.InstancesClient(
            credentials=AnonymousCredentials(), transport="rest", client_options=ClientOptions(api_endpoint=server.url)
        )
        yield server, client


def _fleet(server: ComputeServer, gpus: int, plain: int = 0) -> None:
    for n in range(gpus):
        zone = "us-central1-a" if n % 2 else "europe-west4-b"
        server.add_instance(PROJECT, zone, gpu_instance(f"gpu-{n}", zone, "g2-standard-8", project=PROJECT))
    for n in range(plain):
        vm = gpu_instance(f"web-{n}", "us-central1-a", "n2-standard-4", project=PROJECT, accelerators=[])
        server.add_instance(PROJECT, "us-central1-a", vm)


def test_lists_only_gpu_vms_across_pages(compute, monkeypatch) -> None:
    server, client = compute
    _fleet(server, gpus=7, plain=3)
    monkeypatch.setattr(inventory, "PAGE_SIZE", 4)
    found = inventory.list_gpu_vms(client, PROJECT, retry=FAST_RETRY)
    assert found.gaps == []
    assert sorted(r.name for r in found.resources) == [f"gpu-{n}" for n in range(7)]
    assert {r.region for r in found.resources} == {"us-central1", "europe-west4"}
    assert server.count(inventory.AGGREGATED_LIST, project=PROJECT) == 3  # 10 VMs, 4 per page


def test_an_unreachable_zone_is_a_gap(compute) -> None:
    server, client = compute
    _fleet(server, gpus=2)
    server.set_unreachable(PROJECT, "europe-west4-b")
    found = inventory.list_gpu_vms(client, PROJECT, retry=FAST_RETRY)
    assert [(g.region, g.error_code) for g in found.gaps] == [("europe-west4-b", "UNREACHABLE")]


@pytest.mark.parametrize(
    ("failure", "code"), [("SERVICE_DISABLED", "SERVICE_DISABLED"), ("PERMISSION_DENIED", "IAM_PERMISSION_DENIED")]
)
def test_api_errors_are_gaps_never_an_empty_project(compute, failure: str, code: str) -> None:
    server, client = compute
    _fleet(server, gpus=2)
    server.fail(PROJECT, failure)  # type: ignore[arg-type]
    found = inventory.list_gpu_vms(client, PROJECT, retry=FAST_RETRY)
    assert found.resources == []
    assert [(g.account, g.api, g.error_code) for g in found.gaps] == [(PROJECT, inventory.AGGREGATED_LIST, code)]


def test_rate_limits_are_retried(compute) -> None:
    server, client = compute
    _fleet(server, gpus=1)
    server.fail(PROJECT, "RATE_LIMIT", times=2)
    found = inventory.list_gpu_vms(client, PROJECT, retry=FAST_RETRY)
    assert found.gaps == [] and len(found.resources) == 1
    assert server.count(inventory.AGGREGATED_LIST, project=PROJECT) == 3
