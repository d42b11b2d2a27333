"""The GPU cost change of a plan against the shipped catalog (730 h/month, spot at spot prices).

Hourly prices used below, from the shipped snapshot: us-east-1 on demand g5.xlarge 1.006,
g6.xlarge 0.8048, g5.2xlarge 1.212, g6e.xlarge 1.861, g5.12xlarge 5.672, g4dn.xlarge 0.526,
p3.2xlarge 3.06, p3.8xlarge 12.24, spot g5.xlarge 0.4028; eu-west-1 g5.xlarge 1.123; us-central1
a2-highgpu-1g 3.67339, spot g2-standard-4 0.28184, g2-standard-8 0.34057; europe-west4 spot
g2-standard-4 0.27234.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
from preview_fixtures import FIXTURES

from infraaudit.audit.catalog import Catalog
from infraaudit.audit.models import ChangeOp, CostChange, CostLine
from infraaudit.audit.preview import (
    UNKNOWN,
    Plan,
    PlannedResource,
    cost_change,
    read_pulumi_preview,
    read_terraform_plan,
)
from infraaudit.audit.preview.mapping import PROVIDER_KEY


@cache
def catalog() -> Catalog:
    return Catalog.load()


@cache
def change(name: str) -> CostChange:
    reader = read_pulumi_preview if name.startswith("pulumi") else read_terraform_plan
    return cost_change([reader(FIXTURES / name)], catalog())


def line(name: str, address_end: str) -> CostLine:
    [found] = [x for x in change(name).lines if x.address.endswith(address_end)]
    return found


def sides(found: CostLine) -> tuple[Any, ...]:
    return (
        found.op,
        found.instance_type_before,
        found.instance_type_after,
        found.instances_before,
        found.instances_after,
        found.monthly_before_usd,
        found.monthly_after_usd,
        found.note,
    )


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        # create: nothing before; 5.672 x 730
        ("::llm-server", (ChangeOp.CREATE, None, "g5.12xlarge", 0, 1, 0.0, 4140.56, None)),
        # spot priced as spot: 0.4028 x 730
        ("::trainer-spot", (ChangeOp.CREATE, None, "g5.xlarge", 0, 1, 0.0, 294.04, None)),
        ("::legacy-v100", (ChangeOp.SAME, "p3.2xlarge", "p3.2xlarge", 1, 1, 2233.8, 2233.8, None)),
        # update g5 -> g6: 1.006 x 730 -> 0.8048 x 730
        ("::batch-worker", (ChangeOp.UPDATE, "g5.xlarge", "g6.xlarge", 1, 1, 734.38, 587.5, None)),
        ("::render-node", (ChangeOp.REPLACE, "g5.2xlarge", "g6e.xlarge", 1, 1, 884.76, 1358.53, None)),
        # delete: nothing after; 12.24 x 730
        ("::old-trainer", (ChangeOp.DELETE, "p3.8xlarge", None, 1, 0, 8935.2, 0.0, None)),
        # the provider's region: eu-west-1, 1.123 x 730
        ("::eu-inference", (ChangeOp.CREATE, None, "g5.xlarge", 0, 1, 0.0, 819.79, None)),
        (
            "::pending-type",
            (ChangeOp.CREATE, None, None, 0, 1, 0.0, None, "after: instance type or region unknown until apply"),
        ),
        ("::gpu-lt", (ChangeOp.CREATE, None, "g5.xlarge", 0, 0, 0.0, 0.0, "after: a template runs nothing by itself")),
        # 4 on demand (1.006) + 6 spot (0.4028): 2937.52 + 1764.264
        ("::gpu-asg", (ChangeOp.CREATE, None, "g5.xlarge", 0, 10, 0.0, 4701.78, None)),
        ("::spot-dev", (ChangeOp.CREATE, None, "g5.xlarge", 0, 1, 0.0, 294.04, None)),
    ],
)
def test_pulumi_preview_lines(address: str, expected: tuple[Any, ...]) -> None:
    assert sides(line("pulumi-preview.json", address)) == expected


def test_pulumi_preview_totals_leave_unpriced_lines_out() -> None:
    cost = change("pulumi-preview.json")
    assert len(cost.lines) == 16  # the GPU-capable kinds only (no stack, providers, component, bucket)
    assert (cost.monthly_before_usd, cost.monthly_after_usd, cost.unpriced) == (12788.14, 17751.54, 1)
    priced = [x for x in cost.lines if x.monthly_before_usd is not None and x.monthly_after_usd is not None]
    assert round(sum(x.monthly_after_usd or 0 for x in priced), 2) == cost.monthly_after_usd
    assert round(cost.delta_usd, 2) == 4963.4
    assert line("pulumi-preview.json", "::batch-worker").delta_usd == pytest.approx(-146.88)
    assert line("pulumi-preview.json", "::pending-type").delta_usd is None


def test_gcp_instances_and_node_pools() -> None:
    expected = {
        "::l4-spot": (ChangeOp.CREATE, None, "g2-standard-4", 0, 1, 0.0, 205.74, None),  # spot
        "::a100-box": (ChangeOp.CREATE, None, "a2-highgpu-1g", 0, 1, 0.0, 2681.57, None),
        "::gpu-template": (
            ChangeOp.CREATE,
            None,
            "g2-standard-8",
            0,
            0,
            0.0,
            0.0,
            "after: a template runs nothing by itself",
        ),
        "::gpu-pool": (ChangeOp.CREATE, None, "g2-standard-8", 0, 4, 0.0, 994.46, None),  # 2 nodes x 2 zones
        "::eu-pool": (ChangeOp.CREATE, None, "g2-standard-4", 0, 3, 0.0, 596.42, None),  # regional: 3 zones
        "::zonal-pool": (ChangeOp.CREATE, None, "g2-standard-4", 0, 2, 0.0, 411.49, None),
    }
    assert {address: sides(line("pulumi-preview-gcp.json", address)) for address in expected} == expected
    cost = change("pulumi-preview-gcp.json")
    assert (cost.monthly_before_usd, cost.monthly_after_usd, cost.unpriced) == (0.0, 4889.68, 0)


def test_terraform_plan_lines_and_totals() -> None:
    """A new aws_instance without instance_market_options has an unknown market in the plan
    (the block is Optional+Computed), so its after side is unpriced, never guessed."""
    market = "after: market unknown until apply"
    expected = {
        "aws_instance.llm_server": (ChangeOp.UPDATE, "g5.12xlarge", "g5.12xlarge", 1, 1, 4140.56, 4140.56, None),
        "aws_instance.trainer": (ChangeOp.CREATE, None, "g5.xlarge", 0, 1, 0.0, 294.04, None),
        "aws_instance.batch_worker": (ChangeOp.UPDATE, "g5.xlarge", "g6.xlarge", 1, 1, 734.38, 587.5, None),
        "aws_instance.render_node": (ChangeOp.REPLACE, "g5.2xlarge", "g6e.xlarge", 1, 1, 884.76, None, market),
        "aws_instance.cbd_node": (ChangeOp.REPLACE, "g5.xlarge", "g5.2xlarge", 1, 1, 734.38, None, market),
        "aws_instance.old_trainer": (ChangeOp.DELETE, "p3.8xlarge", None, 1, 0, 8935.2, 0.0, None),
        "aws_autoscaling_group.gpu": (ChangeOp.CREATE, None, "g5.xlarge", 0, 10, 0.0, 4701.78, None),
        "google_container_node_pool.gpu": (ChangeOp.CREATE, None, "g2-standard-8", 0, 3, 0.0, 745.85, None),
        "google_container_node_pool.zonal": (ChangeOp.CREATE, None, "g2-standard-4", 0, 4, 0.0, 822.97, None),
    }
    assert {address: sides(line("terraform-plan.json", address)) for address in expected} == expected
    cost = change("terraform-plan.json")
    assert (cost.monthly_before_usd, cost.monthly_after_usd, cost.unpriced) == (16043.94, 16707.85, 9)


def _planned(inputs: dict[str, Any], *, op: ChangeOp = ChangeOp.CREATE, before: dict[str, Any] | None = None) -> Plan:
    provider = {"region": "us-east-1"}
    resource = PlannedResource(
        address="urn:pulumi:dev::p::aws:autoscaling/group:Group::asg",
        type="aws:autoscaling/group:Group",
        name="asg",
        op=op,
        before=None if before is None else {**before, PROVIDER_KEY: provider},
        after={**inputs, PROVIDER_KEY: provider},
        style="pulumi",
    )
    return Plan(input_file="p.json", kind="pulumi-preview", resources=[resource])


def test_a_group_of_unknown_size_is_unpriced_not_free() -> None:
    policy = {"launchTemplate": {"overrides": [{"instanceType": "g5.xlarge"}]}}
    cost = cost_change([_planned({"desiredCapacity": UNKNOWN, "mixedInstancesPolicy": policy})], catalog())
    [found] = cost.lines
    assert (found.monthly_after_usd, found.note, cost.unpriced) == (
        None,
        "after: instance count unknown until apply",
        1,
    )
    update = _planned(
        {"desiredCapacity": UNKNOWN, "mixedInstancesPolicy": policy},
        op=ChangeOp.UPDATE,
        before={"desiredCapacity": 2, "mixedInstancesPolicy": policy},
    )
    cost = cost_change([update], catalog())
    assert (cost.lines[0].monthly_before_usd, cost.monthly_before_usd, cost.unpriced) == (1468.76, 0.0, 1)


def test_several_plans_add_up() -> None:
    plans = [
        read_pulumi_preview(FIXTURES / "pulumi-preview.json"),
        read_pulumi_preview(FIXTURES / "pulumi-preview-gcp.json"),
    ]
    cost = cost_change(plans, catalog())
    assert (cost.monthly_before_usd, cost.monthly_after_usd, cost.unpriced) == (12788.14, 22641.22, 1)
