from __future__ import annotations

import pytest

from infraaudit.audit.models import Severity
from infraaudit.audit.report import money
from infraaudit.audit.report.formatting import SEVERITY_ORDER, counts_phrase, severity_counts, sort_findings


@pytest.mark.parametrize(
    ("amount", "cents", "expected"),
    [
        (0, True, "$0.00"),
        (1234.56, True, "$1,234.56"),
        (1234.565, False, "$1,235"),
        (1_000_000, True, "$1,000,000.00"),
        (0.004, True, "$0.00"),
        (-5, True, "-$5.00"),
        (-0.001, True, "$0.00"),
        (float("inf"), True, "n/a"),
        (float("nan"), True, "n/a"),
    ],
)
def test_money(amount: float, cents: bool, expected: str) -> None:
    assert money(amount, cents=cents) == expected


def test_severity_order_is_most_severe_first() -> None:
    assert [s.value for s in SEVERITY_ORDER] == ["critical", "high", "medium", "low", "info"]


def test_sort_is_the_report_order_severity_then_largest_saving(sample_findings: list) -> None:
    ordered = sort_findings(reversed(sample_findings))
    keys = [(-f.severity.rank, -f.estimated_monthly_savings_usd, f.rule_id, f.resource_uid) for f in ordered]
    assert keys == sorted(keys)
    assert ordered[0].severity is Severity.CRITICAL


def test_counts_phrase_leaves_out_zeros(sample_findings: list) -> None:
    counts = severity_counts(f for f in sample_findings if not f.suppressed)
    assert counts_phrase(counts) == "1 critical, 2 high, 2 medium, 1 low, 1 info"
