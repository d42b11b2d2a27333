"""The pull-request comment of `infraaudit check` (Markdown for check reports)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infraaudit.audit.models import ChangeOp, CostLine, Finding, IacOrigin, Report, Severity
from infraaudit.audit.report import COMMENT_MARKER, OutputFormat, render, render_check_markdown, render_markdown
from infraaudit.audit.report.check_markdown import COST_ROWS, DEFAULT_MAX_CHARS, GITHUB_COMMENT_LIMIT, size
from infraaudit.audit.report.formatting import gate_verdict, iac_name, short_address

GOLDEN = Path(__file__).parent / "golden" / "check_comment.md"

# CommonMark code spans, and the HTML tags the renderer itself writes.
_CODE_SPAN = re.compile(r"(?<![\\`])(`+)(?!`)[^\n]+?(?<!`)\1(?!`)")
_OWN_TAGS = {
    "<br>",
    "<sub>",
    "</sub>",
    "<details>",
    "</details>",
    "<summary>",
    "</summary>",
    "<!-- infraaudit-check -->",
}


def _cells(row: str) -> list[str]:
    """Split a GFM table row on unescaped pipes, as GitHub does."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", row.strip())[1:-1]]


def _tables(md: str) -> list[list[str]]:
    tables: list[list[str]] = []
    current: list[str] = []
    for line in md.splitlines():
        if line.startswith("| "):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    if current:
        tables.append(current)
    return tables


def _raw_tags(md: str) -> set[str]:
    outside_code = _CODE_SPAN.sub("", md)
    return set(re.findall(r"(?<!\\)<[^>]*>?", outside_code))


def _balanced(md: str) -> bool:
    """Every <details> the renderer opened is closed (ours are on lines of their own)."""
    lines = md.splitlines()
    return lines.count("<details>") == lines.count("</details>")


def _line(
    address: str, before: float | None, after: float | None, op: ChangeOp = ChangeOp.UPDATE, **kw: Any
) -> CostLine:
    return CostLine(
        address=address,
        type="aws_instance",
        op=op,
        instance_type_before=kw.pop("type_before", "g5.xlarge"),
        instance_type_after=kw.pop("type_after", "g5.xlarge"),
        instances_before=kw.pop("n_before", 1),
        instances_after=kw.pop("n_after", 1),
        monthly_before_usd=before,
        monthly_after_usd=after,
        **kw,
    )


# ------------------------------------------------------------------------------------ structure


def test_exact_comment_for_a_small_report(check_report: Report) -> None:
    # The golden file is the example shown in docs/ci.md; regenerate both when the layout changes.
    assert render_check_markdown(check_report, fail_on="high") == GOLDEN.read_text(encoding="utf-8")


def test_marker_is_the_first_line(check_report: Report) -> None:
    for fail_on in ("high", "critical", "none", None):
        md = render_check_markdown(check_report, fail_on=fail_on)
        assert md.splitlines()[0] == COMMENT_MARKER == "<!-- infraaudit-check -->"
        assert md.count(COMMENT_MARKER) == 1


@pytest.mark.parametrize(
    ("fail_on", "verdict"),
    [
        ("critical", "❌ **failed** (fail-on: critical)"),
        ("high", "❌ **failed** (fail-on: high)"),
        ("info", "❌ **failed** (fail-on: info)"),
        ("none", "ℹ️ **not gated** ·"),
        (None, "ℹ️ **not gated** ·"),
    ],
)
def test_verdict_follows_the_gate(check_report: Report, fail_on: str | None, verdict: str) -> None:
    summary = render_check_markdown(check_report, fail_on=fail_on).splitlines()[1]
    assert summary.startswith(f"**infraaudit check** {verdict}")


def test_waived_findings_do_not_fail_the_gate(check_report_factory: Any, check_report: Report) -> None:
    waived_only = [f for f in check_report.findings if f.suppressed]
    report = check_report_factory(waived_only)
    summary = render_check_markdown(report, fail_on="low").splitlines()[1]
    assert summary.startswith("**infraaudit check** ✅ **passed** (fail-on: low) · no findings, 1 waived · ")
    assert gate_verdict(waived_only, "info") == "pass"


def test_summary_is_one_line_with_cost_before_after_and_change(check_report: Report) -> None:
    lines = render_check_markdown(check_report, fail_on="high").splitlines()
    assert lines[1] == (
        "**infraaudit check** ❌ **failed** (fail-on: high) · 3 findings (1 critical, 1 high, 1 medium), 1 waived"
        " · GPU cost/month \\$13,054.69 → \\$148,339.19 (**+\\$135,284.50**), ⚠️ 1 unpriced (not in totals)"
    )
    assert lines[2] == ""


def test_cost_decrease_and_no_change(check_report_factory: Any) -> None:
    cheaper = check_report_factory([], [_line("aws_instance.a", 1000.0, 250.0)], {})
    assert "GPU cost/month \\$1,000.00 → \\$250.00 (**-\\$750.00**)" in render_check_markdown(cheaper)
    same = check_report_factory([], [_line("aws_instance.a", 500.0, 500.0, ChangeOp.SAME)], {})
    md = render_check_markdown(same)
    assert "(**\\$0.00**)" in md
    assert "No GPU cost change (1 planned GPU resource)." in md
    assert "No policy violations. ✅" in md
    empty = check_report_factory([], [], {})
    assert "No GPU resources in the plan." in render_check_markdown(empty)


def test_cost_table_sorted_by_absolute_change_then_unpriced(check_report: Report) -> None:
    md = render_check_markdown(check_report)
    table = _tables(md)[0]
    assert _cells(table[0]) == ["Resource", "Op", "Instance type", "Instances", "Before/month", "After/month", "Change"]
    assert [_cells(r)[-1] for r in table[2:]] == [
        "+\\$143,547.20",
        "-\\$6,701.40",
        "-\\$2,162.82",
        "+\\$601.52",
        "⚠️ unpriced: after: instance type unknown until apply",
    ]
    # The resource whose cost does not change is only in the full list.
    assert "aws_instance.steady" not in "\n".join(table)
    assert _cells(table[2])[:4] == ["`aws:ec2/instance:Instance::trainer`", "create", "— → p5.48xlarge", "0 → 2"]
    assert _cells(table[3])[:4] == ["`aws_instance.batch`", "delete", "p3.2xlarge → —", "3 → 0"]
    assert _cells(table[5])[2:4] == ["g5.xlarge → g5.2xlarge", "4"]


def test_cost_table_is_capped_and_counts_the_rest(check_report_factory: Any) -> None:
    lines = [_line(f"aws_instance.w{i:02d}", 100.0, 100.0 + i) for i in range(1, 41)]
    md = render_check_markdown(check_report_factory([], lines, {}))
    table = _tables(md)[0]
    assert len(table) == 2 + COST_ROWS == 27
    assert _cells(table[2])[0] == "`aws_instance.w40`"
    assert _cells(table[-1])[0] == "`aws_instance.w16`"
    assert "_… and 15 more changed resources (all are listed below)._" in md
    assert "<summary>All 40 planned GPU resources (0 without cost change, 0 unpriced)</summary>" in md
    assert len(_tables(md)[-1]) == 2 + 40


def test_violations_grouped_by_severity_with_address_and_remediation(check_report: Report) -> None:
    md = render_check_markdown(check_report)
    headings = [line for line in md.splitlines() if line.startswith("#### ")]
    assert headings == ["#### GPU cost change", "#### 🔴 Critical (1)", "#### 🟠 High (1)", "#### 🟡 Medium (1)"]
    critical = _tables(md)[1]
    assert _cells(critical[0]) == ["Rule", "Resource", "Finding", "Remediation"]
    assert _cells(critical[2]) == [
        "`IA-SEC-001`",
        "`aws:ec2/instance:Instance::trainer`<br><sub>infra/\\_\\_main\\_\\_.py:42</sub>",
        "**Public IP on GPU instance**<br>trainer gets a public IP",
        "Remove associate\\_public\\_ip\\_address.<br>Use a private subnet and a bastion.",
    ]


def test_details_blocks_and_footer(check_report: Report) -> None:
    md = render_check_markdown(check_report)
    assert _balanced(md) and md.splitlines().count("<details>") == 3
    assert "<summary>1 waived finding (not counted by the gate)</summary>" in md
    assert "<summary>Evidence (2 findings)</summary>" in md
    evidence = '`{"allowed": ["europe-west3"], "region": "europe-west4"}`'
    assert f"| `IA-RES-001` | `google_compute_instance.notebook` | {evidence} |" in md
    assert md.splitlines()[-1] == (
        "<sub>infraaudit 0.1.0 · 4 policies: IA-SEC-001, IA-RES-001, IA-GPU-004, IA-GOV-001 · 2 inputs: "
        "`infra/preview.json`, `plans/serving.json` · generated 2026-11-02T09:30:00+00:00</sub>"
    )


def test_every_row_has_its_header_cell_count(check_report: Report) -> None:
    for table in _tables(render_check_markdown(check_report)):
        assert len({len(_cells(row)) for row in table}) == 1, table


def test_finding_without_origin_shows_its_uid(check_report_factory: Any, check_report: Report) -> None:
    md = render_check_markdown(check_report_factory(list(check_report.findings), origins={}))
    assert "| `IA-SEC-001` | `aws:123456789012:us-east-1:ec2/instance/trainer` |" in md


# ------------------------------------------------------------------------------------- escaping

HOSTILE_ADDRESS = 'module.x.aws_instance.a["|`<script>alert(1)</script>`"]'


def test_hostile_addresses_and_messages_are_escaped(check_report_factory: Any) -> None:
    uid = "aws:1:us-east-1:aws_instance/a"
    origin = IacOrigin(input_file="p|lan.json", address=HOSTILE_ADDRESS, type="aws_instance", op=ChangeOp.CREATE)
    bad = Finding(
        rule_id="IA-SEC-001",
        title="Title with | pipe and <b>bold</b>",
        severity=Severity.CRITICAL,
        category="security",
        resource_uid=uid,
        message="msg `code` | <script>x</script>\n[link](https://evil.example) @octocat",
        evidence={"k": "v|`<details>`"},
        recommendation="do | this <img src=x>",
        remediation="Run `kubectl get <pod>` then <details>",
    )
    line = CostLine(
        address=HOSTILE_ADDRESS,
        type="aws_instance`|",
        op=ChangeOp.CREATE,
        instance_type_after="p5|<b>",
        instances_after=1,
        monthly_before_usd=0.0,
        monthly_after_usd=None,
        note="<script>note</script> | @team",
    )
    md = render_check_markdown(check_report_factory([bad], [line], {uid: origin}), fail_on="high")
    for table in _tables(md):
        assert len({len(_cells(row)) for row in table}) == 1, table
    assert _raw_tags(md) <= _OWN_TAGS, _raw_tags(md)
    assert "<script>" not in _CODE_SPAN.sub("", md)
    assert "\\<script\\>x\\</script\\>" in md
    assert "\\[link\\](https://evil.example)" in md
    assert "@octocat" not in md and "@&#8203;octocat" in md
    assert "@team" not in md
    assert "`kubectl get <pod>` then \\<details\\>" in md  # remediation stays Markdown
    assert _balanced(md)


def test_short_address() -> None:
    assert (
        short_address("urn:pulumi:dev::ml::aws:ec2/instance:Instance::trainer") == "aws:ec2/instance:Instance::trainer"
    )
    assert short_address("urn:pulumi:dev::ml::acme:gpu:Pool$aws:ec2/instance:Instance::pool-1") == (
        "aws:ec2/instance:Instance::pool-1"
    )
    assert short_address("aws_instance.a") == "aws_instance.a"
    long = 'module.platform.module.gpu_pools.module.training.aws_instance.worker["us-east-1a-p5-48xlarge"]'
    short = short_address(long)
    assert len(short) == 60 and short.startswith("module.platform.mod") and short.endswith('-p5-48xlarge"]')
    assert "…" in short
    assert iac_name("urn:pulumi:dev::ml::aws:ec2/instance:Instance::trainer") == "trainer"
    assert iac_name("aws_instance.a") == "aws_instance.a"
    assert iac_name("urn:pulumi:broken") == "urn:pulumi:broken"


# ------------------------------------------------------------------------------------------ size


def _many_findings(n: int, message: str) -> tuple[list[Finding], dict[str, IacOrigin]]:
    findings, origins = [], {}
    severities = list(Severity)
    for i in range(n):
        uid = f"aws:1:us-east-1:aws_instance/w{i}"
        origins[uid] = IacOrigin(
            input_file="plan.json",
            address=f"module.pool.aws_instance.worker[{i}]",
            type="aws_instance",
            op=ChangeOp.CREATE,
        )
        findings.append(
            Finding(
                rule_id="IA-GPU-004",
                title="On-demand GPU for interruptible work",
                severity=severities[i % len(severities)],
                category="cost",
                resource_uid=uid,
                message=message,
                evidence={"i": i, "why": "x" * 50},
                recommendation="Use spot.",
                remediation="See the runbook.",
            )
        )
    return findings, origins


def test_5000_findings_stay_under_the_comment_limit(check_report_factory: Any) -> None:
    findings, origins = _many_findings(5_000, "🚀 " + "long message " * 40)
    lines = [_line(f"module.pool.aws_instance.worker[{i}]", 0.0, 100.0 + i, ChangeOp.CREATE) for i in range(5_000)]
    md = render_check_markdown(check_report_factory(findings, lines, origins), fail_on="high")
    assert size(md) <= DEFAULT_MAX_CHARS < GITHUB_COMMENT_LIMIT
    assert len(md.encode("utf-8")) < 262_144
    assert md.startswith(COMMENT_MARKER + "\n**infraaudit check** ❌ **failed** (fail-on: high) · 5000 findings")
    assert re.search(r"_… \d+ (critical|high|medium|low|info) findings? not shown \(comment size limit\)\._", md)
    assert _balanced(md)
    assert md.rstrip().endswith("</sub>")
    # The most severe come first: critical findings are shown before anything is cut.
    assert "#### 🔴 Critical (1000)" in md
    assert md.splitlines()[3].startswith("_… not everything fits in a comment (GitHub's size limit)")


def test_small_limits_are_respected(check_report: Report, check_report_factory: Any) -> None:
    findings, origins = _many_findings(50, "x" * 500)
    report = check_report_factory(findings, None, origins)
    for limit in (400, 1_000, 3_000, 10_000):
        md = render_check_markdown(report, max_chars=limit)
        assert size(md) <= limit, limit
        assert md.startswith(COMMENT_MARKER)
        assert _balanced(md)


def test_astral_characters_count_double(check_report_factory: Any) -> None:
    findings, origins = _many_findings(300, "🚀" * 400)
    md = render_check_markdown(check_report_factory(findings, [], origins), max_chars=20_000)
    assert len(md) < size(md) <= 20_000


# ------------------------------------------------------------------------------------- dispatch


def test_markdown_format_picks_the_check_comment(check_report: Report, full_report: Report) -> None:
    assert render(check_report, OutputFormat.MARKDOWN, fail_on="high") == render_check_markdown(
        check_report, fail_on="high"
    )
    assert render(full_report, OutputFormat.MARKDOWN, fail_on="high") == render_markdown(full_report)
    origins_only = full_report.model_copy(update={"origins": dict(check_report.origins)})
    assert render(origins_only, "markdown").startswith(COMMENT_MARKER)


def test_unknown_fail_on_is_an_error(check_report: Report) -> None:
    with pytest.raises(ValueError, match="unknown fail-on severity 'severe'"):
        render(check_report, "markdown", fail_on="severe")


# ------------------------------------------------------------------------------------- property

_SPECIALS = ["|", "`", "<", ">", "<script>", "</details>", "\n", "\r", "\\", "$", "*", "_", "[", "]", "@", "&", "🚀"]
_text = st.lists(st.one_of(st.text(max_size=5), st.sampled_from(_SPECIALS)), max_size=6).map("".join)
_nonempty = _text.filter(lambda s: bool(s.strip()))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(
    addresses=st.lists(_nonempty, min_size=1, max_size=4, unique=True),
    message=_text,
    note=st.one_of(st.none(), _text),
    types=st.tuples(st.one_of(st.none(), _text), st.one_of(st.none(), _text)),
)
def test_any_text_keeps_tables_whole_and_html_out(
    check_report_factory: Any,
    addresses: list[str],
    message: str,
    note: str | None,
    types: tuple[str | None, str | None],
) -> None:
    origins = {
        f"aws:1:r:aws_instance/{i}": IacOrigin(input_file=a, address=a, type="aws_instance", op=ChangeOp.UPDATE)
        for i, a in enumerate(addresses)
    }
    findings = [
        Finding(
            rule_id="IA-SEC-001",
            title=message,
            severity=Severity.HIGH,
            category="security",
            resource_uid=uid,
            message=message,
            evidence={message: message},
            recommendation=message,
        )
        for uid in origins
    ]
    lines = [
        CostLine(
            address=a,
            type=a,
            op=ChangeOp.UPDATE,
            instance_type_before=types[0],
            instance_type_after=types[1],
            monthly_before_usd=1.0,
            monthly_after_usd=None if note is not None else 2.0,
            note=note,
        )
        for a in addresses
    ]
    md = render_check_markdown(check_report_factory(findings, lines, origins), fail_on="high")
    for table in _tables(md):
        assert len({len(_cells(row)) for row in table}) == 1, table
    assert _raw_tags(md) <= _OWN_TAGS, _raw_tags(md)
    assert _balanced(md)
    assert md.splitlines()[0] == COMMENT_MARKER
