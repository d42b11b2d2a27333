"""CSV: one row per finding, for spreadsheets and FinOps tooling (RFC 4180 quoting, CRLF)."""

from __future__ import annotations

import csv
from io import StringIO

from ..models import Finding, Report
from .formatting import sort_findings

COLUMNS: tuple[str, ...] = (
    "rule_id",
    "severity",
    "category",
    "resource_uid",
    "title",
    "message",
    "estimated_monthly_savings_usd",
    "recommendation",
    "suppressed",
    "suppression_reason",
)

# A cell starting with one of these is a formula to Excel, LibreOffice and Sheets.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _excel_safe(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def _row(finding: Finding) -> list[str]:
    return [
        finding.rule_id,
        finding.severity.value,
        finding.category.value,
        finding.resource_uid,
        finding.title,
        finding.message,
        repr(finding.estimated_monthly_savings_usd),  # shortest exact text of the float
        finding.recommendation,
        "true" if finding.suppressed else "false",
        finding.suppression.reason if finding.suppression else "",
    ]


def render_csv(report: Report, *, excel_safe: bool = False) -> str:
    """Header row then one row per finding (suppressed ones included, marked), severity order.

    ``excel_safe`` prefixes text cells that a spreadsheet would run as a formula with ``'``
    (OWASP "CSV injection"); off by default so the file round-trips exactly.
    """
    buf = StringIO()
    writer = csv.writer(buf, dialect="excel", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for finding in sort_findings(report.findings):
        row = _row(finding)
        if excel_safe:
            numeric = COLUMNS.index("estimated_monthly_savings_usd")
            row = [cell if i == numeric else _excel_safe(cell) for i, cell in enumerate(row)]
        writer.writerow(row)
    return buf.getvalue()
