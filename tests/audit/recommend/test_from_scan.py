"""A scanned fleet becomes jobs with measured needs, and the layout shows the saving against today."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from infraaudit.audit.catalog import Catalog
from infraaudit.audit.config import Settings
from infraaudit.audit.models import Capacity
from infraaudit.audit.recommend import Request, jobs_from_inventory, plan_layout
from infraaudit_testing import gpu_resource

SETTINGS = Settings()
NOW = datetime(2026, 11, 23, tzinfo=UTC)


def metric(value: float, coverage: float = 1.0) -> dict[str, Any]:
    return {"avg": value / 2, "p95": value, "max": value, "samples": 336, "coverage": coverage, "window_days": 14}


def scanned(**overrides: Any) -> Any:
    # p4d.24xlarge is not in the tiny catalog: g.quad (4 x L4, $5/h on demand in us-east-1) is.
    fields: dict[str, Any] = {
        "instance_type": "g.quad",
        "accelerators": [{"model": "L4", "count": 4, "memory_gib": 24}],
        "cost": {"hourly_current": 5.0, "hourly_on_demand": 5.0, "hourly_spot": 2.0},
        "utilization": {"gpu_percent": metric(60), "gpu_memory_used_gib": metric(10), "uptime_fraction": 1.0},
    }
    fields.update(overrides)
    return gpu_resource(**fields)


def test_measured_peak_memory_rightsizes_and_shows_the_saving(catalog: Catalog) -> None:
    jobs, notes = jobs_from_inventory([scanned()], SETTINGS, 0.9)
    assert notes == []
    (job,) = jobs
    # peak 10 GiB x 1.25 headroom = 12.5 GiB: one L4 instead of four
    assert job.need_gib == 12.5 and job.min_gpus == 1
    assert job.source_uid == "aws:111122223333:us-east-1:i-0abc"
    assert job.current_monthly_cost_usd == 5.0 * 730
    assert job.locations == tuple(SETTINGS.residency.classes["internal"])
    layout = plan_layout(jobs, Request(), catalog, SETTINGS, now=NOW)
    (p,) = layout.placements
    assert p.instance_type == "g.small"
    assert p.current_monthly_cost_usd == 3650.0
    # a commitment on g.small: 730 h x $1.00 x 0.7 = $511
    assert p.capacity is Capacity.COMMITTED and p.monthly_cost_usd == pytest.approx(511.0)
    assert layout.totals.current_monthly_cost_usd == 3650.0
    assert layout.totals.monthly_saving_usd == pytest.approx(3650.0 - 511.0)


def test_without_memory_telemetry_the_gpus_are_kept(catalog: Catalog) -> None:
    resource = scanned(utilization={"gpu_percent": metric(60)})
    (job,), _ = jobs_from_inventory([resource], SETTINGS, 0.9)
    assert job.min_gpus == 4 and job.need_gib == pytest.approx(96 * 0.9)
    assert "no GPU memory telemetry" in job.sizing
    (p,) = plan_layout([job], Request(), catalog, SETTINGS, now=NOW).placements
    assert p.gpus_per_instance >= 4


def test_too_little_coverage_is_not_trusted() -> None:
    resource = scanned(utilization={"gpu_memory_used_gib": metric(10, coverage=0.2)})
    (job,), _ = jobs_from_inventory([resource], SETTINGS, 0.9)
    assert job.min_gpus == 4


def test_uptime_sets_the_hours_and_interruptible_tags_allow_spot(catalog: Catalog) -> None:
    tags = {"owner": "ml", "team": "r", "cost-center": "1", "data-classification": "internal", "workload": "batch"}
    resource = scanned(
        tags=tags,
        utilization={"gpu_memory_used_gib": metric(10), "uptime_fraction": 0.25},
    )
    (job,), _ = jobs_from_inventory([resource], SETTINGS, 0.9)
    assert job.workload.interruptible and job.workload.kind.value == "batch"
    assert job.workload.demand.hours_per_day == 6.0
    (p,) = plan_layout([job], Request(), catalog, SETTINGS, now=NOW).placements
    # 182.5 h x $0.40 spot x 1.1
    assert p.capacity is Capacity.SPOT and p.monthly_cost_usd == pytest.approx(80.3)
    assert p.tags == {"owner": "ml", "team": "r", "cost-center": "1"}
    opt_out = scanned(tags={**tags, "infraaudit.io/spot-opt-out": "true"})
    (job,), _ = jobs_from_inventory([opt_out], SETTINGS, 0.9)
    assert not job.workload.interruptible
    # the declared flag wins over an opt-out (a layout's on-demand choice), also as a GCP label
    flagged = scanned(tags={**tags, "infraaudit_io_spot-opt-out": "true", "infraaudit_io_interruptible": "true"})
    (job,), _ = jobs_from_inventory([flagged], SETTINGS, 0.9)
    assert job.workload.interruptible


def test_unclassified_resources_stay_where_they_are(catalog: Catalog) -> None:
    resource = scanned(tags={"owner": "ml"})
    (job,), _ = jobs_from_inventory([resource], SETTINGS, 0.9)
    assert job.locations == ("aws:us-east-1",) and job.classification is None
    (p,) = plan_layout([job], Request(), catalog, SETTINGS, now=NOW).placements
    assert p.region == "us-east-1" and p.data_classification is None


def test_stopped_and_unknown_types_are_left_out_with_a_note() -> None:
    stopped = scanned(uid="aws:111122223333:us-east-1:i-stopped", state="stopped")
    mystery = scanned(uid="aws:111122223333:us-east-1:i-x", accelerators=[{"model": "Z9", "count": 1}],
                      utilization=None)  # fmt: skip
    cpu_only = scanned(uid="aws:111122223333:us-east-1:i-cpu", accelerators=[])
    jobs, notes = jobs_from_inventory([stopped, mystery, cpu_only], SETTINGS, 0.9)
    assert jobs == []
    assert notes == [
        "aws:111122223333:us-east-1:i-stopped: stopped, not placed",
        "aws:111122223333:us-east-1:i-x: GPU memory unknown (type not in the catalog), not placed",
    ]


def test_names_are_unique_and_valid() -> None:
    a = scanned(uid="aws:1:us-east-1:i-1", name="Train Job #1")
    b = scanned(uid="aws:1:us-east-1:i-2", name="train-job-1")
    jobs, _ = jobs_from_inventory([a, b], SETTINGS, 0.9)
    assert [j.name for j in jobs] == ["train-job-1", "train-job-1-2"]
