from __future__ import annotations

import pytest

from infraaudit.audit.models import Report
from infraaudit.audit.report import render_table


def test_summary_shows_inventory_and_totals(full_report: Report) -> None:
    out = render_table(full_report)
    summary = out[out.index("Summary") :]
    for line in (
        "Resources scanned   7 (aws 4, gcp 2, onprem 1)",
        "GPUs                40",
        "Monthly cost        $187,654.32 (excludes 1 unpriced resource)",
        "Unpriced resources  1 (on-prem resources are not in the catalog: 1)",
        "Findings            7: 1 critical, 2 high, 2 medium, 1 low, 1 info",
        "Suppressed          1 (not counted in totals)",
        "Est. savings/month  $25,786.80",
        "Coverage            INCOMPLETE: 2 gaps (listed above)",
    ):
        assert line in summary.splitlines(), line


def test_findings_grouped_by_severity_most_severe_first(full_report: Report) -> None:
    lines = render_table(full_report).splitlines()
    firsts = [
        next(i for i, line in enumerate(lines) if line.startswith(sev))
        for sev in ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO")
    ]
    assert firsts == sorted(firsts)
    header = next(line for line in lines if line.startswith("Severity"))
    assert header.split() == ["Severity", "Rule", "Resource", "Message", "Est.", "saving/month"]


def test_savings_per_finding_and_uids_whole(full_report: Report) -> None:
    out = render_table(full_report)
    assert "$23,652.00" in out and "$1,234.56" in out and "$800.25" in out
    assert "aws:123456789012:us-east-1:i-0abc" in out
    assert "gcp:ml-prod:us-central1-a:notebook-3" in out


def test_suppressed_marked_and_excluded(full_report: Report) -> None:
    out = render_table(full_report, width=200)
    assert "(waived)" in out
    assert "waived: reserved for Q4 launch, until 2026-12-31" in out
    assert "excluded" in out
    assert "$5,000.00" not in out  # the waived finding's saving is not shown as one


def test_gaps_come_first_and_prominently(full_report: Report) -> None:
    out = render_table(full_report)
    assert "SCAN INCOMPLETE" in out
    assert out.index("SCAN INCOMPLETE") < out.index("Severity")
    assert "2 coverage gaps: these were not collected" in out
    assert "aws account 210987654321 region ap-south-1: ec2:DescribeInstances failed (UnauthorizedOperation)" in out
    assert "gcp account ml-dev: monitoring.timeSeries.list failed (PERMISSION_DENIED)" in out


def test_empty_report(clean_report: Report, empty_report: Report) -> None:
    out = render_table(clean_report)
    assert "No findings." in out
    assert "Severity" not in out and "SCAN INCOMPLETE" not in out
    assert "Coverage            complete" in out
    assert "Est. savings/month  $0.00" in out
    empty = render_table(empty_report)
    assert "No findings." in empty and "Resources scanned   0" in empty


def test_no_findings_with_gaps_says_so(report_factory, full_report: Report) -> None:
    out = render_table(report_factory([], list(full_report.gaps)))
    assert "No findings in the scanned scope." in out
    assert "SCAN INCOMPLETE" in out


@pytest.mark.parametrize("width", [80, 100, 120, 200])
def test_fits_the_width(full_report: Report, width: int) -> None:
    out = render_table(full_report, width=width)
    assert max(len(line) for line in out.splitlines()) <= width
    assert "$23,652.00" in out  # the amount column is never squeezed out


def test_tiny_width_is_clamped(full_report: Report) -> None:
    assert render_table(full_report, width=10) == render_table(full_report, width=80)


def test_stable_and_independent_of_the_environment(full_report: Report, monkeypatch: pytest.MonkeyPatch) -> None:
    first = render_table(full_report)
    for name, value in {
        "COLUMNS": "40",
        "NO_COLOR": "1",
        "FORCE_COLOR": "1",
        "TERM": "dumb",
        "TTY_COMPATIBLE": "1",
    }.items():
        monkeypatch.setenv(name, value)
    assert render_table(full_report) == first
    assert render_table(full_report) == render_table(Report.model_validate_json(full_report.model_dump_json()))


def test_color_only_when_asked(full_report: Report) -> None:
    assert "\x1b[" not in render_table(full_report)
    colored = render_table(full_report, color=True)
    assert "\x1b[" in colored


def test_no_trailing_blanks(full_report: Report) -> None:
    out = render_table(full_report)
    assert all(line == line.rstrip() for line in out.splitlines())
    assert out.endswith("\n") and not out.endswith("\n\n")


def test_text_is_not_markup_and_control_codes_are_neutralised(report_factory, sample_findings) -> None:
    evil = sample_findings[0].model_copy(
        update={"message": "[bold red]boom[/] :smile: \x1b[2J\x07bell\x9b", "resource_uid": "aws:1:r:[i-1]"}
    )
    out = render_table(report_factory([evil]), width=200)
    assert "[bold red]boom[/] :smile:" in out
    assert "aws:1:r:[i-1]" in out
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out
    assert "\\x1b[2J\\x07bell\\x9b" in out
