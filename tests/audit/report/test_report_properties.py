"""Property tests: any findings (unicode, pipes, newlines, commas, quotes, control codes) render."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.cells import cell_len

from infraaudit.audit.models import Category, CoverageGap, Finding, Provider, Report, Severity, Suppression
from infraaudit.audit.report import OutputFormat, render, render_csv, render_markdown, render_sarif, render_table
from infraaudit.audit.report.formatting import sort_findings

SPECIALS = [
    "|",
    "\n",
    "\r\n",
    "\r",
    ",",
    '"',
    "'",
    "`",
    "$",
    "<",
    ">",
    "&",
    "\\",
    "*",
    "_",
    "[",
    "]",
    "\t",
    "\x1b",
    "\x00",
    "\u200b",
    "é",
    "漢",
    "🚀",
    "<details>",
    "=SUM(A1)",
    "\\|",
]

text = st.lists(
    st.one_of(st.text(st.characters(exclude_categories=("Cs",)), max_size=6), st.sampled_from(SPECIALS)),
    max_size=6,
).map("".join)
nonempty = text.filter(lambda s: len(s) >= 1)
rule_ids = st.one_of(
    st.sampled_from(["IA-GPU-001", "IA-SEC-001", "IA-GPU-002", "IA-GOV-001", "IA-GPU-003"]),
    st.from_regex(r"[A-Z]{2,5}(-[A-Z0-9]{1,4}){1,2}", fullmatch=True),
    text,  # custom policies may name rules anything
)
json_values = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.integers(-(2**53), 2**53), st.floats(allow_nan=False, allow_infinity=False), text
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(text, inner, max_size=3)),
    max_leaves=6,
)
suppressions = st.builds(
    Suppression,
    reason=text,
    expires=st.one_of(st.none(), st.dates()),
    resource_pattern=text,
)
findings = st.builds(
    Finding,
    rule_id=rule_ids,
    title=text,
    severity=st.sampled_from(Severity),
    category=st.sampled_from(Category),
    resource_uid=text,
    message=text,
    evidence=st.dictionaries(text, json_values, max_size=3),
    recommendation=text,
    estimated_monthly_savings_usd=st.floats(min_value=0, max_value=1e9, allow_nan=False, allow_infinity=False),
    remediation=text,
    suppression=st.one_of(st.none(), suppressions),
)
gaps = st.builds(
    CoverageGap,
    provider=st.sampled_from(Provider),
    account=st.one_of(st.none(), text),
    region=st.one_of(st.none(), text),
    api=nonempty,
    error_code=nonempty,
    message=text,
)

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _report(factory: Any, fs: list[Finding], gs: list[CoverageGap]) -> Report:
    return factory(fs, gs)


@SETTINGS
@given(fs=st.lists(findings, max_size=8), gs=st.lists(gaps, max_size=3))
def test_every_format_renders(report_factory: Any, fs: list[Finding], gs: list[CoverageGap]) -> None:
    report = _report(report_factory, fs, gs)
    for fmt in OutputFormat:
        out = render(report, fmt)
        assert isinstance(out, str) and out.endswith("\n")


@SETTINGS
@given(fs=st.lists(findings, max_size=8), gs=st.lists(gaps, max_size=3), width=st.integers(80, 200))
def test_table_fits_and_never_emits_control_codes(
    report_factory: Any, fs: list[Finding], gs: list[CoverageGap], width: int
) -> None:
    out = render_table(_report(report_factory, fs, gs), width=width)
    assert max(cell_len(line) for line in out.splitlines()) <= width
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", out)
    assert "Est. savings/month" in out


@SETTINGS
@given(fs=st.lists(findings, max_size=8))
def test_csv_round_trips(report_factory: Any, fs: list[Finding]) -> None:
    rows = list(csv.DictReader(io.StringIO(render_csv(_report(report_factory, fs, [])), newline="")))
    assert len(rows) == len(fs)
    for row, f in zip(rows, sort_findings(fs), strict=True):
        assert row == {
            "rule_id": f.rule_id,
            "severity": f.severity.value,
            "category": f.category.value,
            "resource_uid": f.resource_uid,
            "title": f.title,
            "message": f.message,
            "estimated_monthly_savings_usd": row["estimated_monthly_savings_usd"],
            "recommendation": f.recommendation,
            "suppressed": "true" if f.suppressed else "false",
            "suppression_reason": f.suppression.reason if f.suppression else "",
        }
        assert float(row["estimated_monthly_savings_usd"]) == f.estimated_monthly_savings_usd


@SETTINGS
@given(fs=st.lists(findings, max_size=8), gs=st.lists(gaps, max_size=3))
def test_json_round_trips(report_factory: Any, fs: list[Finding], gs: list[CoverageGap]) -> None:
    report = _report(report_factory, fs, gs)
    assert Report.model_validate_json(render(report, OutputFormat.JSON)) == report


@SETTINGS
@given(fs=st.lists(findings, max_size=8), gs=st.lists(gaps, max_size=3), with_policies=st.booleans())
def test_sarif_validates(
    report_factory: Any,
    sarif_validator: Any,
    github_sarif_check: Any,
    fs: list[Finding],
    gs: list[CoverageGap],
    with_policies: bool,
) -> None:
    kw = {} if with_policies else {"policies": []}
    log = json.loads(render_sarif(report_factory(fs, gs, **kw)))
    errors = list(sarif_validator.iter_errors(log))
    assert not errors, errors[0]
    github_sarif_check(log)
    run = log["runs"][0]
    assert len(run["results"]) == len(fs)
    assert run["invocations"][0]["executionSuccessful"] is (not gs)
    assert sum("suppressions" in r for r in run["results"]) == sum(f.suppressed for f in fs)


@SETTINGS
@given(fs=st.lists(findings, max_size=8), gs=st.lists(gaps, max_size=3))
def test_markdown_rows_stay_rows(report_factory: Any, fs: list[Finding], gs: list[CoverageGap]) -> None:
    md = render_markdown(_report(report_factory, fs, gs))
    rows = [line for line in md.splitlines() if line.startswith("| ")]
    tables = bool([f for f in fs if not f.suppressed]) + bool(gs) + bool([f for f in fs if f.suppressed])
    # One line per finding and gap (no newline escaped into a row), plus header and rule per table.
    assert len(rows) == len(fs) + len(gs) + 2 * tables
    for row in rows:
        assert len(re.findall(r"(?<!\\)\|", row)) == 7, row  # 6 cells, no stray delimiter
    # No raw HTML from the data: outside code spans every "<" is escaped or one of ours.
    outside_code = re.sub(r"(?<![\\`])(`+)(?!`)[^\n]+?(?<!`)\1(?!`)", "", md)  # CommonMark code spans
    tags = set(re.findall(r"(?<!\\)<[^>]*>?", outside_code))
    assert tags <= {"<br>", "<sub>", "</sub>", "<details>", "</details>", "<summary>", "</summary>"}, tags
    details = 1 if any(f.suppressed for f in fs) else 0
    assert md.splitlines().count("<details>") == details
