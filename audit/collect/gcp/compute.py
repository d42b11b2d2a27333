"""Compute Engine instances (google-cloud-compute `Instance` messages) as contract Resources."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from ...catalog import gcp_accelerator_model
from ...models import Accelerator, Market, Provider, Resource, ResourceState, SecurityFacts, Source

# Accelerator-optimized families: their GPUs come with the machine type, not as guestAccelerators.
ACCELERATOR_OPTIMIZED = re.compile(r"^(a2|a3|a4|a4x|g2|g4)-")
_STATES = {
    "PROVISIONING": ResourceState.PENDING,
    "STAGING": ResourceState.PENDING,
    "RUNNING": ResourceState.RUNNING,
    "STOPPING": ResourceState.STOPPING,
    "SUSPENDING": ResourceState.STOPPING,
    "STOPPED": ResourceState.STOPPED,
    "SUSPENDED": ResourceState.STOPPED,
    "TERMINATED": ResourceState.STOPPED,  # GCE's word for a stopped VM; it can be started again
}
_MARKETS = {
    "SPOT": Market.SPOT,
    "FLEX_START": Market.CAPACITY_BLOCK,  # Dynamic Workload Scheduler: time-bound capacity
    "RESERVATION_BOUND": Market.RESERVED,
}


def last_segment(url: str) -> str:
    """`https://.../zones/us-central1-a/machineTypes/a2-highgpu-1g` -> `a2-highgpu-1g`."""
    return url.rstrip("/").rsplit("/", 1)[-1]


def zone_region(zone: str) -> str:
    """`us-central1-a` -> `us-central1`."""
    return zone.rsplit("-", 1)[0]


def is_gpu_vm(instance: Any) -> bool:
    return bool(instance.guest_accelerators) or bool(ACCELERATOR_OPTIMIZED.match(last_segment(instance.machine_type)))


def market(instance: Any) -> Market:
    scheduling = instance.scheduling
    if scheduling.preemptible:  # legacy preemptible VMs: priced as spot
        return Market.SPOT
    return _MARKETS.get(scheduling.provisioning_model or "STANDARD", Market.ON_DEMAND)


def _timestamp(value: str) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def instance_resource(instance: Any, *, project: str, zone: str) -> Resource:
    """The contract's Resource for one VM (telemetry and prices are added later)."""
    accelerators = [
        Accelerator(model=gcp_accelerator_model(a.accelerator_type), count=a.accelerator_count)
        for a in instance.guest_accelerators
        if a.accelerator_count
    ]
    public = any(
        config.nat_i_p or config.external_ipv6
        for interface in instance.network_interfaces
        for config in [*interface.access_configs, *interface.ipv6_access_configs]
    )
    labels = dict(instance.labels)
    return Resource(
        uid=f"gcp:{project}:{zone}:{instance.name}",
        provider=Provider.GCP,
        account=project,
        region=zone_region(zone),
        zone=zone,
        name=instance.name,
        instance_type=last_segment(instance.machine_type),
        state=_STATES.get(instance.status, ResourceState.UNKNOWN),
        market=market(instance),
        accelerators=accelerators,  # empty for a2/a3/g2...: the catalog fills them from the type
        launched_at=_timestamp(instance.last_start_timestamp) or _timestamp(instance.creation_timestamp),
        tags=labels,
        security=SecurityFacts(
            public_ip=public,
            imdsv2_required=None,  # an AWS notion; GCE's metadata server always needs its header
            boot_disk_encrypted=True,  # Compute Engine encrypts every disk at rest
            boot_disk_customer_key=_boot_disk_customer_key(instance),
            shielded_vm=_shielded(instance),
        ),
        source=Source.SCAN,
    )


def _boot_disk_customer_key(instance: Any) -> bool | None:
    """True with a Cloud KMS key (CMEK) or a customer-supplied key (CSEK), False with Google's
    default keys, None when the listing shows no boot disk."""
    for disk in instance.disks:
        if disk.boot:
            key = disk.disk_encryption_key
            return bool(key.kms_key_name or key.sha256 or key.rsa_encrypted_key or key.raw_key)
    return None


def _shielded(instance: Any) -> bool | None:
    if "shielded_instance_config" not in instance:
        return None  # older images and listings without the field: unknown, not False
    config = instance.shielded_instance_config
    return bool(config.enable_secure_boot and config.enable_vtpm and config.enable_integrity_monitoring)
