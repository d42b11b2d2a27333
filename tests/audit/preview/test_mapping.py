"""Planned IaC resources → preview Resources: every kind in both styles, field by field."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
from preview_fixtures import FIXTURES

from infraaudit.audit.models import ChangeOp, IacOrigin, Market, Resource
from infraaudit.audit.preview import UNKNOWN, Plan, PlannedResource, read_pulumi_preview, read_terraform_plan
from infraaudit.audit.preview.mapping import PROVIDER_KEY, plan_resources, planned_resources

AWS_TAGS = {"owner": "ml-platform", "cost-center": "42", "team": "research", "data-classification": "internal"}
GCP_TAGS = {"owner": "ml-platform", "cost-center": "42", "team": "research", "data-classification": "internal"}
SECURE = {"public_ip": False, "imdsv2_required": True, "boot_disk_encrypted": True}
L4 = [{"model": "L4", "count": 1}]


@cache
def plan(name: str) -> Plan:
    reader = read_pulumi_preview if name.startswith("pulumi") else read_terraform_plan
    return reader(FIXTURES / name)


@cache
def mapped(name: str) -> dict[str, Resource]:
    return {r.uid: r for r in plan_resources(plan(name))}


def fields(resource: Resource) -> dict[str, Any]:
    """The Resource as the policies see it (origin checked on its own)."""
    return resource.model_dump(mode="json", exclude_none=True, exclude={"origin", "source", "state"})


def expect(uid: str, **values: Any) -> dict[str, Any]:
    provider, account, region, rest = uid.split(":")
    found = {
        "uid": uid,
        "provider": provider,
        "account": account,
        "region": region,
        "name": rest.split("/", 1)[1],
        "accelerators": [],
        "market": "on_demand",
        "count": 1,
        "unknown": [],
        "security": {},
        "tags": {},
    }
    found.update(values)
    return found


def pulumi(type_: str, inputs: dict[str, Any], *, region: Any = "us-east-1", name: str = "r") -> PlannedResource:
    return PlannedResource(
        address=f"urn:pulumi:dev::p::{type_}::{name}",
        type=type_,
        name=name,
        op=ChangeOp.CREATE,
        before=None,
        after={**inputs, PROVIDER_KEY: {"region": region}},
        style="pulumi",
    )


def mapped_one(*resources: PlannedResource) -> list[Resource]:
    return plan_resources(Plan(input_file="plan.json", kind="pulumi-preview", resources=list(resources)))


# ---------------------------------------------------------------------------------------- AWS kinds


def test_aws_instance_in_both_styles() -> None:
    tags = {
        **AWS_TAGS,
        "Name": "llm-server",
        "infraaudit.io/model-params": "7B",
        "infraaudit.io/precision": "bf16",
    }
    pulumi_uid = "aws:unknown:us-east-1:Instance/llm-server"
    assert fields(mapped("pulumi-preview.json")[pulumi_uid]) == expect(
        pulumi_uid, instance_type="g5.12xlarge", tags=tags, security=SECURE
    )
    tf_uid = "aws:unknown:us-east-1:aws_instance/llm_server"
    assert fields(mapped("terraform-plan.json")[tf_uid]) == expect(
        tf_uid, instance_type="g5.12xlarge", zone="us-east-1d", tags=tags, security=SECURE
    )


def test_aws_instance_origin() -> None:
    resource = mapped("pulumi-preview.json")["aws:unknown:us-east-1:Instance/llm-server"]
    assert resource.origin == IacOrigin(
        input_file=str(FIXTURES / "pulumi-preview.json"),
        address="urn:pulumi:dev::gpu-fleet::aws:ec2/instance:Instance::llm-server",
        type="aws:ec2/instance:Instance",
        op=ChangeOp.CREATE,
        source_file="__main__.py",
        source_line=31,
    )
    tf = mapped("terraform-plan.json")["aws:unknown:us-east-1:aws_instance/module.gpu.aws_instance.worker[1]"]
    assert tf.origin == IacOrigin(
        input_file=str(FIXTURES / "terraform-plan.json"),
        address="module.gpu.aws_instance.worker[1]",
        type="aws_instance",
        op=ChangeOp.CREATE,
    )


def test_aws_instance_unknowns_and_spot_market() -> None:
    resources = mapped("pulumi-preview.json")
    partly = resources["aws:unknown:us-east-1:Instance/partly-known"]
    assert partly.unknown == ["security.boot_disk_encrypted", "security.imdsv2_required", "tags.build"]
    assert partly.security.model_dump(exclude_none=True) == {"public_ip": False}
    assert "build" not in partly.tags
    pending = resources["aws:unknown:us-east-1:Instance/pending-type"]
    assert (pending.instance_type, pending.unknown) == ("unknown", ["instance_type"])
    assert resources["aws:unknown:us-east-1:Instance/trainer-spot"].market is Market.SPOT
    # Terraform: an Optional+Computed block left out of the configuration is unknown in the plan.
    notebook = mapped("terraform-plan.json")["aws:unknown:us-east-1:aws_instance/notebook"]
    assert notebook.unknown == ["market"]
    assert notebook.security.model_dump() == {
        "public_ip": True,
        "imdsv2_required": False,
        "boot_disk_encrypted": False,
        "boot_disk_customer_key": None,
        "shielded_vm": None,
    }


def test_aws_spot_instance_request_in_both_styles() -> None:
    tags = {**AWS_TAGS, "workload": "experiment"}
    for name, uid in [
        ("pulumi-preview.json", "aws:unknown:us-east-1:SpotInstanceRequest/spot-dev"),
        ("terraform-plan.json", "aws:unknown:us-east-1:aws_spot_instance_request/spot_dev"),
    ]:
        assert fields(mapped(name)[uid]) == expect(
            uid, instance_type="g5.xlarge", market="spot", tags=tags, security=SECURE
        ), name


def test_aws_launch_template_in_both_styles_runs_nothing() -> None:
    pulumi_uid = "aws:unknown:us-east-1:LaunchTemplate/gpu-lt"
    assert fields(mapped("pulumi-preview.json")[pulumi_uid]) == expect(
        pulumi_uid,
        instance_type="g5.xlarge",
        count=0,
        tags=AWS_TAGS,
        security={"imdsv2_required": True, "boot_disk_encrypted": True},
    )
    tf_uid = "aws:unknown:us-east-1:aws_launch_template/gpu"
    # A second EBS mapping leaves `encrypted` unset (Terraform plans ""): the account default decides.
    assert fields(mapped("terraform-plan.json")[tf_uid]) == expect(
        tf_uid, instance_type="g5.xlarge", count=0, tags=AWS_TAGS, security={"imdsv2_required": True}
    )


def test_aws_autoscaling_group_mixed_policy_splits_on_demand_and_spot() -> None:
    """desired 10, on-demand base 2, 25 % on-demand above base: 2 + 2 on demand, 6 spot; the
    instance type is the first override, the security facts the launch template's (by name)."""
    pulumi_parts = {uid: fields(r) for uid, r in mapped("pulumi-preview.json").items() if "Group/" in uid}
    security = {"imdsv2_required": True, "boot_disk_encrypted": True}
    on_demand = "aws:unknown:us-east-1:Group/gpu-asg#on_demand"
    spot = "aws:unknown:us-east-1:Group/gpu-asg#spot"
    assert pulumi_parts == {
        on_demand: expect(on_demand, instance_type="g5.xlarge", count=4, tags=AWS_TAGS, security=security),
        spot: expect(spot, instance_type="g5.xlarge", market="spot", count=6, tags=AWS_TAGS, security=security),
    }
    tf_parts = {uid: fields(r) for uid, r in mapped("terraform-plan.json").items() if "aws_autoscaling_group/" in uid}
    tags = {**AWS_TAGS, "workload": "training"}
    on_demand = "aws:unknown:us-east-1:aws_autoscaling_group/gpu#on_demand"
    spot = "aws:unknown:us-east-1:aws_autoscaling_group/gpu#spot"
    security = {"imdsv2_required": True}
    assert tf_parts == {
        on_demand: expect(on_demand, instance_type="g5.xlarge", count=4, tags=tags, security=security),
        spot: expect(spot, instance_type="g5.xlarge", market="spot", count=6, tags=tags, security=security),
    }


GROUP = "aws:autoscaling/group:Group"
TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"


def _group(**inputs: Any) -> PlannedResource:
    return pulumi(GROUP, {"desiredCapacity": 4, "minSize": 1, "tags": [], **inputs}, name="asg")


def _template(**inputs: Any) -> PlannedResource:
    return pulumi(
        TEMPLATE,
        {"name": "workers", "instanceType": "g6.xlarge", "metadataOptions": {"httpTokens": "required"}, **inputs},
        name="lt",
    )


def _parts(resources: list[Resource]) -> list[tuple[str, str, Any, int, list[str]]]:
    return [(r.name or "", r.instance_type, r.market.value, r.count, r.unknown) for r in resources if r.count]


@pytest.mark.parametrize(
    ("distribution", "parts"),
    [
        ({"onDemandBaseCapacity": 0, "onDemandPercentageAboveBaseCapacity": 0}, [("asg", "spot", 4)]),
        ({"onDemandBaseCapacity": 4, "onDemandPercentageAboveBaseCapacity": 0}, [("asg", "on_demand", 4)]),
        (
            {"onDemandBaseCapacity": 1, "onDemandPercentageAboveBaseCapacity": 0},
            [("asg#on_demand", "on_demand", 1), ("asg#spot", "spot", 3)],
        ),
        ({}, [("asg", "on_demand", 4)]),  # defaults: base 0, 100 % on demand
    ],
)
def test_autoscaling_group_split(distribution: dict[str, Any], parts: list[tuple[str, str, int]]) -> None:
    policy = {
        "instancesDistribution": distribution,
        "launchTemplate": {
            "launchTemplateSpecification": {"launchTemplateName": "workers"},
            "overrides": [{"instanceType": "g5.xlarge"}],
        },
    }
    resources = mapped_one(_template(), _group(mixedInstancesPolicy=policy))
    assert [(n, m, c) for n, _, m, c, _ in _parts(resources)] == parts


@pytest.mark.parametrize(("percent", "market"), [(0, Market.SPOT), (100, Market.ON_DEMAND)])
def test_an_empty_group_keeps_the_market_of_its_policy(percent: int, market: Market) -> None:
    """A group scaled to zero (a part-time job's) is judged by the market it would launch in."""
    policy = {
        "instancesDistribution": {"onDemandBaseCapacity": 0, "onDemandPercentageAboveBaseCapacity": percent},
        "launchTemplate": {"launchTemplateSpecification": {"launchTemplateName": "workers"}},
    }
    [_, group] = mapped_one(_template(), _group(desiredCapacity=0, minSize=0, mixedInstancesPolicy=policy))
    assert (group.count, group.market) == (0, market)


def test_autoscaling_group_uses_the_launch_template_of_the_plan_by_name() -> None:
    """No overrides: the template's instance type; its market when there is no mixed policy."""
    [_, group] = mapped_one(_template(), _group(launchTemplate={"name": "workers", "version": "$Latest"}))
    assert (group.instance_type, group.market, group.count, group.unknown) == ("g6.xlarge", Market.ON_DEMAND, 4, [])
    assert group.security.imdsv2_required is True
    spot_template = _template(instanceMarketOptions={"marketType": "spot"})
    [_, group] = mapped_one(spot_template, _group(launchTemplate={"name": "workers"}))
    assert (group.market, group.count, group.unknown) == (Market.SPOT, 4, [])


def test_autoscaling_group_with_a_template_outside_the_plan_is_unknown() -> None:
    [group] = mapped_one(_group(launchTemplate={"id": "lt-0abc", "version": "$Latest"}))
    assert group.unknown == [
        "instance_type",
        "market",
        "security.boot_disk_encrypted",
        "security.imdsv2_required",
    ]
    assert group.count == 4


def test_autoscaling_group_unknown_share_or_size_never_looks_on_demand() -> None:
    """An unknown distribution leaves the market unknown (the spot rule must not fire); an unknown
    size leaves the count unknown (priced as unknown, not as zero)."""
    policy = {
        "instancesDistribution": UNKNOWN,
        "launchTemplate": {"launchTemplateSpecification": {"launchTemplateName": "workers"}},
    }
    [_, group] = mapped_one(_template(), _group(mixedInstancesPolicy=policy))
    assert (group.name, group.count, group.unknown) == ("asg", 4, ["market"])
    share = {"onDemandBaseCapacity": 0, "onDemandPercentageAboveBaseCapacity": UNKNOWN}
    [_, group] = mapped_one(_template(), _group(mixedInstancesPolicy={**policy, "instancesDistribution": share}))
    assert group.unknown == ["market"]
    [_, group] = mapped_one(_template(), _group(desiredCapacity=UNKNOWN, launchTemplate={"name": "workers"}))
    assert (group.market, group.count, group.unknown) == (Market.ON_DEMAND, 0, ["count"])
    mixed = {**policy, "instancesDistribution": {"onDemandPercentageAboveBaseCapacity": 50}}
    [_, group] = mapped_one(_template(), _group(desiredCapacity=UNKNOWN, mixedInstancesPolicy=mixed))
    assert group.unknown == ["count", "market"]


def test_aws_resource_level_region_wins_over_the_provider() -> None:
    """hashicorp/aws 6 and pulumi-aws 7 resources carry their own `region`."""
    [box] = mapped_one(pulumi("aws:ec2/instance:Instance", {"instanceType": "g5.xlarge", "region": "eu-west-1"}))
    assert box.region == "eu-west-1"
    [box] = mapped_one(pulumi("aws:ec2/instance:Instance", {"instanceType": "g5.xlarge", "region": UNKNOWN}))
    assert (box.region, box.unknown) == ("unknown", ["region"])
    [box] = mapped_one(
        pulumi("aws:ec2/instance:Instance", {"instanceType": "g5.xlarge", "availabilityZone": "eu-central-1b"})
    )
    assert (box.region, box.zone) == ("eu-central-1", "eu-central-1b")


def test_imds_left_out_of_the_iac_is_not_assumed() -> None:
    """No metadataOptions: the AMI or the account's IMDS defaults decide (None, like Terraform's
    unknown), so IA-SEC-002 does not fire on what the IaC does not say."""
    [box] = mapped_one(pulumi("aws:ec2/instance:Instance", {"instanceType": "g5.xlarge"}))
    assert box.security.model_dump(exclude_none=True) == {}
    [box] = mapped_one(
        pulumi(
            "aws:ec2/instance:Instance", {"instanceType": "g5.xlarge", "metadataOptions": {"httpTokens": "optional"}}
        )
    )
    assert box.security.imdsv2_required is False


# ---------------------------------------------------------------------------------------- GCP kinds


def test_gcp_instance_in_both_styles() -> None:
    tags = {**GCP_TAGS, "workload": "training"}
    pulumi_uid = "gcp:ml-prod:us-central1:Instance/l4-spot"
    assert fields(mapped("pulumi-preview-gcp.json")[pulumi_uid]) == expect(
        pulumi_uid,
        instance_type="g2-standard-4",
        zone="us-central1-a",
        market="spot",
        accelerators=L4,
        tags={**tags, "managed-by": "pulumi"},
        security={"public_ip": True, "boot_disk_encrypted": True, "boot_disk_customer_key": False, "shielded_vm": True},
    )
    tf_uid = "gcp:ml-prod:us-central1:google_compute_instance/l4_spot"
    assert fields(mapped("terraform-plan.json")[tf_uid]) == expect(
        tf_uid,
        instance_type="g2-standard-4",
        zone="us-central1-a",
        market="spot",
        accelerators=L4,
        tags=tags,
        security={"public_ip": True, "boot_disk_encrypted": True},
        unknown=["security.boot_disk_customer_key", "security.shielded_vm"],
    )


def test_gcp_on_demand_instance_with_a_customer_key() -> None:
    box = mapped("pulumi-preview-gcp.json")["gcp:ml-prod:us-central1:Instance/a100-box"]
    assert (box.market, box.zone, box.accelerators, box.unknown) == (Market.ON_DEMAND, "us-central1-b", [], [])
    assert box.security.boot_disk_customer_key is True and box.security.public_ip is False
    tf = mapped("terraform-plan.json")["gcp:ml-prod:us-central1:google_compute_instance/a100_box"]
    # guest_accelerator is Optional+Computed: an A2 type attaches its GPUs itself; the catalog fills them.
    assert tf.unknown == ["accelerators", "security.boot_disk_customer_key", "security.shielded_vm"]


def test_gcp_instance_template_in_both_styles_runs_nothing() -> None:
    security = {"public_ip": False, "boot_disk_encrypted": True, "boot_disk_customer_key": True, "shielded_vm": False}
    pulumi_uid = "gcp:ml-prod:us-central1:InstanceTemplate/gpu-template"
    assert fields(mapped("pulumi-preview-gcp.json")[pulumi_uid]) == expect(
        pulumi_uid,
        instance_type="g2-standard-8",
        count=0,
        accelerators=L4,
        tags={**GCP_TAGS, "managed-by": "pulumi"},
        security=security,
    )
    tf_uid = "gcp:ml-prod:us-central1:google_compute_instance_template/gpu"
    assert fields(mapped("terraform-plan.json")[tf_uid]) == expect(
        tf_uid, instance_type="g2-standard-8", count=0, accelerators=L4, tags=GCP_TAGS, security=security
    )


def test_gke_node_pools_in_both_styles() -> None:
    """Nodes per zone x zones: node_locations when given, else 1 zone (zonal) or 3 (regional);
    the GCP labels are resource_labels (Kubernetes node labels are not GCP labels)."""
    security = {"boot_disk_encrypted": True, "boot_disk_customer_key": False, "shielded_vm": False}
    tags = {**GCP_TAGS, "managed-by": "pulumi"}
    pools = {uid: fields(r) for uid, r in mapped("pulumi-preview-gcp.json").items() if "NodePool/" in uid}
    regional = "gcp:ml-prod:us-central1:NodePool/gpu-pool"
    eu = "gcp:ml-prod:europe-west4:NodePool/eu-pool"
    zonal = "gcp:ml-prod:us-central1:NodePool/zonal-pool"
    assert pools == {
        regional: expect(
            regional,
            instance_type="g2-standard-8",
            market="spot",
            count=4,
            accelerators=L4,
            tags=tags,
            security=security,
        ),
        eu: expect(
            eu,
            instance_type="g2-standard-4",
            market="spot",
            count=3,
            accelerators=L4,
            tags={**tags, "data-classification": "eu-personal"},
            security=security,
        ),
        zonal: expect(
            zonal,
            instance_type="g2-standard-4",
            zone="us-central1-a",
            market="spot",
            count=2,
            accelerators=L4,
            tags=tags,
            security=security,
        ),
    }
    tf = {uid: fields(r) for uid, r in mapped("terraform-plan.json").items() if "node_pool/" in uid}
    regional = "gcp:ml-prod:us-central1:google_container_node_pool/gpu"
    zonal = "gcp:ml-prod:us-central1:google_container_node_pool/zonal"
    tf_security = {"boot_disk_encrypted": True, "boot_disk_customer_key": False}
    assert tf == {
        regional: expect(
            regional,
            instance_type="g2-standard-8",
            market="spot",
            count=3,  # node_locations unknown (computed): a regional pool's 3 zones
            accelerators=L4,
            tags=GCP_TAGS,
            security=tf_security,
            unknown=["security.shielded_vm"],
        ),
        zonal: expect(
            zonal,
            instance_type="g2-standard-4",
            zone="us-central1-a",
            market="spot",
            count=4,  # 2 nodes in each of 2 node_locations
            accelerators=L4,
            tags=GCP_TAGS,
            security=tf_security,
            unknown=["security.shielded_vm"],
        ),
    }


def test_node_pool_with_an_unknown_size() -> None:
    pool = pulumi(
        "gcp:container/nodePool:NodePool",
        {"location": "us-central1-a", "nodeCount": UNKNOWN, "nodeConfig": {"machineType": "g2-standard-4"}},
    )
    [resource] = mapped_one(pool)
    assert (resource.count, resource.unknown) == (0, ["count"])


# ------------------------------------------------------------------------------------------- sides


def test_both_sides_of_an_update_and_a_replacement() -> None:
    tf = plan("terraform-plan.json")
    [render] = [p for p in tf.resources if p.name == "render_node"]
    [before] = planned_resources(render, tf, side="before")
    [after] = planned_resources(render, tf, side="after")
    assert (before.instance_type, before.zone, before.unknown) == ("g5.2xlarge", "us-east-1a", [])
    assert (after.instance_type, after.zone, after.unknown) == ("g6e.xlarge", "us-east-1b", ["market"])
    [delete] = [p for p in tf.resources if p.name == "old_trainer"]
    assert planned_resources(delete, tf, side="after") == []
    assert [r.instance_type for r in planned_resources(delete, tf, side="before")] == ["p3.8xlarge"]
