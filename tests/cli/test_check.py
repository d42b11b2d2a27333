"""`infraaudit check` end to end: the real entry point, real OPA, inputs in the real formats."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from infraaudit.audit.models import Report
from infraaudit_testing import REPO

SARIF_SCHEMA = REPO / "tests" / "fixtures" / "sarif" / "sarif-schema-2.1.0.json"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
TAGS = {"owner": "ml", "team": "research", "cost-center": "cc-42", "data-classification": "internal"}


def _step(op: str, name: str, inputs: dict[str, Any] | None, old: dict[str, Any] | None = None) -> dict[str, Any]:
    type_ = "aws:ec2/instance:Instance"
    urn = f"urn:pulumi:dev::gpu::{type_}::{name}"
    step: dict[str, Any] = {"op": op, "urn": urn, "provider": ""}
    if inputs is not None:
        step["newState"] = {"urn": urn, "custom": True, "type": type_, "inputs": inputs}
    if old is not None:
        step["oldState"] = {"urn": urn, "custom": True, "type": type_, "inputs": old}
    return step


def _preview(tmp_path: Path, *steps: dict[str, Any], name: str = "preview.json") -> Path:
    document = {"config": {"aws:region": "us-east-1"}, "steps": list(steps), "changeSummary": {}}
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return path


def _secure(instance_type: str, **extra: Any) -> dict[str, Any]:
    return {
        "instanceType": instance_type,
        "tags": TAGS,
        "rootBlockDevice": {"encrypted": True},
        "metadataOptions": {"httpTokens": "required"},
        "associatePublicIpAddress": False,
        **extra,
    }


def test_a_bad_change_fails_the_gate_with_its_cost(run_cli, tmp_path: Path) -> None:
    preview = _preview(
        tmp_path,
        _step("create", "train", {**_secure("p4d.24xlarge"), "rootBlockDevice": {"encrypted": False}}),
        _step("update", "infer", _secure("g6.xlarge"), old=_secure("g5.xlarge")),
        _step("delete", "old", None, old=_secure("g4dn.xlarge")),
    )
    result = run_cli("check", "--pulumi-preview", str(preview), "--format", "json")
    assert result.code == 1, result.err  # IA-SEC-003 (high) fails the default --fail-on high
    report = Report.model_validate_json(result.out)
    assert {(f.rule_id, f.resource_uid.rsplit("/", 1)[1]) for f in report.findings} == {("IA-SEC-003", "train")}
    cost = report.cost_change
    assert cost is not None
    by_name = {line.address.rsplit("::", 1)[1]: line for line in cost.lines}
    assert (by_name["train"].monthly_before_usd, by_name["train"].monthly_after_usd) == (0.0, 23924.0)
    assert by_name["old"].monthly_after_usd == 0.0 and by_name["old"].monthly_before_usd is not None
    assert cost.delta_usd == pytest.approx(
        sum(line.monthly_after_usd - line.monthly_before_usd for line in cost.lines)  # type: ignore[operator]
    )
    assert "check: 1 input(s), 3 planned resource(s), 2 GPU-capable" in result.err
    assert {p.id for p in report.policies} == {p.id for p in report.policies if "preview" in p.sources}
    assert "IA-GPU-001" not in {p.id for p in report.policies}  # telemetry rules do not apply to a plan


def test_fail_on_none_passes_and_extra_outputs_are_written(run_cli, tmp_path: Path) -> None:
    preview = _preview(tmp_path, _step("create", "train", {**_secure("p4d.24xlarge"), "rootBlockDevice": {}}))
    sarif, markdown, report_json = tmp_path / "out.sarif", tmp_path / "comment.md", tmp_path / "report.json"
    result = run_cli(
        "check", "--pulumi-preview", str(preview), "--fail-on", "none", "--sarif", str(sarif),
        "--markdown", str(markdown), "--json", str(report_json),
    )  # fmt: skip
    assert result.code == 0, result.err
    log = json.loads(sarif.read_text())
    jsonschema.validate(log, json.loads(SARIF_SCHEMA.read_text()))
    assert markdown.read_text().strip()
    assert Report.model_validate_json(report_json.read_text()).cost_change is not None


def test_unknown_values_never_deny(run_cli, tmp_path: Path) -> None:
    unknowns = {
        "instanceType": UNKNOWN,
        "tags": UNKNOWN,
        "rootBlockDevice": {"encrypted": UNKNOWN},
        "metadataOptions": UNKNOWN,
        "associatePublicIpAddress": UNKNOWN,
    }
    preview = _preview(tmp_path, _step("create", "later", unknowns))
    result = run_cli("check", "--pulumi-preview", str(preview), "--format", "json")
    assert result.code == 0, result.err
    report = Report.model_validate_json(result.out)
    assert report.findings == []
    assert report.cost_change is not None and report.cost_change.unpriced == 1


def test_several_inputs_in_one_report(run_cli, tmp_path: Path) -> None:
    first = _preview(tmp_path, _step("create", "gpu", _secure("g5.xlarge")), name="a.json")
    second = _preview(tmp_path, _step("create", "gpu", _secure("g5.2xlarge")), name="b.json")
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({
        "format_version": "1.2",
        "resource_changes": [{
            "address": "aws_instance.gpu", "mode": "managed", "type": "aws_instance", "name": "gpu",
            "provider_name": "registry.terraform.io/hashicorp/aws",
            "change": {"actions": ["create"], "before": None, "after": {
                "instance_type": "g5.xlarge", "tags": TAGS, "root_block_device": [{"encrypted": True}],
                "metadata_options": [{"http_tokens": "required"}], "associate_public_ip_address": False,
                "availability_zone": "us-east-1a"}, "after_unknown": {"id": True}},
        }],
    }))  # fmt: skip
    result = run_cli(
        "check", "--pulumi-preview", str(first), "--pulumi-preview", str(second), "--terraform-plan", str(plan),
        "--format", "json",
    )  # fmt: skip
    assert result.code == 0, result.err
    report = Report.model_validate_json(result.out)
    assert report.inventory.resources == 3
    assert len(set(report.origins)) == 3  # the same logical name in two previews: distinct uids
    assert report.cost_change is not None and len(report.cost_change.lines) == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not JSON"),
        ('{"resources": []}', "not a `pulumi preview --json` document"),
        ('{"steps": [{"op": "explode"}]}', "steps[0] has an unknown op 'explode'"),
    ],
)
def test_a_broken_input_fails_closed(run_cli, tmp_path: Path, content: str, message: str) -> None:
    preview = tmp_path / "preview.json"
    preview.write_text(content)
    result = run_cli("check", "--pulumi-preview", str(preview))
    assert result.code == 3 and result.out == ""
    [line] = result.err.strip().splitlines()
    assert line.startswith("error: ") and message in line and "preview.json" in line


def test_a_missing_input_and_usage_errors(run_cli, tmp_path: Path) -> None:
    missing = run_cli("check", "--terraform-plan", str(tmp_path / "nope.json"))
    assert missing.code == 3 and "no such file" in missing.err
    assert run_cli("check").code == 2
    assert run_cli("check", "--stack", "dev", "--terraform-plan", "x.json").code == 2


def test_a_broken_policy_fails_the_check(run_cli, tmp_path: Path) -> None:
    policies = tmp_path / "policies"
    policies.mkdir()
    (policies / "broken.rego").write_text("package custom.broken\n\ndeny contains x if {\n")
    preview = _preview(tmp_path, _step("create", "gpu", _secure("g5.xlarge")))
    result = run_cli("check", "--pulumi-preview", str(preview), "--policy-dir", str(policies))
    assert result.code in (3, 4) and result.out == ""
