"""The AWS scan: accounts × regions in a bounded thread pool, each turned into Resources.

A failing call becomes a coverage gap (account, region, API, error code) and the rest of
the scan goes on; a region whose instances could not be listed contributes no resources
and a gap, so the report can never look clean over missing data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from ...catalog import Catalog
from ...models import Accelerator, Coverage, CoverageGap, Inventory, Resource
from ..pool import Progress, run_all
from ..series import InstanceTelemetry, Window
from ..shared import UNKNOWN_UTILIZATION, ApiCallCounter, sorted_gaps
from . import ec2 as ec2_api
from . import telemetry
from .counter import client_config
from .gaps import AWS_ERRORS, gap
from .targets import AwsAccount, AwsTargetSpec, resolve_targets

APIS = ("ec2:DescribeInstances", "ec2:DescribeVolumes", "cloudwatch:GetMetricData")

TELEMETRY_ERRORS: tuple[type[Exception], ...] = (*AWS_ERRORS, telemetry.MetricDataError)


@dataclass(frozen=True)
class AwsScanOptions:
    lookback_days: int = 14
    max_workers: int = 8
    max_attempts: int = 8
    read_timeout_s: float = 60.0


@dataclass
class AwsScanResult:
    inventory: Inventory
    api_calls: dict[str, int]


@dataclass
class _RegionResult:
    resources: list[Resource] = field(default_factory=list)
    gaps: list[CoverageGap] = field(default_factory=list)


def collect_aws(
    spec: AwsTargetSpec,
    catalog: Catalog,
    *,
    now: datetime,
    options: AwsScanOptions = AwsScanOptions(),
    progress: Progress | None = None,
    counter: ApiCallCounter | None = None,
) -> AwsScanResult:
    counter = counter or ApiCallCounter()
    config = client_config(options.max_attempts, options.read_timeout_s, pool=max(10, options.max_workers))
    targets = resolve_targets(spec, counter, config)
    gaps = list(targets.gaps)
    work: list[tuple[AwsAccount, str]] = []
    for account in targets.accounts:
        regions = list(spec.regions) or _enabled_regions(account, gaps)
        work.extend((account, region) for region in regions)
    scanner = _RegionScanner(catalog, Window.ending(now, options.lookback_days))
    resources: list[Resource] = []
    jobs = [partial(scanner.scan, account, region) for account, region in work]
    for result in run_all(jobs, max_workers=options.max_workers, name="aws-scan", progress=progress):
        resources.extend(result.resources)
        gaps.extend(result.gaps)
    resources.sort(key=lambda r: r.uid)
    inventory = Inventory(
        generated_at=now,
        resources=resources,
        coverage=Coverage(
            accounts=sorted(a.account_id for a in targets.accounts),
            regions=sorted({region for _, region in work}),
            apis=sorted(APIS),
        ),
        gaps=sorted_gaps(gaps),
    )
    return AwsScanResult(inventory, counter.snapshot())


def _enabled_regions(account: AwsAccount, gaps: list[CoverageGap]) -> list[str]:
    """The account's enabled regions (opted-out regions are not listed by default)."""
    try:
        answer = account.clients.client("ec2", account.home_region).describe_regions(AllRegions=False)
    except AWS_ERRORS as exc:
        gaps.append(gap(exc, api="ec2:DescribeRegions", account=account.account_id))
        return []
    return sorted(region["RegionName"] for region in answer.get("Regions", []))


class _RegionScanner:
    def __init__(self, catalog: Catalog, window: Window) -> None:
        self._catalog = catalog
        self._window = window
        self._types = ec2_api.InstanceTypeCache()
        self._catalog_types = set(catalog.instance_types("aws"))

    def scan(self, account: AwsAccount, region: str) -> _RegionResult:
        result = _RegionResult()
        account_id = account.account_id
        ec2 = account.clients.client("ec2", region)
        try:
            described = self._types.get(region, ec2)
        except AWS_ERRORS as exc:
            # Still scan the types the catalog knows, but say that new types may be missed.
            result.gaps.append(gap(exc, api="ec2:DescribeInstanceTypes", account=account_id, region=region))
            described = {}
        try:
            instances = ec2_api.describe_gpu_instances(ec2, ec2_api.gpu_type_names(described, self._catalog))
        except AWS_ERRORS as exc:
            result.gaps.append(gap(exc, api="ec2:DescribeInstances", account=account_id, region=region))
            return result
        if not instances:
            return result
        encryption = self._encryption(ec2, instances, account_id, region, result)
        series, telemetry_failed = self._telemetry(account, region, instances, described, result)
        for instance in instances:
            result.resources.append(
                self._resource(instance, account_id, region, described, encryption, series, telemetry_failed)
            )
        return result

    def _encryption(
        self, ec2: Any, instances: Sequence[dict[str, Any]], account: str, region: str, result: _RegionResult
    ) -> dict[str, bool] | None:
        volume_ids = [v for v in map(ec2_api.root_volume_id, instances) if v]
        if not volume_ids:
            return {}
        try:
            return ec2_api.volume_encryption(ec2, volume_ids)
        except AWS_ERRORS as exc:
            result.gaps.append(gap(exc, api="ec2:DescribeVolumes", account=account, region=region))
            return None

    def _telemetry(
        self,
        account: AwsAccount,
        region: str,
        instances: Sequence[dict[str, Any]],
        described: dict[str, ec2_api.TypeInfo],
        result: _RegionResult,
    ) -> tuple[dict[str, InstanceTelemetry], bool]:
        cloudwatch = account.clients.client("cloudwatch", region)
        ids = {instance["InstanceId"] for instance in instances}
        # GPU memory size is only fetched for types whose per-GPU memory nobody knows.
        unsized = {i["InstanceId"] for i in instances if not self._memory_known(i["InstanceType"], described)}
        metrics = [telemetry.GPU_UTILIZATION, telemetry.GPU_MEMORY_USED]
        api = "cloudwatch:ListMetrics"
        try:
            queries = telemetry.list_gpu_queries(cloudwatch, ids, metrics)
            if unsized:
                queries += telemetry.list_gpu_queries(cloudwatch, unsized, [telemetry.GPU_MEMORY_TOTAL])
            queries = telemetry.by_instance(queries + telemetry.cpu_queries(ids))
            api = "cloudwatch:GetMetricData"
            fetched = telemetry.fetch(cloudwatch, queries, self._window)
            return telemetry.summarize_instances(fetched, self._window), False
        except TELEMETRY_ERRORS as exc:
            result.gaps.append(gap(exc, api=api, account=account.account_id, region=region))
            return {}, True

    def _memory_known(self, instance_type: str, described: dict[str, ec2_api.TypeInfo]) -> bool:
        spec = self._catalog.spec("aws", instance_type)
        if spec is not None and spec.gpu_memory_gib is not None:
            return True
        info = described.get(instance_type)
        return info is not None and all(a.memory_gib is not None for a in info.accelerators)

    def _resource(
        self,
        instance: dict[str, Any],
        account: str,
        region: str,
        described: dict[str, ec2_api.TypeInfo],
        encryption: dict[str, bool] | None,
        series: dict[str, InstanceTelemetry],
        telemetry_failed: bool,
    ) -> Resource:
        instance_type = instance["InstanceType"]
        volume = ec2_api.root_volume_id(instance)
        resource = ec2_api.instance_resource(
            instance,
            account=account,
            region=region,
            type_info=described.get(instance_type),
            known_to_catalog=instance_type in self._catalog_types,
            root_encrypted=None if encryption is None or volume is None else encryption.get(volume),
        )
        found = series.get(instance["InstanceId"])
        update: dict[str, Any] = {"utilization": found.utilization if found else None}
        if telemetry_failed:
            update["unknown"] = [UNKNOWN_UTILIZATION]
        sized = found.device_memory_gib if found else {}
        if sized and resource.accelerators and all(a.memory_gib is None for a in resource.accelerators):
            update["accelerators"] = [
                Accelerator(model=a.model, count=a.count, memory_gib=max(sized.values())) for a in resource.accelerators
            ]
        return resource.model_copy(update=update)
