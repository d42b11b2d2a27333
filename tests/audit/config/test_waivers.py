from __future__ import annotations

from datetime import date

import pytest

from infraaudit.audit.config import Waiver, apply_waivers, check_waiver_rules, expired_waivers
from infraaudit.audit.errors import ConfigError
from infraaudit.audit.models import Finding


def finding(rule: str = "IA-GPU-004", uid: str = "aws:111122223333:us-east-1:i-1") -> Finding:
    return Finding(rule_id=rule, title="t", severity="medium", category="cost", resource_uid=uid, message="m")


WAIVER = Waiver(
    rule="IA-GPU-004", resource="aws:111122223333:*", reason="reserved capacity", expires=date(2026, 12, 31)
)


def test_matching_waiver_marks_the_finding() -> None:
    [marked] = apply_waivers([finding()], [WAIVER], date(2026, 11, 23))
    assert marked.suppression is not None
    assert marked.suppression.reason == "reserved capacity"


def test_waiver_is_inclusive_of_its_expiry_day_and_then_stops() -> None:
    assert apply_waivers([finding()], [WAIVER], date(2026, 12, 31))[0].suppressed
    assert not apply_waivers([finding()], [WAIVER], date(2027, 1, 1))[0].suppressed
    assert expired_waivers([WAIVER], date(2027, 1, 1)) == [WAIVER]


@pytest.mark.parametrize(
    "other",
    [finding(rule="IA-GPU-001"), finding(uid="aws:999999999999:us-east-1:i-1"), finding(uid="gcp:p:z:n")],
)
def test_waiver_needs_both_rule_and_resource_to_match(other: Finding) -> None:
    assert not apply_waivers([other], [WAIVER], date(2026, 11, 23))[0].suppressed


def test_unknown_rule_ids_are_rejected() -> None:
    with pytest.raises(ConfigError, match="waivers.0.rule: unknown rule id 'IA-GPU-999'"):
        check_waiver_rules([WAIVER.model_copy(update={"rule": "IA-GPU-999"})], ["IA-GPU-004"])
