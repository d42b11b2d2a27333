"""SARIF 2.1.0 for GitHub code scanning.

One run. Rules come from the policy metadata in the report; a finding whose rule is not in it
(an organisation's custom policy) gets a rule synthesised from the finding, so every result's
``ruleId``/``ruleIndex`` resolves. Resources are not files: each result points at the inventory
file (``artifact_uri``, line 1) and names the resource as a logical location. Waived findings
carry an external suppression; coverage gaps make the invocation unsuccessful, with one error
notification per gap.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any
from urllib.parse import quote

from ..models import Finding, PolicyMeta, Report, Severity
from .formatting import finite_or_zero, gap_phrase, sort_findings

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
TOOL_NAME = "infraaudit"
INFORMATION_URI = "https://github.com/infraaudit/infraaudit"
DEFAULT_ARTIFACT_URI = "infraaudit-inventory.json"
FINGERPRINT_KEY = "infraauditFindingHash/v1"

#: GitHub reads ``security-severity`` (a string holding a number 0.0-10.0) for security rules.
SECURITY_SEVERITY: dict[Severity, str] = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}

LEVEL: dict[Severity, str] = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}

_WORD = re.compile(r"[^\W_]+")  # letters and digits, any script


def rule_name(title: str, fallback: str) -> str:
    """``"GPU idle for 7 days"`` → ``"GPUIdleFor7Days"`` (acronyms kept); fallback if no word."""
    name = "".join(word[0].upper() + word[1:] for word in _WORD.findall(title))
    if not name:
        name = "".join(_WORD.findall(fallback)) or "Rule"
    return name


def fingerprint(rule_id: str, resource_uid: str) -> str:
    """sha256 of rule id and resource uid (NUL-separated so ``A``+``BC`` ≠ ``AB``+``C``)."""
    return hashlib.sha256(f"{rule_id}\x00{resource_uid}".encode()).hexdigest()


def _text(*candidates: str) -> str:
    """The first non-blank candidate: GitHub rejects blank messages and descriptions."""
    return next((c for c in candidates if c.strip()), "infraaudit finding")


def _rule(
    *,
    rule_id: str,
    title: str,
    description: str,
    remediation: str,
    severity: Severity,
    category: str,
) -> dict[str, Any]:
    title = _text(title, rule_id, "infraaudit rule")
    help_text = _text(remediation, title)
    return {
        "id": rule_id,
        "name": rule_name(title, rule_id),
        "shortDescription": {"text": title},
        "fullDescription": {"text": _text(description, title)},
        "help": {"text": help_text, "markdown": help_text},
        "defaultConfiguration": {"level": LEVEL[severity]},
        "properties": {
            "security-severity": SECURITY_SEVERITY[severity],
            "tags": [category, "infraaudit"],
            "precision": "high",
        },
    }


def _policy_rule(policy: PolicyMeta) -> dict[str, Any]:
    return _rule(
        rule_id=policy.id,
        title=policy.title,
        description=policy.description,
        remediation=policy.remediation,
        severity=policy.severity,
        category=policy.category.value,
    )


def _synthesised_rule(finding: Finding) -> dict[str, Any]:
    return _rule(
        rule_id=finding.rule_id,
        title=finding.title,
        description=finding.title,
        remediation=finding.remediation or finding.recommendation,
        severity=finding.severity,
        category=finding.category.value,
    )


def _rules(report: Report, findings: list[Finding]) -> tuple[list[dict[str, Any]], dict[str, int]]:
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for policy in report.policies:
        if policy.id not in index:
            index[policy.id] = len(rules)
            rules.append(_policy_rule(policy))
    for finding in findings:
        if finding.rule_id not in index:
            index[finding.rule_id] = len(rules)
            rules.append(_synthesised_rule(finding))
    return rules, index


def _result(finding: Finding, rule_index: int, artifact_uri: str) -> dict[str, Any]:
    dumped = finding.model_dump(mode="json")  # evidence made JSON-safe (dates, non-finite → null)
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": LEVEL[finding.severity],
        "message": {"text": _text(finding.message, finding.title, finding.rule_id)},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": artifact_uri},
                    "region": {"startLine": 1},
                },
                "logicalLocations": [
                    {
                        "name": finding.resource_uid,
                        "kind": "resource",
                        "fullyQualifiedName": finding.resource_uid,
                    }
                ],
            }
        ],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(finding.rule_id, finding.resource_uid)},
        "properties": {
            "severity": finding.severity.value,
            "category": finding.category.value,
            "resource_uid": finding.resource_uid,
            "evidence": dumped["evidence"],
            "estimated_monthly_savings_usd": finite_or_zero(finding.estimated_monthly_savings_usd),
            "recommendation": finding.recommendation,
        },
    }
    if finding.suppression is not None:
        suppression: dict[str, Any] = {
            "kind": "external",
            "status": "accepted",
            "justification": finding.suppression.reason,
            "properties": {"resource_pattern": finding.suppression.resource_pattern},
        }
        if finding.suppression.expires is not None:
            suppression["properties"]["expires"] = finding.suppression.expires.isoformat()
        result["suppressions"] = [suppression]
    return result


def _invocation(report: Report) -> dict[str, Any]:
    invocation: dict[str, Any] = {"executionSuccessful": not report.gaps}
    if report.gaps:
        invocation["toolExecutionNotifications"] = [
            {
                "level": "error",
                "message": {"text": f"Scan incomplete: {gap_phrase(gap)}"},
                "descriptor": {"id": "coverage-gap"},
                "properties": gap.model_dump(mode="json", exclude_none=True),
            }
            for gap in report.gaps
        ]
    return invocation


def _uri(artifact_uri: str) -> str:
    # A path as the user typed it ("reports/my inventory.json", "C:\\x") → a URI reference.
    value = artifact_uri.strip().replace("\\", "/") or DEFAULT_ARTIFACT_URI
    return quote(value, safe="/:@!$&'()*+,;=~-._%")


def sarif_log(report: Report, *, artifact_uri: str = DEFAULT_ARTIFACT_URI) -> dict[str, Any]:
    """The SARIF log as a dict (for callers that post-process it); ``render_sarif`` dumps it."""
    findings = sort_findings(report.findings)
    rules, index = _rules(report, findings)
    uri = _uri(artifact_uri)
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": TOOL_NAME,
                "version": report.tool_version,
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }
        },
        "invocations": [_invocation(report)],
        "results": [_result(f, index[f.rule_id], uri) for f in findings],
        "columnKind": "utf16CodeUnits",
        "properties": {
            "report_schema_version": report.schema_version,
            "resources": report.inventory.resources,
            "gpus": report.inventory.gpus,
            "monthly_cost_usd": finite_or_zero(report.inventory.monthly_cost_usd),
            "estimated_monthly_savings_usd": finite_or_zero(report.totals.estimated_monthly_savings_usd),
            "unpriced_resources": len(report.inventory.unpriced_resources),
            "coverage_gaps": len(report.gaps),
        },
    }
    return {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


def render_sarif(report: Report, *, artifact_uri: str = DEFAULT_ARTIFACT_URI) -> str:
    return (
        json.dumps(sarif_log(report, artifact_uri=artifact_uri), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    )
