"""The stack's components under the Pulumi SDK's mocks (`pulumi.runtime.set_mocks`), in-process.

Each test provisions a Layout with `program.deploy` and reads back what was registered: the input
property bags (camelCase, as the engine receives them), the URNs (parent chain) and the provider
of each resource, and the stack outputs.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pytest
from pulumi.runtime import mocks as pulumi_mocks

from infraaudit.audit.models import Layout, Placement
from infraaudit.stacks.program import Deployment, deploy, outputs
from infraaudit.stacks.settings import DEFAULT_GCP_IMAGE, AwsSettings, GcpSettings, StackSettings

PROJECT, STACK = "infraaudit", "test"
GCP_PROJECT = "ml-prod"
MOCK_AMI, MOCK_ROOT = "ami-0dlami0000000001", "/dev/sda1"
LABEL = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
LABEL_VALUE = re.compile(r"^[a-z0-9_-]{0,63}$")
GCP_NAME = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
LT = "aws:ec2/launchTemplate:LaunchTemplate"
ASG = "aws:autoscaling/group:Group"
TEMPLATE = "gcp:compute/instanceTemplate:InstanceTemplate"
MIG = "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager"


@dataclass
class Registered:
    type: str
    name: str
    inputs: dict[str, Any]
    provider: str  # "<provider urn>::<id>" or ""
    urn: str = ""


@dataclass
class Recorder(pulumi.runtime.Mocks):
    """Resources echo their inputs plus the outputs the components read; invokes return fixed values."""

    resources: list[Registered] = field(default_factory=list)
    invokes: list[tuple[str, dict[str, Any], str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        state = dict(args.inputs)
        if args.typ in ("aws:iam/role:Role", "aws:iam/instanceProfile:InstanceProfile"):
            kind = "role" if args.typ.endswith("Role") else "instance-profile"
            state.setdefault("name", f"{args.name}-1a2b3c")
            state["arn"] = f"arn:aws:iam::123456789012:{kind}/{state['name']}"
        elif args.typ == LT:
            state["latestVersion"] = 1
        elif args.typ == ASG:
            state.setdefault("name", f"{args.name}-4d5e6f")
        elif args.typ == "gcp:serviceaccount/account:Account":
            state["email"] = f"{args.inputs['accountId']}@{args.inputs['project']}.iam.gserviceaccount.com"
            state["member"] = f"serviceAccount:{state['email']}"
        with self.lock:
            self.resources.append(Registered(args.typ, args.name, dict(args.inputs), args.provider or ""))
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        with self.lock:
            self.invokes.append((args.token, dict(args.args), args.provider or ""))
        if args.token == "aws:ec2/getAmi:getAmi":
            return {"id": MOCK_AMI, "imageId": MOCK_AMI, "rootDeviceName": MOCK_ROOT, "architecture": "x86_64"}
        if args.token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            region = self.region_of(args.provider or "")
            return {"id": region, "names": [f"{region}a", f"{region}b"], "zoneIds": ["az1", "az2"]}
        return {}

    def region_of(self, provider: str) -> str:
        urn = provider.rsplit("::", 1)[0]
        with self.lock:
            found = [r for r in self.resources if r.type.startswith("pulumi:providers:") and r.urn == urn]
        return str(found[0].inputs["region"]) if found else "unknown"

    def of_type(self, type_: str) -> list[Registered]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str) -> Registered:
        [found] = self.of_type(type_)
        return found


class _Monitor(pulumi_mocks.MockMonitor):
    """The stock mock monitor, noting each registration's URN (its parent's type is in it)."""

    def __init__(self, recorder: Recorder) -> None:
        super().__init__(recorder)
        self.recorder = recorder

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - the gRPC method name
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        with self.recorder.lock:
            for registered in reversed(self.recorder.resources):
                if registered.type == request.type and registered.name == request.name and not registered.urn:
                    registered.urn = response.urn
                    break
        return response


@pytest.fixture
def mocks() -> Iterator[Recorder]:
    recorder = Recorder()
    pulumi.runtime.set_mocks(recorder, project=PROJECT, stack=STACK, preview=False, monitor=_Monitor(recorder))
    pulumi.runtime.set_all_config({})
    yield recorder
    pulumi.runtime.set_all_config({})


def provision(layout: Layout, **settings: Any) -> tuple[Deployment, dict[str, Any]]:
    """`deploy` under the mocks; returns what it made and the resolved stack outputs."""
    made: dict[str, Any] = {}

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def run() -> pulumi.Output[Any]:
        defaults: dict[str, Any] = {"gcp": GcpSettings(project=GCP_PROJECT)}
        deployment = deploy(StackSettings(layout=layout, **{**defaults, **settings}), STACK)
        made["deployment"] = deployment
        return pulumi.Output.from_input(outputs(deployment)).apply(lambda values: made.update(outputs=values))

    run()
    return made["deployment"], made["outputs"]


def _tags(group: Registered) -> dict[str, str]:
    assert all(tag["propagateAtLaunch"] is True for tag in group.inputs["tags"])
    return {tag["key"]: tag["value"] for tag in group.inputs["tags"]}


def _provider_urn(recorder: Recorder, package: str, region: str) -> str:
    [provider] = [
        r for r in recorder.of_type(f"pulumi:providers:{package}") if r.inputs.get("region") == region
    ]  # fmt: skip
    return provider.urn


def _assert_children_of(recorder: Recorder, component: str, name: str, provider_urn: str) -> list[Registered]:
    """Every resource of the component has it as parent (URN type chain) and the region's provider."""
    children = [r for r in recorder.resources if f"::{component}$" in r.urn and r.name.startswith(f"{name}-")]
    assert children
    for child in children:
        assert child.provider.startswith(f"{provider_urn}::"), (child.name, child.provider)
    return children


# ------------------------------------------------------------------------------------------- AWS


def test_aws_spot_placement_is_an_all_spot_group_over_the_type_and_its_alternatives(
    mocks: Recorder, placement: Callable[..., Placement], layout: Callable[..., Layout]
) -> None:
    train = placement(
        "llm-train", "aws", "us-east-1", "spot", instance_type="g6.xlarge", instances=3,
        alternative_instance_types=["g6.2xlarge", "g5g.xlarge", "g6.xlarge"],
    )  # fmt: skip
    deployment, out = provision(layout(train))

    provider_urn = _provider_urn(mocks, "aws", "us-east-1")
    children = _assert_children_of(mocks, "infraaudit:aws:GpuFleet", "llm-train", provider_urn)
    assert sorted(c.type for c in children) == sorted(
        ["aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy", "aws:iam/instanceProfile:InstanceProfile", LT, ASG]
    )
    assert [r.type for r in mocks.resources if r.type.startswith("infraaudit:")] == ["infraaudit:aws:GpuFleet"]

    template = mocks.one(LT).inputs
    assert template["name"] == "ia-test-llm-train"
    assert template["instanceType"] == "g6.xlarge"
    assert template["imageId"] == MOCK_AMI
    assert template["metadataOptions"] == {
        "httpEndpoint": "enabled",
        "httpTokens": "required",
        "httpPutResponseHopLimit": 1,
    }
    assert template["blockDeviceMappings"] == [
        {
            "deviceName": MOCK_ROOT,
            "ebs": {"volumeSize": 200, "volumeType": "gp3", "encrypted": "true", "deleteOnTermination": "true"},
        }
    ]
    assert template["networkInterfaces"] == [
        {"deviceIndex": 0, "associatePublicIpAddress": "false", "deleteOnTermination": "true"}
    ]
    assert template["iamInstanceProfile"]["arn"].startswith("arn:aws:iam::123456789012:instance-profile/")
    expected_template_tags = {
        "team": "llm",
        "cost-center": "cc-42",
        "owner": "ml-platform",
        "data-classification": "internal",
        "managed-by": "infraaudit",
        "infraaudit.io/workload": "llm-train",
        "infraaudit.io/capacity": "spot",
    }
    assert [(s["resourceType"], s["tags"]) for s in template["tagSpecifications"]] == [
        ("instance", expected_template_tags),
        ("volume", expected_template_tags),
    ]
    script = base64.b64decode(template["userData"]).decode()
    agent = json.loads(script.split("<<'EOF'\n", 1)[1].split("\nEOF", 1)[0])
    gpu = agent["metrics"]["metrics_collected"]["nvidia_gpu"]["measurement"]
    assert {"utilization_gpu", "memory_used", "memory_total"} <= set(gpu)
    assert agent["metrics"]["namespace"] == "CWAgent"
    assert agent["metrics"]["append_dimensions"]["InstanceId"] == "${aws:InstanceId}"
    assert "amazoncloudwatch-agent-us-east-1.s3.us-east-1.amazonaws.com/ubuntu/amd64/" in script
    assert "amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s" in script

    group = mocks.one(ASG).inputs
    assert (group["desiredCapacity"], group["minSize"], group["maxSize"]) == (3, 0, 3)
    assert group["availabilityZones"] == ["us-east-1a", "us-east-1b"]
    assert "vpcZoneIdentifiers" not in group
    assert group["capacityRebalance"] is True
    assert group["waitForCapacityTimeout"] == "0"
    policy = group["mixedInstancesPolicy"]
    assert policy["instancesDistribution"] == {
        "onDemandBaseCapacity": 0,
        "onDemandPercentageAboveBaseCapacity": 0,
        "onDemandAllocationStrategy": "prioritized",
        "spotAllocationStrategy": "price-capacity-optimized",
    }
    # g5g is Graviton (arm64): it cannot boot the x86_64 AMI, so it is left out; duplicates too.
    assert [o["instanceType"] for o in policy["launchTemplate"]["overrides"]] == ["g6.xlarge", "g6.2xlarge"]
    assert policy["launchTemplate"]["launchTemplateSpecification"] == {
        "launchTemplateName": "ia-test-llm-train",
        "version": "1",
    }
    tags = _tags(mocks.one(ASG))
    assert tags == {
        **expected_template_tags,
        "workload": "training",
        "infraaudit.io/interruptible": "true",
    }
    assert "infraaudit.io/spot-opt-out" not in tags and "infraaudit.io/model-params" not in tags

    role = mocks.one("aws:iam/role:Role").inputs
    assert json.loads(role["assumeRolePolicy"])["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ]
    [statement] = json.loads(mocks.one("aws:iam/rolePolicy:RolePolicy").inputs["policy"])["Statement"]
    assert statement["Action"] == "cloudwatch:PutMetricData"
    assert statement["Condition"] == {"StringEquals": {"cloudwatch:namespace": "CWAgent"}}
    assert not mocks.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")

    [ami] = [args for token, args, _ in mocks.invokes if token == "aws:ec2/getAmi:getAmi"]
    assert ami["owners"] == ["amazon"] and ami["mostRecent"] is True
    assert {f["name"]: f["values"] for f in ami["filters"]}["architecture"] == ["x86_64"]
    assert "Deep Learning Base OSS Nvidia Driver GPU AMI" in {f["name"]: f["values"] for f in ami["filters"]}["name"][0]

    assert out["placements"]["llm-train"] == {
        "provider": "aws",
        "region": "us-east-1",
        "capacity": "spot",
        "instanceType": "g6.xlarge",
        "instances": 3,
        "gpus": 3,
        "monthlyCostUsd": 1000.0,
        "resources": {
            "launchTemplate": "ia-test-llm-train",
            "autoScalingGroup": "llm-train-asg-4d5e6f",
            "role": "llm-train-role-1a2b3c",
            "instanceProfile": "llm-train-profile-1a2b3c",
        },
    }
    assert out["onPrem"] == {} and out["onPremGpusBySite"] == {}


@pytest.mark.parametrize("capacity", ["on_demand", "committed"])
def test_aws_on_demand_placement_is_all_on_demand_and_opts_out_of_spot(
    mocks: Recorder, placement: Callable[..., Placement], layout: Callable[..., Layout], capacity: str
) -> None:
    serve = placement(
        "chat-serve", "aws", "eu-west-1", capacity, kind="inference", instance_type="g5.xlarge",
        accelerator="A10G", alternative_instance_types=["g5.2xlarge"], data_classification="eu-personal",
        tags={**{"team": "chat", "cost-center": "cc-7"}, "infraaudit.io/interruptible": "true"},
    )  # fmt: skip
    aws = AwsSettings(
        amis={"eu-west-1": "ami-0configured000000"},
        subnets={"eu-west-1": ["subnet-a", "subnet-b"]},
        security_groups={"eu-west-1": ["sg-gpu"]},
        ssm_access=True,
    )
    provision(layout(serve), aws=aws, boot_disk_gib=500)

    group = mocks.one(ASG).inputs
    assert group["mixedInstancesPolicy"]["instancesDistribution"] == {
        "onDemandBaseCapacity": 0,
        "onDemandPercentageAboveBaseCapacity": 100,
        "onDemandAllocationStrategy": "prioritized",
    }
    assert [o["instanceType"] for o in group["mixedInstancesPolicy"]["launchTemplate"]["overrides"]] == ["g5.xlarge"]
    assert group["capacityRebalance"] is False
    assert group["vpcZoneIdentifiers"] == ["subnet-a", "subnet-b"] and "availabilityZones" not in group
    tags = _tags(mocks.one(ASG))
    assert tags["infraaudit.io/spot-opt-out"] == "true"
    assert "infraaudit.io/interruptible" not in tags  # the placement decided: not interruptible
    assert (tags["workload"], tags["infraaudit.io/capacity"]) == ("inference", capacity)
    assert (tags["data-classification"], tags["team"], tags["cost-center"]) == ("eu-personal", "chat", "cc-7")

    template = mocks.one(LT).inputs
    assert template["imageId"] == "ami-0configured000000"
    assert template["blockDeviceMappings"][0]["ebs"]["volumeSize"] == 500
    assert template["blockDeviceMappings"][0]["deviceName"] == MOCK_ROOT  # the configured AMI's, looked up
    assert template["networkInterfaces"][0]["securityGroups"] == ["sg-gpu"]
    [ami] = [args for token, args, _ in mocks.invokes if token == "aws:ec2/getAmi:getAmi"]
    assert ami["filters"] == [{"name": "image-id", "values": ["ami-0configured000000"]}]
    assert not [token for token, _, _ in mocks.invokes if "getAvailabilityZones" in token]
    ssm = mocks.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment").inputs
    assert ssm["policyArn"] == "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"


def test_interruptible_work_the_layout_put_on_demand_keeps_its_flag_and_opts_out(
    mocks: Recorder, placement: Callable[..., Placement], layout: Callable[..., Layout]
) -> None:
    """Spot was weighed by the recommender (dearer there, or over quota): the spot rule must not
    flag the decision, and a re-scan must still see an interruptible workload."""
    train = placement("nightly", "aws", "us-east-1", "committed", kind="training", interruptible=True,
                      instance_type="g6.xlarge", accelerator="L4")  # fmt: skip
    provision(layout(train))
    tags = _tags(mocks.one(ASG))
    assert (tags["infraaudit.io/interruptible"], tags["infraaudit.io/spot-opt-out"]) == ("true", "true")


def test_part_time_placements_start_scaled_to_zero(
    mocks: Recorder, placement: Callable[..., Placement], layout: Callable[..., Layout]
) -> None:
    """A job of 64 h a month must not run around the clock: the groups start at zero, sized to scale."""
    aws_job = placement("finetune", "aws", "us-east-1", "spot", kind="fine-tuning", interruptible=True,
                        instance_type="g6.12xlarge", accelerator="L4", gpus_per_instance=4, instances=4,
                        hours_per_month=64.0)  # fmt: skip
    gcp_job = placement("scoring", "gcp", "europe-west4", "spot", kind="batch", interruptible=True,
                        instance_type="g2-standard-24", accelerator="L4", gpus_per_instance=2, instances=2,
                        hours_per_month=182.5)  # fmt: skip
    provision(layout(aws_job, gcp_job))
    group = mocks.one(ASG).inputs
    assert (group["minSize"], group["desiredCapacity"], group["maxSize"]) == (0, 0, 4)
    assert mocks.one(MIG).inputs["targetSize"] == 0


def test_a_public_ip_only_when_the_placement_asks(
    mocks: Recorder, placement: Callable[..., Placement], layout: Callable[..., Layout]
) -> None:
    provision(
        layout(
            placement("aws-public", "aws", "us-east-1", "on_demand", instance_type="g6.xlarge", public_ip=True),
            placement("gcp-public", "gcp", "us-central1", "on_demand", instance_type="g2-standard-4", public_ip=True),
        )
    )
    assert mocks.one(LT).inputs["networkInterfaces"][0]["associatePublicIpAddress"] == "true"
    assert mocks.one(TEMPLATE).inputs["networkInterfaces"] == [{"network": "default", "accessConfigs": [{}]}]


# ------------------------------------------------------------------------------------------- GCP


def test_gcp_spot_accelerator_optimized_placement(
    mocks: Recorder, placement: Callable[..., Placement], layout: Callable[..., Layout]
) -> None:
    train = placement(
        "vision-train", "gcp", "europe-west4", "spot", instance_type="g2-standard-8",
        owner="Vision Team <vision@example.com>", data_classification="eu-personal",
    )  # fmt: skip
    _, out = provision(layout(train))

    provider_urn = _provider_urn(mocks, "gcp", "europe-west4")
    assert mocks.one("pulumi:providers:gcp").inputs["project"] == GCP_PROJECT
    children = _assert_children_of(mocks, "infraaudit:gcp:GpuFleet", "vision-train", provider_urn)
    assert sorted(c.type for c in children) == sorted(
        ["gcp:serviceaccount/account:Account", "gcp:projects/iAMMember:IAMMember",
         "gcp:projects/iAMMember:IAMMember", TEMPLATE, MIG]
    )  # fmt: skip

    template = mocks.one(TEMPLATE).inputs
    assert template["machineType"] == "g2-standard-8"
    assert template.get("guestAccelerators", []) == []  # a G2 type brings its L4
    assert template["scheduling"] == {
        "provisioningModel": "SPOT",
        "preemptible": True,
        "automaticRestart": False,
        "onHostMaintenance": "TERMINATE",
        "instanceTerminationAction": "DELETE",
    }
    assert template["shieldedInstanceConfig"] == {
        "enableSecureBoot": True,
        "enableVtpm": True,
        "enableIntegrityMonitoring": True,
    }
    assert template["networkInterfaces"] == [{"network": "default"}]  # no access config: no external IP
    [disk] = template["disks"]
    assert DEFAULT_GCP_IMAGE.startswith("projects/deeplearning-platform-release/global/images/family/")
    assert disk == {
        "boot": True,
        "autoDelete": True,
        "sourceImage": DEFAULT_GCP_IMAGE,
        "diskSizeGb": 200,
        "diskType": "pd-balanced",
    }
    assert "add-google-cloud-ops-agent-repo.sh --also-install" in template["metadata"]["startup-script"]
    assert template["metadata"]["enable-oslogin"] == "TRUE"
    account = mocks.one("gcp:serviceaccount/account:Account").inputs
    assert 6 <= len(account["accountId"]) <= 30 and GCP_NAME.match(account["accountId"])
    email = f"{account['accountId']}@{GCP_PROJECT}.iam.gserviceaccount.com"
    assert template["serviceAccount"] == {"email": email, "scopes": ["cloud-platform"]}
    members = {m.inputs["role"]: m.inputs for m in mocks.of_type("gcp:projects/iAMMember:IAMMember")}
    assert set(members) == {"roles/monitoring.metricWriter", "roles/logging.logWriter"}
    assert all(m["member"] == f"serviceAccount:{email}" and m["project"] == GCP_PROJECT for m in members.values())

    labels = template["labels"]
    assert all(LABEL.match(k) and LABEL_VALUE.match(v) for k, v in labels.items()), labels
    assert labels == {
        "team": "llm",
        "cost-center": "cc-42",
        "owner": "vision_team_vision_example_com_",
        "data-classification": "eu-personal",
        "managed-by": "infraaudit",
        "workload": "training",
        "infraaudit_io_workload": "vision-train",
        "infraaudit_io_capacity": "spot",
        "infraaudit_io_interruptible": "true",
    }
    assert GCP_NAME.match(template["name"]) and template["name"].startswith("ia-test-vision-train-")

    group = mocks.one(MIG).inputs
    assert (group["targetSize"], group["region"], group["project"]) == (2, "europe-west4", GCP_PROJECT)
    assert group["name"] == group["baseInstanceName"] == "ia-test-vision-train"
    assert group["versions"] == [
        {"name": "primary", "instanceTemplate": f"projects/{GCP_PROJECT}/global/instanceTemplates/{template['name']}"}
    ]
    assert out["placements"]["vision-train"]["resources"] == {
        "instanceTemplate": template["name"],
        "instanceGroupManager": "ia-test-vision-train",
        "serviceAccount": email,
    }


def test_gcp_n1_placement_attaches_its_gpus_and_runs_on_demand(
    mocks: Recorder, placement: Callable[..., Placement], layout: Callable[..., Layout]
) -> None:
    serve = placement(
        "t4-serve", "gcp", "europe-west4", "on_demand", kind="inference", instance_type="n1-standard-8",
        accelerator="T4", gpus_per_instance=2, gpu_memory_gib_per_instance=32.0, instances=4,
    )  # fmt: skip
    gcp = GcpSettings(
        project=GCP_PROJECT,
        image="projects/my-images/global/images/family/gpu-base",
        subnetworks={"europe-west4": "projects/ml-prod/regions/europe-west4/subnetworks/gpu"},
        zones={"europe-west4": ["europe-west4-a", "europe-west4-b"]},
        service_account="gpu-fleet@ml-prod.iam.gserviceaccount.com",
        secure_boot=False,
    )
    provision(layout(serve), gcp=gcp)

    template = mocks.one(TEMPLATE).inputs
    assert template["guestAccelerators"] == [{"type": "nvidia-tesla-t4", "count": 2}]
    assert template["scheduling"] == {
        "provisioningModel": "STANDARD",
        "preemptible": False,
        "automaticRestart": True,
        "onHostMaintenance": "TERMINATE",  # GPU VMs cannot live-migrate
    }
    assert template["labels"]["infraaudit_io_spot-opt-out"] == "true"
    assert "infraaudit_io_interruptible" not in template["labels"]
    assert template["networkInterfaces"] == [{"subnetwork": "projects/ml-prod/regions/europe-west4/subnetworks/gpu"}]
    assert template["disks"][0]["sourceImage"] == "projects/my-images/global/images/family/gpu-base"
    assert template["shieldedInstanceConfig"]["enableSecureBoot"] is False
    assert template["serviceAccount"]["email"] == "gpu-fleet@ml-prod.iam.gserviceaccount.com"
    assert not mocks.of_type("gcp:serviceaccount/account:Account")
    assert not mocks.of_type("gcp:projects/iAMMember:IAMMember")
    group = mocks.one(MIG).inputs
    assert group["targetSize"] == 4
    assert group["distributionPolicyZones"] == ["europe-west4-a", "europe-west4-b"]


@pytest.mark.parametrize(
    ("instance_type", "accelerator", "message"),
    [
        ("n2-standard-8", "T4", "n2-standard-8 cannot carry GPUs"),
        ("n1-standard-8", "A100", "A100 GPUs do not attach to N1"),
    ],
)
def test_gcp_types_that_cannot_carry_the_gpus_are_refused(
    mocks: Recorder,
    placement: Callable[..., Placement],
    layout: Callable[..., Layout],
    instance_type: str,
    accelerator: str,
    message: str,
) -> None:
    bad = placement("odd", "gcp", "europe-west4", "on_demand", instance_type=instance_type, accelerator=accelerator)
    with pytest.raises(ValueError, match=message):
        provision(layout(bad))


def test_gcp_template_name_changes_with_its_settings_only(
    mocks: Recorder, placement: Callable[..., Placement], layout: Callable[..., Layout]
) -> None:
    """Instance templates are immutable: a new name per content lets Pulumi create the new one
    before deleting the old, which the group still uses until it moves."""

    def template_name(capacity: str = "spot", **changes: Any) -> str:
        mocks.resources.clear()
        base = {"instance_type": "a2-highgpu-1g", "accelerator": "A100", "instances": 1}
        provision(layout(placement("hashing", "gcp", "europe-west4", capacity, **{**base, **changes})))
        return str(mocks.one(TEMPLATE).inputs["name"])

    first = template_name()
    assert template_name() == first
    assert template_name(instances=5) == first  # the group's size is not the template's
    assert template_name(capacity="on_demand") != first
    assert template_name(instance_type="a2-highgpu-2g", gpus_per_instance=2) != first


def test_hyperdisk_for_the_series_that_need_it(
    mocks: Recorder, placement: Callable[..., Placement], layout: Callable[..., Layout]
) -> None:
    provision(
        layout(
            placement("h100", "gcp", "us-central1", "spot", instance_type="a3-highgpu-8g", accelerator="H100",
                      gpus_per_instance=8),
        )
    )  # fmt: skip
    template = mocks.one(TEMPLATE).inputs
    assert template["disks"][0]["diskType"] == "hyperdisk-balanced"
    assert template.get("guestAccelerators", []) == []


# ------------------------------------------------------------------------------------- on-prem, mixed


def test_on_prem_only_layout_provisions_nothing_and_reports_the_reserved_capacity(
    mocks: Recorder, layout: Callable[..., Layout], on_prem_placement: Callable[..., Placement]
) -> None:
    deployment, out = provision(
        layout(
            on_prem_placement("pretrain", site="fra1", instances=2),
            on_prem_placement("eval", site="fra1", accelerator="L40S", gpus_per_instance=4, instances=1),
            on_prem_placement("archive", site="ams2", hours_per_month=200.0, monthly_cost_usd=300.0),
        )
    )
    assert mocks.resources == [] and mocks.invokes == []
    assert deployment.fleets == {} and deployment.aws_providers == {} and deployment.gcp_providers == {}
    assert out["placements"] == {}
    assert out["onPrem"]["pretrain"] == {
        "site": "fra1",
        "region": "eu-central",
        "accelerator": "A100",
        "gpusPerInstance": 8,
        "instances": 2,
        "gpus": 16,
        "hoursPerMonth": 600.0,
        "gpuHoursPerMonth": 9600.0,
        "monthlyCostUsd": 2500.0,
    }
    assert (out["onPrem"]["archive"]["hoursPerMonth"], out["onPrem"]["archive"]["monthlyCostUsd"]) == (200.0, 300.0)
    assert out["onPremGpusBySite"] == {"fra1": {"A100": 16, "L40S": 4}, "ams2": {"A100": 8}}
    assert out["monthlyCostUsd"] == 5300.0 and out["catalogDate"] == "2026-11-01"


def test_mixed_multi_region_layout_gets_one_provider_per_region(
    mocks: Recorder,
    placement: Callable[..., Placement],
    layout: Callable[..., Layout],
    on_prem_placement: Callable[..., Placement],
) -> None:
    placements = [
        placement("us-train", "aws", "us-east-1", "spot", instance_type="g6.xlarge"),
        placement("us-serve", "aws", "us-east-1", "on_demand", kind="inference", instance_type="g6.xlarge"),
        placement("eu-serve", "aws", "eu-west-1", "committed", kind="inference", instance_type="g5.xlarge",
                  accelerator="A10G"),
        placement("eu-train", "gcp", "europe-west4", "spot", instance_type="a2-highgpu-1g", accelerator="A100"),
        placement("us-batch", "gcp", "us-central1", "spot", kind="batch", instance_type="g2-standard-4"),
        on_prem_placement("pretrain"),
    ]  # fmt: skip
    deployment, out = provision(layout(*placements))

    assert sorted(deployment.aws_providers) == ["eu-west-1", "us-east-1"]
    assert sorted(deployment.gcp_providers) == ["europe-west4", "us-central1"]
    assert len(mocks.of_type("pulumi:providers:aws")) == 2 and len(mocks.of_type("pulumi:providers:gcp")) == 2
    for p in placements[:5]:
        package = p.provider.value
        component = f"infraaudit:{package}:GpuFleet"
        _assert_children_of(mocks, component, p.workload, _provider_urn(mocks, package, p.region))
    groups = {g.name: g.inputs for g in mocks.of_type(ASG)}
    assert {name: g["desiredCapacity"] for name, g in groups.items()} == {
        "us-train-asg": 2,
        "us-serve-asg": 2,
        "eu-serve-asg": 2,
    }
    zones = {name: g["availabilityZones"] for name, g in groups.items()}
    assert zones["eu-serve-asg"] == ["eu-west-1a", "eu-west-1b"]  # the invoke went to the region's provider
    assert {m.name: m.inputs["region"] for m in mocks.of_type(MIG)} == {
        "eu-train-mig": "europe-west4",
        "us-batch-mig": "us-central1",
    }
    assert sorted(out["placements"]) == ["eu-serve", "eu-train", "us-batch", "us-serve", "us-train"]
    assert out["placements"]["eu-serve"]["capacity"] == "committed"
    assert set(out["onPrem"]) == {"pretrain"}
    assert out["monthlyCostUsd"] == 7500.0


# ----------------------------------------------------------------------------------- the program


def test_main_reads_the_layout_from_stack_config(
    mocks: Recorder, placement: Callable[..., Placement], layout: Callable[..., Layout]
) -> None:
    """`stacks/__main__.py` runs `program.main()`: config → providers, components and outputs."""
    from infraaudit.stacks.program import main

    chosen = layout(
        placement("cfg-train", "gcp", "us-central1", "spot", instance_type="g2-standard-4"),
        placement("cfg-serve", "aws", "us-east-1", "on_demand", kind="inference", instance_type="g6.xlarge"),
    )
    pulumi.runtime.set_all_config(
        {
            "infraaudit:layout": json.dumps(chosen.model_dump(mode="json")),
            "gcp:project": "cfg-project",
            "infraaudit:tags": json.dumps({"department": "research", "team": "stack-default"}),
            "infraaudit:amis": json.dumps({"us-east-1": "ami-0fromconfig00000"}),
            "infraaudit:bootDiskGiB": "300",
        }
    )

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def run() -> None:
        main()

    run()
    assert mocks.one(MIG).inputs["project"] == "cfg-project"
    assert mocks.one("pulumi:providers:gcp").inputs == {"project": "cfg-project", "region": "us-central1"}
    assert mocks.one(LT).inputs["imageId"] == "ami-0fromconfig00000"
    assert mocks.one(LT).inputs["blockDeviceMappings"][0]["ebs"]["volumeSize"] == 300
    tags = _tags(mocks.one(ASG))
    assert (tags["department"], tags["team"]) == ("research", "llm")  # the placement's own tags win
