"""`run_check` with the real OPA engine on previews and plans in the real formats.

One evaluation of every fixture together (one OPA server for the module); each finding is
attributed to its input through the report's origins.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from preview_fixtures import FIXTURES

from infraaudit.audit.catalog import Catalog
from infraaudit.audit.check import plan_inventory, run_check
from infraaudit.audit.config import Settings
from infraaudit.audit.engine import PolicyLibrary
from infraaudit.audit.models import PolicySource, Report
from infraaudit.audit.preview import Plan, read_pulumi_preview, read_terraform_plan

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
PULUMI = [
    "pulumi-preview.json",
    "pulumi-preview-gcp.json",
    "pulumi-preview-replacement-steps.json",
    "pulumi-unknowns.json",
]
TERRAFORM = ["terraform-plan.json", "terraform-unknowns.json"]
PREVIEW_RULES = {
    "IA-GOV-001",
    "IA-GPU-003",
    "IA-GPU-004",
    "IA-GPU-006",
    "IA-RES-001",
    "IA-RES-002",
    "IA-SEC-001",
    "IA-SEC-002",
    "IA-SEC-003",
}
TELEMETRY_RULES = {"IA-GPU-001", "IA-GPU-002", "IA-GPU-005", "IA-GPU-007"}

Triple = tuple[str, str, float]


def read(name: str) -> Plan:
    return (read_pulumi_preview if name.startswith("pulumi") else read_terraform_plan)(FIXTURES / name)


@pytest.fixture(scope="module")
def report() -> Report:
    return run_check([read(name) for name in PULUMI + TERRAFORM], Settings(), Catalog.load(), now=lambda: NOW)


def findings_of(report: Report, name: str) -> set[Triple]:
    """(rule, resource uid, monthly savings) of the findings on resources read from `name`."""
    path = str(FIXTURES / name)
    return {
        (f.rule_id, f.resource_uid, f.estimated_monthly_savings_usd)
        for f in report.findings
        if report.origins[f.resource_uid].input_file == path
    }


def test_only_the_preview_rules_are_applied(report: Report, opa_path: Path) -> None:
    preview = {p.id for p in PolicyLibrary(opa_path).policies if PolicySource.PREVIEW in p.sources}
    assert preview == PREVIEW_RULES
    assert {p.id for p in report.policies} == PREVIEW_RULES
    assert not {f.rule_id for f in report.findings} & TELEMETRY_RULES


AWS = "aws:unknown:us-east-1"

EXPECTED: dict[str, set[Triple]] = {
    "pulumi-preview.json": {
        ("IA-GPU-003", f"{AWS}:Instance/llm-server", 3756.58),  # 7B bf16 fits a T4: (5.672 - 0.526) x 730
        ("IA-GPU-004", f"{AWS}:Instance/trainer-node", 440.34),  # (1.006 - 0.4028) x 730
        ("IA-GPU-006", f"{AWS}:Instance/legacy-v100", 1499.42),  # p3.2xlarge -> g5.xlarge
        ("IA-RES-001", f"{AWS}:Instance/us-inference", 0.0),
        ("IA-SEC-001", f"{AWS}:Instance/notebook", 0.0),
        ("IA-SEC-002", f"{AWS}:Instance/notebook", 0.0),
        ("IA-SEC-003", f"{AWS}:Instance/notebook", 0.0),
        ("IA-GOV-001", f"{AWS}:Instance/untagged-box", 0.0),
    },
    "pulumi-preview-gcp.json": {
        ("IA-GPU-004", "gcp:ml-prod:us-central1:Instance/a100-box", 1628.21),  # (3.67339 - 1.44296) x 730
        ("IA-RES-002", "gcp:ml-prod:us-central1:Instance/a100-box", 0.0),
        ("IA-SEC-001", "gcp:ml-prod:us-central1:Instance/l4-spot", 0.0),
    },
    "pulumi-preview-replacement-steps.json": {
        ("IA-GOV-001", f"{AWS}:Instance/cbd-node", 0.0),
        ("IA-GOV-001", f"{AWS}:Instance/dbc-node", 0.0),
        ("IA-RES-002", f"{AWS}:Instance/cbd-node", 0.0),
        ("IA-RES-002", f"{AWS}:Instance/dbc-node", 0.0),
    },
    "terraform-plan.json": {
        ("IA-GPU-003", f"{AWS}:aws_instance/llm_server", 3756.58),
        ("IA-GPU-004", f"{AWS}:aws_instance/batch_worker", 286.12),  # (0.8048 - 0.41285) x 730
        ("IA-GPU-004", f"{AWS}:aws_autoscaling_group/gpu#on_demand", 1761.36),  # x 4 on-demand instances
        ("IA-GPU-004", "gcp:ml-prod:us-central1:google_compute_instance/a100_box", 1628.21),
        ("IA-GPU-006", f"{AWS}:aws_instance/legacy_v100", 1499.42),
        ("IA-RES-001", f"{AWS}:aws_instance/us_box", 0.0),
        ("IA-RES-002", "gcp:ml-prod:us-central1:google_compute_instance/a100_box", 0.0),
        ("IA-SEC-001", f"{AWS}:aws_instance/notebook", 0.0),
        ("IA-SEC-001", "gcp:ml-prod:us-central1:google_compute_instance/l4_spot", 0.0),
        ("IA-SEC-002", f"{AWS}:aws_instance/notebook", 0.0),
        ("IA-SEC-003", f"{AWS}:aws_instance/notebook", 0.0),
        ("IA-GOV-001", f"{AWS}:aws_instance/no_owner", 0.0),
    },
}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_exact_findings(report: Report, name: str) -> None:
    """Deletions, spot capacity, the eu provider's region, templates, unknowns: no findings."""
    assert findings_of(report, name) == EXPECTED[name]


@pytest.mark.parametrize("names", [PULUMI, TERRAFORM], ids=["pulumi", "terraform"])
def test_every_preview_rule_fires_from_each_format(report: Report, names: list[str]) -> None:
    assert {rule for name in names for rule, _, _ in findings_of(report, name)} == PREVIEW_RULES


def test_finding_details(report: Report) -> None:
    by_key = {(f.rule_id, f.resource_uid): f for f in report.findings}
    oversized = by_key["IA-GPU-003", f"{AWS}:aws_instance/llm_server"]
    assert oversized.evidence["candidate_instance_type"] == "g4dn.xlarge"
    assert oversized.evidence["need_gib"] == 15.65  # 7e9 x 2 B x 1.2 / 2^30
    assert set(oversized.evidence["needs"]) == {"declared_model"}
    spot = by_key["IA-GPU-004", f"{AWS}:aws_autoscaling_group/gpu#on_demand"]
    assert spot.evidence["hourly_on_demand_usd"] == 1.006 and spot.evidence["hourly_spot_usd"] == 0.4028
    legacy = by_key["IA-GPU-006", f"{AWS}:Instance/legacy-v100"]
    assert (legacy.evidence["accelerator"], legacy.evidence["candidate_instance_type"]) == ("V100", "g5.xlarge")
    residency = by_key["IA-RES-001", f"{AWS}:Instance/us-inference"]
    assert residency.evidence["location"] == "aws:us-east-1"


def test_origins_and_cost_change_come_with_the_report(report: Report) -> None:
    origin = report.origins[f"{AWS}:Instance/trainer-node"]
    assert origin.address == "urn:pulumi:dev::gpu-fleet::my:gpu:Trainer$aws:ec2/instance:Instance::trainer-node"
    assert (origin.source_file, origin.source_line) == ("components/trainer.py", 40)
    assert report.origins[f"{AWS}:aws_autoscaling_group/gpu#spot"].address == "aws_autoscaling_group.gpu"
    assert report.cost_change is not None
    assert len(report.cost_change.lines) == sum(len(read(name).resources) for name in PULUMI + TERRAFORM)


# ---------------------------------------------------------------------------------------- unknowns

BAD: dict[str, set[str]] = {
    "type": {"IA-GPU-006"},
    "region": {"IA-RES-001"},
    "market": {"IA-GPU-004"},
    "tags": {"IA-GOV-001"},
    "class": {"IA-RES-002"},
    "security": {"IA-SEC-001", "IA-SEC-002", "IA-SEC-003"},
}


@pytest.mark.parametrize(("name", "sep"), [("pulumi-unknowns.json", "-"), ("terraform-unknowns.json", "_")])
def test_an_unknown_value_never_denies_where_the_known_bad_one_does(report: Report, name: str, sep: str) -> None:
    """The same instance twice: `bad-*` with a known bad instance type, region, market, tags,
    classification or security settings, `unk-*` with that value unknown until apply."""
    rules: dict[str, set[str]] = {}
    for rule, uid, _ in findings_of(report, name):
        rules.setdefault(uid.rsplit("/", 1)[1], set()).add(rule)
    assert rules == {f"bad{sep}{case}": expected for case, expected in BAD.items()}
    evaluated = {
        uid.rsplit("/", 1)[1]
        for uid, origin in report.origins.items()
        if origin.input_file == str(FIXTURES / name) and uid.rsplit("/", 1)[1].startswith("unk")
    }
    cases = ["type", "region", "market", "tags", f"tag{sep}values", "class", "security"]
    assert evaluated >= {f"unk{sep}{case}" for case in cases}  # in the inventory, not dropped


# ------------------------------------------------------------------------------------- inventory


def test_plan_inventory_keeps_uids_unique_across_inputs() -> None:
    first = read("pulumi-preview-replacement-steps.json")
    inventory = plan_inventory([first, first], Settings(), generated_at=NOW)
    assert [r.uid for r in inventory.resources] == [
        f"{AWS}:Instance/cbd-node",
        f"{AWS}:Instance/dbc-node",
        f"{AWS}:Instance/cbd-node#2",
        f"{AWS}:Instance/dbc-node#2",
    ]
    assert inventory.coverage.apis == [str(FIXTURES / "pulumi-preview-replacement-steps.json")]
    assert inventory.coverage.regions == ["us-east-1"]


def test_plan_inventory_uses_the_configured_classification_tag() -> None:
    settings = Settings.model_validate({"residency": {"classification_tag": "data-class"}})
    inventory = plan_inventory([read("pulumi-preview.json")], settings, generated_at=NOW)
    tags = {r.name: r.tags for r in inventory.resources}
    assert tags["llm-server"]["data-class"] == "internal"
    assert "data-classification" not in tags["llm-server"]
    # its own tag is under the default key, not the configured one: the stack's class is added
    assert tags["eu-inference"]["data-class"] == "internal"
    assert tags["eu-inference"]["data-classification"] == "eu-personal"
