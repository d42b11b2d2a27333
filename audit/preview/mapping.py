"""Planned IaC resources → the contract's Resources (source=preview).

One mapper per kind of GPU-capable resource, shared by Pulumi (camelCase inputs, nested objects)
and Terraform (snake_case attributes, nested blocks as one-element lists): `Props` hides the
difference. A value unknown at plan time is never guessed: the Resource field gets a neutral
placeholder and its dotted path goes into `unknown`, so no rule denies on it. A value the IaC
leaves to the provider or the account (EBS default encryption, a subnet's public-IP default) is
None (unknown to the rules too), never assumed.

Kinds and how many instances each stands for (`Resource.count`):

    aws:ec2/instance:Instance                    aws_instance                 1
    aws:ec2/spotInstanceRequest:...              aws_spot_instance_request    1 (spot)
    aws:ec2/launchTemplate:LaunchTemplate        aws_launch_template          0 (runs nothing itself)
    aws:autoscaling/group:Group                  aws_autoscaling_group        desired capacity, split
                                                                              into on-demand and spot
    gcp:compute/instance:Instance                google_compute_instance      1
    gcp:compute/instanceTemplate:...             google_compute_instance_template  0
    gcp:compute/regionInstanceGroupManager:...   google_compute_region_instance_group_manager
                                                                              target size, per version
    gcp:compute/instanceGroupManager:...         google_compute_instance_group_manager  (the same)
    gcp:container/nodePool:NodePool              google_container_node_pool   nodes per zone x zones

Groups (Auto Scaling groups, managed instance groups) take the instance type, accelerators,
market and security facts of the template they reference, found in the same plan by name or
id; a reference that is unknown, or names a template outside the plan, leaves those unknown.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..catalog import gcp_accelerator_model
from ..errors import InputError
from ..models import (
    Accelerator,
    ChangeOp,
    IacOrigin,
    Market,
    Provider,
    Resource,
    ResourceState,
    SecurityFacts,
    Source,
)
from .plan import UNKNOWN, Plan, PlannedResource

PROVIDER_KEY = "__provider"  # region/zone/project the readers resolve from the provider config
UNKNOWN_TYPE = "unknown"  # placeholder instance type (the path goes into `unknown`)
UNKNOWN_PART = "unknown"  # placeholder account/region in a uid
_ZONE = re.compile(r"^([a-z]+-[a-z]+\d+)-[a-z]$")  # GCP zone us-central1-a
_REGION = re.compile(r"^[a-z]+-[a-z]+\d+$")  # GCP region us-central1 (a regional node pool's location)
_AWS_ZONE = re.compile(r"^([a-z]{2}(?:-gov)?-[a-z]+-\d)[a-z]$")  # AWS zone us-east-1a
CLASSIFICATION_TAG = "data-classification"  # Settings.classification_tag's default
_REGIONAL_POOL_ZONES = 3  # a regional GKE node pool without node_locations spans 3 zones


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@dataclass(frozen=True)
class Props:
    """Read access to one property bag in either style; missing is None, unknown is UNKNOWN."""

    data: Mapping[str, Any] | None
    style: str

    def value(self, camel: str, tf: str | None = None) -> Any:
        if self.data is None:
            return None
        return self.data.get(camel if self.style == "pulumi" else (tf or _snake(camel)))

    def block(self, camel: str, tf: str | None = None) -> Props | Any:
        """A nested object (a Terraform block is a list of one): Props, or UNKNOWN."""
        found = self.value(camel, tf)
        if found is UNKNOWN:
            return UNKNOWN
        if isinstance(found, list):
            found = found[0] if found else None
        if found is UNKNOWN:
            return UNKNOWN
        return Props(found if isinstance(found, Mapping) else None, self.style)

    def blocks(self, camel: str, tf: str | None = None) -> list[Props] | Any:
        found = self.value(camel, tf)
        if found is UNKNOWN:
            return UNKNOWN
        if isinstance(found, Mapping):
            found = [found]
        if not isinstance(found, list):
            return []
        if any(item is UNKNOWN for item in found):
            return UNKNOWN
        return [Props(item if isinstance(item, Mapping) else None, self.style) for item in found]


@dataclass
class Draft:
    """What a mapper found; `unknown` collects the dotted Resource paths it could not know."""

    provider: Provider
    instance_type: Any = None
    region: Any = None
    zone: Any = None
    account: Any = None
    market: Any = Market.ON_DEMAND
    accelerators: Any = field(default_factory=list)
    tags: Any = field(default_factory=dict)
    count: Any = 1  # UNKNOWN when the group's or pool's size is not known yet
    public_ip: Any = None
    imdsv2_required: Any = None
    boot_disk_encrypted: Any = None
    boot_disk_customer_key: Any = None
    shielded_vm: Any = None
    suffix: str = ""  # distinguishes the parts of a split group in the uid


Mapper = Callable[[Props, "_Context"], list[Draft]]


@dataclass(frozen=True)
class Templates:
    """The templates of one side of a plan, for the groups that reference them."""

    aws: Mapping[str, Props] = field(default_factory=dict)  # launch templates by name, id, logical name
    gcp: Mapping[str, list[Props]] = field(default_factory=dict)  # instance templates by name, id, self link


@dataclass(frozen=True)
class _Context:
    planned: PlannedResource
    plan: Plan
    templates: Templates  # the plan's templates on this side, for the groups that reference them


# ------------------------------------------------------------------------------------------- AWS


def _aws_location(props: Props, draft: Draft) -> None:
    """The zone's region, else the resource's own `region` (hashicorp/aws 6, pulumi-aws 7), else
    the provider's."""
    provider = props.value(PROVIDER_KEY, PROVIDER_KEY) or {}
    zone = props.value("availabilityZone")
    region = props.value("region")
    if isinstance(zone, str) and (match := _AWS_ZONE.match(zone)):
        draft.zone, draft.region = zone, match[1]
    else:
        draft.region = provider.get("region") if region is None else region
    draft.account = provider.get("account")


def _aws_tags(props: Props) -> Any:
    """`tags_all` (Terraform, provider default tags included) wins over `tags`."""
    found = props.value("tagsAll", "tags_all")
    if found is None:
        found = props.value("tags")
    return found if found is UNKNOWN or isinstance(found, Mapping) else {}


def _aws_market(options: Props | Any) -> Any:
    if options is UNKNOWN:
        return UNKNOWN
    kind = options.value("marketType")
    if kind is UNKNOWN:
        return UNKNOWN
    if kind == "spot":
        return Market.SPOT
    if kind == "capacity-block":
        return Market.CAPACITY_BLOCK
    return Market.ON_DEMAND


def _imdsv2(options: Props | Any) -> Any:
    if options is UNKNOWN:
        return UNKNOWN
    tokens = options.value("httpTokens")
    if tokens is UNKNOWN or tokens is None:
        # Absent: the AMI (ImdsSupport v2.0) or the account's IMDS defaults decide, so it is not
        # known from the IaC (Terraform plans show it as unknown for the same reason).
        return None if tokens is None else UNKNOWN
    return tokens == "required"


def _flag(value: Any) -> Any:
    return value if value is UNKNOWN or value is None else bool(value)


def aws_instance(props: Props, ctx: _Context, *, spot: bool = False) -> list[Draft]:
    draft = Draft(Provider.AWS, instance_type=props.value("instanceType"), tags=_aws_tags(props))
    _aws_location(props, draft)
    draft.market = Market.SPOT if spot else _aws_market(props.block("instanceMarketOptions"))
    root = props.block("rootBlockDevice")
    draft.boot_disk_encrypted = UNKNOWN if root is UNKNOWN else _flag(root.value("encrypted"))
    draft.imdsv2_required = _imdsv2(props.block("metadataOptions"))
    draft.public_ip = _flag(props.value("associatePublicIpAddress"))
    return [draft]


def aws_spot_request(props: Props, ctx: _Context) -> list[Draft]:
    return aws_instance(props, ctx, spot=True)


def aws_launch_template(props: Props, ctx: _Context) -> list[Draft]:
    draft = Draft(Provider.AWS, instance_type=props.value("instanceType"), count=0)
    _aws_location(props, draft)
    draft.tags = _template_tags(props)
    draft.market = _aws_market(props.block("instanceMarketOptions"))
    draft.imdsv2_required = _imdsv2(props.block("metadataOptions"))
    draft.boot_disk_encrypted = _all_ebs_encrypted(props.blocks("blockDeviceMappings"))
    draft.public_ip = _template_public_ip(props)
    return [draft]


def _template_public_ip(props: Props) -> Any:
    """A launch template's public IP: its network interfaces' flag; None (the subnet decides) without."""
    interfaces = props.blocks("networkInterfaces")
    if interfaces is UNKNOWN:
        return UNKNOWN
    return _any_flag(i.value("associatePublicIpAddress") for i in interfaces) if interfaces else None


def _template_tags(props: Props) -> Any:
    """The tags instances launched from the template get (tag specifications for `instance`)."""
    specs = props.blocks("tagSpecifications")
    if specs is UNKNOWN:
        return UNKNOWN
    tags: dict[str, Any] = {}
    for spec in specs:
        if spec.value("resourceType") == "instance":
            found = spec.value("tags")
            if found is UNKNOWN:
                return UNKNOWN
            tags.update(found or {})
    return tags


def _all_ebs_encrypted(mappings: list[Props] | Any) -> Any:
    if mappings is UNKNOWN:
        return UNKNOWN
    flags = []
    for mapping in mappings:
        ebs = mapping.block("ebs")
        flag = UNKNOWN if ebs is UNKNOWN else ebs.value("encrypted")
        # A launch template's `encrypted` is a string ("true"/"false"); Terraform plans "" when unset.
        flags.append(None if flag == "" else flag)
    if not flags or any(flag is None for flag in flags):
        return None  # the AMI's or the account's default
    if any(flag is UNKNOWN for flag in flags):
        return UNKNOWN
    return all(str(flag).lower() == "true" for flag in flags)


def _any_flag(values: Iterable[Any]) -> Any:
    found = list(values)
    if any(v is UNKNOWN for v in found):
        return UNKNOWN
    if any(v is True or str(v).lower() == "true" for v in found):
        return True
    return None if all(v is None for v in found) else False


def aws_autoscaling_group(props: Props, ctx: _Context) -> list[Draft]:
    size = _first_known(props.value("desiredCapacity"), props.value("minSize"))
    policy = props.block("mixedInstancesPolicy")
    template_spec: Any = props.block("launchTemplate")
    instance_type: Any = None
    spot_share: Any = None  # None: no mixed instances policy, the template's market decides
    base: Any = 0
    if policy is UNKNOWN:
        instance_type = spot_share = UNKNOWN
    elif policy.data is not None:
        distribution = policy.block("instancesDistribution")
        lt = policy.block("launchTemplate")
        if distribution is UNKNOWN:
            spot_share = UNKNOWN
        else:
            base = _number(distribution.value("onDemandBaseCapacity"), 0)
            percent = _number(distribution.value("onDemandPercentageAboveBaseCapacity"), 100)
            spot_share = UNKNOWN if percent is UNKNOWN else 1 - percent / 100
        if lt is UNKNOWN:
            instance_type = UNKNOWN
        else:
            overrides = lt.blocks("overrides", "override")
            instance_type = (
                UNKNOWN if overrides is UNKNOWN else overrides[0].value("instanceType") if overrides else None
            )
            template_spec = lt.block("launchTemplateSpecification")
    template = _referenced_template(template_spec, ctx)
    if instance_type is None:
        instance_type = UNKNOWN if template is None else template.value("instanceType")
    if spot_share is None:  # the template's market options (a template outside the plan: unknown)
        market = UNKNOWN if template is None else _aws_market(template.block("instanceMarketOptions"))
        spot_share = UNKNOWN if market is UNKNOWN else 1.0 if market is Market.SPOT else 0.0
    tags = _asg_tags(props)
    drafts = []
    for market, share in _split(size, base, spot_share):
        draft = Draft(Provider.AWS, instance_type=instance_type, tags=tags, market=market, count=share)
        _aws_location(props, draft)
        if template is not None:
            draft.imdsv2_required = _imdsv2(template.block("metadataOptions"))
            draft.boot_disk_encrypted = _all_ebs_encrypted(template.blocks("blockDeviceMappings"))
            draft.public_ip = _template_public_ip(template)
        else:
            draft.imdsv2_required = draft.boot_disk_encrypted = UNKNOWN
        draft.suffix = f"#{market.value}" if market is not UNKNOWN and size is not UNKNOWN and 0 < share < size else ""
        drafts.append(draft)
    return drafts


def _first_known(*values: Any) -> Any:
    for value in values:
        if value is UNKNOWN:
            return UNKNOWN
        if value is not None:
            return int(value)
    return 0


def _number(value: Any, default: float) -> Any:
    if value is UNKNOWN:
        return UNKNOWN
    return default if value is None else float(value)


def _split(size: Any, base: Any, spot_share: Any) -> list[tuple[Any, Any]]:
    """(market, instances) parts of a group: on-demand base, then the spot share of the rest.
    An unknown share keeps one part whose market is unknown; an unknown size one part whose
    count is unknown (its market known only when every instance has the same one)."""
    if spot_share is UNKNOWN or base is UNKNOWN:
        return [(UNKNOWN, size)]
    if size is UNKNOWN:
        if spot_share == 0:
            return [(Market.ON_DEMAND, UNKNOWN)]
        return [(Market.SPOT if spot_share == 1 and int(base) == 0 else UNKNOWN, UNKNOWN)]
    above = max(0, size - int(base))
    spot = round(above * spot_share)
    parts = [(Market.ON_DEMAND, size - spot), (Market.SPOT, spot)]
    # An empty group (scaled to zero) still has the market its policy would launch in.
    empty = Market.SPOT if spot_share == 1 and int(base) == 0 else Market.ON_DEMAND
    return [part for part in parts if part[1] > 0] or [(empty, 0)]


def _referenced_template(spec: Props | Any, ctx: _Context) -> Props | None:
    """A launch template of the same plan, by name or id (ids are usually unknown at plan time)."""
    if spec is UNKNOWN or spec is None or spec.data is None:
        return None
    for key in ("name", "launchTemplateName", "id", "launchTemplateId"):
        ref = spec.value(key)
        if isinstance(ref, str) and ref in ctx.templates.aws:
            return ctx.templates.aws[ref]
    return None


def _asg_tags(props: Props) -> Any:
    tags = props.blocks("tags", "tag")
    if tags is UNKNOWN:
        return UNKNOWN
    found: dict[str, Any] = {}
    for tag in tags:
        key, value = tag.value("key"), tag.value("value")
        if key is UNKNOWN:
            return UNKNOWN
        if isinstance(key, str) and tag.value("propagateAtLaunch") is not False:
            found[key] = value
    return found


# ------------------------------------------------------------------------------------------- GCP


def _gcp_location(props: Props, draft: Draft, *, zone_key: str = "zone") -> None:
    provider = props.value(PROVIDER_KEY, PROVIDER_KEY) or {}
    zone = props.value(zone_key)
    if zone is None:
        zone = provider.get("zone")
    if zone is UNKNOWN:
        draft.zone = draft.region = UNKNOWN
    elif isinstance(zone, str) and (match := _ZONE.match(zone.rsplit("/", 1)[-1])):
        draft.zone, draft.region = zone.rsplit("/", 1)[-1], match[1]
    elif isinstance(zone, str) and _REGION.match(zone.rsplit("/", 1)[-1]):  # a regional location
        draft.region = zone.rsplit("/", 1)[-1]
    else:
        region = props.value("region")
        draft.region = provider.get("region") if region is None else region
    project = props.value("project")
    draft.account = provider.get("project") if project is None else project


def _gcp_accelerators(blocks: list[Props] | Any) -> Any:
    if blocks is UNKNOWN:
        return UNKNOWN
    found = []
    for block in blocks:
        kind, count = block.value("type"), block.value("count")
        if kind is UNKNOWN or count is UNKNOWN:
            return UNKNOWN
        if kind and count:
            found.append(Accelerator(model=gcp_accelerator_model(str(kind).rsplit("/", 1)[-1]), count=int(count)))
    return found


def _gcp_market(scheduling: Props | Any) -> Any:
    if scheduling is UNKNOWN:
        return UNKNOWN
    model, preemptible = scheduling.value("provisioningModel"), scheduling.value("preemptible")
    if model is UNKNOWN or preemptible is UNKNOWN:
        return UNKNOWN
    if model == "SPOT" or preemptible is True:
        return Market.SPOT
    return Market.ON_DEMAND


def _gcp_labels(props: Props, *keys: str) -> Any:
    labels: dict[str, Any] = {}
    for key in keys:
        found = props.value(key, _snake(key))
        if found is UNKNOWN:
            return UNKNOWN
        labels.update(found or {})
    return labels


def _shielded(config: Props | Any) -> Any:
    if config is UNKNOWN:
        return UNKNOWN
    if config.data is None:
        return False  # not requested: Compute Engine's default image needs it turned on
    flags = [config.value(k) for k in ("enableSecureBoot", "enableVtpm", "enableIntegrityMonitoring")]
    if any(flag is UNKNOWN for flag in flags):
        return UNKNOWN
    secure_boot, vtpm, integrity = flags
    return bool(secure_boot) and vtpm is not False and integrity is not False  # vTPM/integrity default on


def _public(interfaces: list[Props] | Any) -> Any:
    if interfaces is UNKNOWN:
        return UNKNOWN
    for interface in interfaces:
        access = interface.blocks("accessConfigs", "access_config")
        if access is UNKNOWN:
            return UNKNOWN
        if access:
            return True
    return False


def _customer_key(disk: Props | Any, key_fields: tuple[str, ...]) -> Any:
    if disk is UNKNOWN:
        return UNKNOWN
    values = [disk.value(k) for k in key_fields]
    if any(v is UNKNOWN for v in values):
        return UNKNOWN
    return any(bool(v) for v in values)


def gcp_instance(props: Props, ctx: _Context) -> list[Draft]:
    draft = Draft(Provider.GCP, instance_type=_last(props.value("machineType")))
    _gcp_location(props, draft)
    draft.accelerators = _gcp_accelerators(props.blocks("guestAccelerators", "guest_accelerator"))
    draft.market = _gcp_market(props.block("scheduling"))
    draft.tags = _gcp_labels(props, "labels")
    draft.public_ip = _public(props.blocks("networkInterfaces", "network_interface"))
    draft.boot_disk_encrypted = True  # Compute Engine encrypts every disk
    boot = props.block("bootDisk")
    draft.boot_disk_customer_key = _customer_key(boot, ("kmsKeySelfLink", "diskEncryptionKeyRaw"))
    draft.shielded_vm = _shielded(props.block("shieldedInstanceConfig"))
    return [draft]


def gcp_instance_template(props: Props, ctx: _Context) -> list[Draft]:
    draft = Draft(Provider.GCP, instance_type=_last(props.value("machineType")), count=0)
    _gcp_location(props, draft)
    draft.accelerators = _gcp_accelerators(props.blocks("guestAccelerators", "guest_accelerator"))
    draft.market = _gcp_market(props.block("scheduling"))
    draft.tags = _gcp_labels(props, "labels")
    draft.public_ip = _public(props.blocks("networkInterfaces", "network_interface"))
    draft.boot_disk_encrypted = True
    disks = props.blocks("disks", "disk")
    if disks is UNKNOWN:
        draft.boot_disk_customer_key = UNKNOWN
    else:
        boot = next((d for d in disks if d.value("boot") in (True, None)), None)
        key = boot.block("diskEncryptionKey") if boot is not None else None
        draft.boot_disk_customer_key = (
            UNKNOWN if key is UNKNOWN else bool(key and key.data and key.value("kmsKeySelfLink"))
        )
    draft.shielded_vm = _shielded(props.block("shieldedInstanceConfig"))
    return [draft]


_GCP_TEMPLATE_PATH = re.compile(r"(?:^|/)projects/([^/]+)/global/instanceTemplates/([^/?]+)$")


def gcp_instance_group_manager(props: Props, ctx: _Context) -> list[Draft]:
    """A managed instance group (regional or zonal): target size instances, split over its versions,
    each with the facts of the instance template it references (in the same plan, by name, id or
    self link). An unknown or outside reference leaves the template's facts unknown."""
    size = _first_known(props.value("targetSize"))
    versions = props.blocks("versions", "version")
    config = props.block("allInstancesConfig")  # labels the group gives every instance
    labels = UNKNOWN if config is UNKNOWN else _gcp_labels(config, "labels")
    if versions is UNKNOWN or not versions:
        parts: list[tuple[Any, Any, str]] = [(UNKNOWN if versions is UNKNOWN else None, size, "")]
    else:
        parts = [
            (version.value("instanceTemplate"), count, _version_suffix(version, index) if len(versions) > 1 else "")
            for index, (version, count) in enumerate(zip(versions, _version_sizes(size, versions), strict=True))
        ]
    drafts = []
    for reference, count, suffix in parts:
        template = _referenced_gcp_template(reference, ctx)
        if template is None:
            draft = Draft(
                Provider.GCP, instance_type=UNKNOWN, accelerators=UNKNOWN, market=UNKNOWN, tags=UNKNOWN, count=count
            )
            draft.public_ip = draft.boot_disk_customer_key = draft.shielded_vm = UNKNOWN
            draft.boot_disk_encrypted = True  # Compute Engine encrypts every disk, whatever the template
        else:
            [draft] = gcp_instance_template(template, ctx)
            draft.count = count
            if labels is UNKNOWN or draft.tags is UNKNOWN:
                draft.tags = UNKNOWN
            else:
                draft.tags = {**draft.tags, **labels}  # the group's labels win
        _gcp_location(props, draft)  # the group's zone (zonal) or region (regional), not the template's
        draft.suffix = suffix
        drafts.append(draft)
    return drafts


def _version_sizes(size: Any, versions: list[Props]) -> list[Any]:
    """Instances per version: `targetSize.fixed` (at most the group's size), `targetSize.percent` of
    the group's size rounded up, and the rest for the version without a target size."""
    counts: list[Any] = []
    for version in versions:
        target = version.block("targetSize")
        if target is UNKNOWN:
            counts.append(UNKNOWN)
            continue
        fixed, percent = target.value("fixed"), target.value("percent")
        if UNKNOWN in (fixed, percent) or (size is UNKNOWN and (fixed is not None or percent is not None)):
            counts.append(UNKNOWN)
        elif fixed is not None:
            counts.append(min(int(fixed), size))
        elif percent is not None:
            counts.append(min(-(-size * int(percent) // 100), size))
        else:
            counts.append(None)  # the rest
    rest = [i for i, count in enumerate(counts) if count is None]
    if UNKNOWN in counts or size is UNKNOWN:
        return [UNKNOWN if count is None else count for count in counts]
    remaining = max(0, size - sum(count for count in counts if count is not None))
    for n, i in enumerate(rest):
        counts[i] = remaining if n == 0 else 0
    return counts


def _version_suffix(version: Props, index: int) -> str:
    name = version.value("name")
    return f"#{name}" if isinstance(name, str) and name else f"#{index}"


def _referenced_gcp_template(reference: Any, ctx: _Context) -> Props | None:
    """An instance template of the same plan: by its id or self link, else by the name in a
    global template path (`projects/P/global/instanceTemplates/NAME`, a URL, or a bare name), only
    when one template has that name (or one in the referenced project)."""
    if not isinstance(reference, str) or not reference:
        return None
    exact = ctx.templates.gcp.get(reference)
    if exact is not None and len(exact) == 1:
        return exact[0]
    path = reference.split("?", 1)[0].rstrip("/")
    match = _GCP_TEMPLATE_PATH.search(path)
    if match is not None:
        project, name = match[1], match[2]
    elif "/" not in path:
        project, name = None, path
    else:
        return None  # a regional template, or not a template path
    found = list(ctx.templates.gcp.get(f"name:{name}", []))
    if project is not None and len(found) > 1:
        found = [t for t in found if _template_project(t) in (project, None)]
    return found[0] if len(found) == 1 else None


def _template_project(template: Props) -> Any:
    project = template.value("project")
    if project is None:
        project = (template.value(PROVIDER_KEY, PROVIDER_KEY) or {}).get("project")
    return project if isinstance(project, str) else None


def gcp_node_pool(props: Props, ctx: _Context) -> list[Draft]:
    node = props.block("nodeConfig")
    if node is UNKNOWN:
        draft = Draft(Provider.GCP, instance_type=UNKNOWN, accelerators=UNKNOWN, market=UNKNOWN, tags=UNKNOWN)
        _gcp_location(props, draft, zone_key="location")
        draft.count = _pool_size(props, draft)
        return [draft]
    draft = Draft(Provider.GCP, instance_type=_last(node.value("machineType")))
    _gcp_location(props, draft, zone_key="location")
    draft.accelerators = _gcp_accelerators(node.blocks("guestAccelerators", "guest_accelerator"))
    spot, preemptible = node.value("spot"), node.value("preemptible")
    draft.market = (
        UNKNOWN if UNKNOWN in (spot, preemptible) else Market.SPOT if spot or preemptible else Market.ON_DEMAND
    )
    # resource_labels are the VMs' GCP labels; `labels` are Kubernetes node labels, not GCP labels.
    draft.tags = _gcp_labels(node, "resourceLabels")
    draft.boot_disk_encrypted = True
    draft.boot_disk_customer_key = _flag(node.value("bootDiskKmsKey")) if node.value("bootDiskKmsKey") else False
    draft.shielded_vm = _shielded(node.block("shieldedInstanceConfig"))
    draft.count = _pool_size(props, draft)
    return [draft]


def _pool_size(props: Props, draft: Draft) -> Any:
    """Nodes per zone (node_count, else initial_node_count, else the autoscaler's minimum) × zones."""
    autoscaling = props.block("autoscaling")
    minimum = None if autoscaling is UNKNOWN else autoscaling.value("minNodeCount")
    per_zone = _first_known(props.value("nodeCount"), props.value("initialNodeCount"), minimum)
    if per_zone is UNKNOWN:
        return UNKNOWN
    locations = props.value("nodeLocations")
    if isinstance(locations, list) and locations and UNKNOWN not in locations:
        zones = len(locations)
    else:
        zones = 1 if draft.zone not in (None, UNKNOWN) else _REGIONAL_POOL_ZONES
    return int(per_zone) * zones


def _last(value: Any) -> Any:
    return value.rsplit("/", 1)[-1] if isinstance(value, str) else value


MAPPERS: dict[str, Mapper] = {
    "aws:ec2/instance:Instance": aws_instance,
    "aws_instance": aws_instance,
    "aws:ec2/spotInstanceRequest:SpotInstanceRequest": aws_spot_request,
    "aws_spot_instance_request": aws_spot_request,
    "aws:ec2/launchTemplate:LaunchTemplate": aws_launch_template,
    "aws_launch_template": aws_launch_template,
    "aws:autoscaling/group:Group": aws_autoscaling_group,
    "aws_autoscaling_group": aws_autoscaling_group,
    "gcp:compute/instance:Instance": gcp_instance,
    "google_compute_instance": gcp_instance,
    "gcp:compute/instanceTemplate:InstanceTemplate": gcp_instance_template,
    "google_compute_instance_template": gcp_instance_template,
    "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager": gcp_instance_group_manager,
    "google_compute_region_instance_group_manager": gcp_instance_group_manager,
    "gcp:compute/instanceGroupManager:InstanceGroupManager": gcp_instance_group_manager,
    "google_compute_instance_group_manager": gcp_instance_group_manager,
    "gcp:container/nodePool:NodePool": gcp_node_pool,
    "google_container_node_pool": gcp_node_pool,
}
TEMPLATE_TYPES = {"aws:ec2/launchTemplate:LaunchTemplate", "aws_launch_template"}
GCP_TEMPLATE_TYPES = {"gcp:compute/instanceTemplate:InstanceTemplate", "google_compute_instance_template"}


_GROUP_TYPES = {
    type_ for type_, mapper in MAPPERS.items() if mapper in (aws_autoscaling_group, gcp_instance_group_manager)
}


def supported(type_: str) -> bool:
    return type_ in MAPPERS


# ----------------------------------------------------------------------------------- Draft → Resource


def plan_resources(plan: Plan, *, side: str = "after", classification_tag: str = CLASSIFICATION_TAG) -> list[Resource]:
    """The plan's GPU-capable resources as they will be (`side="after"`; deletions left out) or
    as they were (`side="before"`; creations left out)."""
    templates = plan_templates(plan, side)
    resources: list[Resource] = []
    for planned in plan.resources:
        resources.extend(
            planned_resources(planned, plan, side=side, templates=templates, classification_tag=classification_tag)
        )
    return resources


def plan_templates(plan: Plan, side: str = "after") -> Templates:
    """The plan's templates on one side, looked up by the groups that reference them: compute once
    per plan and side and pass to `planned_resources`."""
    return Templates(aws=_templates(plan, side), gcp=_gcp_templates(plan, side))


def _templates(plan: Plan, side: str) -> dict[str, Props]:
    found = {}
    for planned in plan.resources:
        props = planned.after if side == "after" else planned.before
        if planned.type in TEMPLATE_TYPES and props is not None:
            wrapped = Props(props, planned.style)
            for key in ("name", "id"):
                value = wrapped.value(key)
                if isinstance(value, str):
                    found[value] = wrapped
            found.setdefault(planned.name, wrapped)
    return found


def _gcp_templates(plan: Plan, side: str) -> dict[str, list[Props]]:
    """Instance templates by id / self link (known on the `before` side, or when set) and by
    `name:<name>`; a key shared by several templates is ambiguous (a list of more than one)."""
    found: dict[str, list[Props]] = {}
    for planned in plan.resources:
        props = planned.after if side == "after" else planned.before
        if planned.type in GCP_TEMPLATE_TYPES and props is not None:
            wrapped = Props(props, planned.style)
            keys = {f"name:{name}"} if isinstance(name := wrapped.value("name"), str) and name else set()
            for key in ("id", "selfLink", "selfLinkUnique"):
                value = wrapped.value(key)
                if isinstance(value, str) and value:
                    keys.add(value)
            for key in keys:
                found.setdefault(key, []).append(wrapped)
    return found


def planned_resources(
    planned: PlannedResource,
    plan: Plan,
    *,
    side: str = "after",
    templates: Templates | None = None,
    classification_tag: str = CLASSIFICATION_TAG,
) -> list[Resource]:
    """Resources for one planned IaC resource on one side of the change (empty when it does not
    exist on that side or is not a GPU-capable kind). `templates` (from `plan_templates` for the
    same plan and side) lets groups find the templates they reference; without it they are
    looked up in the plan (once per call)."""
    mapper = MAPPERS.get(planned.type)
    props = planned.after if side == "after" else planned.before
    if mapper is None or props is None:
        return []
    if templates is None:
        templates = plan_templates(plan, side) if planned.type in _GROUP_TYPES else Templates()
    ctx = _Context(planned, plan, templates)
    try:
        drafts = mapper(Props(props, planned.style), ctx)
        return [_resource(draft, planned, plan, classification_tag) for draft in drafts]
    except (TypeError, ValueError, AttributeError, KeyError, IndexError) as exc:
        # A property of an unexpected shape (a list where an object belongs, a map as a count):
        # the input is not what the tool writes; fail closed on one line, never a traceback.
        raise InputError(
            f"{plan.input_file}: {planned.address}: a property has an unexpected shape ({type(exc).__name__}: "
            f"{' '.join(str(exc).split())[:200]})"
        ) from None


def _resource(draft: Draft, planned: PlannedResource, plan: Plan, classification_tag: str) -> Resource:
    unknown: list[str] = []

    def known(path: str, value: Any, placeholder: Any) -> Any:
        if value is UNKNOWN:
            unknown.append(path)
            return placeholder
        return value

    instance_type = known("instance_type", draft.instance_type, UNKNOWN_TYPE) or UNKNOWN_TYPE
    if instance_type == UNKNOWN_TYPE and "instance_type" not in unknown:
        unknown.append("instance_type")  # not set at all (a template's user decides): unknown too
    region = known("region", draft.region, None)
    if region is None:
        region = UNKNOWN_PART
        if "region" not in unknown:
            unknown.append("region")
    account = known("account", draft.account, None) or UNKNOWN_PART
    provider_tags = (planned_props(planned).get(PROVIDER_KEY) or {}).get("tags") or {}
    tags = {**plan.default_tags, **provider_tags, **_string_tags(known("tags", draft.tags, {}), unknown)}
    if plan.data_classification and classification_tag not in tags:
        tags[classification_tag] = plan.data_classification
    security = SecurityFacts(
        public_ip=known("security.public_ip", draft.public_ip, None),
        imdsv2_required=known("security.imdsv2_required", draft.imdsv2_required, None),
        boot_disk_encrypted=known("security.boot_disk_encrypted", draft.boot_disk_encrypted, None),
        boot_disk_customer_key=known("security.boot_disk_customer_key", draft.boot_disk_customer_key, None),
        shielded_vm=known("security.shielded_vm", draft.shielded_vm, None),
    )
    name = f"{planned.name}{draft.suffix}"
    return Resource(
        uid=f"{draft.provider.value}:{_part(account)}:{_part(region)}:{_part(_short_type(planned.type))}/{_part(name)}",
        provider=draft.provider,
        account=str(account),
        region=str(region),
        zone=known("zone", draft.zone, None),
        name=name,
        instance_type=str(instance_type),
        state=ResourceState.PENDING,
        market=known("market", draft.market, Market.ON_DEMAND),
        accelerators=known("accelerators", draft.accelerators, []),
        tags=tags,
        security=security,
        source=Source.PREVIEW,
        count=known("count", draft.count, 0),
        origin=IacOrigin(
            input_file=plan.input_file,
            address=planned.address,
            type=planned.type,
            op=planned.op,
            source_file=planned.source_file,
            source_line=planned.source_line,
        ),
        unknown=sorted(set(unknown)),
    )


def planned_props(planned: PlannedResource) -> Mapping[str, Any]:
    return planned.after if planned.after is not None else planned.before or {}


def _string_tags(tags: Mapping[str, Any], unknown: list[str]) -> dict[str, str]:
    found = {}
    for key, value in tags.items():
        if value is UNKNOWN:
            unknown.append(f"tags.{key}")
        elif value is not None:
            found[str(key)] = str(value)
    return found


def _short_type(type_: str) -> str:
    """aws:ec2/instance:Instance -> Instance, google_compute_instance -> google_compute_instance."""
    return type_.rsplit(":", 1)[-1]


def _part(value: Any) -> str:
    """A uid part: no colons (they separate the parts), never empty."""
    return str(value).replace(":", "/") or UNKNOWN_PART


__all__ = [
    "MAPPERS",
    "PROVIDER_KEY",
    "ChangeOp",
    "Props",
    "Templates",
    "plan_resources",
    "plan_templates",
    "planned_resources",
    "supported",
]
