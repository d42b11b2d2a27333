from __future__ import annotations

from datetime import UTC, datetime

from infraaudit.audit.models import Finding, Inventory, Suppression
from infraaudit.audit.summary import build_report, order_findings, totals
from infraaudit_testing import gpu_resource


def finding(rule: str, uid: str, saving: float, severity: str = "medium", waived: bool = False) -> Finding:
    return Finding(
        rule_id=rule, title=rule, severity=severity, category="cost", resource_uid=uid, message="m",
        estimated_monthly_savings_usd=saving,
        suppression=Suppression(reason="ok", resource_pattern="*") if waived else None,
    )  # fmt: skip


PRICED = gpu_resource(cost={"hourly_current": 10.0, "hourly_on_demand": 10.0})  # $7,300 a month


def test_savings_are_not_added_twice_on_one_resource() -> None:
    inventory = Inventory(resources=[PRICED])
    result = totals([finding("IA-GPU-001", PRICED.uid, 7300), finding("IA-GPU-004", PRICED.uid, 5000)], inventory)
    assert result.estimated_monthly_savings_usd == 7300


def test_savings_are_capped_at_the_resource_cost() -> None:
    result = totals([finding("IA-GPU-003", PRICED.uid, 9000)], Inventory(resources=[PRICED]))
    assert result.estimated_monthly_savings_usd == 7300


def test_waived_findings_do_not_count() -> None:
    result = totals([finding("IA-GPU-001", PRICED.uid, 7300, waived=True)], Inventory(resources=[PRICED]))
    assert (result.findings, result.suppressed, result.estimated_monthly_savings_usd) == (0, 1, 0)


def test_order_is_severity_then_saving() -> None:
    ordered = order_findings(
        [finding("B", "u1", 5), finding("A", "u2", 50), finding("C", "u3", 1, severity="critical")]
    )
    assert [f.rule_id for f in ordered] == ["C", "A", "B"]


def test_summary_counts_running_cost_and_unpriced() -> None:
    stopped = gpu_resource(uid="aws:111122223333:us-east-1:i-stopped", state="stopped", cost={"hourly_current": 5.0})
    unpriced = gpu_resource(uid="aws:111122223333:us-east-1:i-unknown", instance_type="x9.huge")
    report = build_report(
        Inventory(resources=[PRICED, stopped, unpriced]), [], [], generated_at=datetime(2026, 11, 23, tzinfo=UTC),
        tool_version="t",
    )  # fmt: skip
    assert report.inventory.monthly_cost_usd == 7300
    [unpriced] = report.inventory.unpriced_resources
    assert (unpriced.uid, unpriced.reason) == ("aws:111122223333:us-east-1:i-unknown", "no price")
    assert report.inventory.gpus == 24
