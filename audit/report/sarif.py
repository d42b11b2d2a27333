"""SARIF 2.1.0 for GitHub code scanning.

One run. Rules come from the policy metadata in the report; a finding whose rule is not in it
(an organisation's custom policy) gets a rule synthesised from the finding, so every result's
``ruleId``/``ruleIndex`` resolves. Waived findings carry an external suppression; coverage gaps
make the invocation unsuccessful, with one error notification per gap.

Locations:

- ``scan`` (``report.origins`` empty): resources are not files, so each result points at the
  inventory file (``artifact_uri``, line 1) and names the resource uid as a logical location.
- ``check`` (the finding's resource has an ``IacOrigin``): the result points at the IaC source
  that declares the resource when it is known (``source_file``, ``region.startLine =
  source_line``), else at the plan/preview/program it was read from (``input_file``, line 1), and
  names the IaC address (Pulumi URN, Terraform address) as the logical location. A caller that
  can read files passes ``locate`` (see :mod:`.locate`) to point at the line of the input file
  where the address appears, or to make paths relative to the checkout; relative paths are
  taken as relative to the repository root, absolute paths become ``file://`` URIs, which
  ``github/codeql-action/upload-sarif`` relativises against its ``checkout_path``.

GitHub code scanning's rules are applied (docs.github.com, "SARIF support for code scanning"):
rule ``name`` <= 255 characters and descriptions <= 1,024; at most 25,000 results per run (the
most severe are kept and a warning notification says how many were left out); every result
carries ``partialFingerprints.primaryLocationLineHash`` -- the only fingerprint GitHub uses --
derived from rule id + resource (uid, or IaC address for ``check``), so alerts stay one per
resource even when several share a line (every scan result is on line 1; a one-line
``terraform show -json`` plan). ``category`` sets ``runAutomationDetails.id``; leave it unset
when ``upload-sarif`` is given a ``category``, because a category in the file wins.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from ..models import Finding, IacOrigin, PolicyMeta, Report, Severity
from .formatting import finite_or_zero, gap_phrase, iac_name, sort_findings

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
TOOL_NAME = "infraaudit"
INFORMATION_URI = "https://github.com/infraaudit/infraaudit"
DEFAULT_ARTIFACT_URI = "infraaudit-inventory.json"
FINGERPRINT_KEY = "infraauditFindingHash/v1"
#: The one partial fingerprint GitHub code scanning reads.
GITHUB_FINGERPRINT_KEY = "primaryLocationLineHash"

#: GitHub code scanning limits: more results per run are rejected; longer texts are cut.
MAX_RESULTS = 25_000
MAX_RULE_NAME = 255
MAX_DESCRIPTION = 1_024

#: ``locate(origin) -> (uri, line)``: where a check result points; None falls back to the default
#: (source file and line when known, else the input file, line 1).
Locate = Callable[[IacOrigin], tuple[str, int] | None]

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


def line_hash(rule_id: str, identity: str) -> str:
    """``primaryLocationLineHash``: stable per rule and resource, shaped like GitHub's own
    (``<hex>:<occurrence>``), independent of the text on the line the result points at."""
    return f"{fingerprint(rule_id, identity)[:16]}:1"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
        "name": rule_name(title, rule_id)[:MAX_RULE_NAME],  # letters and digits only, so no "…"
        "shortDescription": {"text": _clip(title, MAX_DESCRIPTION)},
        "fullDescription": {"text": _clip(_text(description, title), MAX_DESCRIPTION)},
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


class _Where:
    """Where results point: the inventory file for scans, the IaC origin for checks."""

    def __init__(self, report: Report, artifact_uri: str, locate: Locate | None) -> None:
        self.origins = report.origins
        self.artifact_uri = artifact_uri
        self.locate = locate
        # An address planned in two inputs (two stacks) is told apart by its input file.
        self.shared = {a for a, n in Counter(o.address for o in self.origins.values()).items() if n > 1}

    def identity(self, finding: Finding) -> str:
        origin = self.origins.get(finding.resource_uid)
        if origin is None:
            return finding.resource_uid
        if origin.address in self.shared:
            return f"{origin.input_file}\x00{origin.address}"
        return origin.address

    def location(self, finding: Finding) -> dict[str, Any]:
        origin = self.origins.get(finding.resource_uid)
        if origin is None:
            return {
                "physicalLocation": {"artifactLocation": {"uri": self.artifact_uri}, "region": {"startLine": 1}},
                "logicalLocations": [
                    {"name": finding.resource_uid, "kind": "resource", "fullyQualifiedName": finding.resource_uid}
                ],
            }
        path, line = (self.locate(origin) if self.locate else None) or default_location(origin)
        return {
            "physicalLocation": {"artifactLocation": {"uri": path_uri(path)}, "region": {"startLine": max(line, 1)}},
            "logicalLocations": [
                {"name": iac_name(origin.address), "kind": "resource", "fullyQualifiedName": origin.address}
            ],
        }


def default_location(origin: IacOrigin) -> tuple[str, int]:
    """The declaring source line when the input says it, else the input file's first line."""
    if origin.source_file and origin.source_file.strip():
        return origin.source_file, origin.source_line or 1
    return origin.input_file, 1


_WINDOWS_ABSOLUTE = re.compile(r"^[A-Za-z]:/")


def path_uri(path: str) -> str:
    """A file path from an IaC origin as a SARIF URI reference.

    Relative paths stay relative (GitHub resolves them from the repository root), without a
    leading ``./``; absolute paths become ``file://`` URIs; everything else is percent-encoded.
    """
    value = path.strip().replace("\\", "/")
    if _WINDOWS_ABSOLUTE.match(value):
        value = "file:///" + value
    elif value.startswith("/"):
        value = "file://" + value
    else:
        while value.startswith("./"):
            value = value[2:].lstrip("/")
    return quote(value or DEFAULT_ARTIFACT_URI, safe="/:@!$&'()*+,;=~-._")


def _result(finding: Finding, rule_index: int, where: _Where) -> dict[str, Any]:
    dumped = finding.model_dump(mode="json")  # evidence made JSON-safe (dates, non-finite → null)
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": LEVEL[finding.severity],
        "message": {"text": _text(finding.message, finding.title, finding.rule_id)},
        "locations": [where.location(finding)],
        "partialFingerprints": {
            FINGERPRINT_KEY: fingerprint(finding.rule_id, finding.resource_uid),
            GITHUB_FINGERPRINT_KEY: line_hash(finding.rule_id, where.identity(finding)),
        },
        "properties": {
            "severity": finding.severity.value,
            "category": finding.category.value,
            "resource_uid": finding.resource_uid,
            "evidence": dumped["evidence"],
            "estimated_monthly_savings_usd": finite_or_zero(finding.estimated_monthly_savings_usd),
            "recommendation": finding.recommendation,
        },
    }
    origin = where.origins.get(finding.resource_uid)
    if origin is not None:
        result["properties"]["iac"] = origin.model_dump(mode="json", exclude_none=True)
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


def _invocation(report: Report, omitted: int) -> dict[str, Any]:
    invocation: dict[str, Any] = {"executionSuccessful": not report.gaps}
    notifications: list[dict[str, Any]] = [
        {
            "level": "error",
            "message": {"text": f"Scan incomplete: {gap_phrase(gap)}"},
            "descriptor": {"id": "coverage-gap"},
            "properties": gap.model_dump(mode="json", exclude_none=True),
        }
        for gap in report.gaps
    ]
    if omitted:
        notifications.append(
            {
                "level": "warning",
                "message": {
                    "text": f"{omitted} least severe results left out: GitHub code scanning accepts at most "
                    f"{MAX_RESULTS:,} results per run; use --format json for the full report"
                },
                "descriptor": {"id": "results-truncated"},
            }
        )
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    return invocation


def _uri(artifact_uri: str) -> str:
    # A path as the user typed it ("reports/my inventory.json", "C:\\x") → a URI reference.
    value = artifact_uri.strip().replace("\\", "/") or DEFAULT_ARTIFACT_URI
    return quote(value, safe="/:@!$&'()*+,;=~-._%")


def sarif_log(
    report: Report,
    *,
    artifact_uri: str = DEFAULT_ARTIFACT_URI,
    locate: Locate | None = None,
    category: str | None = None,
    max_results: int = MAX_RESULTS,
) -> dict[str, Any]:
    """The SARIF log as a dict (for callers that post-process it); ``render_sarif`` dumps it.

    ``artifact_uri``: where results without an IaC origin point (the audited inventory).
    ``locate``: where results with one point (see the module docstring). ``category``: the
    code scanning category (``runAutomationDetails.id``), for uploads without ``upload-sarif``'s
    own ``category`` input. ``max_results``: GitHub's per-run limit; the most severe are kept.
    """
    findings = sort_findings(report.findings)
    rules, index = _rules(report, findings)
    kept = findings[: max(max_results, 0)]
    where = _Where(report, _uri(artifact_uri), locate)
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": TOOL_NAME,
                "version": report.tool_version,
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }
        },
        "invocations": [_invocation(report, len(findings) - len(kept))],
        "results": [_result(f, index[f.rule_id], where) for f in kept],
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
    if len(kept) < len(findings):
        run["properties"]["results_omitted"] = len(findings) - len(kept)
    if report.cost_change is not None:
        change = report.cost_change
        run["properties"]["cost_change"] = {
            "monthly_before_usd": finite_or_zero(change.monthly_before_usd),
            "monthly_after_usd": finite_or_zero(change.monthly_after_usd),
            "delta_usd": finite_or_zero(change.delta_usd),
            "planned_resources": len(change.lines),
            "unpriced": change.unpriced,
        }
    if category is not None and category.strip():
        category = category.strip()
        run["automationDetails"] = {"id": category if category.endswith("/") else category + "/"}
    return {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


def render_sarif(
    report: Report,
    *,
    artifact_uri: str = DEFAULT_ARTIFACT_URI,
    locate: Locate | None = None,
    category: str | None = None,
    max_results: int = MAX_RESULTS,
) -> str:
    log = sarif_log(report, artifact_uri=artifact_uri, locate=locate, category=category, max_results=max_results)
    return json.dumps(log, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
