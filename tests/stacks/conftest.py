"""Layouts for the stack tests: real catalog instance types and regions, placements built by hand."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from infraaudit.audit.models import Layout, LayoutTotals, Placement, Provider

GENERATED = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
TEAM = {"team": "llm", "cost-center": "cc-42"}


def make_placement(workload: str, provider: str, region: str, capacity: str, **fields: Any) -> Placement:
    """A cloud (or, with site=..., on-prem) placement; defaults: one L4, training, well tagged."""
    values: dict[str, Any] = {
        "workload": workload,
        "kind": "training",
        "provider": provider,
        "region": region,
        "capacity": capacity,
        "accelerator": "L4",
        "gpus_per_instance": 1,
        "gpu_memory_gib_per_instance": 24.0,
        "instances": 2,
        "hours_per_month": 730.0,
        "required_gpu_memory_gib": 12.0,
        "monthly_cost_usd": 1000.0,
        "interruptible": capacity == "spot",
        "data_classification": "internal",
        "owner": "ml-platform",
        "tags": dict(TEAM),
        "rationale": "the cheapest option that fits",
    }
    values.update(fields)
    values.setdefault(
        "gpu_hours_per_month", values["hours_per_month"] * values["instances"] * values["gpus_per_instance"]
    )
    return Placement.model_validate(values)


def make_layout(*placements: Placement) -> Layout:
    total = sum(p.monthly_cost_usd for p in placements)
    by_provider: dict[str, float] = {}
    for p in placements:
        by_provider[p.provider.value] = by_provider.get(p.provider.value, 0.0) + p.monthly_cost_usd
    return Layout(
        generated_at=GENERATED,
        catalog_date="2026-11-01",
        placements=list(placements),
        totals=LayoutTotals(
            monthly_cost_usd=round(total, 2),
            by_provider=by_provider,
            gpus=sum(p.instances * p.gpus_per_instance for p in placements),
        ),
    )


def on_prem(workload: str, site: str = "fra1", **fields: Any) -> Placement:
    values: dict[str, Any] = {
        "site": site,
        "accelerator": "A100",
        "gpus_per_instance": 8,
        "gpu_memory_gib_per_instance": 320.0,
        "instances": 1,
        "hours_per_month": 600.0,
        "monthly_cost_usd": 2500.0,
        "interruptible": False,
        "data_classification": "restricted",
    }
    values.update(fields)
    return make_placement(workload, Provider.ONPREM.value, "eu-central", "on_prem", **values)


# Test modules are imported with --import-mode=importlib (no package): the builders are fixtures.
@pytest.fixture(scope="session")
def placement() -> Callable[..., Placement]:
    return make_placement


@pytest.fixture(scope="session")
def layout() -> Callable[..., Layout]:
    return make_layout


@pytest.fixture(scope="session")
def on_prem_placement() -> Callable[..., Placement]:
    return on_prem
