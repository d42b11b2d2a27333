"""Finding a planned resource's line in the JSON plan/preview it was read from."""

from __future__ import annotations

import json

from infraaudit.audit.models import ChangeOp, IacOrigin
from infraaudit.audit.report import address_lines, plan_locator

URN = "urn:pulumi:dev::ml::aws:ec2/instance:Instance::trainer"


def test_pulumi_preview_lines() -> None:
    preview = json.dumps(
        {
            "config": {"aws:region": "us-east-1"},
            "steps": [
                {"op": "same", "urn": "urn:pulumi:dev::ml::pulumi:pulumi:Stack::ml-dev"},
                {"op": "create", "urn": URN, "newState": {"urn": URN, "inputs": {"instanceType": "p5.48xlarge"}}},
            ],
        },
        indent=4,
    )
    lines = address_lines(preview)
    text = preview.splitlines()
    assert f'"urn": "{URN}"' in text[lines[URN] - 1]
    assert lines[URN] < len(text)
    assert lines["urn:pulumi:dev::ml::pulumi:pulumi:Stack::ml-dev"] < lines[URN]


def test_terraform_plan_on_one_line_and_pretty() -> None:
    plan = {
        "format_version": "1.2",
        "resource_changes": [
            {"address": "aws_instance.a", "change": {"actions": ["create"]}},
            {"address": 'module.m.aws_instance.b["x"]', "change": {"actions": ["update"]}},
        ],
    }
    compact = json.dumps(plan, separators=(",", ":"))
    assert address_lines(compact) == {"aws_instance.a": 1, 'module.m.aws_instance.b["x"]': 1}
    pretty = json.dumps(plan, indent=2)
    lines = address_lines(pretty)
    assert pretty.splitlines()[lines['module.m.aws_instance.b["x"]'] - 1].strip().startswith('"address"')
    assert lines["aws_instance.a"] < lines['module.m.aws_instance.b["x"]']


def test_first_occurrence_wins_and_other_keys_are_ignored() -> None:
    text = '{\n"name": "aws_instance.a",\n"address": "aws_instance.a",\n"address": "aws_instance.a"\n}'
    assert address_lines(text) == {"aws_instance.a": 3}
    assert address_lines("not json at all") == {}


def test_plan_locator_defaults() -> None:
    origin = IacOrigin(input_file="plan.json", address="aws_instance.a", type="aws_instance", op=ChangeOp.CREATE)
    locate = plan_locator({"plan.json": '{\n  "address": "aws_instance.z",\n  "address": "aws_instance.a"\n}'})
    assert locate(origin) == ("plan.json", 3)
    assert locate(origin.model_copy(update={"address": "aws_instance.missing"})) == ("plan.json", 1)
    assert locate(origin.model_copy(update={"input_file": "other.json"})) == ("other.json", 1)
    sourced = origin.model_copy(update={"source_file": "main.py", "source_line": 7})
    assert locate(sourced) == ("main.py", 7)
    rooted = plan_locator({}, source_roots={"plan.json": "stacks/gpu"}, relative=lambda p: p.upper())
    assert rooted(sourced) == ("STACKS/GPU/MAIN.PY", 7)


def test_plan_locator_falls_back_when_the_source_is_not_there() -> None:
    origin = IacOrigin(
        input_file="preview.json",
        address=URN,
        type="aws:ec2/instance:Instance",
        op=ChangeOp.CREATE,
        source_file="__main__.py",
        source_line=12,
    )
    preview = json.dumps({"steps": [{"urn": "urn:other"}, {"urn": URN}]}, indent=2)
    present = {"infra/__main__.py"}
    locate = plan_locator({"preview.json": preview}, exists=present.__contains__)
    assert locate(origin) == ("preview.json", 7)  # project-relative path: not in the checkout
    rooted = plan_locator(
        {"preview.json": preview}, source_roots={"preview.json": "infra"}, exists=present.__contains__
    )
    assert rooted(origin) == ("infra/__main__.py", 12)
