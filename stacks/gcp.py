"""`infraaudit:gcp:GpuFleet`: one cloud placement on GCP as an instance template and a regional
managed instance group.

- Instance template: the machine type, with the placement's GPUs attached on N1 (accelerator-
  optimized types such as A2, A3, A4, G2 and G4 bring their own), host maintenance TERMINATE (GPU
  VMs cannot live-migrate), Spot VMs for spot capacity (deleted on preemption: the group recreates
  them), Shielded VM, no external IP unless the placement asks for one, OS Login, and a startup
  script that installs the Ops Agent (NVML GPU metrics, what `infraaudit scan --gcp` reads).
- A service account per placement with only `roles/monitoring.metricWriter` and
  `roles/logging.logWriter` (what the Ops Agent needs), unless one is configured.
- Regional managed instance group: `instances` VMs from the template.

Instance templates cannot be changed in place. The template's name ends in a hash of its
settings, so a change creates a new template, the group moves to it, and the old one is deleted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp

from infraaudit.audit.models import Placement

from .naming import is_spot, running_instances, short_hash, slug

TYPE = "infraaudit:gcp:GpuFleet"
DEFAULT_BOOT_DISK_GIB = 200
# Machine series whose types come with their GPUs (no guest accelerators may be attached).
ACCELERATOR_OPTIMIZED = ("a2", "a3", "a4", "a4x", "g2", "g4")
# Series whose boot disk must be Hyperdisk (they do not take Persistent Disk, or not on every type).
HYPERDISK_ONLY = ("a3", "a4", "a4x", "g4")
# GPUs that attach to N1 machine types: the catalog's names -> GCP accelerator types.
N1_ACCELERATORS = {
    "T4": "nvidia-tesla-t4",
    "V100": "nvidia-tesla-v100",
    "P100": "nvidia-tesla-p100",
    "P4": "nvidia-tesla-p4",
}
AGENT_ROLES = {"metrics": "roles/monitoring.metricWriter", "logs": "roles/logging.logWriter"}
STARTUP_SCRIPT = """#!/bin/bash
# infraaudit: the Ops Agent collects NVML GPU metrics (agent.googleapis.com/gpu/*) once the NVIDIA
# driver is present. The Deep Learning VM images ship it; on other images install it first
# (https://cloud.google.com/compute/docs/gpus/install-drivers-gpu).
set -euo pipefail
if ! systemctl is-active --quiet google-cloud-ops-agent; then
  cd /tmp
  curl -sSfO --retry 5 https://dl.google.com/cloudagents/add-google-cloud-ops-agent-repo.sh
  bash add-google-cloud-ops-agent-repo.sh --also-install
fi
"""


@dataclass(frozen=True)
class GcpGpuFleetArgs:
    """What one GCP placement needs; `labels` are already valid GCP labels (`naming.gcp_labels`)."""

    placement: Placement
    name: str  # base of the physical names (at most 54 characters, a valid GCP name)
    project: str
    labels: Mapping[str, str]
    image: str
    boot_disk_gib: int = DEFAULT_BOOT_DISK_GIB
    subnetwork: str | None = None  # None: the project's `default` network
    zones: Sequence[str] = field(default_factory=list)  # empty: Google spreads the group over the region
    service_account: str | None = None  # None: create one with the Ops Agent's roles only
    secure_boot: bool = True


def machine_series(machine_type: str) -> str:
    return machine_type.split("-", 1)[0]


def guest_accelerators(placement: Placement) -> list[tuple[str, int]]:
    """Attached GPUs as (GCP accelerator type, count): none for accelerator-optimized types, the
    placement's GPUs on N1; other series cannot carry GPUs (an error rather than a VM without them)."""
    assert placement.instance_type is not None
    series = machine_series(placement.instance_type)
    if series in ACCELERATOR_OPTIMIZED:
        return []
    if series != "n1":
        raise ValueError(
            f"{placement.workload}: {placement.instance_type} cannot carry GPUs (use N1 with attached GPUs "
            f"or an accelerator-optimized type: {', '.join(ACCELERATOR_OPTIMIZED)})"
        )
    accelerator = N1_ACCELERATORS.get(placement.accelerator, placement.accelerator.lower())
    if accelerator not in N1_ACCELERATORS.values():
        raise ValueError(
            f"{placement.workload}: {placement.accelerator} GPUs do not attach to N1 "
            f"(N1 takes {', '.join(sorted(N1_ACCELERATORS))})"
        )
    return [(accelerator, placement.gpus_per_instance)]


def boot_disk_type(machine_type: str) -> str:
    return "hyperdisk-balanced" if machine_series(machine_type) in HYPERDISK_ONLY else "pd-balanced"


def scheduling(placement: Placement) -> gcp.compute.InstanceTemplateSchedulingArgs:
    if is_spot(placement):
        return gcp.compute.InstanceTemplateSchedulingArgs(
            provisioning_model="SPOT",
            preemptible=True,
            automatic_restart=False,
            on_host_maintenance="TERMINATE",
            instance_termination_action="DELETE",  # the group recreates preempted VMs
        )
    return gcp.compute.InstanceTemplateSchedulingArgs(
        provisioning_model="STANDARD",
        preemptible=False,
        automatic_restart=True,
        on_host_maintenance="TERMINATE",
    )


def service_account_id(name: str) -> str:
    """A service account id (6-30 characters) for the fleet `name`."""
    return f"{slug(name, 23)}-{short_hash(name)}"


class GcpGpuFleet(pulumi.ComponentResource):
    """A placement's VMs on GCP. Pass the region's provider with `providers=[...]`."""

    template: gcp.compute.InstanceTemplate
    group: gcp.compute.RegionInstanceGroupManager
    service_account_email: pulumi.Output[str]

    def __init__(self, name: str, args: GcpGpuFleetArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        placement = args.placement
        machine_type = placement.instance_type
        if machine_type is None:
            raise ValueError(f"{placement.workload}: a GCP placement needs a machine type")
        child = pulumi.ResourceOptions(parent=self)
        accelerators = guest_accelerators(placement)

        if args.service_account is None:
            account_id = service_account_id(args.name)
            account = gcp.serviceaccount.Account(
                f"{name}-sa",
                account_id=account_id,
                display_name=f"infraaudit GPU fleet {placement.workload}"[:100],
                description="Ops Agent metrics and logs only",
                project=args.project,
                opts=child,
            )
            for role_name, role in AGENT_ROLES.items():
                gcp.projects.IAMMember(
                    f"{name}-{role_name}", project=args.project, role=role, member=account.member, opts=child
                )
            email: pulumi.Input[str] = account.email
            identity = account_id
        else:
            email = identity = args.service_account

        metadata = {
            "startup-script": STARTUP_SCRIPT,
            "enable-oslogin": "TRUE",
            "block-project-ssh-keys": "TRUE",
            "install-nvidia-driver": "True",  # Deep Learning VM images: install the driver if missing
        }
        network, subnetwork = (None, args.subnetwork) if args.subnetwork else ("default", None)
        settings = {  # everything that forces a new template, for its name
            "machine_type": machine_type,
            "accelerators": accelerators,
            "scheduling": placement.capacity.value,
            "image": args.image,
            "disk": [args.boot_disk_gib, boot_disk_type(machine_type)],
            "labels": dict(args.labels),
            "metadata": metadata,
            "network": [network, subnetwork],
            "public_ip": placement.public_ip,
            "service_account": identity,
            "secure_boot": args.secure_boot,
        }
        template_name = f"{args.name}-{short_hash(settings, length=8)}"
        self.template = gcp.compute.InstanceTemplate(
            f"{name}-template",
            name=template_name,
            project=args.project,
            region=placement.region,
            description=f"infraaudit GPU fleet {placement.workload} ({placement.capacity.value})",
            machine_type=machine_type,
            guest_accelerators=[
                gcp.compute.InstanceTemplateGuestAcceleratorArgs(type=kind, count=count) for kind, count in accelerators
            ],
            scheduling=scheduling(placement),
            disks=[
                gcp.compute.InstanceTemplateDiskArgs(
                    boot=True,
                    auto_delete=True,
                    source_image=args.image,
                    disk_size_gb=args.boot_disk_gib,
                    disk_type=boot_disk_type(machine_type),
                )
            ],
            network_interfaces=[
                gcp.compute.InstanceTemplateNetworkInterfaceArgs(
                    network=network,
                    subnetwork=subnetwork,
                    access_configs=[gcp.compute.InstanceTemplateNetworkInterfaceAccessConfigArgs()]
                    if placement.public_ip
                    else None,
                )
            ],
            service_account=gcp.compute.InstanceTemplateServiceAccountArgs(email=email, scopes=["cloud-platform"]),
            shielded_instance_config=gcp.compute.InstanceTemplateShieldedInstanceConfigArgs(
                enable_secure_boot=args.secure_boot, enable_vtpm=True, enable_integrity_monitoring=True
            ),
            labels=dict(args.labels),
            metadata=metadata,
            opts=child,
        )

        project = args.project
        self.group = gcp.compute.RegionInstanceGroupManager(
            f"{name}-mig",
            name=args.name,
            project=project,
            region=placement.region,
            base_instance_name=args.name,
            target_size=running_instances(placement),
            distribution_policy_zones=list(args.zones) or None,
            versions=[
                gcp.compute.RegionInstanceGroupManagerVersionArgs(
                    name="primary",
                    # The template's id, built from its name (known at preview, unlike the id itself).
                    instance_template=self.template.name.apply(
                        lambda n: f"projects/{project}/global/instanceTemplates/{n}"
                    ),
                )
            ],
            wait_for_instances=False,
            opts=child,
        )
        self.service_account_email = pulumi.Output.from_input(email)

        self.register_outputs(
            {
                "instanceTemplateName": self.template.name,
                "instanceGroupManagerName": self.group.name,
                "serviceAccountEmail": self.service_account_email,
            }
        )

    def resource_names(self) -> dict[str, pulumi.Output[str]]:
        return {
            "instanceTemplate": self.template.name,
            "instanceGroupManager": self.group.name,
            "serviceAccount": self.service_account_email,
        }


__all__ = [
    "TYPE",
    "GcpGpuFleet",
    "GcpGpuFleetArgs",
    "boot_disk_type",
    "guest_accelerators",
    "scheduling",
    "service_account_id",
]
