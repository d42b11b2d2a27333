from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from infraaudit.audit.models import Report, Severity
from infraaudit.audit.report import render_sarif
from infraaudit.audit.report.sarif import FINGERPRINT_KEY, rule_name

SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0"}


def _run(report: Report, **kw: Any) -> dict[str, Any]:
    return json.loads(render_sarif(report, **kw))["runs"][0]


def test_schema_valid(
    full_report: Report, clean_report: Report, empty_report: Report, sarif_validator: Any, github_sarif_check: Any
) -> None:
    for report in (full_report, clean_report, empty_report):
        log = json.loads(render_sarif(report))
        errors = sorted(sarif_validator.iter_errors(log), key=str)
        assert not errors, errors[0]
        github_sarif_check(log)


def test_the_schema_is_draft_04(sarif_validator: Any, github_sarif_check: Any) -> None:
    assert sarif_validator.META_SCHEMA["id"].startswith("http://json-schema.org/draft-04/")


def test_header(full_report: Report) -> None:
    log = json.loads(render_sarif(full_report))
    assert list(log) == ["$schema", "version", "runs"]
    assert log["$schema"].endswith("sarif-schema-2.1.0.json")
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["version"] == "0.1.0"
    assert driver["informationUri"] == "https://github.com/infraaudit/infraaudit"


def test_rules_from_policies_then_custom(full_report: Report) -> None:
    rules = _run(full_report)["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [p.id for p in full_report.policies] + ["ACME-COST-9"]
    idle = rules[0]
    assert idle == {
        "id": "IA-GPU-001",
        "name": "GPUInstanceIdle",
        "shortDescription": {"text": "GPU instance idle"},
        "fullDescription": {"text": "GPU instance idle: the long description."},
        "help": {"text": "Fix it: see `IA-GPU-001` docs.", "markdown": "Fix it: see `IA-GPU-001` docs."},
        "defaultConfiguration": {"level": "error"},
        "properties": {"security-severity": "8.0", "tags": ["cost", "infraaudit"], "precision": "high"},
    }
    custom = rules[-1]
    assert custom["name"] == "ACMEBudgetOwnerMissing"
    assert custom["shortDescription"]["text"] == "ACME budget owner missing"
    assert custom["help"]["text"] == "See the runbook."
    assert custom["defaultConfiguration"]["level"] == "warning"
    assert custom["properties"]["security-severity"] == "5.5"


@pytest.mark.parametrize(
    ("severity", "level"),
    [("critical", "error"), ("high", "error"), ("medium", "warning"), ("low", "note"), ("info", "note")],
)
def test_levels_and_security_severity(full_report: Report, severity: str, level: str) -> None:
    run = _run(full_report)
    rules = run["tool"]["driver"]["rules"]
    results = [r for r in run["results"] if r["properties"]["severity"] == severity]
    assert results
    for result in results:
        assert result["level"] == level
        if result["ruleId"].startswith("IA-"):
            assert rules[result["ruleIndex"]]["properties"]["security-severity"] == SECURITY_SEVERITY[severity]


def test_result_shape(full_report: Report) -> None:
    run = _run(full_report, artifact_uri="inventories/prod.json")
    result = next(r for r in run["results"] if r["ruleId"] == "IA-SEC-001")
    uid = "aws:123456789012:us-east-1:i-0abc"
    assert result["message"]["text"] == "Instance has public IP 203.0.113.7 | exposed\nto the internet"
    assert result["locations"] == [
        {
            "physicalLocation": {"artifactLocation": {"uri": "inventories/prod.json"}, "region": {"startLine": 1}},
            "logicalLocations": [{"name": uid, "kind": "resource", "fullyQualifiedName": uid}],
        }
    ]
    expected = hashlib.sha256(f"IA-SEC-001\x00{uid}".encode()).hexdigest()
    assert result["partialFingerprints"] == {FINGERPRINT_KEY: expected, "primaryLocationLineHash": expected[:16] + ":1"}
    assert result["properties"]["evidence"] == {"gpu_avg_percent": 1.5, "window_days": 14}
    assert result["properties"]["category"] == "security"
    assert result["properties"]["estimated_monthly_savings_usd"] == 0.0
    assert "suppressions" not in result


def test_fingerprints_differ_per_rule_and_resource(full_report: Report) -> None:
    prints = [r["partialFingerprints"][FINGERPRINT_KEY] for r in _run(full_report)["results"]]
    assert len(prints) == len(set(prints))


def test_default_artifact_and_uri_encoding(full_report: Report) -> None:
    uri = lambda run: run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]  # noqa: E731
    assert uri(_run(full_report)) == "infraaudit-inventory.json"
    assert uri(_run(full_report, artifact_uri="my audits\\inv 1.json")) == "my%20audits/inv%201.json"
    assert uri(_run(full_report, artifact_uri="  ")) == "infraaudit-inventory.json"


def test_suppressed_finding(full_report: Report) -> None:
    waived = [r for r in _run(full_report)["results"] if "suppressions" in r]
    assert len(waived) == 1
    assert waived[0]["suppressions"] == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "reserved for Q4 launch",
            "properties": {"resource_pattern": "aws:*:us-west-2:*", "expires": "2026-12-31"},
        }
    ]


def test_gaps_make_the_invocation_unsuccessful(full_report: Report) -> None:
    invocation = _run(full_report)["invocations"][0]
    assert invocation["executionSuccessful"] is False
    notes = invocation["toolExecutionNotifications"]
    assert [n["level"] for n in notes] == ["error", "error"]
    assert notes[0]["message"]["text"] == (
        "Scan incomplete: aws account 210987654321 region ap-south-1: ec2:DescribeInstances failed "
        "(UnauthorizedOperation): not authorized to perform ec2:DescribeInstances"
    )
    assert notes[1]["properties"] == {
        "provider": "gcp",
        "account": "ml-dev",
        "api": "monitoring.timeSeries.list",
        "error_code": "PERMISSION_DENIED",
        "message": "",
    }


def test_gaps_only_report_validates(
    report_factory, full_report: Report, sarif_validator: Any, github_sarif_check: Any
) -> None:
    log = json.loads(render_sarif(report_factory([], list(full_report.gaps))))
    sarif_validator.validate(log)
    github_sarif_check(log)
    assert log["runs"][0]["results"] == []
    assert log["runs"][0]["invocations"][0]["executionSuccessful"] is False


def test_complete_scan_is_successful(clean_report: Report, empty_report: Report) -> None:
    for report in (clean_report, empty_report):
        run = _run(report)
        assert run["invocations"] == [{"executionSuccessful": True}]
        assert run["results"] == []


def test_non_finite_numbers_never_reach_the_json(report_factory, sample_findings) -> None:
    odd = sample_findings[0].model_copy(
        update={
            "estimated_monthly_savings_usd": float("inf"),
            "evidence": {"x": float("nan"), "when": [1, float("-inf")]},
        }
    )
    text = render_sarif(report_factory([odd]))
    props = json.loads(text)["runs"][0]["results"][0]["properties"]
    assert props["estimated_monthly_savings_usd"] == 0.0
    assert props["evidence"] == {"x": None, "when": [1, None]}
    assert "Infinity" not in text and "NaN" not in text


def test_finding_with_empty_message_and_title(
    report_factory, sample_findings, sarif_validator: Any, github_sarif_check: Any
) -> None:
    bare = sample_findings[-1].model_copy(
        update={"message": "  ", "title": "", "remediation": "", "recommendation": ""}
    )
    log = json.loads(render_sarif(report_factory([bare], policies=[])))
    sarif_validator.validate(log)
    github_sarif_check(log)
    assert log["runs"][0]["results"][0]["message"]["text"] == "ACME-COST-9"


@pytest.mark.parametrize(
    ("title", "fallback", "expected"),
    [
        ("GPU instance idle", "X", "GPUInstanceIdle"),
        ("no telemetry for 7 days", "X", "NoTelemetryFor7Days"),
        ("données résidence (UE)", "X", "DonnéesRésidenceUE"),
        ("snake_case-title", "X", "SnakeCaseTitle"),
        ("!!!", "ACME-COST-9", "ACMECOST9"),
        ("", "", "Rule"),
    ],
)
def test_rule_name(title: str, fallback: str, expected: str) -> None:
    assert rule_name(title, fallback) == expected


def test_every_severity_is_mapped() -> None:
    from infraaudit.audit.report.sarif import LEVEL
    from infraaudit.audit.report.sarif import SECURITY_SEVERITY as MAP

    assert set(LEVEL) == set(MAP) == set(Severity)
    assert MAP == {Severity(k): v for k, v in SECURITY_SEVERITY.items()}
