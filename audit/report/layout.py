"""A recommended Layout rendered as a terminal table, JSON, YAML (layout.yaml) or Markdown, and the
Pulumi stack config (`Pulumi.<stack>.yaml`) that stacks/ reads it from."""

from __future__ import annotations

import json
from collections.abc import Mapping
from enum import StrEnum
from io import StringIO
from typing import Any

import yaml
from rich import box
from rich.console import Console
from rich.table import Table

from ..models import Layout, Placement
from .formatting import money
from .markdown import escape_text

STACK_LAYOUT_KEY = "infraaudit:layout"


class LayoutFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    YAML = "yaml"
    MARKDOWN = "markdown"


def render_layout(layout: Layout, fmt: LayoutFormat, *, width: int = 120) -> str:
    if fmt is LayoutFormat.JSON:
        return json.dumps(layout.model_dump(mode="json"), indent=2) + "\n"
    if fmt is LayoutFormat.YAML:
        return _yaml(layout.model_dump(mode="json"))
    if fmt is LayoutFormat.MARKDOWN:
        return _markdown(layout)
    if fmt is LayoutFormat.TABLE:
        return _table(layout, width)
    raise ValueError(f"unknown layout format {fmt!r}")


def stack_config(
    layout: Layout, extra: Mapping[str, Any] | None = None, existing: Mapping[str, Any] | None = None
) -> str:
    """Pulumi.<stack>.yaml: the layout under `infraaudit:layout`, plus provider keys such as gcp:project.
    An existing stack config is kept (encryption salt, secrets provider, keys set with `pulumi config
    set`, secure values); only the layout and the keys given here are replaced. YAML comments are lost."""
    document: dict[str, Any] = dict(existing or {})
    config: dict[str, Any] = dict(document.get("config") or {})
    config.update(sorted((extra or {}).items()))
    config[STACK_LAYOUT_KEY] = layout.model_dump(mode="json")
    document["config"] = config
    header = "# Written by `infraaudit recommend --write-stack-config`; stacks/ provisions the cloud placements.\n"
    return header + _yaml(document)


def _yaml(document: Any) -> str:
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=1000)


def _where(p: Placement) -> str:
    return f"onprem:{p.site}" if p.site else f"{p.provider.value}:{p.region}"


def _what(p: Placement) -> str:
    if p.instance_type:
        return p.instance_type
    return f"{p.gpus_per_instance} x {p.accelerator}"


def _cells(p: Placement) -> list[str]:
    """Workload, where, capacity, type, instances, need, cost and today's cost of one placement."""
    return [
        p.workload,
        _where(p),
        p.capacity.value,
        _what(p),
        str(p.instances),
        f"{p.required_gpu_memory_gib:g}",
        money(p.monthly_cost_usd),
        "" if p.current_monthly_cost_usd is None else money(p.current_monthly_cost_usd),
    ]


def _summary_lines(layout: Layout) -> list[str]:
    totals = layout.totals
    lines = [f"{len(layout.placements)} workload(s), {totals.gpus} GPU(s): {money(totals.monthly_cost_usd)}/month"]
    if totals.current_monthly_cost_usd is not None and totals.monthly_saving_usd is not None:
        lines.append(
            f"today {money(totals.current_monthly_cost_usd)}/month for the scanned workloads: "
            f"saving {money(totals.monthly_saving_usd)}/month"
        )
    baselines = layout.baselines
    for label, value in (("all on-demand", baselines.all_on_demand_usd), ("greedy", baselines.greedy_usd)):
        if value is not None and value > 0:
            saved = value - totals.monthly_cost_usd
            verdict = f"{saved / value:.1%} less" if saved >= 0.01 else "the same"
            lines.append(f"vs {label}: {money(value)}/month ({verdict})")
    alone = baselines.cheapest_alone_usd
    if alone is not None and totals.monthly_cost_usd - alone >= 0.01:
        extra = money(totals.monthly_cost_usd - alone)
        lines.append(f"shared limits (pools, quotas, budget) cost {extra}/month over each workload's cheapest alone")
    lines.append("by capacity: " + ", ".join(f"{k} {money(v)}" for k, v in totals.by_capacity.items()))
    lines.append("by location: " + ", ".join(f"{k} {money(v)}" for k, v in totals.by_site.items()))
    if layout.solver is not None:
        s = layout.solver
        lines.append(
            f"solver: HiGHS {s.version}, {s.status}, gap {s.mip_gap:.3%}, {s.variables} options, "
            f"{s.solve_seconds:.2f} s"
        )
    lines.extend(f"note: {note}" for note in layout.notes)
    return lines


def _table(layout: Layout, width: int) -> str:
    table = Table(box=box.SIMPLE_HEAVY, show_edge=False, pad_edge=False)
    for header, justify in (
        ("Workload", "left"),
        ("Where", "left"),
        ("Capacity", "left"),
        ("Type", "left"),
        ("Inst.", "right"),
        ("Need GiB", "right"),
        ("$/month", "right"),
        ("Today", "right"),
    ):
        table.add_column(header, justify=justify)  # type: ignore[arg-type]
    for p in layout.placements:
        table.add_row(*_cells(p))
    buffer = StringIO()
    console = Console(file=buffer, width=max(width, 80), no_color=True, highlight=False, soft_wrap=False)
    console.print(table)
    console.print("\n".join(_summary_lines(layout)), markup=False, soft_wrap=True)
    return buffer.getvalue()


def _markdown(layout: Layout) -> str:
    out = ["## infraaudit recommended layout", ""]
    out.extend(f"- {escape_text(line)}" for line in _summary_lines(layout))
    out += [
        "",
        "| Workload | Where | Capacity | Type | Instances | Need GiB | $/month | Today | Why |",
        "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for p in layout.placements:
        out.append("| " + " | ".join(escape_text(c) for c in [*_cells(p), p.rationale]) + " |")
    return "\n".join(out) + "\n"
