"""`infraaudit scan --aws` end to end: a real moto_server, real OPA, the real entry point."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aws_fleet import (
    DEMO_KEY,
    ORG_ROLE,
    STANDARD_FINDINGS,
    STANDARD_REGIONS,
    Box,
    MotoServer,
    aws_test_environment,
    bootstrap_admin,
    restricted_user,
    seed_fleet,
)

from infraaudit.audit.collect.aws.calls import iam_policy

REGIONS = ",".join(STANDARD_REGIONS)


@pytest.fixture(scope="module")
def scanned(standard_aws, tmp_path_factory) -> Iterator[tuple[int, dict, str, Path]]:  # type: ignore[no-untyped-def]
    """One CLI scan of the standard fleet, shared by the assertions below."""
    from infraaudit_cli_runner import run_main

    home = tmp_path_factory.mktemp("scan-aws")
    saved = home / "inventory.json"
    with pytest.MonkeyPatch.context() as mp:
        aws_test_environment(mp, home)
        mp.chdir(home)
        args = ["scan", "--aws", "--org-role", ORG_ROLE, "--regions", REGIONS, "--endpoint-url", standard_aws.url]
        code, out, err = run_main([*args, "--format", "json", "--save-inventory", str(saved)])
    yield code, json.loads(out), err, saved


def test_exact_findings_per_rule(scanned, standard_aws) -> None:
    code, report, err, _ = scanned
    names = {uid: name for name, uid in standard_aws.fleet.uids.items()}
    found: dict[str, set[str]] = defaultdict(set)
    for finding in report["findings"]:
        found[finding["rule_id"]].add(names[finding["resource_uid"]])
    assert dict(found) == STANDARD_FINDINGS
    assert code == 0
    assert "aws: 2 account(s), 2 region(s), 12 GPU instance(s)" in err


def test_report_and_inventory_never_carry_credentials(scanned) -> None:
    _, report, err, saved = scanned
    secret = DEMO_KEY["aws_secret_access_key"]
    assert secret not in json.dumps(report) and secret not in err and secret not in saved.read_text()
    assert DEMO_KEY["aws_access_key_id"] not in saved.read_text()


def test_saved_inventory_re_audits_to_the_same_findings(scanned, run_cli) -> None:
    _, report, _, saved = scanned
    again = run_cli("scan", "--inventory", str(saved), "--format", "json")
    assert again.code == 0
    key = lambda f: (f["rule_id"], f["resource_uid"])  # noqa: E731
    assert sorted(map(key, json.loads(again.out)["findings"])) == sorted(map(key, report["findings"]))


def test_fail_on_gates_live_findings(standard_aws, run_cli, aws_env) -> None:
    result = run_cli(
        "scan", "--aws", "--regions", "us-east-1", "--endpoint-url", standard_aws.url, "--fail-on", "high",
        "--format", "json",
    )  # fmt: skip
    assert result.code == 1
    assert {f["rule_id"] for f in json.loads(result.out)["findings"]} >= {"IA-GPU-001", "IA-SEC-001"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["scan"], "give exactly one source"),
        (["scan", "--project", "p"], "need --gcp"),
        (["scan", "--gcp"], "needs --project, --organization or --folder"),
        (["scan", "--aws", "--inventory", "x.json"], "give exactly one source"),
        (["scan", "--profile", "prod"], "need --aws"),
        (["scan", "--aws", "--role-arn", "arn:aws:iam::12:role/x"], "is not an IAM role ARN"),
        (["scan", "--aws", "--role-arn", "arn:aws:iam::123456789012:role/a", "--org-role", "b"], "cannot be combined"),
    ],
)
def test_usage_errors(run_cli, args: list[str], message: str) -> None:
    result = run_cli(*args)
    assert result.code == 2
    assert message in result.err
    assert "Traceback" not in result.err


def test_no_credentials_is_one_line_exit_3(run_cli, aws_env, monkeypatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    result = run_cli("scan", "--aws", "--regions", "us-east-1", "--endpoint-url", "http://127.0.0.1:9")
    assert result.code == 3
    assert result.err.strip().splitlines() == [
        "error: no AWS credentials found for default credentials (set AWS_PROFILE or use --profile, environment "
        "variables, SSO or an instance role)"
    ]


def test_unknown_profile_is_exit_3(run_cli, aws_env) -> None:
    result = run_cli("scan", "--aws", "--profile", "nope", "--regions", "us-east-1")
    assert result.code == 3
    assert "AWS profile 'nope' not found" in result.err


def test_profiles_from_the_config_files(standard_aws, run_cli, aws_env) -> None:
    """--profile reads the shared files; two profiles of one account are scanned once."""
    key, secret = DEMO_KEY["aws_access_key_id"], DEMO_KEY["aws_secret_access_key"]
    (aws_env / "aws-credentials").write_text(
        "".join(f"[{p}]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n" for p in ("a", "b"))
    )
    result = run_cli(
        "scan", "--aws", "--profile", "a", "--profile", "b", "--regions", "eu-west-1",
        "--endpoint-url", standard_aws.url, "--format", "json",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert "aws: 1 account(s), 1 region(s), 0 GPU instance(s)" in result.err


@pytest.fixture(scope="module")
def partial_access() -> Iterator[tuple[str, dict[str, str]]]:
    """IAM enforced; a user whose policy lacks ec2:DescribeVolumes."""
    with MotoServer(env={"INITIAL_NO_AUTH_ACTION_COUNT": "3"}) as server:
        admin = bootstrap_admin(server.url)
        seed_fleet(server.url, [Box("busy", "g5.xlarge", spot=True)], datetime.now(UTC), members=(), base=admin)
        policy = iam_policy()
        policy["Statement"][0]["Action"] = [a for a in policy["Statement"][0]["Action"] if a != "ec2:DescribeVolumes"]
        policy["Statement"][0]["Action"] += ["monitoring:ListMetrics", "monitoring:GetMetricData"]
        yield server.url, restricted_user(server.url, policy, "partial", admin)


@pytest.mark.parametrize(("extra", "code"), [([], 5), (["--allow-partial"], 0)])
def test_coverage_gap_exits_5_unless_allowed(partial_access, run_cli, aws_env, monkeypatch, extra, code) -> None:
    url, user = partial_access
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", user["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", user["aws_secret_access_key"])
    result = run_cli("scan", "--aws", "--regions", "us-east-1", "--endpoint-url", url, "--format", "json", *extra)
    assert result.code == code, result.err
    [gap] = json.loads(result.out)["gaps"]
    assert (gap["api"], gap["error_code"]) == ("ec2:DescribeVolumes", "AccessDenied")
    assert "scan incomplete: 1 coverage gap(s)" in result.err
    assert user["aws_secret_access_key"] not in result.out + result.err


def test_permissions_aws_prints_the_policy(run_cli) -> None:
    result = run_cli("permissions", "aws")
    assert result.code == 0
    assert json.loads(result.out) == iam_policy()
    table = run_cli("permissions", "aws", "--format", "table")
    assert "cloudwatch:GetMetricData" in table.out and "batched" in table.out
