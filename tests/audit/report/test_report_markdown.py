from __future__ import annotations

import re

from infraaudit.audit.models import Report
from infraaudit.audit.report import render_markdown
from infraaudit.audit.report.markdown import code, escape_cell, escape_text, summary_line


def _table_rows(md: str) -> list[str]:
    return [line for line in md.splitlines() if line.startswith("| ")]


def _cells(row: str) -> list[str]:
    """Split a GFM table row on unescaped pipes, as GitHub does."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", row.strip())[1:-1]]


def test_summary_line(full_report: Report) -> None:
    assert summary_line(full_report) == (
        "**infraaudit**: 7 findings (1 critical, 2 high, 2 medium, 1 low, 1 info), "
        "est. savings \\$25,787/month, 1 suppressed — ⚠️ scan incomplete (2 coverage gaps)"
    )


def test_sections(full_report: Report) -> None:
    md = render_markdown(full_report)
    assert md.startswith("### infraaudit report\n\n**infraaudit**: 7 findings")
    assert "> [!CAUTION]\n> **Scan incomplete**: 2 coverage gaps." in md
    assert "#### Coverage gaps" in md
    assert "| aws | 210987654321 | ap\\-south\\-1 |" not in md  # "-" is not escaped
    assert "| aws | 210987654321 | ap-south-1 | `ec2:DescribeInstances` | `UnauthorizedOperation` |" in md
    assert "| gcp | ml-dev | — | `monitoring.timeSeries.list` | `PERMISSION_DENIED` |  |" in md
    assert "<details>\n<summary>1 suppressed finding (waived; not counted in totals)</summary>" in md
    assert "reserved for Q4 launch | 2026-12-31 |" in md
    assert md.rstrip().endswith("generated 2026-11-02T09:30:00+00:00</sub>")
    assert "7 resources (aws 4, gcp 2, onprem 1) · 40 GPUs · \\$187,654.32/month · 1 unpriced" in md


def test_findings_table_is_by_severity_with_remediation(full_report: Report) -> None:
    md = render_markdown(full_report)
    head, _, rest = md.partition("<details>")
    rows = [r for r in _table_rows(head) if not r.startswith(("| Severity", "| ---", "| Provider", "| aws", "| gcp"))]
    severities = [_cells(r)[0].split()[1] for r in rows]
    assert severities == ["critical", "high", "high", "medium", "medium", "low", "info"]
    first = _cells(rows[1])
    assert first[1] == "`IA-GPU-001`"
    assert first[4] == "\\$23,652.00"
    assert first[5] == "Stop or downsize the instance.<br>See the runbook."
    # Waived finding is only in the details block.
    assert "i-0waived" not in head and "i-0waived" in rest


def test_every_row_has_the_header_cell_count(full_report: Report) -> None:
    md = render_markdown(full_report)
    counts = {len(_cells(r)) for r in _table_rows(md)}
    assert counts == {6}


def test_pipes_and_newlines_are_escaped(full_report: Report) -> None:
    md = render_markdown(full_report)
    assert "203.0.113.7 \\| exposed<br>to the internet" in md
    assert "missing tag \\`team\\`" in md


def test_escape_text() -> None:
    assert escape_text("a|b\nc\r\nd\re") == "a\\|b<br>c<br>d<br>e"
    assert escape_text("<script>*x* [l](u) $5 & ~s~ _i_ \\") == (
        "\\<script\\>\\*x\\* \\[l\\](u) \\$5 \\& \\~s\\~ \\_i\\_ \\\\"
    )
    assert escape_text("a\\|b") == "a\\\\\\|b"


def test_escape_cell_keeps_markdown() -> None:
    assert escape_cell("Use `spot` | see **docs**\nnow") == "Use `spot` \\| see **docs**<br>now"


def test_code_spans() -> None:
    assert code("aws:1:r:i-1") == "`aws:1:r:i-1`"
    assert code("a|b") == "`a\\|b`"
    assert code("a`b") == "a\\`b"
    assert code("") == ""


def test_empty_report(clean_report: Report, empty_report: Report) -> None:
    md = render_markdown(clean_report)
    assert "**infraaudit**: no findings, est. savings \\$0/month" in md
    assert "No findings. ✅" in md
    assert "Coverage gaps" not in md and "<details>" not in md and "CAUTION" not in md
    assert "0 resources · 0 GPUs · \\$0.00/month" in render_markdown(empty_report)


def test_no_findings_but_gaps_is_not_a_clean_bill(report_factory, full_report: Report) -> None:
    md = render_markdown(report_factory([], list(full_report.gaps)))
    assert "No findings in the scanned scope." in md
    assert "✅" not in md
    assert "scan incomplete (2 coverage gaps)" in md


def test_size_limit(report_factory, sample_findings) -> None:
    base = sample_findings[0]
    many = [base.model_copy(update={"resource_uid": f"aws:1:r:i-{i:05d}", "message": "x" * 300}) for i in range(2000)]
    md = render_markdown(report_factory(many))
    assert len(md) <= 60_000
    assert re.search(r"_… \d+ findings not shown \(comment size limit\)", md)
    assert md.rstrip().endswith("</sub>")
    small = render_markdown(report_factory(many[:3]), max_chars=3_000)
    assert "not shown" in small and len(small) <= 3_000


def test_escape_cell_neutralises_html_outside_code_spans() -> None:
    assert escape_cell("run `kubectl get <pod>` then <details>") == "run `kubectl get <pod>` then \\<details\\>"
    assert escape_cell("a ``b`<c>`` <d>") == "a ``b`<c>`` \\<d\\>"
    assert escape_cell("<x>`open <y>") == "\\<x\\>`open \\<y\\>"
