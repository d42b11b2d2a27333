"""`infraaudit scan --gcp` end to end: local Compute REST and Monitoring gRPC servers speaking the
real wire formats, the real Google client libraries, real OPA, the real entry point."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from gcp_servers import (
    STANDARD_PROJECT,
    ComputeServer,
    MonitoringServer,
    ResourceManagerServer,
    seed_standard_project,
)

PROJECT = STANDARD_PROJECT


@pytest.fixture(scope="module")
def gcp() -> Iterator[tuple[ComputeServer, MonitoringServer]]:
    with ComputeServer() as compute, MonitoringServer() as monitoring:
        seed_standard_project(compute, monitoring, datetime.now(UTC))
        yield compute, monitoring


def _scan(run_cli, gcp, *extra: str):  # type: ignore[no-untyped-def]
    compute, monitoring = gcp
    return run_cli(
        "scan", "--gcp", "--project", PROJECT, "--gcp-endpoint", f"compute={compute.url}",
        "--gcp-endpoint", f"monitoring={monitoring.target}", "--format", "json", *extra,
    )  # fmt: skip


def test_exact_findings_per_rule(gcp, run_cli) -> None:
    result = _scan(run_cli, gcp)
    assert result.code == 0, result.err
    found: dict[str, set[str]] = defaultdict(set)
    for finding in json.loads(result.out)["findings"]:
        found[finding["rule_id"]].add(finding["resource_uid"].rsplit(":", 1)[1])
    assert dict(found) == {
        "IA-GPU-001": {"idle-l4"},  # 1 % for 14 days
        "IA-GPU-005": {"no-agent"},  # CPU only: no Ops Agent GPU metrics
        "IA-RES-001": {"public-eu"},  # eu-personal data in us-central1
        "IA-SEC-001": {"public-eu"},
    }
    # one VM listing and one ListTimeSeries per metric type (NVML, DCGM, CPU), not per VM
    assert "gcp: 1 project(s), 4 GPU VM(s), 6 API call(s), 0 gap(s)" in result.err


def test_a_disabled_api_is_a_gap_and_exit_5(gcp, run_cli) -> None:
    compute, _ = gcp
    compute.fail(PROJECT, "SERVICE_DISABLED", times=1)
    try:
        result = _scan(run_cli, gcp)
    finally:
        compute.clear_failures()
    assert result.code == 5
    [gap] = json.loads(result.out)["gaps"]
    assert (gap["account"], gap["api"], gap["error_code"]) == (
        PROJECT,
        "compute.instances.aggregatedList",
        "SERVICE_DISABLED",
    )


def test_unreadable_monitoring_is_a_gap_not_missing_agents(gcp, run_cli) -> None:
    _, monitoring = gcp
    monitoring.fail(PROJECT, "PERMISSION_DENIED")
    try:
        result = _scan(run_cli, gcp, "--allow-partial")
    finally:
        monitoring.clear_failures()
    assert result.code == 0
    report = json.loads(result.out)
    assert [g["api"] for g in report["gaps"]] == ["monitoring.timeSeries.list"]
    assert not [f for f in report["findings"] if f["rule_id"] in ("IA-GPU-001", "IA-GPU-005")]


def test_permissions_gcp(run_cli) -> None:
    role = run_cli("permissions", "gcp")
    assert role.code == 0
    assert role.out.count("\n- ") == 5 and "- compute.machineTypes.get\n" in role.out
    listed = run_cli("permissions", "gcp", "--format", "list")
    assert "compute.instances.aggregatedList" in listed.out


def test_scan_an_organization(gcp, run_cli) -> None:
    compute, monitoring = gcp
    with ResourceManagerServer() as manager:
        folder = manager.add_folder("42", "organizations/1234")
        manager.add_project(PROJECT, folder)
        args = (
            "scan", "--gcp", "--organization", "1234", "--format", "json", "--gcp-endpoint", f"compute={compute.url}",
            "--gcp-endpoint", f"monitoring={monitoring.target}", "--gcp-endpoint", f"resourcemanager={manager.url}",
        )  # fmt: skip
        result = run_cli(*args)
        assert result.code == 0, result.err
        assert {f["resource_uid"].split(":")[1] for f in json.loads(result.out)["findings"]} == {PROJECT}
        assert "gcp: 1 project(s), 4 GPU VM(s), 10 API call(s), 0 gap(s)" in result.err  # + 2 folder, 2 project lists
        manager.deny("organizations/1234")
        denied = run_cli(*args)
    assert denied.code == 3 and denied.out == ""
    assert denied.err.strip().splitlines() == [
        "error: cannot list the projects under organizations/1234: IAM_PERMISSION_DENIED: The caller does not have "
        "permission (needs resourcemanager.projects.list and resourcemanager.folders.list there)"
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--gcp", "--organization", "acme.com"), "--organization takes a numeric id"),
        (("--gcp", "--project", "p", "--gcp-endpoint", "compute"), "is not SERVICE=URL"),
        (("--gcp", "--project", "p", "--gcp-endpoint", "storage=http://x"), "is not SERVICE=URL"),
        (
            (
                "--folder",
                "12",
            ),
            "need --gcp",
        ),
    ],
)
def test_bad_gcp_options_exit_2(run_cli, args: tuple[str, ...], message: str) -> None:
    result = run_cli("scan", *args)
    assert result.code == 2 and message in result.err
