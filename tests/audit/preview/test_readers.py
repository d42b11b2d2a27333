"""`pulumi preview --json` and `terraform show -json` readers on documents in the real formats."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from preview_fixtures import FIXTURES, PULUMI, PULUMI_UNKNOWN, TERRAFORM, TF_DEFAULT_TAGS, TF_EU_TAGS, render

from infraaudit.audit.errors import InputError
from infraaudit.audit.models import ChangeOp
from infraaudit.audit.preview import UNKNOWN, Plan, PlannedResource, read_pulumi_preview, read_terraform_plan
from infraaudit.audit.preview.mapping import PROVIDER_KEY, plan_resources


@cache
def plan(name: str) -> Plan:
    reader = read_pulumi_preview if name.startswith("pulumi") else read_terraform_plan
    return reader(FIXTURES / name)


def planned(name: str, resource: str) -> PlannedResource:
    found = [p for p in plan(name).resources if p.name == resource]
    assert len(found) == 1, [p.name for p in plan(name).resources]
    return found[0]


def write(tmp_path: Path, document: Any, name: str = "doc.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return path


@pytest.mark.parametrize("name", [*PULUMI, *TERRAFORM])
def test_fixture_files_are_what_the_generator_writes(name: str) -> None:
    assert (FIXTURES / name).read_text(encoding="utf-8") == render(name)


# ------------------------------------------------------------------------------------------ Pulumi

PULUMI_OPS = {
    "llm-server": ChangeOp.CREATE,
    "trainer-node": ChangeOp.CREATE,
    "trainer-spot": ChangeOp.CREATE,
    "legacy-v100": ChangeOp.SAME,
    "notebook": ChangeOp.CREATE,
    "eu-inference": ChangeOp.CREATE,
    "us-inference": ChangeOp.CREATE,
    "untagged-box": ChangeOp.CREATE,
    "batch-worker": ChangeOp.UPDATE,
    "render-node": ChangeOp.REPLACE,
    "pending-type": ChangeOp.CREATE,
    "partly-known": ChangeOp.CREATE,
    "gpu-lt": ChangeOp.CREATE,
    "gpu-asg": ChangeOp.CREATE,
    "spot-dev": ChangeOp.CREATE,
    "old-trainer": ChangeOp.DELETE,
}


def test_pulumi_ops_and_what_is_read() -> None:
    """The stack, providers, the component and the bucket are not GPU-capable kinds: not read."""
    preview = plan("pulumi-preview.json")
    assert {p.name: p.op for p in preview.resources} == PULUMI_OPS
    assert preview.kind == "pulumi-preview"
    assert preview.stack == "dev"
    assert preview.input_file == str(FIXTURES / "pulumi-preview.json")
    assert {p.style for p in preview.resources} == {"pulumi"}


def test_pulumi_sides_of_each_op() -> None:
    update = planned("pulumi-preview.json", "batch-worker")
    assert (update.before or {})["instanceType"] == "g5.xlarge"
    assert (update.after or {})["instanceType"] == "g6.xlarge"
    replace = planned("pulumi-preview.json", "render-node")
    assert (replace.before or {})["instanceType"] == "g5.2xlarge"
    assert (replace.after or {})["instanceType"] == "g6e.xlarge"
    same = planned("pulumi-preview.json", "legacy-v100")
    assert same.before == same.after
    create = planned("pulumi-preview.json", "llm-server")
    assert create.before is None and create.after is not None
    delete = planned("pulumi-preview.json", "old-trainer")
    assert delete.after is None and (delete.before or {})["instanceType"] == "p3.8xlarge"


def test_deletes_are_not_evaluated_on_the_after_side() -> None:
    preview = plan("pulumi-preview.json")
    after = {r.name for r in plan_resources(preview)}
    before = {r.name for r in plan_resources(preview, side="before")}
    assert "old-trainer" not in after and "old-trainer" in before
    assert "llm-server" in after and "llm-server" not in before
    assert {"batch-worker", "render-node", "legacy-v100"} <= after & before


def test_replacement_steps_merge_into_one_change_in_either_order() -> None:
    """--show-replacement-steps: create-replacement, replace, delete-replaced (create-before-delete)
    and delete-replaced, replace, create-replacement (deleteBeforeReplace) are one change each."""
    preview = plan("pulumi-preview-replacement-steps.json")
    sides = {
        p.name: (p.op, (p.before or {}).get("instanceType"), (p.after or {}).get("instanceType"))
        for p in preview.resources
    }
    assert sides == {
        "cbd-node": (ChangeOp.REPLACE, "g5.xlarge", "g6.xlarge"),
        "dbc-node": (ChangeOp.REPLACE, "g5.2xlarge", "g6e.xlarge"),
    }


def test_pulumi_unknown_sentinel_and_secrets_become_unknown_at_any_depth() -> None:
    assert (planned("pulumi-preview.json", "pending-type").after or {})["instanceType"] is UNKNOWN
    llm = planned("pulumi-preview.json", "llm-server").after or {}
    assert llm["subnetId"] is UNKNOWN
    partly = planned("pulumi-preview.json", "partly-known").after or {}
    assert partly["tags"]["build"] is UNKNOWN and partly["tags"]["team"] == "research"
    assert partly["metadataOptions"] is UNKNOWN
    assert partly["rootBlockDevice"]["encrypted"] is UNKNOWN
    assert partly["rootBlockDevice"]["volumeSize"] == 200
    assert partly["userData"] is UNKNOWN  # "[secret]": not readable, so not known
    nested = planned("pulumi-unknowns.json", "unk-security-nested").after or {}
    assert nested["metadataOptions"] == {"httpEndpoint": "enabled", "httpTokens": UNKNOWN}
    assert nested["associatePublicIpAddress"] is UNKNOWN


def test_pulumi_unknown_inside_lists(tmp_path: Path) -> None:
    urn = "urn:pulumi:dev::p::gcp:compute/instance:Instance::vm"
    inputs = {"guestAccelerators": [{"count": 1, "type": PULUMI_UNKNOWN}, PULUMI_UNKNOWN], "zone": "us-central1-a"}
    document = {
        "steps": [{"op": "create", "urn": urn, "newState": {"urn": urn, "type": urn.split("::")[2], "inputs": inputs}}]
    }
    after = read_pulumi_preview(write(tmp_path, document)).resources[0].after or {}
    assert after["guestAccelerators"] == [{"count": 1, "type": UNKNOWN}, UNKNOWN]


def test_pulumi_provider_region_and_default_tags() -> None:
    """From the provider's step (JSON-encoded defaultTags, as Pulumi stores provider inputs)."""
    default = (planned("pulumi-preview.json", "llm-server").after or {})[PROVIDER_KEY]
    assert default == {"region": "us-east-1", "tags": {"cost-center": "42"}}
    eu = (planned("pulumi-preview.json", "eu-inference").after or {})[PROVIDER_KEY]
    assert eu == {"region": "eu-west-1", "tags": {"cost-center": "43", "team": "research-eu"}}
    gcp = (planned("pulumi-preview-gcp.json", "l4-spot").after or {})[PROVIDER_KEY]
    assert gcp == {"region": "us-central1", "project": "ml-prod", "tags": {"managed-by": "pulumi"}}


def test_pulumi_default_provider_without_a_step_takes_the_stack_config() -> None:
    """Unchanged providers have no step unless --show-sames: the default one reads aws:region."""
    cbd = planned("pulumi-preview-replacement-steps.json", "cbd-node")
    assert (cbd.after or {})[PROVIDER_KEY] == {"region": "us-east-1"}


def test_pulumi_explicit_provider_without_a_step_has_an_unknown_location(tmp_path: Path) -> None:
    """An unchanged explicit provider never reads the stack config: its region is not aws:region."""
    urn = "urn:pulumi:dev::p::aws:ec2/instance:Instance::box"
    provider = "urn:pulumi:dev::p::pulumi:providers:aws::eu-west::0f0e5a35-8c0e-4d2b-9d6a-3f1b2c3d4e5f"
    state = {
        "urn": urn,
        "type": "aws:ec2/instance:Instance",
        "provider": provider,
        "inputs": {"instanceType": "g5.xlarge"},
    }
    document = {"config": {"aws:region": "us-east-1"}, "steps": [{"op": "create", "urn": urn, "newState": state}]}
    preview = read_pulumi_preview(write(tmp_path, document))
    assert (preview.resources[0].after or {})[PROVIDER_KEY] == {"region": UNKNOWN, "project": UNKNOWN, "zone": UNKNOWN}
    [resource] = plan_resources(preview)
    assert resource.region == "unknown" and "region" in resource.unknown


def test_pulumi_stack_config() -> None:
    """infraaudit:tags (JSON-encoded object) and infraaudit:dataClassification; a secret stays blind."""
    preview = plan("pulumi-preview.json")
    assert preview.default_tags == {"owner": "ml-platform"}
    assert preview.data_classification == "internal"
    tags = {r.name: r.tags for r in plan_resources(preview)}
    assert tags["llm-server"]["data-classification"] == "internal"
    assert tags["eu-inference"]["data-classification"] == "eu-personal"  # its own tag wins
    assert tags["llm-server"]["owner"] == "ml-platform"
    gcp = plan("pulumi-preview-gcp.json")
    assert gcp.default_tags == {"cost-center": "42", "owner": "ml-platform", "team": "research"}
    assert gcp.data_classification is None


def test_pulumi_source_positions() -> None:
    positions = {p.name: (p.source_file, p.source_line) for p in plan("pulumi-preview.json").resources}
    assert positions["llm-server"] == ("__main__.py", 31)
    assert positions["trainer-node"] == ("components/trainer.py", 40)
    assert positions["notebook"] == (None, None)


def test_pulumi_source_position_paths_are_url_decoded(tmp_path: Path) -> None:
    urn = "urn:pulumi:dev::p::aws:ec2/instance:Instance::box"
    state = {
        "urn": urn,
        "type": "aws:ec2/instance:Instance",
        "inputs": {},
        "sourcePosition": "project:///my%20infra/gpu%23.py#7,3",
    }
    document = {"steps": [{"op": "create", "urn": urn, "newState": state}]}
    resource = read_pulumi_preview(write(tmp_path, document)).resources[0]
    assert (resource.source_file, resource.source_line) == ("my infra/gpu#.py", 7)


def test_pulumi_component_children_keep_their_urn_and_type() -> None:
    child = planned("pulumi-preview.json", "trainer-node")
    assert child.address == "urn:pulumi:dev::gpu-fleet::my:gpu:Trainer$aws:ec2/instance:Instance::trainer-node"
    assert child.type == "aws:ec2/instance:Instance"
    [resource] = [r for r in plan_resources(plan("pulumi-preview.json")) if r.name == "trainer-node"]
    assert resource.uid == "aws:unknown:us-east-1:Instance/trainer-node"
    assert resource.origin is not None and resource.origin.address == child.address


def test_pulumi_reads_imports_and_reads(tmp_path: Path) -> None:
    """read / read-replacement look at resources managed elsewhere; an import adopts a running one."""

    def state(name: str) -> dict[str, Any]:
        urn = f"urn:pulumi:dev::p::aws:ec2/instance:Instance::{name}"
        return {"urn": urn, "type": "aws:ec2/instance:Instance", "inputs": {"instanceType": "g5.xlarge"}}

    steps = [
        {"op": "read", "urn": state("a")["urn"], "newState": state("a")},
        {"op": "read-replacement", "urn": state("b")["urn"], "newState": state("b"), "oldState": state("b")},
        {"op": "import", "urn": state("c")["urn"], "newState": state("c")},
        {"op": "refresh", "urn": state("d")["urn"], "oldState": state("d")},
    ]
    [imported] = read_pulumi_preview(write(tmp_path, {"steps": steps})).resources
    assert (imported.name, imported.op) == ("c", ChangeOp.SAME)
    assert imported.before == imported.after  # no cost change for adopting what already runs


# --------------------------------------------------------------------------------------- Terraform

TERRAFORM_OPS = {
    "llm_server": ChangeOp.UPDATE,
    "trainer": ChangeOp.CREATE,
    "legacy_v100": ChangeOp.SAME,
    "batch_worker": ChangeOp.UPDATE,
    "render_node": ChangeOp.REPLACE,
    "cbd_node": ChangeOp.REPLACE,
    "old_trainer": ChangeOp.DELETE,
    "notebook": ChangeOp.CREATE,
    "eu_box": ChangeOp.CREATE,
    "us_box": ChangeOp.CREATE,
    "no_owner": ChangeOp.CREATE,
    "pending_type": ChangeOp.CREATE,
    "gpu": ChangeOp.CREATE,
    "spot_dev": ChangeOp.CREATE,
    "l4_spot": ChangeOp.CREATE,
    "a100_box": ChangeOp.CREATE,
    "zonal": ChangeOp.CREATE,
    "module.gpu.aws_instance.worker[0]": ChangeOp.CREATE,
    "module.gpu.aws_instance.worker[1]": ChangeOp.CREATE,
}


def test_terraform_actions_and_what_is_read() -> None:
    """The data source and the bucket are not read; `gpu` is three kinds (template, group, pool...)."""
    tf = plan("terraform-plan.json")
    ops = {(p.type, p.name): p.op for p in tf.resources}
    assert {name: op for (_, name), op in ops.items()} == TERRAFORM_OPS
    assert {t for t, n in ops if n == "gpu"} == {
        "aws_launch_template",
        "aws_autoscaling_group",
        "google_compute_instance_template",
        "google_container_node_pool",
    }
    assert tf.kind == "terraform-plan" and {p.style for p in tf.resources} == {"terraform"}
    assert not any(p.type in ("aws_ami", "aws_s3_bucket") for p in tf.resources)


def test_terraform_sides_of_each_action() -> None:
    """Replacements in both orders ([delete, create] and [create, delete]) are one change."""
    sides = {
        p.name: ((p.before or {}).get("instance_type"), (p.after or {}).get("instance_type"))
        for p in plan("terraform-plan.json").resources
        if p.type == "aws_instance"
    }
    assert sides["render_node"] == ("g5.2xlarge", "g6e.xlarge")
    assert sides["cbd_node"] == ("g5.xlarge", "g5.2xlarge")
    assert sides["batch_worker"] == ("g5.xlarge", "g6.xlarge")
    assert sides["old_trainer"] == ("p3.8xlarge", None)
    assert sides["notebook"] == (None, "g4dn.xlarge")
    legacy = planned("terraform-plan.json", "legacy_v100")
    assert legacy.before == legacy.after


def test_terraform_after_unknown_marks_values_at_any_depth() -> None:
    """Unknown attributes are absent from `after` and `true` in after_unknown; inside lists the
    element is null and its mark `true`; known collections stay ({} / [] / [false])."""
    pending = planned("terraform-plan.json", "pending_type").after or {}
    assert pending["instance_type"] is UNKNOWN  # absent from `after` altogether
    assert pending["instance_market_options"] is UNKNOWN  # Optional+Computed block, not configured
    notebook = planned("terraform-plan.json", "notebook").after or {}
    [root] = notebook["root_block_device"]
    assert root["encrypted"] is False and root["volume_id"] is UNKNOWN and root["tags_all"] is UNKNOWN
    assert notebook["vpc_security_group_ids"] == ["sg-0123456789abcdef0"]
    trainer = planned("terraform-plan.json", "trainer").after or {}
    [options] = trainer["instance_market_options"]
    assert options["market_type"] == "spot" and options["spot_options"][0]["valid_until"] is UNKNOWN
    l4 = planned("terraform-plan.json", "l4_spot").after or {}
    assert l4["network_interface"][0]["access_config"][0]["nat_ip"] is UNKNOWN
    assert l4["shielded_instance_config"] is UNKNOWN
    security = planned("terraform-unknowns.json", "unk_security").after or {}
    assert security["metadata_options"] is UNKNOWN and security["associate_public_ip_address"] is UNKNOWN
    assert planned("terraform-unknowns.json", "unk_tags").after["tags"] is UNKNOWN  # type: ignore[index]
    values = planned("terraform-unknowns.json", "unk_tag_values").after or {}
    assert values["tags"]["owner"] is UNKNOWN and values["tags"]["Name"] == "x"


def test_terraform_unknown_list_elements(tmp_path: Path) -> None:
    change = {
        "actions": ["create"],
        "before": None,
        "after": {"zone": "us-central1-a", "guest_accelerator": [{"count": 1}, None]},
        "after_unknown": {"guest_accelerator": [{"type": True}, True], "labels": True},
    }
    entry = {
        "address": "google_compute_instance.vm",
        "mode": "managed",
        "type": "google_compute_instance",
        "name": "vm",
        "change": change,
    }
    after = read_terraform_plan(write(tmp_path, {"resource_changes": [entry]})).resources[0].after or {}
    assert after["guest_accelerator"] == [{"count": 1, "type": UNKNOWN}, UNKNOWN]
    assert after["labels"] is UNKNOWN


def test_terraform_provider_region_and_default_tags_per_configuration() -> None:
    """provider_config by the resource's provider_config_key: aliases and module resources too."""

    def provider(name: str, resource: str) -> Any:
        return (planned(name, resource).after or {})[PROVIDER_KEY]

    assert provider("terraform-plan.json", "llm_server") == {"region": "us-east-1", "tags": TF_DEFAULT_TAGS}
    assert provider("terraform-plan.json", "eu_box") == {"region": "eu-west-1", "tags": TF_EU_TAGS}
    assert provider("terraform-plan.json", "module.gpu.aws_instance.worker[1]") == {
        "region": "us-east-1",
        "tags": TF_DEFAULT_TAGS,
    }
    assert provider("terraform-plan.json", "l4_spot") == {
        "project": "ml-prod",
        "region": "us-central1",
        "tags": {"cost-center": "42", "owner": "ml-platform", "team": "research"},
    }
    assert provider("terraform-unknowns.json", "unk_region") == {}  # region = var.region: not a constant
    regions = {r.name: r.region for r in plan_resources(plan("terraform-plan.json"))}
    assert regions["eu_box"] == "eu-west-1" and regions["us_box"] == "us-east-1"


def test_terraform_module_addresses_and_names() -> None:
    worker = planned("terraform-plan.json", "module.gpu.aws_instance.worker[0]")
    assert worker.address == "module.gpu.aws_instance.worker[0]"
    assert planned("terraform-plan.json", "llm_server").address == "aws_instance.llm_server"


def test_terraform_forget_actions(tmp_path: Path) -> None:
    """Terraform >= 1.7 `removed` blocks: a forgotten object keeps running outside the plan."""

    def entry(name: str, actions: list[str]) -> dict[str, Any]:
        after = None if actions == ["forget"] else {"instance_type": "g5.xlarge"}
        change = {"actions": actions, "before": {"instance_type": "g5.xlarge"}, "after": after, "after_unknown": {}}
        return {
            "address": f"aws_instance.{name}",
            "mode": "managed",
            "type": "aws_instance",
            "name": name,
            "change": change,
        }

    document = {
        "format_version": "1.2",
        "resource_changes": [entry("gone", ["forget"]), entry("new", ["create", "forget"])],
    }
    [created] = read_terraform_plan(write(tmp_path, document)).resources
    assert (created.name, created.op, created.before) == ("new", ChangeOp.CREATE, None)


# ------------------------------------------------------------------------------------------ errors

PULUMI_STEP = {"op": "create", "urn": "urn:pulumi:d::p::aws:ec2/instance:Instance::a"}


@pytest.mark.parametrize(
    ("reader", "content", "message"),
    [
        (read_pulumi_preview, "not json {", "not JSON"),
        (read_pulumi_preview, "[]", "no `steps` list"),
        (read_pulumi_preview, '{"resource_changes": []}', "no `steps` list"),
        (read_pulumi_preview, json.dumps({"steps": [{"urn": "x"}]}), "steps[0] is not a preview step"),
        (read_pulumi_preview, json.dumps({"steps": [{**PULUMI_STEP, "op": "teleport"}]}), "unknown op 'teleport'"),
        (read_pulumi_preview, json.dumps({"steps": [PULUMI_STEP]}), "no oldState/newState with a `type`"),
        (read_terraform_plan, "\xff\xfe", "not JSON"),
        (read_terraform_plan, json.dumps({"steps": []}), "no `resource_changes`"),
        (read_terraform_plan, json.dumps({"resource_changes": {}}), "`resource_changes` is not a list"),
        (
            read_terraform_plan,
            json.dumps({"resource_changes": [{"address": "a"}]}),
            "resource_changes[0] has no `change`",
        ),
        (
            read_terraform_plan,
            json.dumps(
                {
                    "resource_changes": [
                        {"address": "aws_instance.a", "type": "aws_instance", "change": {"actions": ["move"]}}
                    ]
                }
            ),
            "(aws_instance.a) has unknown actions ['move']",
        ),
    ],
)
def test_bad_documents_fail_closed_with_one_line(tmp_path: Path, reader: Any, content: str, message: str) -> None:
    path = tmp_path / "input.json"
    path.write_bytes(content.encode("latin-1") if content.startswith("\xff") else content.encode())
    with pytest.raises(InputError) as raised:
        reader(path)
    text = str(raised.value)
    assert "\n" not in text and text.startswith(f"{path}: ") and message in text


@pytest.mark.parametrize("reader", [read_pulumi_preview, read_terraform_plan])
def test_directories_and_missing_files(tmp_path: Path, reader: Any) -> None:
    with pytest.raises(InputError, match=r"is a directory, expected the output of `(pulumi preview|terraform show)"):
        reader(tmp_path)
    missing = tmp_path / "missing.json"
    with pytest.raises(InputError) as raised:
        reader(missing)
    assert str(raised.value) == f"{missing}: no such file"


def test_a_plan_given_as_a_preview_is_named_as_such() -> None:
    with pytest.raises(InputError, match="not a `pulumi preview --json` document"):
        read_pulumi_preview(FIXTURES / "terraform-plan.json")
    with pytest.raises(InputError, match="not a `terraform show -json` plan"):
        read_terraform_plan(FIXTURES / "pulumi-preview.json")


def test_a_terraform_plan_without_changes(tmp_path: Path) -> None:
    """resource_changes is `omitempty`: a plan of an empty configuration has none; a state has no
    planned_values and is not a plan."""
    document = {"format_version": "1.2", "terraform_version": "1.9.8", "planned_values": {"root_module": {}}}
    empty = read_terraform_plan(write(tmp_path, document))
    assert empty.resources == []
    state = {"format_version": "1.0", "terraform_version": "1.9.8", "values": {"root_module": {}}}
    with pytest.raises(InputError, match="not a `terraform show -json` plan"):
        read_terraform_plan(write(tmp_path, state, "state.json"))


def test_terraform_module_provider_with_a_non_constant_region(tmp_path: Path) -> None:
    """A module's own provider block whose region is a variable: unknown, not the root's region."""
    change = {"actions": ["create"], "before": None, "after": {"instance_type": "g5.xlarge"}, "after_unknown": {}}
    entry = {
        "address": "module.eu.aws_instance.box",
        "module_address": "module.eu",
        "mode": "managed",
        "type": "aws_instance",
        "name": "box",
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "change": change,
    }
    configuration = {
        "provider_config": {
            "aws": {"name": "aws", "expressions": {"region": {"constant_value": "us-east-1"}}},
            "module.eu:aws": {
                "name": "aws",
                "module_address": "module.eu",
                "expressions": {"region": {"references": ["var.region"]}},
            },
        },
        "root_module": {
            "module_calls": {
                "eu": {
                    "module": {
                        "resources": [
                            {
                                "address": "aws_instance.box",
                                "type": "aws_instance",
                                "name": "box",
                                "provider_config_key": "module.eu:aws",
                            }
                        ]
                    }
                }
            }
        },
    }
    document = {"planned_values": {}, "resource_changes": [entry], "configuration": configuration}
    [box] = plan_resources(read_terraform_plan(write(tmp_path, document)))
    assert (box.region, box.unknown) == ("unknown", ["region"])
