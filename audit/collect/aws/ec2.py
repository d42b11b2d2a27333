"""EC2: which instance types carry accelerators, the GPU instances, their root volumes."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ...catalog import Catalog
from ...models import (
    Accelerator,
    Market,
    Provider,
    Resource,
    ResourceState,
    SecurityFacts,
    Source,
)
from ..shared import chunks

# Instance families that carry accelerators: GPUs (p, g, gr), Inferentia (inf), Trainium (trn),
# Gaudi/Qualcomm (dl). Asking DescribeInstanceTypes for these only (~80 types, one page) instead
# of all ~1,000 saves ~10 pages per region; a future accelerated family with a new letter is
# still found when the catalog knows its types, and is listed here when it appears.
ACCELERATED_FAMILIES = ["p*", "g*", "inf*", "trn*", "dl*"]
# EC2 accepts at most 200 values in one filter.
FILTER_VALUES = 200
PAGE_SIZE = 1000
LIVE_STATES = ["pending", "running", "stopping", "stopped", "shutting-down"]
_STATES = {
    "pending": ResourceState.PENDING,
    "running": ResourceState.RUNNING,
    "stopping": ResourceState.STOPPING,
    "stopped": ResourceState.STOPPED,
    "shutting-down": ResourceState.STOPPING,
    "terminated": ResourceState.TERMINATED,
}
_LIFECYCLE = {"spot": Market.SPOT, "capacity-block": Market.CAPACITY_BLOCK}
MIB_PER_GIB = 1024


@dataclass(frozen=True)
class TypeInfo:
    """Hardware of one accelerated instance type, as describe_instance_types reports it."""

    accelerators: tuple[Accelerator, ...]
    vcpus: int | None
    memory_gib: float | None


def accelerated_types(pages: Iterable[dict[str, Any]]) -> dict[str, TypeInfo]:
    """Instance types with GPUs, Neuron devices or inference accelerators, from describe_instance_types pages."""
    found: dict[str, TypeInfo] = {}
    for page in pages:
        for item in page.get("InstanceTypes", []):
            accelerators = tuple(_accelerators(item))
            if accelerators:
                memory_mib = item.get("MemoryInfo", {}).get("SizeInMiB")
                found[item["InstanceType"]] = TypeInfo(
                    accelerators,
                    item.get("VCpuInfo", {}).get("DefaultVCpus"),
                    memory_mib / MIB_PER_GIB if memory_mib else None,
                )
    return found


def _accelerators(item: dict[str, Any]) -> Iterator[Accelerator]:
    devices = (
        item.get("GpuInfo", {}).get("Gpus", [])
        + item.get("NeuronInfo", {}).get("NeuronDevices", [])
        + item.get("InferenceAcceleratorInfo", {}).get("Accelerators", [])
    )
    for device in devices:
        if device.get("Count"):
            memory_mib = device.get("MemoryInfo", {}).get("SizeInMiB")
            yield Accelerator(
                model=str(device.get("Name") or "unknown"),
                count=int(device["Count"]),
                memory_gib=memory_mib / MIB_PER_GIB if memory_mib else None,
            )


class InstanceTypeCache:
    """Accelerated types per region, looked up once per region for all accounts of a scan."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._region_locks: dict[str, threading.Lock] = {}
        self._types: dict[str, dict[str, TypeInfo]] = {}

    def get(self, region: str, ec2: Any) -> dict[str, TypeInfo]:
        with self._lock:
            region_lock = self._region_locks.setdefault(region, threading.Lock())
        with region_lock:
            if region not in self._types:
                paginator = ec2.get_paginator("describe_instance_types")
                pages = paginator.paginate(
                    Filters=[{"Name": "instance-type", "Values": ACCELERATED_FAMILIES}],
                    PaginationConfig={"PageSize": 100},
                )
                self._types[region] = accelerated_types(pages)
            return self._types[region]


def gpu_type_names(described: dict[str, TypeInfo], catalog: Catalog) -> list[str]:
    """Types to ask for: those the region reports with accelerators, plus the catalog's GPU
    types (describe_instance_types can lag behind or, on emulators, lack GpuInfo)."""
    return sorted(set(described) | set(catalog.instance_types(Provider.AWS)))


def describe_gpu_instances(ec2: Any, type_names: Sequence[str]) -> list[dict[str, Any]]:
    """Every live instance of the given types: server-side filtered, 1,000 per page."""
    paginator = ec2.get_paginator("describe_instances")
    instances: list[dict[str, Any]] = []
    for names in chunks(type_names, FILTER_VALUES):
        filters = [
            {"Name": "instance-type", "Values": names},
            {"Name": "instance-state-name", "Values": LIVE_STATES},
        ]
        for page in paginator.paginate(Filters=filters, PaginationConfig={"PageSize": PAGE_SIZE}):
            for reservation in page.get("Reservations", []):
                instances.extend(reservation.get("Instances", []))
    return instances


def root_volume_id(instance: dict[str, Any]) -> str | None:
    root = instance.get("RootDeviceName")
    for mapping in instance.get("BlockDeviceMappings", []):
        if mapping.get("DeviceName") == root:
            volume = mapping.get("Ebs", {}).get("VolumeId")
            return str(volume) if volume else None
    return None


def volume_encryption(ec2: Any, volume_ids: Sequence[str]) -> dict[str, bool]:
    """Encrypted flag per volume id, 200 ids per filter and 1,000 volumes per page."""
    paginator = ec2.get_paginator("describe_volumes")
    encrypted: dict[str, bool] = {}
    for ids in chunks(sorted(set(volume_ids)), FILTER_VALUES):
        pages = paginator.paginate(Filters=[{"Name": "volume-id", "Values": ids}], PaginationConfig={"PageSize": 1000})
        for page in pages:
            for volume in page.get("Volumes", []):
                encrypted[volume["VolumeId"]] = bool(volume.get("Encrypted"))
    return encrypted


def instance_resource(
    instance: dict[str, Any],
    *,
    account: str,
    region: str,
    type_info: TypeInfo | None,
    known_to_catalog: bool,
    root_encrypted: bool | None,
) -> Resource:
    """The contract's Resource for one EC2 instance (telemetry and prices are added later)."""
    instance_id = instance["InstanceId"]
    tags = {tag["Key"]: tag.get("Value", "") for tag in instance.get("Tags", []) if "Key" in tag}
    metadata = instance.get("MetadataOptions") or {}
    tokens = metadata.get("HttpTokens")
    # The catalog names accelerators consistently across providers; GpuInfo only fills unknown types.
    accelerators = [] if known_to_catalog or type_info is None else list(type_info.accelerators)
    launched: datetime | None = instance.get("LaunchTime")
    return Resource(
        uid=f"aws:{account}:{region}:{instance_id}",
        provider=Provider.AWS,
        account=account,
        region=region,
        zone=instance.get("Placement", {}).get("AvailabilityZone"),
        name=tags.get("Name"),
        instance_type=instance["InstanceType"],
        state=_STATES.get(instance.get("State", {}).get("Name", ""), ResourceState.UNKNOWN),
        market=_LIFECYCLE.get(instance.get("InstanceLifecycle", ""), Market.ON_DEMAND),
        accelerators=accelerators,
        vcpus=None if known_to_catalog or type_info is None else type_info.vcpus,
        memory_gib=None if known_to_catalog or type_info is None else type_info.memory_gib,
        launched_at=launched,
        tags=tags,
        security=SecurityFacts(
            public_ip=bool(instance.get("PublicIpAddress")),
            imdsv2_required=None if tokens is None else tokens == "required",
            boot_disk_encrypted=root_encrypted,
        ),
        source=Source.SCAN,
    )
