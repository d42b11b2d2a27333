"""The stack's configuration, read from Pulumi config in one place (never at import time).

infraaudit:layout              the Layout (`infraaudit recommend --write-stack-config STACK`), required
infraaudit:amis                {region: AMI id}; other regions look up the Deep Learning Base AMI
infraaudit:subnets             {region: [subnet id, ...]}; other regions use the region's zones
infraaudit:securityGroups      {region: [security group id, ...]}; default: the VPC's default group
infraaudit:bootDiskGiB         boot disk size, both clouds (default 200)
infraaudit:ssmAccess           attach AmazonSSMManagedInstanceCore to the instance role (default false)
infraaudit:gcpProject          GCP project when `gcp:project` is not set
infraaudit:gcpImage            boot image (default: a Deep Learning VM image family with the NVIDIA driver)
infraaudit:gcpSubnetworks      {region: subnetwork}; default: the project's `default` network
infraaudit:gcpZones            {region: [zone, ...]} for the regional groups; default: Google's choice
infraaudit:gcpServiceAccount   an existing service account email instead of one created per placement
infraaudit:gcpSecureBoot       Secure Boot on the Shielded VMs (default true)
infraaudit:tags                tags/labels for every resource (the placement's own tags win)
infraaudit:dataClassification  classification for placements that have none
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi

from infraaudit.audit.models import LAYOUT_SCHEMA_VERSION, Layout, Provider

NAMESPACE = "infraaudit"
DEFAULT_BOOT_DISK_GIB = 200
# Deep Learning VM images with the NVIDIA driver preinstalled (Ubuntu 24.04, CUDA 12.9, driver 580).
DEFAULT_GCP_IMAGE = "projects/deeplearning-platform-release/global/images/family/common-cu129-ubuntu-2404-nvidia-580"
WRITE_HINT = "write it with `infraaudit recommend ... --write-stack-config STACK`"


class StackConfigError(pulumi.RunError):
    """A missing or malformed stack config value: Pulumi prints the message, not a traceback."""


@dataclass(frozen=True)
class AwsSettings:
    amis: dict[str, str] = field(default_factory=dict)
    subnets: dict[str, list[str]] = field(default_factory=dict)
    security_groups: dict[str, list[str]] = field(default_factory=dict)
    ssm_access: bool = False


@dataclass(frozen=True)
class GcpSettings:
    project: str | None = None
    image: str = DEFAULT_GCP_IMAGE
    subnetworks: dict[str, str] = field(default_factory=dict)
    zones: dict[str, list[str]] = field(default_factory=dict)
    service_account: str | None = None
    secure_boot: bool = True


@dataclass(frozen=True)
class StackSettings:
    layout: Layout
    boot_disk_gib: int = DEFAULT_BOOT_DISK_GIB
    tags: dict[str, str] = field(default_factory=dict)
    data_classification: str | None = None
    aws: AwsSettings = field(default_factory=AwsSettings)
    gcp: GcpSettings = field(default_factory=GcpSettings)


def parse_layout(raw: Any) -> Layout:
    """The layout from the config value (an object, or its JSON text); one clear error otherwise."""
    key = f"{NAMESPACE}:layout"
    if raw is None or raw == "":
        raise StackConfigError(f"stack config {key} is not set; {WRITE_HINT}")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise StackConfigError(f"stack config {key} is not JSON or an object: {exc}") from None
    if not isinstance(raw, Mapping):
        raise StackConfigError(f"stack config {key} must be an object (a layout), not {type(raw).__name__}")
    version = raw.get("version", LAYOUT_SCHEMA_VERSION)
    if version != LAYOUT_SCHEMA_VERSION:
        raise StackConfigError(
            f"stack config {key} has layout version {version!r}; this program reads version {LAYOUT_SCHEMA_VERSION}"
        )
    try:
        return Layout.model_validate(raw)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise StackConfigError(f"stack config {key} is not a valid layout: {_first_error(exc)}") from None


def _first_error(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    found: list[dict[str, Any]] = errors() if callable(errors) else []
    if not found:
        return " ".join(str(exc).split())
    first = found[0]
    where = ".".join(str(part) for part in first.get("loc", ()))
    more = f" (and {len(found) - 1} more error(s))" if len(found) > 1 else ""
    return f"{where + ': ' if where else ''}{first.get('msg', 'invalid')}{more}"


def read_settings() -> StackSettings:
    """Everything the program needs from the stack config. Call it from the program, not at import."""
    config = pulumi.Config(NAMESPACE)
    layout = parse_layout(_object(config, "layout"))
    gcp_project = pulumi.Config("gcp").get("project") or config.get("gcpProject")
    if gcp_project is None and any(p.provider is Provider.GCP for p in layout.placements):
        raise StackConfigError("the layout has GCP placements: set gcp:project (or infraaudit:gcpProject)")
    boot = config.get_int("bootDiskGiB")
    if boot is not None and boot < 1:
        raise StackConfigError(f"stack config {NAMESPACE}:bootDiskGiB must be a positive number of GiB, not {boot}")
    return StackSettings(
        layout=layout,
        boot_disk_gib=boot or DEFAULT_BOOT_DISK_GIB,
        tags=_strings(config, "tags"),
        data_classification=config.get("dataClassification") or None,
        aws=AwsSettings(
            amis=_strings(config, "amis"),
            subnets=_lists(config, "subnets"),
            security_groups=_lists(config, "securityGroups"),
            ssm_access=bool(config.get_bool("ssmAccess")),
        ),
        gcp=GcpSettings(
            project=gcp_project,
            image=config.get("gcpImage") or DEFAULT_GCP_IMAGE,
            subnetworks=_strings(config, "gcpSubnetworks"),
            zones=_lists(config, "gcpZones"),
            service_account=config.get("gcpServiceAccount") or None,
            secure_boot=config.get_bool("gcpSecureBoot") is not False,
        ),
    )


def _object(config: pulumi.Config, key: str) -> Any:
    try:
        return config.get_object(key)
    except pulumi.ConfigTypeError:
        return config.get(key)  # not JSON: parse_layout / the typed readers say what is wrong


def _strings(config: pulumi.Config, key: str) -> dict[str, str]:
    value = _object(config, key)
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(v, str | int | float | bool) for v in value.values()):
        raise StackConfigError(f"stack config {NAMESPACE}:{key} must be an object of name: text")
    return {str(k): _text(v) for k, v in value.items()}


def _lists(config: pulumi.Config, key: str) -> dict[str, list[str]]:
    value = _object(config, key)
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(
        isinstance(v, list) and all(isinstance(item, str) for item in v) for v in value.values()
    ):
        raise StackConfigError(f"stack config {NAMESPACE}:{key} must be an object of region: [text, ...]")
    return {str(k): list(v) for k, v in value.items()}


def _text(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


__all__ = [
    "DEFAULT_BOOT_DISK_GIB",
    "DEFAULT_GCP_IMAGE",
    "AwsSettings",
    "GcpSettings",
    "StackConfigError",
    "StackSettings",
    "parse_layout",
    "read_settings",
]
