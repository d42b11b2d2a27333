"""Stack config and naming: a bad layout fails with one clear line; names and labels are valid."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pulumi
import pytest

from infraaudit.audit.models import Layout, Placement
from infraaudit.stacks.gcp import service_account_id
from infraaudit.stacks.naming import fleet_tags, gcp_label_key, gcp_label_value, gcp_labels, slug, template_tags
from infraaudit.stacks.program import fleet_name
from infraaudit.stacks.settings import (
    DEFAULT_GCP_IMAGE,
    StackConfigError,
    parse_layout,
    read_settings,
)

GCP_NAME = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")


@pytest.fixture
def config() -> Iterator[Callable[..., None]]:
    def set_config(**values: Any) -> None:
        pulumi.runtime.set_all_config(
            {key: value if isinstance(value, str) else json.dumps(value) for key, value in values.items()}
        )

    yield set_config
    pulumi.runtime.set_all_config({})


def _layout_json(layout: Layout) -> dict[str, Any]:
    return layout.model_dump(mode="json")


def test_settings_from_stack_config(
    config: Callable[..., None], placement: Callable[..., Placement], layout: Callable[..., Layout]
) -> None:
    chosen = layout(placement("a", "gcp", "europe-west4", "spot", instance_type="g2-standard-8"))
    config(
        **{
            "infraaudit:layout": _layout_json(chosen),
            "infraaudit:gcpProject": "fallback-project",
            "infraaudit:amis": {"us-east-1": "ami-1"},
            "infraaudit:subnets": {"us-east-1": ["subnet-1", "subnet-2"]},
            "infraaudit:securityGroups": {"us-east-1": ["sg-1"]},
            "infraaudit:gcpZones": {"europe-west4": ["europe-west4-a"]},
            "infraaudit:gcpSecureBoot": "false",
            "infraaudit:ssmAccess": "true",
            "infraaudit:tags": {"cost-center": 42, "shared": True},
            "infraaudit:dataClassification": "internal",
        }
    )
    settings = read_settings()
    assert settings.layout == chosen
    assert settings.gcp.project == "fallback-project"
    assert (settings.gcp.image, settings.gcp.secure_boot, settings.gcp.zones) == (
        DEFAULT_GCP_IMAGE,
        False,
        {"europe-west4": ["europe-west4-a"]},
    )
    assert (settings.aws.amis, settings.aws.subnets, settings.aws.security_groups, settings.aws.ssm_access) == (
        {"us-east-1": "ami-1"},
        {"us-east-1": ["subnet-1", "subnet-2"]},
        {"us-east-1": ["sg-1"]},
        True,
    )
    assert settings.tags == {"cost-center": "42", "shared": "true"}
    assert (settings.data_classification, settings.boot_disk_gib) == ("internal", 200)
    config(**{"infraaudit:layout": _layout_json(chosen), "gcp:project": "gcp-project", "infraaudit:gcpProject": "x"})
    assert read_settings().gcp.project == "gcp-project"  # gcp:project wins


def _valid(layout: Callable[..., Layout], placement: Callable[..., Placement]) -> dict[str, Any]:
    return _layout_json(layout(placement("a", "aws", "us-east-1", "spot", instance_type="g6.xlarge")))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda raw: None, "stack config infraaudit:layout is not set; write it with `infraaudit recommend"),
        (lambda raw: "{not json", "stack config infraaudit:layout is not JSON or an object"),
        (lambda raw: [raw], "stack config infraaudit:layout must be an object (a layout), not list"),
        (lambda raw: {**raw, "version": 2}, "has layout version 2; this program reads version 1"),
        (
            lambda raw: {**raw, "placements": [{**raw["placements"][0], "instances": 0}]},
            "stack config infraaudit:layout is not a valid layout: placements.0.instances: "
            "Input should be greater than or equal to 1",
        ),
        (
            lambda raw: {**raw, "placements": [{**raw["placements"][0], "instance_type": None}]},
            "is not a valid layout: placements.0: Value error, a cloud placement needs an instance type",
        ),
        (
            lambda raw: {k: v for k, v in raw.items() if k not in ("totals", "catalog_date")},
            "is not a valid layout: catalog_date: Field required (and 1 more error(s))",
        ),
        (
            lambda raw: {**raw, "placements": raw["placements"] * 2},
            "is not a valid layout: Value error, workload 'a' is placed twice",
        ),
    ],
)
def test_a_bad_layout_is_one_clear_error(
    config: Callable[..., None],
    placement: Callable[..., Placement],
    layout: Callable[..., Layout],
    mutate: Callable[[dict[str, Any]], Any],
    message: str,
) -> None:
    raw = mutate(_valid(layout, placement))
    config(**({} if raw is None else {"infraaudit:layout": raw}))
    with pytest.raises(StackConfigError) as raised:
        read_settings()
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)
    assert isinstance(raised.value, pulumi.RunError)  # Pulumi prints it without a traceback


def test_gcp_placements_need_a_project(
    config: Callable[..., None], placement: Callable[..., Placement], layout: Callable[..., Layout]
) -> None:
    config(**{"infraaudit:layout": _layout_json(layout(placement("g", "gcp", "us-central1", "spot",
                                                                    instance_type="g2-standard-4")))})  # fmt: skip
    with pytest.raises(StackConfigError, match="set gcp:project \\(or infraaudit:gcpProject\\)"):
        read_settings()


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("infraaudit:amis", ["ami-1"], "infraaudit:amis must be an object of name: text"),
        ("infraaudit:subnets", {"us-east-1": "subnet-1"}, "infraaudit:subnets must be an object of region: [text"),
        ("infraaudit:bootDiskGiB", "0", "infraaudit:bootDiskGiB must be a positive number of GiB"),
    ],
)
def test_malformed_settings_are_named(
    config: Callable[..., None],
    placement: Callable[..., Placement],
    layout: Callable[..., Layout],
    key: str,
    value: Any,
    message: str,
) -> None:
    config(**{"infraaudit:layout": _valid(layout, placement), key: value})
    with pytest.raises(StackConfigError, match=re.escape(message)):
        read_settings()


def test_parse_layout_takes_the_json_text_too(
    placement: Callable[..., Placement], layout: Callable[..., Layout]
) -> None:
    chosen = layout(placement("a", "aws", "us-east-1", "spot", instance_type="g6.xlarge"))
    assert parse_layout(chosen.model_dump_json()) == chosen


# ------------------------------------------------------------------------------------------ naming


def test_names_are_valid_and_distinct_when_cut() -> None:
    long_a, long_b = "x" * 80 + "-alpha", "x" * 80 + "-beta"
    for workload in ("llm-train", "LLM Train #2", "9-lives", long_a, long_b, "ünïcode/ščř"):
        name = fleet_name("prod", workload)
        assert len(name) <= 54 and GCP_NAME.match(name), name
        account = service_account_id(name)
        assert 6 <= len(account) <= 30 and GCP_NAME.match(account), account
    assert fleet_name("prod", long_a) != fleet_name("prod", long_b)
    assert fleet_name("prod", "LLM Train #2") == "ia-prod-llm-train-2"
    assert slug("9-lives") == "x-9-lives"
    assert service_account_id(fleet_name("dev", "a")) != service_account_id(fleet_name("prod", "a"))


def test_gcp_labels_follow_the_label_rules() -> None:
    assert gcp_label_key("infraaudit.io/spot-opt-out") == "infraaudit_io_spot-opt-out"
    assert gcp_label_key("Cost Center") == "cost_center"
    assert gcp_label_key("1st") == "x_1st"
    assert gcp_label_value("Alice@Example.com") == "alice_example_com"
    assert len(gcp_label_value("v" * 100)) == 63
    many = gcp_labels({f"k{i}": "v" for i in range(80)})
    assert len(many) == 64


def test_fleet_tags_layer_the_stack_the_placement_and_the_managed_tags(placement: Callable[..., Placement]) -> None:
    spot = placement(
        "w", "aws", "us-east-1", "spot", instance_type="g6.xlarge", owner=None, data_classification=None,
        tags={"team": "a", "owner": "from-tags", "managed-by": "someone", "infraaudit.io/spot-opt-out": "true"},
    )  # fmt: skip
    tags = fleet_tags(spot, {"team": "stack", "department": "r&d"}, "internal")
    assert tags == {
        "team": "a",
        "department": "r&d",
        "owner": "from-tags",
        "managed-by": "infraaudit",
        "workload": "training",
        "infraaudit.io/workload": "w",
        "infraaudit.io/capacity": "spot",
        "infraaudit.io/interruptible": "true",
        "data-classification": "internal",  # the stack's default classification
    }
    assert "workload" not in template_tags(tags) and "infraaudit.io/interruptible" not in template_tags(tags)
    unclassified = fleet_tags(spot, {}, None)
    assert "data-classification" not in unclassified
