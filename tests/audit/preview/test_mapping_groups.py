"""Managed instance groups (regional and zonal, Pulumi and Terraform) take their facts from the
instance template they reference in the same plan; Auto Scaling groups their public IP from
their launch template. An unknown or outside reference leaves the template's facts unknown."""

from __future__ import annotations

from typing import Any

import pytest

from infraaudit.audit.catalog import Catalog
from infraaudit.audit.models import Accelerator, ChangeOp, Market, Resource
from infraaudit.audit.preview import UNKNOWN, Plan, PlannedResource, cost_change
from infraaudit.audit.preview.mapping import PROVIDER_KEY, plan_resources, planned_resources

RIGM = "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager"
IGM = "gcp:compute/instanceGroupManager:InstanceGroupManager"
TEMPLATE = "gcp:compute/instanceTemplate:InstanceTemplate"
LABELS = {"owner": "ml", "team": "vision", "cost-center": "42", "data-classification": "internal"}
TEMPLATE_UNKNOWN = [
    "accelerators",
    "instance_type",
    "market",
    "security.boot_disk_customer_key",
    "security.public_ip",
    "security.shielded_vm",
    "tags",
]


def planned(
    type_: str,
    name: str,
    after: dict[str, Any] | None,
    *,
    style: str = "pulumi",
    before: dict[str, Any] | None = None,
    provider: dict[str, Any] | None = None,
) -> PlannedResource:
    facts = {PROVIDER_KEY: provider or {"project": "ml-prod", "region": "europe-west4"}}
    address = f"urn:pulumi:dev::p::{type_}::{name}" if style == "pulumi" else f"{type_}.{name}"
    return PlannedResource(
        address=address,
        type=type_,
        name=name,
        op=ChangeOp.CREATE if before is None else ChangeOp.UPDATE,
        before=None if before is None else {**before, **facts},
        after=None if after is None else {**after, **facts},
        style=style,
    )


def template(name: str = "gpu-tmpl", **inputs: Any) -> PlannedResource:
    """A Pulumi instance template: G2 spot, labelled, no external IP, Shielded VM."""
    values = {
        "name": name,
        "machineType": "g2-standard-8",
        "labels": LABELS,
        "scheduling": {"provisioningModel": "SPOT", "preemptible": True, "onHostMaintenance": "TERMINATE"},
        "networkInterfaces": [{"network": "default"}],
        "disks": [{"boot": True, "sourceImage": "projects/x/global/images/family/y"}],
        "shieldedInstanceConfig": {"enableSecureBoot": True, "enableVtpm": True, "enableIntegrityMonitoring": True},
        **inputs,
    }
    return planned(TEMPLATE, f"{name}-logical", values)


def group(reference: Any, **inputs: Any) -> PlannedResource:
    values = {
        "region": "europe-west4",
        "targetSize": 4,
        "baseInstanceName": "gpu",
        "versions": [{"name": "primary", "instanceTemplate": reference}],
        **inputs,
    }
    return planned(RIGM, "gpu-mig", values)


def mapped(*resources: PlannedResource) -> dict[str, Resource]:
    plan = Plan(input_file="plan.json", kind="pulumi-preview", resources=list(resources))
    return {r.name or "": r for r in plan_resources(plan)}


@pytest.mark.parametrize(
    "reference",
    [
        "projects/ml-prod/global/instanceTemplates/gpu-tmpl",  # the template's id
        "https://www.googleapis.com/compute/v1/projects/ml-prod/global/instanceTemplates/gpu-tmpl",
        "https://www.googleapis.com/compute/v1/projects/ml-prod/global/instanceTemplates/gpu-tmpl?uniqueId=123",
        "gpu-tmpl",
    ],
)
def test_regional_group_takes_the_referenced_templates_facts(reference: str) -> None:
    found = mapped(template(), group(reference))
    mig, tmpl = found["gpu-mig"], found["gpu-tmpl-logical"]
    assert (tmpl.count, mig.count) == (0, 4)
    assert mig.uid == "gcp:ml-prod:europe-west4:RegionInstanceGroupManager/gpu-mig"
    assert (mig.instance_type, mig.market, mig.region, mig.zone, mig.unknown) == (
        "g2-standard-8",
        Market.SPOT,
        "europe-west4",
        None,
        [],
    )
    assert mig.tags == LABELS
    assert mig.security.model_dump(exclude_none=True) == {
        "public_ip": False,
        "boot_disk_encrypted": True,
        "boot_disk_customer_key": False,
        "shielded_vm": True,
    }


def test_attached_gpus_and_the_groups_own_labels() -> None:
    n1 = template(
        machineType="n1-standard-8",
        guestAccelerators=[{"type": "nvidia-tesla-t4", "count": 2}],
        scheduling={"provisioningModel": "STANDARD", "onHostMaintenance": "TERMINATE"},
        networkInterfaces=[{"network": "default", "accessConfigs": [{}]}],
    )
    mig = mapped(n1, group("gpu-tmpl", allInstancesConfig={"labels": {"team": "override", "extra": "x"}}))["gpu-mig"]
    assert (mig.accelerators, mig.market) == ([Accelerator(model="T4", count=2)], Market.ON_DEMAND)
    assert mig.tags == {**LABELS, "team": "override", "extra": "x"}
    assert mig.security.public_ip is True


@pytest.mark.parametrize(
    "reference",
    [
        UNKNOWN,  # the template is created in the same change: its id is known after apply
        "projects/ml-prod/global/instanceTemplates/not-in-the-plan",
        "gpu-tmpl-logical-id",  # not a name of the plan (e.g. a mock's id): never guessed
        "projects/ml-prod/regions/europe-west4/instanceTemplates/gpu-tmpl",  # a regional template
        None,
    ],
)
def test_an_unknown_or_outside_reference_leaves_the_template_facts_unknown(reference: Any) -> None:
    mig = mapped(template(), group(reference))["gpu-mig"]
    assert (mig.count, mig.region, mig.unknown) == (4, "europe-west4", TEMPLATE_UNKNOWN)
    assert mig.security.boot_disk_encrypted is True  # Compute Engine encrypts every disk


def test_an_ambiguous_name_is_unknown_unless_the_project_decides() -> None:
    other = planned(TEMPLATE, "other", {**template().after, "project": "other-project"})  # type: ignore[dict-item]
    both = [template(), other]
    assert mapped(*both, group("gpu-tmpl"))["gpu-mig"].unknown == TEMPLATE_UNKNOWN
    mig = mapped(*both, group("projects/other-project/global/instanceTemplates/gpu-tmpl"))["gpu-mig"]
    assert (mig.instance_type, mig.unknown) == ("g2-standard-8", [])


def test_unknown_versions_or_size() -> None:
    mig = mapped(template(), group("gpu-tmpl", targetSize=UNKNOWN))["gpu-mig"]
    assert (mig.count, mig.unknown) == (0, ["count"])
    mig = mapped(template(), group("gpu-tmpl", versions=UNKNOWN))["gpu-mig"]
    assert mig.unknown == ["accelerators", "instance_type", "market", *TEMPLATE_UNKNOWN[3:]]
    [mig] = [r for r in mapped(template(), group("gpu-tmpl", targetSize=None)).values() if "Group" in r.uid]
    assert mig.count == 0  # no target size: the provider's default, 0


def test_canary_versions_split_the_target_size() -> None:
    canary = template("canary-tmpl", machineType="g2-standard-4")
    versions = [
        {"name": "stable", "instanceTemplate": "gpu-tmpl"},
        {"name": "canary", "instanceTemplate": "canary-tmpl", "targetSize": {"percent": 25}},
    ]
    found = mapped(template(), canary, group(None, targetSize=10, versions=versions))
    assert {(n, r.instance_type, r.count) for n, r in found.items() if "Group" in r.uid} == {
        ("gpu-mig#stable", "g2-standard-8", 7),
        ("gpu-mig#canary", "g2-standard-4", 3),  # 25 % of 10, rounded up
    }
    versions[1]["targetSize"] = {"fixed": 2}
    found = mapped(template(), canary, group(None, targetSize=10, versions=versions))
    assert {(n, r.count) for n, r in found.items() if "Group" in r.uid} == {
        ("gpu-mig#stable", 8),
        ("gpu-mig#canary", 2),
    }
    versions[1]["targetSize"] = {"fixed": UNKNOWN}
    found = mapped(template(), canary, group(None, targetSize=10, versions=versions))
    assert {(n, r.count, tuple(r.unknown)) for n, r in found.items() if "Group" in r.uid} == {
        ("gpu-mig#stable", 0, ("count",)),
        ("gpu-mig#canary", 0, ("count",)),
    }


# ------------------------------------------------------------------------------------------ Terraform


def test_terraform_regional_and_zonal_groups() -> None:
    tf_template = planned(
        "google_compute_instance_template",
        "gpu",
        {
            "name": "tf-gpu",
            "machine_type": "a2-highgpu-1g",
            "labels": LABELS,
            "scheduling": [{"provisioning_model": "STANDARD", "preemptible": False}],
            "network_interface": [{"network": "default", "access_config": []}],
            "disk": [{"boot": True, "disk_encryption_key": []}],
            "shielded_instance_config": [],
            "guest_accelerator": [],
        },
        style="terraform",
    )
    regional = planned(
        "google_compute_region_instance_group_manager",
        "gpu",
        {
            "region": "us-central1",
            "target_size": 3,
            "version": [{"name": "v1", "instance_template": "projects/ml-prod/global/instanceTemplates/tf-gpu",
                         "target_size": []}],
            "all_instances_config": [],
        },
        style="terraform",
    )  # fmt: skip
    zonal = planned(
        "google_compute_instance_group_manager",
        "gpu_zonal",
        {"zone": "us-central1-b", "target_size": 2, "version": [{"instance_template": "tf-gpu"}]},
        style="terraform",
    )
    plan = Plan(input_file="plan.json", kind="terraform-plan", resources=[tf_template, regional, zonal])
    found = {r.uid: r for r in plan_resources(plan)}
    r = found["gcp:ml-prod:us-central1:google_compute_region_instance_group_manager/gpu"]
    assert (r.count, r.instance_type, r.market, r.zone, r.unknown) == (3, "a2-highgpu-1g", Market.ON_DEMAND, None, [])
    z = found["gcp:ml-prod:us-central1:google_compute_instance_group_manager/gpu_zonal"]
    assert (z.count, z.instance_type, z.zone) == (2, "a2-highgpu-1g", "us-central1-b")
    assert z.security.shielded_vm is False and z.security.public_ip is False


# ---------------------------------------------------------------------------------------- the cost


def test_cost_change_prices_groups_by_their_template() -> None:
    """target size x 730 h x the template's type at its market, before and after an update (whose
    `before` state knows the template's id)."""
    catalog = Catalog.load()
    offer = catalog.lookup("gcp", "g2-standard-8", "europe-west4")
    assert offer is not None and offer.spot is not None
    old_id = "projects/ml-prod/global/instanceTemplates/gpu-tmpl-old"
    old_template = planned(
        TEMPLATE,
        "old",
        None,
        before={**template("gpu-tmpl-old").after, "id": old_id},  # type: ignore[dict-item]
    )
    update = planned(
        RIGM,
        "gpu-mig",
        {"region": "europe-west4", "targetSize": 4, "versions": [{"instanceTemplate": "gpu-tmpl"}]},
        before={"region": "europe-west4", "targetSize": 2, "versions": [{"instanceTemplate": old_id}]},
    )
    plan = Plan(input_file="plan.json", kind="pulumi-preview", resources=[template(), old_template, update])
    lines = {line.address.rsplit("::", 1)[1]: line for line in cost_change([plan], catalog).lines}
    mig = lines["gpu-mig"]
    assert (mig.instances_before, mig.instances_after) == (2, 4)
    assert mig.monthly_before_usd == pytest.approx(offer.spot * 730 * 2, abs=0.01)
    assert mig.monthly_after_usd == pytest.approx(offer.spot * 730 * 4, abs=0.01)
    # one planned resource on its own (no templates passed) looks them up in its plan
    [alone] = planned_resources(update, plan)
    assert (alone.instance_type, alone.count) == ("g2-standard-8", 4)


# --------------------------------------------------------------------------------------------- AWS


def test_autoscaling_group_takes_the_public_ip_of_its_launch_template() -> None:
    lt = PlannedResource(
        address="urn:pulumi:dev::p::aws:ec2/launchTemplate:LaunchTemplate::lt",
        type="aws:ec2/launchTemplate:LaunchTemplate",
        name="lt",
        op=ChangeOp.CREATE,
        before=None,
        after={
            "name": "workers",
            "instanceType": "g6.xlarge",
            "networkInterfaces": [{"associatePublicIpAddress": "true"}],
            PROVIDER_KEY: {"region": "us-east-1"},
        },
        style="pulumi",
    )
    asg = PlannedResource(
        address="urn:pulumi:dev::p::aws:autoscaling/group:Group::asg",
        type="aws:autoscaling/group:Group",
        name="asg",
        op=ChangeOp.CREATE,
        before=None,
        after={"desiredCapacity": 2, "launchTemplate": {"name": "workers"}, PROVIDER_KEY: {"region": "us-east-1"}},
        style="pulumi",
    )
    found = mapped(lt, asg)
    assert found["asg"].security.public_ip is True and found["lt"].security.public_ip is True
    without = PlannedResource(**{**lt.__dict__, "after": {**lt.after, "networkInterfaces": []}})  # type: ignore[dict-item]
    assert mapped(without, asg)["asg"].security.public_ip is None  # the subnet decides
