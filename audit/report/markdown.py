"""GitHub-flavoured Markdown for pull-request comments and job summaries.

A one-line summary, a coverage warning, findings by severity with remediation, coverage gaps,
waived findings in a collapsed ``<details>`` block, and a footer with the inventory numbers.
Text from resources and findings is escaped so it cannot break the tables or inject links or
HTML; policy remediation is Markdown by convention and only has ``|`` and newlines escaped.
GitHub refuses comments over 65,536 characters: past ``max_chars`` rows are left out and the
omission is said.
"""

from __future__ import annotations

import re
from typing import Protocol

from ..models import CoverageGap, Finding, Report, Severity, Suppression
from .formatting import (
    active_findings,
    counts_phrase,
    money,
    plural,
    provider_phrase,
    savings_total,
    severity_counts,
    sort_findings,
    suppressed_findings,
)

#: Leaves room under GitHub's 65,536-character comment limit for a caller's own header.
DEFAULT_MAX_CHARS = 60_000
# Table headers, "not shown" notes and the <details> wrapper, reserved before rows are counted.
_TABLE_OVERHEAD = 1_500

SEVERITY_ICON = _ICON = {
    Severity.CRITICAL: "🔴",
    Severity.HIGH: "🟠",
    Severity.MEDIUM: "🟡",
    Severity.LOW: "🔵",
    Severity.INFO: "⚪",
}

# CommonMark ends lines at \n, \r\n and \r; the other separators str.splitlines() knows (VT, FF,
# FS/GS/RS, NEL, LS, PS) are treated the same so no tool sees a row broken in two.
_NEWLINES = re.compile("\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
# Backslash-escaped: Markdown emphasis, links, code, HTML, strikethrough, table pipes, the
# math delimiter "$" (GitHub renders $...$ as math) and "&" (entities).
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~$&])")
_ANGLE = re.compile(r"([<>])")
_CODE_SPAN = re.compile(r"(?<![\\`])(`+)(?!`)[^\n]+?(?<!`)\1(?!`)")


def escape_text(text: str) -> str:
    """Plain text made safe for a table cell: shown exactly as written, on one row."""
    return _NEWLINES.sub("<br>", _SPECIAL.sub(r"\\\1", text))


def escape_cell(markdown: str) -> str:
    """Markdown kept as Markdown, with what breaks a table cell or the page escaped.

    ``|`` and newlines everywhere; ``<`` and ``>`` outside code spans, so raw HTML (an unclosed
    ``<details>``) cannot swallow the rest of the comment while `` `kubectl get <pod>` `` stays.
    """
    out: list[str] = []
    pos = 0
    for span in _CODE_SPAN.finditer(markdown):
        out += [_ANGLE.sub(r"\\\1", markdown[pos : span.start()]), span.group()]
        pos = span.end()
    out.append(_ANGLE.sub(r"\\\1", markdown[pos:]))
    return _NEWLINES.sub("<br>", "".join(out).replace("|", "\\|"))


def code(text: str) -> str:
    """An inline code span for ids and uids; falls back to escaped text when it cannot be one."""
    if not text.strip() or "`" in text or _NEWLINES.search(text):
        return escape_text(text)
    return "`" + text.replace("|", "\\|") + "`"


def md_money(amount: float, *, cents: bool = True) -> str:
    # "\$": a literal dollar in CommonMark, never a math delimiter on GitHub.
    return money(amount, cents=cents).replace("$", "\\$")


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def summary_line(report: Report) -> str:
    """``**infraaudit**: 7 findings (1 critical, 2 high), est. savings $12,345/month``."""
    active = active_findings(report.findings)
    waived = suppressed_findings(report.findings)
    if active:
        line = f"**infraaudit**: {plural(len(active), 'finding')} ({counts_phrase(severity_counts(active))})"
    else:
        line = "**infraaudit**: no findings"
    line += f", est. savings {md_money(savings_total(report), cents=False)}/month"
    if waived:
        line += f", {len(waived)} suppressed"
    if report.gaps:
        line += f" — ⚠️ scan incomplete ({plural(len(report.gaps), 'coverage gap')})"
    return line


def _finding_row(finding: Finding) -> str:
    what = f"**{escape_text(finding.title.strip())}**" if finding.title.strip() else ""
    if finding.message.strip():
        what = f"{what}<br>{escape_text(finding.message)}" if what else escape_text(finding.message)
    fix = [escape_text(finding.recommendation)] if finding.recommendation.strip() else []
    if finding.remediation.strip() and finding.remediation != finding.recommendation:
        fix.append(escape_cell(finding.remediation))
    return _row(
        [
            f"{_ICON[finding.severity]} {finding.severity.value}",
            code(finding.rule_id),
            code(finding.resource_uid),
            what,
            md_money(finding.estimated_monthly_savings_usd),
            "<br>".join(fix),
        ]
    )


def _suppressed_row(finding: Finding, suppression: Suppression) -> str:
    expires = suppression.expires.isoformat() if suppression.expires else "never"
    return _row(
        [
            f"{_ICON[finding.severity]} {finding.severity.value}",
            code(finding.rule_id),
            code(finding.resource_uid),
            escape_text(finding.message or finding.title),
            escape_text(suppression.reason),
            expires,
        ]
    )


def _gap_row(gap: CoverageGap) -> str:
    return _row(
        [
            gap.provider.value,
            escape_text(gap.account or "—"),
            escape_text(gap.region or "—"),
            code(gap.api),
            code(gap.error_code),
            escape_text(gap.message),
        ]
    )


class _Budget:
    """Counts characters so the comment stays under GitHub's limit."""

    def __init__(self, limit: int) -> None:
        self.left = limit

    def take(self, text: str) -> bool:
        if len(text) + 1 > self.left:
            return False
        self.left -= len(text) + 1
        return True


class RowBudget(Protocol):
    def take(self, text: str) -> bool: ...


def rows_within(rows: list[str], budget: RowBudget) -> list[str]:
    """The leading rows the budget has room for; it stops at the first that does not fit, so a
    table never skips a row and shows a later one."""
    shown: list[str] = []
    for row in rows:
        if not budget.take(row):
            break
        shown.append(row)
    return shown


def _table(header: list[str], align: list[str], rows: list[str], budget: _Budget, what: str) -> list[str]:
    fitted = rows_within(rows, budget)
    lines = [_row(header), _row(align), *fitted]  # header and align counted in _TABLE_OVERHEAD
    shown = len(fitted)
    if shown < len(rows):
        lines += [
            "",
            f"_… {plural(len(rows) - shown, what)} not shown (comment size limit); "
            "use `--format json`, `csv` or `sarif` for the full report._",
        ]
    return lines


def render_markdown(report: Report, *, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    findings = sort_findings(report.findings)
    active = active_findings(findings)
    waived = suppressed_findings(findings)
    inv = report.inventory

    # Fixed parts (summary, gap warning, footer) are always shown; rows share what is left.
    out: list[str] = ["### infraaudit report", "", summary_line(report), ""]
    if report.gaps:
        out += [
            "> [!CAUTION]",
            f"> **Scan incomplete**: {plural(len(report.gaps), 'coverage gap')}. "
            "Findings and totals cover only what was scanned; see *Coverage gaps* below.",
            "",
        ]
    footer_parts = [
        plural(inv.resources, "resource")
        + (f" ({escape_text(provider_phrase(inv.by_provider))})" if inv.by_provider else ""),
        plural(inv.gpus, "GPU"),
        f"{md_money(inv.monthly_cost_usd)}/month",
    ]
    if inv.unpriced_resources:
        footer_parts.append(f"{len(inv.unpriced_resources)} unpriced")
    footer_parts.append(f"infraaudit {escape_text(report.tool_version)}")
    footer_parts.append(f"generated {report.generated_at.isoformat()}")
    footer = "<sub>" + " · ".join(footer_parts) + "</sub>"
    fixed = sum(len(line) + 1 for line in out) + len(footer) + 1
    budget = _Budget(max_chars - fixed - _TABLE_OVERHEAD)

    if active:
        out += _table(
            ["Severity", "Rule", "Resource", "Finding", "Est. saving/month", "Remediation"],
            ["---", "---", "---", "---", "---:", "---"],
            [_finding_row(f) for f in active],
            budget,
            "finding",
        )
        out.append("")
    elif not report.gaps:
        out += ["No findings. ✅", ""]
    else:
        out += ["No findings in the scanned scope.", ""]

    if report.gaps:
        out += ["#### Coverage gaps", ""]
        out += _table(
            ["Provider", "Account", "Region", "API", "Error", "Details"],
            ["---"] * 6,
            [_gap_row(g) for g in report.gaps],
            budget,
            "coverage gap",
        )
        out.append("")

    if waived:
        out += [
            "<details>",
            f"<summary>{plural(len(waived), 'suppressed finding')} (waived; not counted in totals)</summary>",
            "",
        ]
        out += _table(
            ["Severity", "Rule", "Resource", "Finding", "Waiver reason", "Expires"],
            ["---"] * 6,
            [_suppressed_row(f, f.suppression) for f in waived if f.suppression is not None],
            budget,
            "suppressed finding",
        )
        out += ["", "</details>", ""]

    out.append(footer)
    return "\n".join(out) + "\n"
