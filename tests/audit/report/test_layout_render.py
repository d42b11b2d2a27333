"""Layout renderers and the Layout model's own checks."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from infraaudit.audit.models import Layout, LayoutTotals, Placement
from infraaudit.audit.report.layout import STACK_LAYOUT_KEY, LayoutFormat, render_layout, stack_config


def placement(**fields: Any) -> Placement:
    base: dict[str, Any] = {
        "workload": "chat",
        "kind": "inference",
        "provider": "aws",
        "region": "us-east-1",
        "capacity": "spot",
        "instance_type": "g6.xlarge",
        "accelerator": "L4",
        "gpus_per_instance": 1,
        "gpu_memory_gib_per_instance": 24,
        "instances": 2,
        "hours_per_month": 730,
        "gpu_hours_per_month": 1460,
        "required_gpu_memory_gib": 17.5,
        "monthly_cost_usd": 512.25,
        "interruptible": True,
        "rationale": "spot g6.xlarge in aws us-east-1 is the cheapest | that fits",
    }
    base.update(fields)
    return Placement.model_validate(base)


def layout(*placements: Placement, **fields: Any) -> Layout:
    chosen = list(placements) or [placement()]
    return Layout(
        generated_at=datetime(2026, 11, 23, tzinfo=UTC),
        catalog_date="2026-11-22",
        placements=chosen,
        totals=LayoutTotals(
            monthly_cost_usd=sum(p.monthly_cost_usd for p in chosen),
            by_capacity={"spot": 512.25},
            by_site={"aws:us-east-1": 512.25},
            gpus=2,
        ),
        **fields,
    )


def test_every_format_renders() -> None:
    for fmt in LayoutFormat:
        assert render_layout(layout(), fmt)


def test_json_and_yaml_round_trip() -> None:
    original = layout()
    assert Layout.model_validate(json.loads(render_layout(original, LayoutFormat.JSON))) == original
    assert Layout.model_validate(yaml.safe_load(render_layout(original, LayoutFormat.YAML))) == original


def test_markdown_escapes_cells() -> None:
    text = render_layout(layout(), LayoutFormat.MARKDOWN)
    row = next(line for line in text.splitlines() if line.startswith("| chat"))
    assert "cheapest \\| that fits" in row
    assert row.count(" | ") == 8  # nine cells, none split by the rationale's pipe


def test_table_has_summary_and_on_prem_location() -> None:
    on_prem = placement(workload="vault", provider="onprem", site="fra1", region="eu-frankfurt",
                        capacity="on_prem", instance_type=None)  # fmt: skip
    text = render_layout(layout(placement(), on_prem), LayoutFormat.TABLE)
    assert "onprem:fra1" in text and "2 workload(s)" in text and "$512.25" in text


def test_stack_config_carries_the_layout_and_provider_keys() -> None:
    text = stack_config(layout(), {"gcp:project": "p", "aws:region": "us-east-1"})
    assert text.startswith("# Written by `infraaudit recommend")
    config = yaml.safe_load(text)["config"]
    assert list(config) == ["aws:region", "gcp:project", STACK_LAYOUT_KEY]
    assert Layout.model_validate(config[STACK_LAYOUT_KEY]) == layout()


def test_placement_and_layout_validation() -> None:
    with pytest.raises(ValidationError, match="on-prem placement needs a site"):
        placement(provider="onprem", capacity="on_prem", instance_type=None)
    with pytest.raises(ValidationError, match="cloud placement needs an instance type"):
        placement(instance_type=None)
    with pytest.raises(ValidationError, match="placed twice"):
        layout(placement(), placement())
    with pytest.raises(ValidationError, match="extra"):
        placement(surprise=1)
