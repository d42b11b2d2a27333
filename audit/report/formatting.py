"""Helpers shared by the renderers: ordering, counting, money and short descriptions.

Pure functions over the models; nothing here prints or touches the environment.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from ..models import CoverageGap, Finding, IacOrigin, Report, Severity, Suppression
from ..summary import order_findings

#: Most severe first; the order every renderer groups findings in.
SEVERITY_ORDER: tuple[Severity, ...] = tuple(sorted(Severity, key=lambda s: s.rank, reverse=True))


def money(amount: float, *, cents: bool = True) -> str:
    """US dollars with thousands separators: ``$1,234.56`` (``$1,235`` without cents).

    Negative amounts read ``-$5.00``; a non-finite amount (never produced by the models'
    own arithmetic, but floats allow it) reads ``n/a`` instead of ``$inf``.
    """
    if not math.isfinite(amount):
        return "n/a"
    digits = 2 if cents else 0
    text = f"{abs(amount):,.{digits}f}"
    if float(text.replace(",", "")) == 0:  # no "-$0.00"
        return f"${text}"
    return f"-${text}" if amount < 0 else f"${text}"


def finite_or_zero(value: float) -> float:
    """For machine formats that cannot carry inf/nan (JSON proper, SARIF)."""
    return value if math.isfinite(value) else 0.0


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """The report's own order (see audit.summary.order_findings), so every format agrees."""
    return order_findings(list(findings))


def active_findings(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if not f.suppressed]


def suppressed_findings(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.suppressed]


def severity_counts(findings: Iterable[Finding]) -> dict[Severity, int]:
    """Count per severity (every severity present, most severe first)."""
    counts = dict.fromkeys(SEVERITY_ORDER, 0)
    for finding in findings:
        counts[finding.severity] += 1
    return counts


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else (many or word + 's')}"


def counts_phrase(counts: dict[Severity, int]) -> str:
    """``1 critical, 2 high`` (zero counts left out)."""
    return ", ".join(f"{n} {sev.value}" for sev, n in counts.items() if n)


def suppression_phrase(suppression: Suppression) -> str:
    """``waived: <reason>, until 2026-12-31`` (or without the date when the waiver has none)."""
    text = f"waived: {suppression.reason}"
    if suppression.expires is not None:
        text += f", until {suppression.expires.isoformat()}"
    return text


def gap_scope(gap: CoverageGap) -> str:
    """``aws account 123456789012 region us-east-1`` (parts that are unknown are left out)."""
    parts = [gap.provider.value]
    if gap.account:
        parts.append(f"account {gap.account}")
    if gap.region:
        parts.append(f"region {gap.region}")
    return " ".join(parts)


def gap_phrase(gap: CoverageGap) -> str:
    """One line describing what was not collected and why."""
    text = f"{gap_scope(gap)}: {gap.api} failed ({gap.error_code})"
    if gap.message:
        text += f": {gap.message}"
    return text


def provider_phrase(by_provider: dict[str, int]) -> str:
    """``aws 8, gcp 4`` sorted by provider name, zero counts left out."""
    return ", ".join(f"{name} {n}" for name, n in sorted(by_provider.items()) if n)


def savings_total(report: Report) -> float:
    """Total estimated monthly savings as the report states it (unsuppressed, capped per resource).

    The cap needs each resource's own monthly cost, which only the report builder knows, so
    renderers show ``report.totals`` rather than re-adding the findings.
    """
    return report.totals.estimated_monthly_savings_usd


# ------------------------------------------------------------------------- check (planned changes)


def is_check_report(report: Report) -> bool:
    """A report of ``infraaudit check`` (planned infrastructure) rather than ``scan``."""
    return report.cost_change is not None or bool(report.origins)


def gate_verdict(findings: Iterable[Finding], fail_on: str | None) -> str:
    """``fail``, ``pass`` or ``none`` (no gate): the CLI's ``--fail-on`` rule, unwaived findings only."""
    if fail_on is None or fail_on == "none":
        return "none"
    threshold = Severity(fail_on).rank
    return "fail" if any(not f.suppressed and f.severity.rank >= threshold for f in findings) else "pass"


def _urn_parts(address: str) -> tuple[str, str] | None:
    """``urn:pulumi:stack::project::parent$type::name`` → (type, name); None for other addresses."""
    if not address.startswith("urn:pulumi:"):
        return None
    parts = address.split("::", 3)
    if len(parts) < 4 or not parts[3]:
        return None
    return parts[2].rsplit("$", 1)[-1], parts[3]


def iac_name(address: str) -> str:
    """The resource's own name: a URN's last part, a Terraform address as written."""
    urn = _urn_parts(address)
    return urn[1] if urn else address


def short_address(address: str, limit: int = 60) -> str:
    """An IaC address short enough for a table cell.

    A Pulumi URN keeps its type and name (``aws:ec2/instance:Instance::trainer``: the stack,
    project and parents are the same for the whole comment); anything longer than ``limit``
    keeps its start and end around an ellipsis, since indexes and names sit at the end.
    """
    urn = _urn_parts(address)
    text = f"{urn[0]}::{urn[1]}" if urn else address
    if len(text) <= limit:
        return text
    head = limit // 3
    return text[:head] + "…" + text[-(limit - head - 1) :]


def source_phrase(origin: IacOrigin) -> str | None:
    """``infra/__main__.py:42`` when the declaring source line is known."""
    if not origin.source_file:
        return None
    return f"{origin.source_file}:{origin.source_line}" if origin.source_line else origin.source_file
