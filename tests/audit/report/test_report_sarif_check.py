"""SARIF for `infraaudit check`: results located in the IaC source, GitHub's limits applied."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from infraaudit.audit.models import ChangeOp, Finding, IacOrigin, Report, Severity
from infraaudit.audit.report import OutputFormat, plan_locator, render, render_sarif
from infraaudit.audit.report.sarif import (
    FINGERPRINT_KEY,
    MAX_DESCRIPTION,
    MAX_RESULTS,
    MAX_RULE_NAME,
    default_location,
    fingerprint,
    line_hash,
    path_uri,
)

# The resources of conftest.make_check_report.
TRAINER = "aws:123456789012:us-east-1:ec2/instance/trainer"
INFERENCE = "aws:123456789012:us-east-1:aws_instance/inference-0"
NOTEBOOK = "gcp:ml-prod:europe-west4:compute/instance/notebook"
TRAINER_URN = "urn:pulumi:dev::ml::aws:ec2/instance:Instance::trainer"


def _log(report: Report, **kw: Any) -> dict[str, Any]:
    return json.loads(render_sarif(report, **kw))


def _by_rule(log: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["ruleId"]: r for r in log["runs"][0]["results"]}


def _location(result: dict[str, Any]) -> tuple[str, int]:
    physical = result["locations"][0]["physicalLocation"]
    return physical["artifactLocation"]["uri"], physical["region"]["startLine"]


def test_check_report_is_schema_valid_and_fits_github(
    check_report: Report, sarif_validator: Any, github_sarif_check: Any
) -> None:
    for kw in ({}, {"category": "infraaudit-check"}, {"locate": plan_locator({})}):
        log = _log(check_report, **kw)
        errors = sorted(sarif_validator.iter_errors(log), key=str)
        assert not errors, errors[0]
        github_sarif_check(log)


def test_source_file_and_line_when_known(check_report: Report) -> None:
    result = _by_rule(_log(check_report))["IA-SEC-001"]
    assert result["locations"] == [
        {
            "physicalLocation": {"artifactLocation": {"uri": "infra/__main__.py"}, "region": {"startLine": 42}},
            "logicalLocations": [{"name": "trainer", "kind": "resource", "fullyQualifiedName": TRAINER_URN}],
        }
    ]
    assert result["properties"]["iac"] == {
        "input_file": "infra/preview.json",
        "address": TRAINER_URN,
        "type": "aws:ec2/instance:Instance",
        "op": "create",
        "source_file": "infra/__main__.py",
        "source_line": 42,
    }
    assert result["properties"]["resource_uid"] == TRAINER


def test_input_file_line_1_without_source(check_report: Report) -> None:
    results = _by_rule(_log(check_report))
    assert _location(results["IA-RES-001"]) == ("plans/serving.json", 1)
    assert _location(results["IA-GPU-004"]) == ("plans/serving.json", 1)
    logical = results["IA-GPU-004"]["locations"][0]["logicalLocations"][0]
    assert logical == {
        "name": "module.serving.aws_instance.inference[0]",
        "kind": "resource",
        "fullyQualifiedName": "module.serving.aws_instance.inference[0]",
    }


def test_locate_overrides_and_none_falls_back(check_report: Report) -> None:
    calls: list[str] = []

    def locate(origin: IacOrigin) -> tuple[str, int] | None:
        calls.append(origin.address)
        if origin.address.startswith("module."):
            return "./plans/serving.pretty.json", 17
        return None

    results = _by_rule(_log(check_report, locate=locate))
    assert _location(results["IA-GPU-004"]) == ("plans/serving.pretty.json", 17)
    assert _location(results["IA-SEC-001"]) == ("infra/__main__.py", 42)  # None: the default
    assert _location(results["IA-RES-001"]) == ("plans/serving.json", 1)
    assert len(calls) == len(check_report.findings)


def test_locate_with_the_documents(check_report: Report) -> None:
    preview = json.dumps(
        {"steps": [{"op": "create", "urn": "urn:pulumi:dev::ml::pulumi:pulumi:Stack::ml-dev"}, {"urn": TRAINER_URN}]},
        indent=4,
    )
    terraform = json.dumps(
        {"resource_changes": [{"address": "google_compute_instance.notebook"}]}
    )  # one line, as `terraform show -json` writes it
    locate = plan_locator(
        {"infra/preview.json": preview, "plans/serving.json": terraform},
        relative=lambda path: f"repo-root/{path}",
    )
    results = _by_rule(_log(check_report, locate=locate))
    assert _location(results["IA-SEC-001"]) == ("repo-root/infra/__main__.py", 42)  # source wins
    assert _location(results["IA-RES-001"]) == ("repo-root/plans/serving.json", 1)
    assert _location(results["IA-GPU-004"]) == ("repo-root/plans/serving.json", 1)  # address not in the text


def test_locate_finds_the_address_line_of_a_preview(check_report_factory: Any) -> None:
    origin = IacOrigin(
        input_file="preview.json", address=TRAINER_URN, type="aws:ec2/instance:Instance", op=ChangeOp.CREATE
    )
    report = check_report_factory(origins={TRAINER: origin})
    preview = json.dumps(
        {"config": {}, "steps": [{"op": "same", "urn": "urn:x"}, {"op": "create", "urn": TRAINER_URN}]}, indent=2
    )
    expected = next(i for i, line in enumerate(preview.splitlines(), 1) if TRAINER_URN in line)
    assert expected > 1
    result = _by_rule(_log(report, locate=plan_locator({"preview.json": preview})))["IA-SEC-001"]
    assert _location(result) == ("preview.json", expected)


def test_source_roots_join_program_relative_paths(check_report: Report) -> None:
    locate = plan_locator({}, source_roots={"infra/preview.json": "stacks\\ml"})
    assert _location(_by_rule(_log(check_report, locate=locate))["IA-SEC-001"]) == (
        "stacks/ml/infra/__main__.py",
        42,
    )


@pytest.mark.parametrize(
    ("path", "uri"),
    [
        ("plans/serving.json", "plans/serving.json"),
        ("./plans/serving.json", "plans/serving.json"),
        ("././plans//x.json", "plans//x.json"),
        ("infra\\stacks\\__main__.py", "infra/stacks/__main__.py"),
        ("my plans/100%.json", "my%20plans/100%25.json"),
        ("a#b?.json", "a%23b%3F.json"),
        ("/home/runner/work/repo/repo/plan.json", "file:///home/runner/work/repo/repo/plan.json"),
        ("C:\\work\\plan.json", "file:///C:/work/plan.json"),
        ("  ", "infraaudit-inventory.json"),
    ],
)
def test_path_uri(path: str, uri: str) -> None:
    assert path_uri(path) == uri


def test_default_location() -> None:
    base = IacOrigin(input_file="p.json", address="a.b", type="t", op=ChangeOp.UPDATE)
    assert default_location(base) == ("p.json", 1)
    assert default_location(base.model_copy(update={"source_file": "main.tf", "source_line": 9})) == ("main.tf", 9)
    assert default_location(base.model_copy(update={"source_file": "main.tf"})) == ("main.tf", 1)
    assert default_location(base.model_copy(update={"source_file": " "})) == ("p.json", 1)


def test_fingerprints_follow_the_iac_address(check_report: Report, check_report_factory: Any) -> None:
    results = _log(check_report)["runs"][0]["results"]
    for result in results:
        uid = result["properties"]["resource_uid"]
        address = check_report.origins[uid].address
        assert result["partialFingerprints"] == {
            FINGERPRINT_KEY: fingerprint(result["ruleId"], uid),
            "primaryLocationLineHash": line_hash(result["ruleId"], address),
        }
    # The same resource planned in another account or region keeps its alert.
    moved = {uid.replace("123456789012", "999999999999"): o for uid, o in check_report.origins.items()}
    findings = [
        f.model_copy(update={"resource_uid": f.resource_uid.replace("123456789012", "999999999999")})
        for f in check_report.findings
    ]
    again = _log(check_report_factory(findings, origins=moved))["runs"][0]["results"]
    hashes = lambda rs: sorted(r["partialFingerprints"]["primaryLocationLineHash"] for r in rs)  # noqa: E731
    assert hashes(again) == hashes(results)


def test_results_on_one_line_keep_distinct_fingerprints(check_report_factory: Any) -> None:
    """Four instances from one loop (one source line) and a one-line Terraform plan: one alert each."""
    origins, findings = {}, []
    for i in range(4):
        uid = f"aws:1:r:aws_instance/w{i}"
        origins[uid] = IacOrigin(
            input_file="plan.json", address=f"aws_instance.w[{i}]", type="aws_instance", op=ChangeOp.CREATE
        )
        findings.append(
            Finding(
                rule_id="IA-SEC-001",
                title="t",
                severity=Severity.HIGH,
                category="security",
                resource_uid=uid,
                message="m",
            )
        )
    results = _log(check_report_factory(findings, origins=origins))["runs"][0]["results"]
    assert {_location(r) for r in results} == {("plan.json", 1)}
    assert len({r["partialFingerprints"]["primaryLocationLineHash"] for r in results}) == 4


def test_an_address_in_two_inputs_is_told_apart(check_report_factory: Any) -> None:
    origins = {
        f"aws:1:r:aws_instance/a{suffix}": IacOrigin(
            input_file=f"{stack}.json", address="aws_instance.a", type="aws_instance", op=ChangeOp.CREATE
        )
        for suffix, stack in (("", "prod"), ("#2", "staging"))
    }
    findings = [
        Finding(
            rule_id="IA-SEC-001", title="t", severity=Severity.HIGH, category="security", resource_uid=u, message="m"
        )
        for u in origins
    ]
    results = _log(check_report_factory(findings, origins=origins))["runs"][0]["results"]
    prints = Counter(r["partialFingerprints"]["primaryLocationLineHash"] for r in results)
    assert len(prints) == 2
    assert line_hash("IA-SEC-001", "prod.json\x00aws_instance.a") in prints


def test_cost_change_in_run_properties(check_report: Report, full_report: Report) -> None:
    props = _log(check_report)["runs"][0]["properties"]
    assert props["cost_change"] == {
        "monthly_before_usd": 13_054.69,
        "monthly_after_usd": 148_339.19,
        "delta_usd": pytest.approx(135_284.50),
        "planned_resources": 6,
        "unpriced": 1,
    }
    assert "cost_change" not in _log(full_report)["runs"][0]["properties"]


def test_category_sets_automation_details(check_report: Report) -> None:
    assert _log(check_report, category="infraaudit/check")["runs"][0]["automationDetails"] == {
        "id": "infraaudit/check/"
    }
    assert _log(check_report, category="pr/")["runs"][0]["automationDetails"] == {"id": "pr/"}
    for empty in (None, "", "  "):
        assert "automationDetails" not in _log(check_report, category=empty)["runs"][0]
    out = render(check_report, OutputFormat.SARIF, sarif_category="x")
    assert json.loads(out)["runs"][0]["automationDetails"] == {"id": "x/"}


def test_results_are_capped_at_githubs_limit_keeping_the_most_severe(
    check_report_factory: Any, sarif_validator: Any, github_sarif_check: Any
) -> None:
    assert MAX_RESULTS == 25_000
    severities = list(Severity)
    findings = [
        Finding(
            rule_id="IA-GPU-004",
            title="t",
            severity=severities[i % 5],
            category="cost",
            resource_uid=f"u{i}",
            message="m",
        )
        for i in range(30)
    ]
    log = _log(check_report_factory(findings, origins={}), max_results=10)
    sarif_validator.validate(log)
    github_sarif_check(log)
    run = log["runs"][0]
    assert [r["properties"]["severity"] for r in run["results"]] == ["critical"] * 6 + ["high"] * 4
    assert run["properties"]["results_omitted"] == 20
    note = run["invocations"][0]["toolExecutionNotifications"][-1]
    assert note["level"] == "warning" and note["descriptor"] == {"id": "results-truncated"}
    assert note["message"]["text"].startswith("20 least severe results left out")
    assert run["invocations"][0]["executionSuccessful"] is True


def test_long_rule_texts_are_clipped(check_report_factory: Any, sarif_validator: Any, github_sarif_check: Any) -> None:
    long = Finding(
        rule_id="ACME-X-1",
        title="word " * 400,
        severity=Severity.LOW,
        category="governance",
        resource_uid=INFERENCE,
        message="m",
    )
    log = _log(check_report_factory([long], policies=[]))
    github_sarif_check(log)
    sarif_validator.validate(log)
    rule = log["runs"][0]["tool"]["driver"]["rules"][0]
    assert len(rule["name"]) == MAX_RULE_NAME and rule["name"].isalnum()
    assert len(rule["shortDescription"]["text"]) == MAX_DESCRIPTION
    assert len(rule["fullDescription"]["text"]) == MAX_DESCRIPTION


def test_scan_reports_keep_their_locations(full_report: Report) -> None:
    """No origins: the inventory file, line 1, the resource uid as the logical location."""
    for result in _log(full_report, artifact_uri="inv.json")["runs"][0]["results"]:
        uid = result["properties"]["resource_uid"]
        assert result["locations"] == [
            {
                "physicalLocation": {"artifactLocation": {"uri": "inv.json"}, "region": {"startLine": 1}},
                "logicalLocations": [{"name": uid, "kind": "resource", "fullyQualifiedName": uid}],
            }
        ]
        assert "iac" not in result["properties"]
        assert result["partialFingerprints"]["primaryLocationLineHash"] == line_hash(result["ruleId"], uid)


def test_a_finding_without_origin_in_a_check_report(check_report_factory: Any, check_report: Report) -> None:
    origins = {uid: o for uid, o in check_report.origins.items() if uid != NOTEBOOK}
    results = _by_rule(_log(check_report_factory(origins=origins), artifact_uri="plans/serving.json"))
    assert _location(results["IA-RES-001"]) == ("plans/serving.json", 1)
    assert results["IA-RES-001"]["locations"][0]["logicalLocations"][0]["name"] == NOTEBOOK
