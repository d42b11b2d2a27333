"""Terminal table: findings grouped by severity, then a summary. Rendered with rich to a string."""

from __future__ import annotations

import re
from collections import Counter
from io import StringIO

from rich import box
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..models import Finding, Report, Severity
from .formatting import (
    SEVERITY_ORDER,
    active_findings,
    counts_phrase,
    gap_phrase,
    money,
    plural,
    provider_phrase,
    savings_total,
    severity_counts,
    sort_findings,
    suppressed_findings,
    suppression_phrase,
)

#: Narrower than this and the columns become unreadable; the CLI may pass a tiny terminal width.
MIN_WIDTH = 80
# Between two columns of box.SIMPLE_HEAVY without edges: padding, divider, padding.
_COLUMN_GAP = 3
_AMOUNT_HEADER = "Est. saving/month"

_SEVERITY_STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}

# C0/C1 control characters other than newline and tab: a resource name or tag value holding
# an escape sequence must not drive the reader's terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\t", " ")
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _text(text: str, style: str = "") -> Text:
    # Text, never markup: "[bold]" in a message is printed as written.
    return Text(_clean(text), style=style)


def _console(file: StringIO, width: int, color: bool) -> Console:
    return Console(
        file=file,
        width=max(width, MIN_WIDTH),
        color_system="standard" if color else None,
        force_terminal=color,
        force_jupyter=False,
        force_interactive=False,
        legacy_windows=False,
        no_color=not color,
        markup=False,
        emoji=False,
        highlight=False,
        soft_wrap=False,
        # No COLUMNS, NO_COLOR, FORCE_COLOR, TERM...: the output depends on the arguments only.
        _environ={},
    )


def _saving_cell(finding: Finding) -> Text:
    if finding.suppressed:
        return Text("excluded", style="dim")
    return Text(money(finding.estimated_monthly_savings_usd))


def _findings_table(findings: list[Finding], width: int) -> Table:
    table = Table(box=box.SIMPLE_HEAVY, show_edge=False, pad_edge=False)
    # Explicit widths: severity, rule and amount never lose characters; resource and message
    # share what is left and fold (never "…": uids are what people copy).
    sev_w = len("CRITICAL")
    rule_w = min(max(len(_clean(f.rule_id)) for f in findings), 24)
    header = _AMOUNT_HEADER if width >= 100 else "saving/month"  # wraps under "Est." when narrow
    amount_w = max(len(header), *(len(_saving_cell(f).plain) for f in findings))
    left = width - (sev_w + rule_w + amount_w) - _COLUMN_GAP * 4
    uid_w = max(min(max(len(_clean(f.resource_uid)) for f in findings), left // 2), 12)
    message_w = max(left - uid_w, 16)
    table.add_column("Severity", width=sev_w)
    table.add_column("Rule", width=rule_w, overflow="fold")
    table.add_column("Resource", width=uid_w, overflow="fold")
    table.add_column("Message", width=message_w, overflow="fold")
    table.add_column(_AMOUNT_HEADER, width=amount_w, justify="right")

    groups = {sev: [f for f in findings if f.severity is sev] for sev in SEVERITY_ORDER}
    first = True
    for severity, group in groups.items():
        if not group:
            continue
        if not first:
            table.add_section()
        first = False
        style = _SEVERITY_STYLE[severity]
        # Active findings first, waived ones after them, in the same group.
        for finding in active_findings(group) + suppressed_findings(group):
            if finding.suppression is None:
                sev_cell = _text(severity.value.upper(), style)
                message = _text(finding.message or finding.title)
            else:
                sev_cell = _text(severity.value.upper(), "dim")
                sev_cell.append("\n(waived)", style="dim")
                message = _text(finding.message or finding.title, "dim")
                message.append("\n")
                message.append(_text(suppression_phrase(finding.suppression), "italic"))
            table.add_row(sev_cell, _text(finding.rule_id), _text(finding.resource_uid), message, _saving_cell(finding))
    return table


def _gaps_panel(report: Report) -> Panel:
    body = Text()
    body.append(
        f"{plural(len(report.gaps), 'coverage gap')}: these were not collected, so the findings "
        "and totals below cover only what was scanned.",
        style="bold",
    )
    for gap in report.gaps:
        body.append("\n  - ")
        body.append(_text(gap_phrase(gap)))
    return Panel(body, title="SCAN INCOMPLETE", title_align="left", border_style="bold red", box=box.HEAVY)


def _summary(report: Report) -> Table:
    active = active_findings(report.findings)
    waived = suppressed_findings(report.findings)
    inv = report.inventory

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")

    resources = str(inv.resources)
    if providers := provider_phrase(inv.by_provider):
        resources += f" ({providers})"
    grid.add_row("Resources scanned", _text(resources))
    grid.add_row("GPUs", str(inv.gpus))
    cost = money(inv.monthly_cost_usd)
    if inv.unpriced_resources:
        cost += f" (excludes {plural(len(inv.unpriced_resources), 'unpriced resource')})"
    grid.add_row("Monthly cost", cost)
    reasons = Counter(u.reason for u in inv.unpriced_resources)
    unpriced = "; ".join(f"{reason}: {n}" for reason, n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])))
    grid.add_row("Unpriced resources", _text(f"{len(inv.unpriced_resources)} ({unpriced})" if reasons else "0"))
    if active:
        grid.add_row("Findings", f"{len(active)}: {counts_phrase(severity_counts(active))}")
    else:
        grid.add_row("Findings", "0")
    grid.add_row("Suppressed", f"{len(waived)} (not counted in totals)" if waived else "0")
    grid.add_row("Est. savings/month", Text(money(savings_total(report)), style="bold green"))
    if report.gaps:
        grid.add_row("Coverage", Text(f"INCOMPLETE: {plural(len(report.gaps), 'gap')} (listed above)", "bold red"))
    else:
        grid.add_row("Coverage", "complete")
    return grid


def render_table(report: Report, *, color: bool = False, width: int = 120) -> str:
    """The human report: a header, coverage gaps (if any), findings by severity, a summary."""
    buf = StringIO()
    console = _console(buf, width, color)
    parts: list[RenderableType] = [
        _text(f"infraaudit {report.tool_version} - report generated {report.generated_at.isoformat()}", "bold"),
        Text(""),
    ]
    if report.gaps:
        parts += [_gaps_panel(report), Text("")]
    if report.findings:
        parts.append(_findings_table(sort_findings(report.findings), console.width))
    else:
        scope = " in the scanned scope" if report.gaps else ""
        parts.append(Text(f"No findings{scope}.", style="bold green"))
    parts += [Text(""), Text("Summary", style="bold underline"), _summary(report)]
    console.print(Group(*parts))
    out = buf.getvalue()
    # rich pads lines to the full width; trailing blanks only make diffs noisy.
    return "\n".join(line.rstrip() for line in out.splitlines()) + "\n"
