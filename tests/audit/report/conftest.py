"""Reports shared by the renderer tests: every severity, a waiver, a gap, a custom-policy finding."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from jsonschema.validators import validator_for

from infraaudit.audit.models import (
    Category,
    ChangeOp,
    CostChange,
    CostLine,
    CoverageGap,
    Finding,
    IacOrigin,
    InventorySummary,
    PolicyMeta,
    PolicySource,
    Provider,
    Report,
    Severity,
    Suppression,
    Totals,
    UnpricedResource,
)

SARIF_SCHEMA_PATH = Path(__file__).parents[2] / "fixtures" / "sarif" / "sarif-schema-2.1.0.json"
GENERATED_AT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def policy(rule_id: str, title: str, severity: Severity, category: Category) -> PolicyMeta:
    return PolicyMeta(
        id=rule_id,
        title=title,
        description=f"{title}: the long description.",
        severity=severity,
        category=category,
        sources=[PolicySource.SCAN],
        remediation=f"Fix it: see `{rule_id}` docs.",
        package=f"infraaudit.{rule_id.lower().replace('-', '_')}",
        file=f"infraaudit/{rule_id.lower()}.rego",
    )


POLICIES = [
    policy("IA-GPU-001", "GPU instance idle", Severity.HIGH, Category.COST),
    policy("IA-SEC-001", "Public IP on GPU instance", Severity.CRITICAL, Category.SECURITY),
    policy("IA-GPU-002", "Spot not used for interruptible work", Severity.MEDIUM, Category.COST),
    policy("IA-GOV-001", "Required tags missing", Severity.LOW, Category.GOVERNANCE),
    policy("IA-GPU-003", "No GPU telemetry", Severity.INFO, Category.COST),
]


def finding(rule_id: str, severity: Severity, uid: str, savings: float = 0.0, **kw: Any) -> Finding:
    defaults: dict[str, Any] = {
        "title": f"title of {rule_id}",
        "category": Category.COST,
        "message": f"{rule_id} on {uid}",
        "evidence": {"gpu_avg_percent": 1.5, "window_days": 14},
        "recommendation": "Stop or downsize the instance.",
        "remediation": "See the runbook.",
    }
    defaults.update(kw)
    return Finding(
        rule_id=rule_id, severity=severity, resource_uid=uid, estimated_monthly_savings_usd=savings, **defaults
    )


FINDINGS = [
    finding("IA-GPU-001", Severity.HIGH, "aws:123456789012:us-east-1:i-0abc", 23_652.0),
    finding("IA-GPU-001", Severity.HIGH, "gcp:ml-prod:us-central1-a:trainer-1", 1_234.56),
    finding(
        "IA-SEC-001",
        Severity.CRITICAL,
        "aws:123456789012:us-east-1:i-0abc",
        category=Category.SECURITY,
        message="Instance has public IP 203.0.113.7 | exposed\nto the internet",
    ),
    finding("IA-GPU-002", Severity.MEDIUM, "aws:123456789012:eu-west-1:i-0def", 800.25),
    finding(
        "IA-GOV-001", Severity.LOW, "onprem:dc1:gpu-07", category=Category.GOVERNANCE, message="missing tag `team`"
    ),
    finding("IA-GPU-003", Severity.INFO, "gcp:ml-prod:us-central1-a:notebook-3"),
    # Waived: shown, marked, not counted.
    finding(
        "IA-GPU-001",
        Severity.HIGH,
        "aws:123456789012:us-west-2:i-0waived",
        5_000.0,
        suppression=Suppression(
            reason="reserved for Q4 launch", expires=date(2026, 12, 31), resource_pattern="aws:*:us-west-2:*"
        ),
    ),
    # Custom policy from --policy-dir: not in report.policies.
    finding(
        "ACME-COST-9", Severity.MEDIUM, "aws:123456789012:us-east-1:i-0xyz", 99.99, title="ACME budget owner missing"
    ),
]

GAPS = [
    CoverageGap(
        provider=Provider.AWS,
        account="210987654321",
        region="ap-south-1",
        api="ec2:DescribeInstances",
        error_code="UnauthorizedOperation",
        message="not authorized to perform ec2:DescribeInstances",
    ),
    CoverageGap(
        provider=Provider.GCP, account="ml-dev", api="monitoring.timeSeries.list", error_code="PERMISSION_DENIED"
    ),
]


def make_report(findings: list[Finding], gaps: list[CoverageGap] | None = None, **kw: Any) -> Report:
    """A report whose totals agree with its findings (as the report builder makes them)."""
    active = [f for f in findings if not f.suppressed]
    by_severity: dict[str, int] = {}
    for f in active:
        by_severity[f.severity.value] = by_severity.get(f.severity.value, 0) + 1
    defaults: dict[str, Any] = {
        "tool_version": "0.1.0",
        "generated_at": GENERATED_AT,
        "findings": findings,
        "inventory": InventorySummary(
            resources=7,
            gpus=40,
            by_provider={"aws": 4, "gcp": 2, "onprem": 1},
            monthly_cost_usd=187_654.32,
            unpriced_resources=[
                UnpricedResource(uid="onprem:dc1:gpu-07", reason="on-prem resources are not in the catalog")
            ],
        ),
        "gaps": gaps or [],
        "policies": POLICIES,
        "totals": Totals(
            findings=len(active),
            suppressed=len(findings) - len(active),
            by_severity=by_severity,
            estimated_monthly_savings_usd=sum(f.estimated_monthly_savings_usd for f in active),
        ),
    }
    defaults.update(kw)
    return Report(**defaults)


@pytest.fixture
def full_report() -> Report:
    return make_report(FINDINGS, GAPS)


@pytest.fixture
def clean_report() -> Report:
    """Everything scanned, nothing found."""
    return make_report([], [])


@pytest.fixture
def empty_report() -> Report:
    """Nothing at all: no resources, policies, findings or gaps."""
    return Report(tool_version="0.1.0", generated_at=GENERATED_AT)


@pytest.fixture(scope="session")
def sarif_validator() -> Any:
    schema = json.loads(SARIF_SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = validator_for(schema)  # the schema says draft-04
    cls.check_schema(schema)
    return cls(schema)


@pytest.fixture(scope="session")
def report_factory() -> Any:
    return make_report


@pytest.fixture(scope="session")
def sample_findings() -> list[Finding]:
    return list(FINDINGS)


LEVELS = {"error", "warning", "note", "none"}


def check_github_constraints(log: dict[str, Any]) -> None:
    """What GitHub code scanning needs beyond the schema (shared with the property tests)."""
    assert log["version"] == "2.1.0"
    assert len(log["runs"]) == 1
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "infraaudit"
    rules = driver["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids)), "rule ids are unique"
    assert len(rules) <= 25_000
    for rule in rules:
        # Limits from docs.github.com "SARIF support for code scanning".
        assert len(rule["name"]) <= 255
        assert len(rule["shortDescription"]["text"]) <= 1024
        assert len(rule["fullDescription"]["text"]) <= 1024
        assert len(rule["properties"]["tags"]) <= 20
        sev = rule["properties"]["security-severity"]
        assert isinstance(sev, str) and 0.0 <= float(sev) <= 10.0
        assert rule["defaultConfiguration"]["level"] in LEVELS
        assert rule["shortDescription"]["text"].strip()
        assert rule["fullDescription"]["text"].strip()
        assert rule["help"]["text"].strip()
        assert rule["properties"]["tags"][-1] == "infraaudit"
        assert rule["properties"]["precision"] == "high"
        assert rule["name"].isalnum()
    assert len(run["results"]) <= 25_000
    for result in run["results"]:
        assert result["ruleId"] in ids
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in LEVELS
        assert result["message"]["text"].strip()
        assert 1 <= len(result["locations"]) <= 10
        loc = result["locations"][0]
        uri = loc["physicalLocation"]["artifactLocation"]["uri"]
        # Relative to the repository root, or an absolute file:// URI upload-sarif relativises.
        assert uri and not uri.startswith(("/", "./")) and " " not in uri and "\\" not in uri
        assert "://" not in uri or uri.startswith("file:///")
        assert loc["physicalLocation"]["region"]["startLine"] >= 1
        assert len(result["partialFingerprints"]["infraauditFindingHash/v1"]) == 64
        # The only fingerprint code scanning reads.
        assert re.fullmatch(r"[0-9a-f]{16}:1", result["partialFingerprints"]["primaryLocationLineHash"])
    if "automationDetails" in run:
        assert run["automationDetails"]["id"].endswith("/")
    assert isinstance(run["invocations"][0]["executionSuccessful"], bool)


@pytest.fixture(scope="session")
def github_sarif_check() -> Any:
    return check_github_constraints


# --------------------------------------------------------------------------- check (planned changes)

TRAINER = "aws:123456789012:us-east-1:ec2/instance/trainer"
INFERENCE = "aws:123456789012:us-east-1:aws_instance/inference-0"
NOTEBOOK = "gcp:ml-prod:europe-west4:compute/instance/notebook"
TRAINER_URN = "urn:pulumi:dev::ml::aws:ec2/instance:Instance::trainer"

CHECK_POLICIES = [
    policy("IA-SEC-001", "Public IP on GPU instance", Severity.CRITICAL, Category.SECURITY),
    policy("IA-RES-001", "Data outside its residency region", Severity.HIGH, Category.COMPLIANCE),
    policy("IA-GPU-004", "On-demand GPU for interruptible work", Severity.MEDIUM, Category.COST),
    policy("IA-GOV-001", "Required tags missing", Severity.LOW, Category.GOVERNANCE),
]

CHECK_ORIGINS = {
    TRAINER: IacOrigin(
        input_file="infra/preview.json",
        address=TRAINER_URN,
        type="aws:ec2/instance:Instance",
        op=ChangeOp.CREATE,
        source_file="infra/__main__.py",
        source_line=42,
    ),
    INFERENCE: IacOrigin(
        input_file="plans/serving.json",
        address="module.serving.aws_instance.inference[0]",
        type="aws_instance",
        op=ChangeOp.UPDATE,
    ),
    NOTEBOOK: IacOrigin(
        input_file="plans/serving.json",
        address="google_compute_instance.notebook",
        type="google_compute_instance",
        op=ChangeOp.REPLACE,
    ),
}

COST_LINES = [
    CostLine(
        address="aws_instance.steady",
        type="aws_instance",
        op=ChangeOp.SAME,
        instance_type_before="g5.xlarge",
        instance_type_after="g5.xlarge",
        instances_before=1,
        instances_after=1,
        monthly_before_usd=734.38,
        monthly_after_usd=734.38,
    ),
    CostLine(
        address="module.serving.aws_instance.inference[0]",
        type="aws_instance",
        op=ChangeOp.UPDATE,
        instance_type_before="g5.xlarge",
        instance_type_after="g5.2xlarge",
        instances_before=4,
        instances_after=4,
        monthly_before_usd=2_937.52,
        monthly_after_usd=3_539.04,
    ),
    CostLine(
        address=TRAINER_URN,
        type="aws:ec2/instance:Instance",
        op=ChangeOp.CREATE,
        instance_type_after="p5.48xlarge",
        instances_before=0,
        instances_after=2,
        monthly_before_usd=0.0,
        monthly_after_usd=143_547.20,
    ),
    CostLine(
        address="google_compute_instance.notebook",
        type="google_compute_instance",
        op=ChangeOp.REPLACE,
        instance_type_before="a2-highgpu-1g",
        instance_type_after="g2-standard-4",
        instances_before=1,
        instances_after=1,
        monthly_before_usd=2_681.39,
        monthly_after_usd=518.57,
    ),
    CostLine(
        address="aws_instance.batch",
        type="aws_instance",
        op=ChangeOp.DELETE,
        instance_type_before="p3.2xlarge",
        instances_before=3,
        instances_after=0,
        monthly_before_usd=6_701.40,
        monthly_after_usd=0.0,
    ),
    CostLine(
        address="aws_instance.pending",
        type="aws_instance",
        op=ChangeOp.CREATE,
        instances_before=0,
        instances_after=1,
        monthly_before_usd=0.0,
        monthly_after_usd=None,
        note="after: instance type unknown until apply",
    ),
]

CHECK_FINDINGS = [
    finding(
        "IA-SEC-001",
        Severity.CRITICAL,
        TRAINER,
        title="Public IP on GPU instance",
        category=Category.SECURITY,
        message="trainer gets a public IP",
        evidence={"public_ip": True},
        recommendation="Remove associate_public_ip_address.",
        remediation="Use a private subnet and a bastion.",
    ),
    finding(
        "IA-RES-001",
        Severity.HIGH,
        NOTEBOOK,
        title="Data outside its residency region",
        category=Category.COMPLIANCE,
        message="restricted data planned in europe-west4, allowed: europe-west3",
        evidence={"region": "europe-west4", "allowed": ["europe-west3"]},
        recommendation="Move it to europe-west3.",
        remediation="",
    ),
    finding(
        "IA-GPU-004",
        Severity.MEDIUM,
        INFERENCE,
        1_769.42,
        title="On-demand GPU for interruptible work",
        message="4 × g5.2xlarge on demand for a batch workload",
        evidence={},
        recommendation="Use spot.",
        remediation="",
    ),
    finding(
        "IA-GOV-001",
        Severity.LOW,
        NOTEBOOK,
        title="Required tags missing",
        category=Category.GOVERNANCE,
        message="missing tag team",
        evidence={"missing": ["team"]},
        recommendation="Add the tag.",
        remediation="",
        suppression=Suppression(reason="owned by the platform team", resource_pattern="gcp:*"),
    ),
]


def make_check_report(
    findings: list[Finding] | None = None,
    lines: list[CostLine] | None = None,
    origins: dict[str, IacOrigin] | None = None,
    **kw: Any,
) -> Report:
    lines = COST_LINES if lines is None else lines
    priced = [x for x in lines if x.monthly_before_usd is not None and x.monthly_after_usd is not None]
    change = CostChange(
        lines=lines,
        monthly_before_usd=round(sum(x.monthly_before_usd or 0.0 for x in priced), 2),
        monthly_after_usd=round(sum(x.monthly_after_usd or 0.0 for x in priced), 2),
        unpriced=len(lines) - len(priced),
    )
    defaults: dict[str, Any] = {
        "policies": CHECK_POLICIES,
        "cost_change": change,
        "origins": CHECK_ORIGINS if origins is None else origins,
        "inventory": InventorySummary(resources=3, gpus=11, by_provider={"aws": 2, "gcp": 1}),
    }
    defaults.update(kw)
    return make_report(CHECK_FINDINGS if findings is None else findings, [], **defaults)


@pytest.fixture
def check_report() -> Report:
    return make_check_report()


@pytest.fixture(scope="session")
def check_report_factory() -> Any:
    return make_check_report
