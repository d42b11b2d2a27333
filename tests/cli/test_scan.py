from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from infraaudit.audit.models import Inventory, Report
from infraaudit_testing import EXAMPLES, REPO, gpu_resource

SARIF_SCHEMA = REPO / "tests" / "fixtures" / "sarif" / "sarif-schema-2.1.0.json"


def write_inventory(tmp_path: Path, inventory: Inventory) -> Path:
    path = tmp_path / "inventory.json"
    path.write_text(inventory.model_dump_json())
    return path


def test_example_scan_reports_every_rule(run_cli, policy_ids: set[str]) -> None:
    result = run_cli("scan", "--inventory", str(EXAMPLES / "inventory.json"), "--format", "json")
    assert result.code == 0, result.err
    report = Report.model_validate_json(result.out)
    assert {f.rule_id for f in report.findings} >= policy_ids
    assert report.totals.estimated_monthly_savings_usd > 0
    assert report.inventory.monthly_cost_usd > 0


def test_well_run_resource_is_clean(run_cli, tmp_path: Path) -> None:
    clean = gpu_resource(
        market="spot",
        utilization={
            "gpu_percent": {"avg": 80, "p95": 95, "max": 100, "samples": 336, "coverage": 1, "window_days": 14},
            "gpu_memory_used_gib": {
                "avg": 250,
                "p95": 300,
                "max": 310,
                "samples": 336,
                "coverage": 1,
                "window_days": 14,
            },
        },
    )
    result = run_cli(
        "scan",
        "--inventory",
        str(write_inventory(tmp_path, Inventory(resources=[clean]))),
        "--format",
        "json",
        "--fail-on",
        "info",
    )
    assert result.code == 0, result.err
    assert Report.model_validate_json(result.out).findings == []


def test_fail_on_threshold(run_cli) -> None:
    inventory = str(EXAMPLES / "inventory.json")
    assert run_cli("scan", "--inventory", inventory, "--fail-on", "critical", "--format", "json").code == 1
    assert run_cli("scan", "--inventory", inventory, "--fail-on", "none", "--format", "json").code == 0


def test_waivers_suppress_and_stop_failing_the_gate(run_cli, tmp_path: Path) -> None:
    resource = gpu_resource(security={"public_ip": True, "imdsv2_required": True, "boot_disk_encrypted": True})
    inventory = write_inventory(tmp_path, Inventory(resources=[resource]))
    config = tmp_path / "infraaudit.yaml"
    config.write_text(
        "waivers:\n  - rule: IA-SEC-001\n    resource: 'aws:111122223333:*'\n"
        "    reason: bastion\n    expires: 2099-01-01\n"
    )
    result = run_cli("scan", "--inventory", str(inventory), "--fail-on", "high", "--format", "json")
    report = Report.model_validate_json(result.out)
    [public] = [f for f in report.findings if f.rule_id == "IA-SEC-001"]
    assert public.suppression is not None and public.suppression.reason == "bastion"
    assert result.code == 0
    config.write_text(config.read_text().replace("2099-01-01", "2020-01-01"))
    expired = run_cli("scan", "--inventory", str(inventory), "--fail-on", "high", "--format", "json")
    assert expired.code == 1
    assert "expired on 2020-01-01" in expired.err


def test_coverage_gaps_exit_5_unless_allowed(run_cli, tmp_path: Path) -> None:
    gap = {
        "provider": "aws",
        "account": "111122223333",
        "region": "eu-west-1",
        "api": "ec2:DescribeInstances",
        "error_code": "AccessDenied",
    }
    inventory = Inventory.model_validate({"resources": [gpu_resource().model_dump()], "gaps": [gap]})
    path = str(write_inventory(tmp_path, inventory))
    result = run_cli("scan", "--inventory", path, "--format", "json")
    assert result.code == 5
    assert Report.model_validate_json(result.out).gaps[0].error_code == "AccessDenied"
    assert "scan incomplete" in result.err
    assert run_cli("scan", "--inventory", path, "--format", "json", "--allow-partial").code == 0


@pytest.mark.parametrize("fmt", ["table", "json", "sarif", "markdown", "csv"])
def test_every_format_renders_the_example(run_cli, fmt: str, tmp_path: Path) -> None:
    output = tmp_path / f"report.{fmt}"
    result = run_cli("scan", "--inventory", str(EXAMPLES / "inventory.json"), "--format", fmt, "--output", str(output))
    assert result.code == 0, result.err
    text = output.read_text()
    assert "IA-GPU-001" in text
    if fmt == "sarif":
        jsonschema.validate(json.loads(text), json.loads(SARIF_SCHEMA.read_text()))


@pytest.mark.parametrize(
    ("content", "code", "message"),
    [
        (b"{not json", 3, "invalid JSON"),
        (b"", 3, "is empty"),
        (b"\xff\xfe\x00", 3, "not UTF-8"),
        (b'{"resources": [{"uid": "x"}]}', 3, "resources.0."),
        (b'{"resources": [], "extra": 1}', 3, "extra: unknown key"),
        (b"[]", 3, "Input should be an object"),
    ],
)
def test_bad_inventory_is_one_line_and_exit_3(run_cli, tmp_path: Path, content: bytes, code: int, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    result = run_cli("scan", "--inventory", str(path))
    assert result.code == code
    assert result.out == ""
    assert result.err.count("\n") == 1 and result.err.startswith("error: ")
    assert message in result.err


def test_missing_inventory_file(run_cli) -> None:
    result = run_cli("scan", "--inventory", "nowhere.json")
    assert (result.code, result.err.strip()) == (3, "error: inventory file nowhere.json does not exist")


def test_unknown_waiver_rule_is_a_config_error(run_cli, tmp_path: Path) -> None:
    (tmp_path / "infraaudit.yaml").write_text("waivers:\n  - rule: IA-NOPE-001\n    resource: '*'\n    reason: x\n")
    result = run_cli("scan", "--inventory", str(EXAMPLES / "inventory.json"))
    assert result.code == 3
    assert "waivers.0.rule: unknown rule id 'IA-NOPE-001'" in result.err


def test_custom_policy_syntax_error_exits_4(run_cli, tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "bad.rego").write_text("package infraaudit.acme.bad\n\ndeny contains x if {\n")
    result = run_cli("scan", "--inventory", str(EXAMPLES / "inventory.json"), "--policy-dir", str(folder))
    assert result.code == 4
    assert "bad.rego:" in result.err and "rego_parse_error" in result.err
    assert result.err.count("\n") == 1


@pytest.mark.parametrize(
    "args",
    [
        ["scan"],
        ["scan", "--inventory", "x", "--format", "xml"],
        ["scan", "--inventory", "x", "--fail-on", "urgent"],
        ["nope"],
    ],
)
def test_usage_errors_exit_2(run_cli, args: list[str]) -> None:
    assert run_cli(*args).code == 2


def test_version(run_cli) -> None:
    result = run_cli("--version")
    assert result.code == 0 and "infraaudit" in result.out


def test_debug_shows_the_traceback(run_cli) -> None:
    result = run_cli("--debug", "scan", "--inventory", "nowhere.json")
    assert result.code == 3 and "Traceback" in result.err
