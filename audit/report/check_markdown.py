"""The pull-request comment for ``infraaudit check``: a GitHub-flavoured Markdown report.

Selected by ``OutputFormat.MARKDOWN`` whenever the report is a check report (it has a
``cost_change`` or IaC ``origins``); scan reports keep :func:`.markdown.render_markdown`.

Layout, top to bottom::

    <!-- infraaudit-check -->                      marker: the Action finds and updates its comment
    **infraaudit check** ❌ failed … · counts · GPU cost before → after (±change)
    #### GPU cost change                           changed resources by |change|, 25 rows at most
    #### 🔴 Critical (n) … ⚪ Info (n)               violations by severity: rule, title, address,
                                                   message, remediation
    <details> Waived findings </details>
    <details> Evidence </details>
    <details> All planned GPU resources </details>   unchanged and unpriced lines included
    <sub>infraaudit version · policies · inputs</sub>

Text from plans and findings is escaped (``markdown.escape_text``) or put in code spans, so an
address or message holding ``|``, backticks, ``<script>`` or newlines cannot break a table, open
HTML or inject links. GitHub refuses comments over 65,536 characters: sections share a budget
(``max_chars``, counted in UTF-16 code units, which is never less than the number of characters)
in order of importance -- the cost table, violations, waived findings, evidence, the full list --
and rows that do not fit are counted in a note instead. A final guard cuts the text if the
estimate was ever wrong, so an oversized comment is never produced.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from ..models import ChangeOp, CostChange, CostLine, Finding, IacOrigin, Report
from .formatting import (
    SEVERITY_ORDER,
    active_findings,
    counts_phrase,
    gate_verdict,
    plural,
    severity_counts,
    short_address,
    sort_findings,
    source_phrase,
    suppressed_findings,
)
from .markdown import SEVERITY_ICON as _ICON
from .markdown import code, escape_cell, escape_text, md_money, rows_within

#: First line of every check comment; the Action looks for it to update its own comment.
COMMENT_MARKER = "<!-- infraaudit-check -->"
#: GitHub's limit on a comment body.
GITHUB_COMMENT_LIMIT = 65_536
#: What the renderer aims for: under the limit with room for a caller's own line or two.
DEFAULT_MAX_CHARS = 65_000
#: Changed resources shown in the cost table; the rest are counted (and listed in the details).
COST_ROWS = 25

_VERDICT = {
    "fail": "❌ **failed**",
    "pass": "✅ **passed**",
    "none": "ℹ️ **not gated**",
}
# Longest text taken from a plan or finding into one cell, before escaping.
_CELL = 600
_EVIDENCE = 300
# Reserved per table for its header, the rule and a "not shown" note.
_TABLE_OVERHEAD = 600
_TRUNCATED = (
    "_… not everything fits in a comment (GitHub's size limit): the full results are in code scanning "
    "and `infraaudit check --format json`._"
)


def _plain(text: str) -> str:
    """Plain text for a cell: escaped, and ``@name`` kept from notifying anyone (a zero-width
    space after the ``@``, as GitHub's own bots write it)."""
    return escape_text(text).replace("@", "@&#8203;")


def _code(text: str) -> str:
    """An inline code span (no mentions or HTML inside one), or plain text when it cannot be one."""
    span = code(text)
    return span if span.startswith("`") else span.replace("@", "@&#8203;")


def size(text: str) -> int:
    """Length as GitHub may count it: UTF-16 code units (astral emoji count twice)."""
    return len(text.encode("utf-16-le")) // 2


def _clip(text: str, limit: int = _CELL) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


class _Budget:
    def __init__(self, limit: int) -> None:
        self.left = limit
        self.cut = False  # something was left out

    def take(self, text: str) -> bool:
        need = size(text) + 1
        if need > self.left:
            self.cut = True
            return False
        self.left -= need
        return True


def _table(header: list[str], align: list[str], rows: list[str], budget: _Budget, what: str) -> list[str]:
    """Header and as many rows as the budget allows; the rest are counted in a note."""
    if not budget.take("x" * _TABLE_OVERHEAD):
        return [f"_{plural(len(rows), what)} not shown (comment size limit)._"]
    fitted = rows_within(rows, budget)
    lines = [_row(header), _row(align), *fitted]
    if len(fitted) < len(rows):
        lines += ["", f"_… {plural(len(rows) - len(fitted), what)} not shown (comment size limit)._"]
    return lines


# ----------------------------------------------------------------------------------- cost lines


def _money(amount: float | None) -> str:
    return "unknown" if amount is None else md_money(amount)


def _signed(amount: float) -> str:
    text = md_money(amount)
    return text if text.startswith("-") or text == md_money(0.0) else "+" + text


def _change_cell(line: CostLine) -> str:
    delta = line.delta_usd
    if delta is None:
        note = f": {_plain(_clip(line.note))}" if line.note else ""
        return f"⚠️ unpriced{note}"
    return _signed(delta)


def _arrow(before: str, after: str) -> str:
    return before if before == after else f"{before} → {after}"


def _types(line: CostLine) -> str:
    """``g5.xlarge → g5.2xlarge``; ``—`` for a side that does not exist, ``unknown`` for one not known."""
    before = _plain(_clip(line.instance_type_before or "unknown", 80))
    after = _plain(_clip(line.instance_type_after or "unknown", 80))
    if line.op is ChangeOp.CREATE:
        before = "—"
    if line.op is ChangeOp.DELETE:
        after = "—"
    return _arrow(before, after)


def _resource(address: str) -> str:
    return _code(short_address(address))


def _changed(line: CostLine) -> bool:
    delta = line.delta_usd
    if delta is None:
        return line.op is not ChangeOp.SAME
    return abs(delta) >= 0.005


def _cost_rows(lines: list[CostLine]) -> list[str]:
    priced = sorted((x for x in lines if x.delta_usd is not None), key=lambda x: (-abs(x.delta_usd or 0.0), x.address))
    unpriced = sorted((x for x in lines if x.delta_usd is None), key=lambda x: x.address)
    return [
        _row(
            [
                _resource(line.address),
                line.op.value,
                _types(line),
                _arrow(str(line.instances_before), str(line.instances_after)),
                _money(line.monthly_before_usd),
                _money(line.monthly_after_usd),
                _change_cell(line),
            ]
        )
        for line in priced + unpriced
    ]


def _full_row(line: CostLine) -> str:
    return _row(
        [
            _code(_clip(line.address, 300)),
            _code(_clip(line.type, 120)),
            line.op.value,
            _types(line),
            _arrow(str(line.instances_before), str(line.instances_after)),
            _money(line.monthly_before_usd),
            _money(line.monthly_after_usd),
            _plain(_clip(line.note or "")),
        ]
    )


def cost_phrase(change: CostChange) -> str:
    """``GPU cost/month \\$1,000.00 → \\$3,000.00 (+\\$2,000.00)`` (and the unpriced count)."""
    text = (
        f"GPU cost/month {md_money(change.monthly_before_usd)} → {md_money(change.monthly_after_usd)} "
        f"(**{_signed(change.delta_usd)}**)"
    )
    if change.unpriced:
        text += f", ⚠️ {change.unpriced} unpriced (not in totals)"
    return text


# ------------------------------------------------------------------------------------- findings


def _where(finding: Finding, origins: dict[str, IacOrigin]) -> str:
    origin = origins.get(finding.resource_uid)
    if origin is None:
        return _code(_clip(finding.resource_uid, 200))
    cell = _resource(origin.address)
    if (source := source_phrase(origin)) is not None:
        cell += f"<br><sub>{_plain(_clip(source, 200))}</sub>"
    return cell


def _finding_row(finding: Finding, origins: dict[str, IacOrigin]) -> str:
    what = f"**{_plain(_clip(finding.title))}**" if finding.title.strip() else ""
    if finding.message.strip():
        message = _plain(_clip(finding.message))
        what = f"{what}<br>{message}" if what else message
    fix = [_plain(_clip(finding.recommendation))] if finding.recommendation.strip() else []
    if finding.remediation.strip() and finding.remediation.strip() != finding.recommendation.strip():
        fix.append(escape_cell(_clip(finding.remediation)))
    return _row([_code(finding.rule_id), _where(finding, origins), what, "<br>".join(fix)])


def _waived_row(finding: Finding, origins: dict[str, IacOrigin]) -> str:
    suppression = finding.suppression
    reason = _plain(_clip(suppression.reason)) if suppression else ""
    expires = suppression.expires.isoformat() if suppression and suppression.expires else "never"
    return _row(
        [
            f"{_ICON[finding.severity]} {finding.severity.value}",
            _code(finding.rule_id),
            _where(finding, origins),
            _plain(_clip(finding.message or finding.title)),
            reason,
            expires,
        ]
    )


def _evidence_row(finding: Finding, origins: dict[str, IacOrigin]) -> str:
    dumped = finding.model_dump(mode="json")["evidence"]  # dates and non-finite numbers made JSON-safe
    evidence = json.dumps(dumped, ensure_ascii=False, separators=(", ", ": "), sort_keys=True)
    return _row([_code(finding.rule_id), _where(finding, origins), _code(_clip(evidence, _EVIDENCE))])


# --------------------------------------------------------------------------------------- render


def summary_line(report: Report, fail_on: str | None) -> str:
    active = active_findings(report.findings)
    verdict = gate_verdict(report.findings, fail_on)
    line = f"**infraaudit check** {_VERDICT[verdict]}"
    if verdict != "none":
        line += f" (fail-on: {fail_on})"
    line += " · " + (
        f"{plural(len(active), 'finding')} ({counts_phrase(severity_counts(active))})" if active else "no findings"
    )
    waived = suppressed_findings(report.findings)
    if waived:
        line += f", {len(waived)} waived"
    if report.cost_change is not None:
        line += " · " + cost_phrase(report.cost_change)
    if report.gaps:
        line += f" · ⚠️ incomplete ({plural(len(report.gaps), 'coverage gap')})"
    return line


def _footer(report: Report) -> str:
    parts = [f"infraaudit {_plain(_clip(report.tool_version, 40))}"]
    ids = [p.id for p in report.policies]
    if ids:
        shown = ", ".join(ids[:30]) + (f" +{len(ids) - 30} more" if len(ids) > 30 else "")
        parts.append(f"{plural(len(ids), 'policy', 'policies')}: {shown}")
    inputs = sorted({o.input_file for o in report.origins.values()})
    if inputs:
        shown = ", ".join(_code(_clip(i, 120)) for i in inputs[:10])
        more = f" +{len(inputs) - 10} more" if len(inputs) > 10 else ""
        parts.append(f"{plural(len(inputs), 'input')}: {shown}{more}")
    parts.append(f"generated {report.generated_at.isoformat()}")
    return "<sub>" + " · ".join(parts) + "</sub>"


def _details(summary: str, body: list[str]) -> list[str]:
    return ["<details>", f"<summary>{summary}</summary>", "", *body, "", "</details>", ""]


def render_check_markdown(report: Report, *, fail_on: str | None = None, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """The PR comment for a check report; ``fail_on`` is the CLI's ``--fail-on`` (None: no gate)."""
    findings = sort_findings(report.findings)
    active = active_findings(findings)
    waived = suppressed_findings(findings)
    origins = report.origins
    change = report.cost_change or CostChange()

    head = [COMMENT_MARKER, summary_line(report, fail_on), ""]
    if report.gaps:
        head += [
            "> [!CAUTION]",
            f"> **Incomplete**: {plural(len(report.gaps), 'coverage gap')}; the results cover only what was read.",
            "",
        ]
    footer = _footer(report)
    budget = _Budget(max_chars - sum(size(x) + 1 for x in head) - size(footer) - 1 - size(_TRUNCATED) - 2)

    # Built in order of importance (each takes from the budget), shown in reading order.
    changed = [x for x in change.lines if _changed(x)]
    cost: list[str] = ["#### GPU cost change", ""]
    if changed:
        rows = _cost_rows(changed)
        cost += _table(
            ["Resource", "Op", "Instance type", "Instances", "Before/month", "After/month", "Change"],
            ["---", "---", "---", "---:", "---:", "---:", "---:"],
            rows[:COST_ROWS],
            budget,
            "changed resource",
        )
        if len(rows) > COST_ROWS:
            cost += ["", f"_… and {plural(len(rows) - COST_ROWS, 'more changed resource')} (all are listed below)._"]
    elif change.lines:
        cost.append(f"No GPU cost change ({plural(len(change.lines), 'planned GPU resource')}).")
    else:
        cost.append("No GPU resources in the plan.")
    cost.append("")

    violations: list[str] = []
    if active:
        for severity in SEVERITY_ORDER:
            group = [f for f in active if f.severity is severity]
            if not group:
                continue
            violations += [f"#### {_ICON[severity]} {severity.value.capitalize()} ({len(group)})", ""]
            violations += _table(
                ["Rule", "Resource", "Finding", "Remediation"],
                ["---", "---", "---", "---"],
                [_finding_row(f, origins) for f in group],
                budget,
                f"{severity.value} finding",
            )
            violations.append("")
    else:
        violations += ["No policy violations. ✅" if not report.gaps else "No policy violations in what was read.", ""]

    waived_block: list[str] = []
    if waived:
        waived_block = _details(
            f"{plural(len(waived), 'waived finding')} (not counted by the gate)",
            _table(
                ["Severity", "Rule", "Resource", "Finding", "Waiver reason", "Expires"],
                ["---"] * 6,
                [_waived_row(f, origins) for f in waived],
                budget,
                "waived finding",
            ),
        )

    evidence_block: list[str] = []
    with_evidence = [f for f in active if f.evidence]
    if with_evidence:
        evidence_block = _details(
            f"Evidence ({plural(len(with_evidence), 'finding')})",
            _table(
                ["Rule", "Resource", "Evidence"],
                ["---"] * 3,
                [_evidence_row(f, origins) for f in with_evidence],
                budget,
                "finding",
            ),
        )

    full_block: list[str] = []
    if change.lines:
        unchanged = sum(1 for x in change.lines if not _changed(x))
        unpriced = sum(1 for x in change.lines if x.delta_usd is None)
        title = f"All {plural(len(change.lines), 'planned GPU resource')}"
        full_block = _details(
            f"{title} ({unchanged} without cost change, {unpriced} unpriced)",
            _table(
                ["Address", "Type", "Op", "Instance type", "Instances", "Before/month", "After/month", "Note"],
                ["---", "---", "---", "---", "---:", "---:", "---:", "---"],
                [_full_row(x) for x in sorted(change.lines, key=lambda x: x.address)],
                budget,
                "planned resource",
            ),
        )

    if budget.cut:  # room for this line was set aside with the budget
        head += [_TRUNCATED, ""]
    text = "\n".join([*head, *cost, *violations, *waived_block, *evidence_block, *full_block, footer]) + "\n"
    return _fit(text, footer, max_chars)


def _fit(text: str, footer: str, max_chars: int) -> str:
    """The guard: never more than ``max_chars`` (nor GitHub's limit), whatever the estimate said."""
    limit = min(max_chars, GITHUB_COMMENT_LIMIT)
    if size(text) <= limit:
        return text
    tail = f"\n\n{_TRUNCATED}\n\n{footer}\n"
    keep: list[str] = []
    used = size(tail) + len("\n</details>\n")
    for line in text.splitlines():
        if used + size(line) + 1 > limit:
            break
        keep.append(line)
        used += size(line) + 1
    body = "\n".join(keep)
    if body.count("<details>") > body.count("</details>"):
        body += "\n</details>"
    out = body + tail
    if size(out) > limit:  # a pathological footer: the marker and the note are what must remain
        out = f"{COMMENT_MARKER}\n{_TRUNCATED}\n"
    return out


__all__ = ["COMMENT_MARKER", "DEFAULT_MAX_CHARS", "GITHUB_COMMENT_LIMIT", "render_check_markdown", "size"]
