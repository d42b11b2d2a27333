"""The AWS collector against a real moto_server holding the standard fleet (tests/support/aws_fleet.py)."""

from __future__ import annotations

import math

import pytest
from aws_fleet import GPU_SHAPES, HOURS_14_DAYS, STANDARD_FLEET, Box, seed_many

from infraaudit.audit.catalog import Catalog
from infraaudit.audit.collect.aws.calls import AWS_CALLS
from infraaudit.audit.collect.aws.collector import AwsScanOptions, collect_aws
from infraaudit.audit.collect.aws.targets import AwsTargetSpec
from infraaudit.audit.models import Market, Resource, ResourceState


def _by_name(result) -> dict[str, Resource]:  # type: ignore[no-untyped-def]
    return {r.name: r for r in result.inventory.resources if r.name}


def test_org_scan_finds_every_box_of_active_accounts(standard_scan, standard_aws) -> None:
    fleet = standard_aws.fleet
    inventory = standard_scan.inventory
    expected = {fleet.uid(box.name) for box in STANDARD_FLEET if box.account != "closed"}
    assert {r.uid for r in inventory.resources} == expected
    assert inventory.gaps == []
    assert inventory.coverage.accounts == sorted([fleet.accounts["management"], fleet.accounts["ml"]])
    assert inventory.coverage.regions == ["eu-west-1", "us-east-1"]
    assert all(r.source == "scan" for r in inventory.resources)


def test_instance_facts(standard_scan) -> None:
    boxes = _by_name(standard_scan)
    assert boxes["busy-spot"].market is Market.SPOT
    assert boxes["busy-train-od"].market is Market.ON_DEMAND
    assert boxes["stopped-untagged"].state is ResourceState.STOPPED
    assert boxes["stopped-untagged"].tags == {"Name": "stopped-untagged"}
    assert boxes["idle-a100"].state is ResourceState.RUNNING
    assert boxes["eu-ok"].region == "eu-west-1" and boxes["eu-ok"].zone == "eu-west-1a"
    insecure, safe = boxes["insecure"].security, boxes["busy-spot"].security
    assert (insecure.public_ip, insecure.imdsv2_required, insecure.boot_disk_encrypted) == (True, False, False)
    assert (safe.public_ip, safe.imdsv2_required, safe.boot_disk_encrypted) == (False, True, True)
    assert boxes["idle-a100"].launched_at is not None and boxes["idle-a100"].launched_at.tzinfo is not None


def test_telemetry_summaries(standard_scan) -> None:
    boxes = _by_name(standard_scan)
    idle = boxes["idle-a100"].utilization
    assert idle is not None and idle.gpu_percent is not None
    # 0.5/1.0/1.5 % repeating over 336 hours on each of 8 GPUs
    assert (idle.gpu_percent.avg, idle.gpu_percent.p95, idle.gpu_percent.max) == (1.0, 1.5, 1.5)
    assert (idle.gpu_percent.samples, idle.gpu_percent.coverage, idle.gpu_percent.window_days) == (336, 1.0, 14.0)
    assert [d.index for d in idle.devices] == list(range(8))
    assert idle.uptime_fraction == 1.0
    assert idle.cpu_percent is not None and idle.cpu_percent.avg == 35.0
    # memory: 5 % of 40 GiB per GPU, summed over 8 GPUs
    assert idle.gpu_memory_used_gib is not None and idle.gpu_memory_used_gib.max == pytest.approx(16.0)


def test_per_gpu_telemetry_shows_idle_devices(standard_scan) -> None:
    partly = _by_name(standard_scan)["partly-idle-l4"].utilization
    assert partly is not None
    p95 = {d.index: d.gpu_percent.p95 for d in partly.devices}
    assert p95 == {0: 72.0, 1: 72.0, 2: 1.0, 3: 1.0}
    busy_mean = 68.0 + sum(hour % 5 for hour in range(336)) / 336  # 68 % + a 0-4 % wobble
    assert partly.gpu_percent is not None and partly.gpu_percent.avg == round((busy_mean * 2 + 1.0 * 2) / 4, 3)


def test_missing_telemetry_is_absent_never_zero(standard_scan) -> None:
    boxes = _by_name(standard_scan)
    no_agent = boxes["no-agent"].utilization
    assert no_agent is not None and no_agent.gpu_percent is None and no_agent.devices == []
    assert no_agent.cpu_percent is not None  # EC2 still reports CPU
    assert boxes["stopped-untagged"].utilization is None
    sparse = boxes["sparse"].utilization
    assert sparse is not None and sparse.gpu_percent is not None
    assert (sparse.gpu_percent.samples, sparse.gpu_percent.coverage) == (72, round(72 / 336, 4))


def test_calls_are_batched_and_declared(standard_scan) -> None:
    calls = standard_scan.api_calls
    declared = {call.action for call in AWS_CALLS}
    assert set(calls) <= declared
    # 2 accounts x 2 regions; one instance listing per pair (types fit one 200-value filter)
    assert calls["ec2:DescribeInstances"] == 4
    assert calls["ec2:DescribeInstanceTypes"] == 2  # cached per region, shared by the accounts
    # 3 account-regions hold instances: one GetMetricData call each, two metric listings each
    assert calls["cloudwatch:GetMetricData"] == 3
    assert calls["cloudwatch:ListMetrics"] == 6
    assert calls["ec2:DescribeVolumes"] == 3
    assert calls["sts:AssumeRole"] == 1  # into 'ml'; the closed account is never assumed into
    assert calls["organizations:ListAccounts"] == 1


def test_call_counts_scale_with_batches_not_instances(moto_server, aws_env) -> None:
    """300 GPU instances in one region: a handful of calls, never one per instance."""
    from datetime import UTC, datetime

    moto_server.reset()
    now = datetime.now(UTC)
    count = 300
    seed_many(moto_server.url, Box("fleet", "g5.xlarge", telemetry="idle"), count, now, hours=48)
    spec = AwsTargetSpec(regions=("us-east-1",), endpoint_url=moto_server.url)
    result = collect_aws(spec, Catalog.load(), now=now, options=AwsScanOptions(lookback_days=2))
    assert len(result.inventory.resources) == count, result.inventory.gaps
    series = count * 2 + count  # GPU utilisation + memory per GPU, CPU per instance
    calls = result.api_calls
    assert calls["cloudwatch:GetMetricData"] == math.ceil(series / 500), calls
    assert calls["cloudwatch:ListMetrics"] == 2 * math.ceil(count / 500)
    assert calls["ec2:DescribeInstances"] == 1
    assert calls["ec2:DescribeVolumes"] == math.ceil(count / 200)
    idle = result.inventory.resources[0].utilization
    assert idle is not None and idle.gpu_percent is not None and idle.gpu_percent.samples == 48


def test_gpu_shapes_cover_the_fleet() -> None:
    assert {box.instance_type for box in STANDARD_FLEET} <= set(GPU_SHAPES)
    assert HOURS_14_DAYS == 336
