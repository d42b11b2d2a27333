"""Waivers: accepted findings stay in the report, marked, and stop failing the gate until they expire."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from fnmatch import fnmatchcase

from ..errors import ConfigError
from ..models import Finding, Suppression
from .settings import Waiver


def check_waiver_rules(waivers: Sequence[Waiver], known_rule_ids: Iterable[str]) -> None:
    known = set(known_rule_ids)
    for index, waiver in enumerate(waivers):
        if waiver.rule not in known:
            raise ConfigError(f"waivers.{index}.rule: unknown rule id {waiver.rule!r}")


def apply_waivers(findings: Sequence[Finding], waivers: Sequence[Waiver], today: date) -> list[Finding]:
    """Mark findings matched by an unexpired waiver (expiry date inclusive)."""
    active = [w for w in waivers if w.expires is None or w.expires >= today]
    result = []
    for finding in findings:
        waiver = next(
            (w for w in active if w.rule == finding.rule_id and fnmatchcase(finding.resource_uid, w.resource)),
            None,
        )
        if waiver is not None:
            finding = finding.model_copy(
                update={
                    "suppression": Suppression(
                        reason=waiver.reason, expires=waiver.expires, resource_pattern=waiver.resource
                    )
                }
            )
        result.append(finding)
    return result


def expired_waivers(waivers: Sequence[Waiver], today: date) -> list[Waiver]:
    return [w for w in waivers if w.expires is not None and w.expires < today]
