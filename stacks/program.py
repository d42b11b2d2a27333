"""The Pulumi program: a Layout from stack config → one explicit provider per cloud region and
one component per cloud placement; on-prem placements are reported, not provisioned.

`stacks/__main__.py` calls `main()`; tests call `deploy()` with settings they build.

Stack outputs:
    placements      {workload: provider, region, capacity, instance type, instances, GPUs,
                     monthly cost (from the layout), the names of the resources created}
    onPrem          {workload: site, region, accelerator, GPUs per group, groups, GPUs,
                     hours and GPU-hours per month, monthly cost}: capacity the layout reserves
    onPremGpusBySite  {site: {accelerator: GPUs}}
    monthlyCostUsd, catalogDate
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_gcp as gcp

from infraaudit.audit.models import Layout, Placement, Provider

from .aws import AwsGpuFleet, AwsGpuFleetArgs
from .gcp import GcpGpuFleet, GcpGpuFleetArgs
from .naming import fleet_tags, gcp_labels, slug
from .settings import StackConfigError, StackSettings, read_settings

NAME_MAX = 54  # GCP names are at most 63; the template adds "-" and an 8-character hash


@dataclass
class Deployment:
    """What `deploy` created, by workload and region."""

    layout: Layout
    fleets: dict[str, AwsGpuFleet | GcpGpuFleet] = field(default_factory=dict)
    aws_providers: dict[str, aws.Provider] = field(default_factory=dict)
    gcp_providers: dict[str, gcp.Provider] = field(default_factory=dict)
    on_prem: dict[str, dict[str, Any]] = field(default_factory=dict)


def fleet_name(stack: str, workload: str) -> str:
    """The physical base name of a placement's resources: unique per stack and workload."""
    return slug(f"ia-{stack}-{workload}", NAME_MAX)


def on_prem_reservation(placement: Placement) -> dict[str, Any]:
    return {
        "site": placement.site,
        "region": placement.region,
        "accelerator": placement.accelerator,
        "gpusPerInstance": placement.gpus_per_instance,
        "instances": placement.instances,
        "gpus": placement.gpus_per_instance * placement.instances,
        "hoursPerMonth": placement.hours_per_month,
        "gpuHoursPerMonth": placement.gpu_hours_per_month,
        "monthlyCostUsd": placement.monthly_cost_usd,
    }


def deploy(settings: StackSettings, stack: str) -> Deployment:
    layout = settings.layout
    deployment = Deployment(layout=layout)
    for placement in layout.placements:
        if placement.provider is Provider.ONPREM:
            deployment.on_prem[placement.workload] = on_prem_reservation(placement)
            continue
        name = fleet_name(stack, placement.workload)
        tags = fleet_tags(placement, settings.tags, settings.data_classification)
        if placement.provider is Provider.AWS:
            deployment.fleets[placement.workload] = AwsGpuFleet(
                placement.workload,
                AwsGpuFleetArgs(
                    placement=placement,
                    name=name,
                    tags=tags,
                    ami_id=settings.aws.amis.get(placement.region),
                    subnet_ids=settings.aws.subnets.get(placement.region, []),
                    security_group_ids=settings.aws.security_groups.get(placement.region, []),
                    root_volume_gib=settings.boot_disk_gib,
                    ssm_access=settings.aws.ssm_access,
                ),
                pulumi.ResourceOptions(providers=[_aws_provider(deployment, placement.region)]),
            )
        elif placement.provider is Provider.GCP:
            project = settings.gcp.project
            if project is None:
                raise StackConfigError("the layout has GCP placements: set gcp:project (or infraaudit:gcpProject)")
            deployment.fleets[placement.workload] = GcpGpuFleet(
                placement.workload,
                GcpGpuFleetArgs(
                    placement=placement,
                    name=name,
                    project=project,
                    labels=gcp_labels(tags),
                    image=settings.gcp.image,
                    boot_disk_gib=settings.boot_disk_gib,
                    subnetwork=settings.gcp.subnetworks.get(placement.region),
                    zones=settings.gcp.zones.get(placement.region, []),
                    service_account=settings.gcp.service_account,
                    secure_boot=settings.gcp.secure_boot,
                ),
                pulumi.ResourceOptions(providers=[_gcp_provider(deployment, placement.region, project)]),
            )
        else:  # a provider this program does not know: refuse rather than skip it silently
            raise StackConfigError(f"{placement.workload}: cannot provision provider {placement.provider.value!r}")
    return deployment


def _aws_provider(deployment: Deployment, region: str) -> aws.Provider:
    if region not in deployment.aws_providers:
        deployment.aws_providers[region] = aws.Provider(f"aws-{region}", region=region)
    return deployment.aws_providers[region]


def _gcp_provider(deployment: Deployment, region: str, project: str) -> gcp.Provider:
    if region not in deployment.gcp_providers:
        deployment.gcp_providers[region] = gcp.Provider(f"gcp-{region}", project=project, region=region)
    return deployment.gcp_providers[region]


def outputs(deployment: Deployment) -> dict[str, Any]:
    """The stack outputs (values may be Outputs)."""
    layout = deployment.layout
    placements: dict[str, Any] = {}
    for placement in layout.cloud_placements():
        fleet = deployment.fleets[placement.workload]
        placements[placement.workload] = {
            "provider": placement.provider.value,
            "region": placement.region,
            "capacity": placement.capacity.value,
            "instanceType": placement.instance_type,
            "instances": placement.instances,
            "gpus": placement.gpus_per_instance * placement.instances,
            "monthlyCostUsd": placement.monthly_cost_usd,
            "resources": fleet.resource_names(),
        }
    by_site: dict[str, dict[str, int]] = {}
    for reservation in deployment.on_prem.values():
        site = by_site.setdefault(str(reservation["site"]), {})
        site[reservation["accelerator"]] = site.get(reservation["accelerator"], 0) + reservation["gpus"]
    return {
        "placements": placements,
        "onPrem": deployment.on_prem,
        "onPremGpusBySite": by_site,
        "monthlyCostUsd": layout.totals.monthly_cost_usd,
        "catalogDate": layout.catalog_date,
    }


def main() -> None:
    """The program: read the stack config, provision the layout, export the outputs."""
    deployment = deploy(read_settings(), pulumi.get_stack())
    for key, value in outputs(deployment).items():
        pulumi.export(key, value)


__all__ = ["Deployment", "deploy", "fleet_name", "main", "on_prem_reservation", "outputs"]
