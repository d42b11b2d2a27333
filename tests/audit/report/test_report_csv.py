from __future__ import annotations

import csv
import io

from infraaudit.audit.models import Category, Report, Severity
from infraaudit.audit.report import render_csv
from infraaudit.audit.report.csv_report import COLUMNS
from infraaudit.audit.report.formatting import sort_findings


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_header_and_one_row_per_finding(full_report: Report) -> None:
    text = render_csv(full_report)
    assert text.splitlines()[0] == ",".join(COLUMNS)
    rows = _rows(text)
    assert len(rows) == len(full_report.findings)
    assert list(rows[0]) == list(COLUMNS)


def test_rows_parse_back_to_the_findings(full_report: Report) -> None:
    for row, finding in zip(_rows(render_csv(full_report)), sort_findings(full_report.findings), strict=True):
        assert row["rule_id"] == finding.rule_id
        assert Severity(row["severity"]) is finding.severity
        assert Category(row["category"]) is finding.category
        assert row["resource_uid"] == finding.resource_uid
        assert row["title"] == finding.title
        assert row["message"] == finding.message
        assert float(row["estimated_monthly_savings_usd"]) == finding.estimated_monthly_savings_usd
        assert row["recommendation"] == finding.recommendation
        assert row["suppressed"] == ("true" if finding.suppressed else "false")
        assert row["suppression_reason"] == (finding.suppression.reason if finding.suppression else "")


def test_rfc4180_quoting_and_crlf(full_report: Report) -> None:
    text = render_csv(full_report)
    assert text.endswith("\r\n")
    # The message with a pipe and a newline is quoted, the newline kept inside the field.
    assert '"Instance has public IP 203.0.113.7 | exposed\nto the internet"' in text


def test_suppressed_rows(full_report: Report) -> None:
    waived = [r for r in _rows(render_csv(full_report)) if r["suppressed"] == "true"]
    assert [(r["resource_uid"], r["suppression_reason"]) for r in waived] == [
        ("aws:123456789012:us-west-2:i-0waived", "reserved for Q4 launch")
    ]


def test_empty_report_is_just_the_header(empty_report: Report) -> None:
    assert render_csv(empty_report) == ",".join(COLUMNS) + "\r\n"


def test_excel_safe_neutralises_formulas(report_factory, sample_findings) -> None:
    evil = sample_findings[0].model_copy(update={"message": '=HYPERLINK("http://x")', "title": "-1+2"})
    rows = _rows(render_csv(report_factory([evil]), excel_safe=True))
    assert rows[0]["message"] == '\'=HYPERLINK("http://x")'
    assert rows[0]["title"] == "'-1+2"
    assert rows[0]["estimated_monthly_savings_usd"] == "23652.0"
    # Off by default: exact round trip.
    assert _rows(render_csv(report_factory([evil])))[0]["message"] == '=HYPERLINK("http://x")'
