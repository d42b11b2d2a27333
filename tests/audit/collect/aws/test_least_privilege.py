"""A full scan as an IAM user holding only `infraaudit permissions aws`, with moto enforcing IAM."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aws_fleet import Box, MotoServer, bootstrap_admin, restricted_user, seed_fleet

from infraaudit.audit.catalog import Catalog
from infraaudit.audit.collect.aws.calls import iam_policy
from infraaudit.audit.collect.aws.collector import UNKNOWN_UTILIZATION, collect_aws
from infraaudit.audit.collect.aws.targets import AwsTargetSpec

FLEET = (Box("idle", "g5.xlarge", telemetry="idle"), Box("busy", "g5.xlarge", spot=True))


def _moto_policy(policy: dict[str, Any], without: str | None = None) -> dict[str, Any]:
    """The policy under test, minus `without`. moto authorises CloudWatch under its signing name
    (monitoring:*) where AWS uses cloudwatch:*, so each cloudwatch action is also granted under
    that alias: the same operations, spelled as moto checks them."""
    actions = [a for a in policy["Statement"][0]["Action"] if a != without]
    aliases = [a.replace("cloudwatch:", "monitoring:") for a in actions if a.startswith("cloudwatch:")]
    return {**policy, "Statement": [{**policy["Statement"][0], "Action": actions + aliases}]}


@pytest.fixture(scope="module")
def enforcing() -> Iterator[tuple[str, dict[str, str], datetime]]:
    """moto with IAM enforced after 3 calls: those create the admin that seeds the fleet."""
    now = datetime.now(UTC)
    with MotoServer(env={"INITIAL_NO_AUTH_ACTION_COUNT": "3"}) as server:
        admin = bootstrap_admin(server.url)
        seed_fleet(server.url, FLEET, now, members=(), base=admin)
        yield server.url, admin, now


def _scan_as(url: str, user: dict[str, str], now: datetime, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", user["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", user["aws_secret_access_key"])
    spec = AwsTargetSpec(regions=("us-east-1",), endpoint_url=url)
    return collect_aws(spec, Catalog.load(), now=now)


def test_full_scan_with_only_the_declared_policy(enforcing, aws_env, monkeypatch) -> None:
    url, admin, now = enforcing
    user = restricted_user(url, _moto_policy(iam_policy()), "auditor", admin)
    result = _scan_as(url, user, now, monkeypatch)
    assert result.inventory.gaps == []
    assert len(result.inventory.resources) == 2
    assert all(r.utilization and r.utilization.gpu_percent for r in result.inventory.resources)
    assert all(r.security.boot_disk_encrypted is True for r in result.inventory.resources)


def test_a_missing_permission_is_a_gap_not_a_crash(enforcing, aws_env, monkeypatch) -> None:
    url, admin, now = enforcing
    user = restricted_user(url, _moto_policy(iam_policy(), without="ec2:DescribeVolumes"), "no-volumes", admin)
    result = _scan_as(url, user, now, monkeypatch)
    [gap] = result.inventory.gaps
    assert (gap.api, gap.error_code, gap.region) == ("ec2:DescribeVolumes", "AccessDenied", "us-east-1")
    assert len(result.inventory.resources) == 2  # the instances are still reported
    assert all(r.security.boot_disk_encrypted is None for r in result.inventory.resources)  # unknown, not false


def test_unreadable_telemetry_is_marked_unknown(enforcing, aws_env, monkeypatch) -> None:
    url, admin, now = enforcing
    user = restricted_user(url, _moto_policy(iam_policy(), without="cloudwatch:ListMetrics"), "no-metrics", admin)
    result = _scan_as(url, user, now, monkeypatch)
    [gap] = result.inventory.gaps
    assert gap.api == "cloudwatch:ListMetrics"
    assert all(r.utilization is None and r.unknown == [UNKNOWN_UTILIZATION] for r in result.inventory.resources)


def test_no_instance_listing_means_no_resources_and_a_gap(enforcing, aws_env, monkeypatch) -> None:
    url, admin, now = enforcing
    user = restricted_user(url, _moto_policy(iam_policy(), without="ec2:DescribeInstances"), "blind", admin)
    result = _scan_as(url, user, now, monkeypatch)
    assert result.inventory.resources == []
    assert [(g.api, g.error_code) for g in result.inventory.gaps] == [("ec2:DescribeInstances", "AccessDenied")]
