"""`infraaudit:aws:GpuFleet`: one cloud placement on AWS as a launch template and an Auto Scaling group.

- Launch template: IMDSv2 only, an encrypted gp3 root volume, no public IP unless the placement
  asks for one, a least-privilege instance profile, and user data that installs the CloudWatch
  agent publishing NVIDIA GPU metrics (`nvidia_smi_*` in `CWAgent`, what `infraaudit scan` reads).
- Auto Scaling group: `instances` running (min 0, max `instances`), a mixed instances policy that
  is all spot (price-capacity-optimized over the type and its alternatives) for spot capacity and
  all on-demand otherwise. Committed capacity runs on demand: reserved instances and savings plans
  apply at billing, so only the `infraaudit.io/capacity` tag differs.
- Instance role: assumable by EC2, allowed only `cloudwatch:PutMetricData` in the `CWAgent`
  namespace (optionally AmazonSSMManagedInstanceCore for Session Manager access).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from infraaudit.audit.models import Placement

from .naming import is_spot, running_instances, template_tags

TYPE = "infraaudit:aws:GpuFleet"
DEFAULT_ROOT_VOLUME_GIB = 200
AGENT_NAMESPACE = "CWAgent"
# The Deep Learning Base AMIs ship the NVIDIA driver, Docker and the NVIDIA container toolkit.
DLAMI_NAMES = {
    "x86_64": "Deep Learning Base OSS Nvidia Driver GPU AMI (Ubuntu 22.04) *",
    "arm64": "Deep Learning ARM64 Base OSS Nvidia Driver GPU AMI (Ubuntu 22.04) *",
}
GPU_MEASUREMENTS = [
    "utilization_gpu",
    "utilization_memory",
    "memory_total",
    "memory_used",
    "memory_free",
    "temperature_gpu",
    "power_draw",
]
SSM_POLICY_ARN = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"


@dataclass(frozen=True)
class AwsGpuFleetArgs:
    """What one AWS placement needs; `tags` is the full tag set (`naming.fleet_tags`)."""

    placement: Placement
    name: str  # physical name of the launch template (unique per region and account)
    tags: Mapping[str, str]
    ami_id: str | None = None  # None: the newest Deep Learning Base AMI of the region
    subnet_ids: Sequence[str] = field(default_factory=list)  # empty: the region's availability zones
    security_group_ids: Sequence[str] = field(default_factory=list)  # empty: the VPC's default group
    root_volume_gib: int = DEFAULT_ROOT_VOLUME_GIB
    ssm_access: bool = False


def architecture(instance_type: str) -> str:
    """Graviton GPU types (g5g) are arm64, the other GPU types x86_64."""
    family = instance_type.split(".", 1)[0]
    return "arm64" if len(family) > 2 and family.endswith("g") and family[-2].isdigit() else "x86_64"


def fleet_instance_types(placement: Placement) -> list[str]:
    """The group's overrides: the type, then (spot only) its alternatives of the same architecture."""
    assert placement.instance_type is not None
    types = [placement.instance_type]
    if is_spot(placement):
        arch = architecture(placement.instance_type)
        types += [t for t in placement.alternative_instance_types if architecture(t) == arch and t not in types]
    return types


def agent_config() -> dict[str, object]:
    """CloudWatch agent config: per-GPU NVIDIA metrics with the instance id, every 60 s."""
    return {
        "agent": {"metrics_collection_interval": 60, "run_as_user": "root"},
        "metrics": {
            "namespace": AGENT_NAMESPACE,
            "append_dimensions": {"InstanceId": "${aws:InstanceId}", "InstanceType": "${aws:InstanceType}"},
            "metrics_collected": {
                "nvidia_gpu": {"measurement": GPU_MEASUREMENTS, "metrics_collection_interval": 60},
            },
        },
    }


def user_data(region: str, arch: str) -> str:
    """A cloud-init shell script that installs and starts the CloudWatch agent (Ubuntu DLAMI)."""
    package = "arm64" if arch == "arm64" else "amd64"
    url = f"https://amazoncloudwatch-agent-{region}.s3.{region}.amazonaws.com/ubuntu/{package}/latest/amazon-cloudwatch-agent.deb"
    config_path = "/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json"
    return "\n".join(
        [
            "#!/bin/bash",
            "# infraaudit: CloudWatch agent with NVIDIA GPU metrics (nvidia_gpu -> CWAgent nvidia_smi_*).",
            "set -euo pipefail",
            f"curl -fsSL --retry 5 -o /tmp/amazon-cloudwatch-agent.deb {url}",
            "dpkg -i -E /tmp/amazon-cloudwatch-agent.deb",
            f"mkdir -p {config_path.rsplit('/', 1)[0]}",
            f"cat > {config_path} <<'EOF'",
            json.dumps(agent_config(), indent=2, sort_keys=True),
            "EOF",
            "/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s "
            f"-c file:{config_path}",
            "",
        ]
    )


def assume_role_policy() -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
    )


def metrics_policy() -> str:
    """PutMetricData has no resource-level permissions; the condition keeps it to the agent's namespace."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "CloudWatchAgentGpuMetrics",
                    "Effect": "Allow",
                    "Action": "cloudwatch:PutMetricData",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"cloudwatch:namespace": AGENT_NAMESPACE}},
                }
            ],
        }
    )


class AwsGpuFleet(pulumi.ComponentResource):
    """A placement's instances on AWS. Pass the region's provider with `providers=[...]`."""

    launch_template: aws.ec2.LaunchTemplate
    group: aws.autoscaling.Group
    role: aws.iam.Role
    instance_profile: aws.iam.InstanceProfile

    def __init__(self, name: str, args: AwsGpuFleetArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, name, None, opts)
        placement = args.placement
        if placement.instance_type is None:
            raise ValueError(f"{placement.workload}: an AWS placement needs an instance type")
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)
        launch_tags = template_tags(tags)
        arch = architecture(placement.instance_type)

        self.role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=assume_role_policy(),
            description=f"infraaudit GPU fleet {placement.workload}: CloudWatch agent metrics only",
            tags=launch_tags,
            opts=child,
        )
        aws.iam.RolePolicy(f"{name}-metrics", role=self.role.id, policy=metrics_policy(), opts=child)
        if args.ssm_access:
            aws.iam.RolePolicyAttachment(f"{name}-ssm", role=self.role.name, policy_arn=SSM_POLICY_ARN, opts=child)
        self.instance_profile = aws.iam.InstanceProfile(
            f"{name}-profile", role=self.role.name, tags=launch_tags, opts=child
        )

        # The AMI is looked up either way: its root device name is where the encrypted gp3 volume goes
        # (a mapping for another device would add a second volume and leave the root as the AMI has it).
        if args.ami_id is not None:
            filters = [aws.ec2.GetAmiFilterArgs(name="image-id", values=[args.ami_id])]
            owners = None
        else:
            filters = [
                aws.ec2.GetAmiFilterArgs(name="name", values=[DLAMI_NAMES[arch]]),
                aws.ec2.GetAmiFilterArgs(name="architecture", values=[arch]),
                aws.ec2.GetAmiFilterArgs(name="state", values=["available"]),
            ]
            owners = ["amazon"]
        ami = aws.ec2.get_ami_output(
            most_recent=True, owners=owners, filters=filters, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        image_id: pulumi.Input[str] = args.ami_id if args.ami_id is not None else ami.id
        root_device = ami.root_device_name

        self.launch_template = aws.ec2.LaunchTemplate(
            f"{name}-lt",
            name=args.name,
            description=f"infraaudit GPU fleet {placement.workload} ({placement.capacity.value})",
            image_id=image_id,
            instance_type=placement.instance_type,
            update_default_version=True,
            iam_instance_profile=aws.ec2.LaunchTemplateIamInstanceProfileArgs(arn=self.instance_profile.arn),
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1
            ),
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name=root_device,
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        volume_size=args.root_volume_gib,
                        volume_type="gp3",
                        encrypted="true",
                        delete_on_termination="true",
                    ),
                )
            ],
            network_interfaces=[
                aws.ec2.LaunchTemplateNetworkInterfaceArgs(
                    device_index=0,
                    associate_public_ip_address="true" if placement.public_ip else "false",
                    delete_on_termination="true",
                    security_groups=list(args.security_group_ids) or None,
                )
            ],
            user_data=base64.b64encode(user_data(placement.region, arch).encode("utf-8")).decode("ascii"),
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=launch_tags)
                for kind in ("instance", "volume")
            ],
            tags=launch_tags,
            opts=child,
        )

        spot = is_spot(placement)
        zones: pulumi.Input[Sequence[str]] | None = None
        if not args.subnet_ids:
            zones = aws.get_availability_zones_output(
                state="available", opts=pulumi.InvokeOutputOptions(parent=self)
            ).names
        self.group = aws.autoscaling.Group(
            f"{name}-asg",
            min_size=0,
            max_size=placement.instances,
            desired_capacity=running_instances(placement),
            vpc_zone_identifiers=list(args.subnet_ids) or None,
            availability_zones=zones,
            capacity_rebalance=spot,
            health_check_type="EC2",
            wait_for_capacity_timeout="0",  # GPU capacity can take a while: do not block `pulumi up`
            mixed_instances_policy=aws.autoscaling.GroupMixedInstancesPolicyArgs(
                instances_distribution=aws.autoscaling.GroupMixedInstancesPolicyInstancesDistributionArgs(
                    on_demand_base_capacity=0,
                    on_demand_percentage_above_base_capacity=0 if spot else 100,
                    on_demand_allocation_strategy="prioritized",
                    spot_allocation_strategy="price-capacity-optimized" if spot else None,
                ),
                launch_template=aws.autoscaling.GroupMixedInstancesPolicyLaunchTemplateArgs(
                    launch_template_specification=aws.autoscaling.GroupMixedInstancesPolicyLaunchTemplateLaunchTemplateSpecificationArgs(
                        launch_template_name=self.launch_template.name,
                        version=self.launch_template.latest_version.apply(str),
                    ),
                    overrides=[
                        aws.autoscaling.GroupMixedInstancesPolicyLaunchTemplateOverrideArgs(instance_type=t)
                        for t in fleet_instance_types(placement)
                    ],
                ),
            ),
            tags=[aws.autoscaling.GroupTagArgs(key=k, value=v, propagate_at_launch=True) for k, v in tags.items()],
            opts=child,
        )

        self.register_outputs(
            {
                "launchTemplateName": self.launch_template.name,
                "autoScalingGroupName": self.group.name,
                "roleName": self.role.name,
                "instanceProfileName": self.instance_profile.name,
            }
        )

    def resource_names(self) -> dict[str, pulumi.Output[str]]:
        return {
            "launchTemplate": self.launch_template.name,
            "autoScalingGroup": self.group.name,
            "role": self.role.name,
            "instanceProfile": self.instance_profile.name,
        }


__all__ = ["TYPE", "AwsGpuFleet", "AwsGpuFleetArgs", "agent_config", "architecture", "fleet_instance_types"]
