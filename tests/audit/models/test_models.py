from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from infraaudit.audit.models import Inventory, MetricSummary, Resource
from infraaudit.audit.models.schema import input_schema_text
from infraaudit_testing import REPO, gpu_resource


def test_checked_in_input_schema_is_in_sync_with_the_models() -> None:
    checked_in = (REPO / "policies" / "schemas" / "input.json").read_text()
    assert checked_in == input_schema_text(), "run: python scripts/generate_schemas.py"


def test_checked_in_default_config_data_matches_settings() -> None:
    from infraaudit.audit.config import Settings

    checked_in = json.loads((REPO / "policies/testdata/infraaudit/config/data.json").read_text())
    assert checked_in == Settings().policy_data(), "run: python scripts/generate_schemas.py"


def test_models_are_frozen() -> None:
    resource = gpu_resource()
    with pytest.raises(ValidationError):
        resource.region = "eu-west-1"  # type: ignore[misc]


@pytest.mark.parametrize(
    "uid",
    ["aws:1:us-east-1", "gcp:p:zone:name", "aws::us-east-1:i-1", "aws:1:us-east-1:i-1:extra", "x"],
)
def test_uid_must_match_its_provider_form(uid: str) -> None:
    with pytest.raises(ValidationError, match="uid"):
        gpu_resource(uid=uid)


def test_launch_time_needs_a_timezone() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        gpu_resource(launched_at="2026-11-01T00:00:00")


def test_unknown_keys_are_rejected() -> None:
    with pytest.raises(ValidationError, match="extra"):
        Resource.model_validate({**gpu_resource().model_dump(), "instance_typo": "x"})


def test_duplicate_uids_are_rejected() -> None:
    resource = gpu_resource()
    with pytest.raises(ValidationError, match="duplicate resource uid"):
        Inventory(resources=[resource, resource])


def test_absent_telemetry_is_not_zero() -> None:
    dumped = json.loads(gpu_resource().model_dump_json(exclude_none=True))
    assert "utilization" not in dumped


def test_metric_summary_rejects_inconsistent_values() -> None:
    with pytest.raises(ValidationError, match="p95"):
        MetricSummary(avg=1, p95=50, max=10, samples=10, coverage=0.5, window_days=14)


def test_gpu_count_and_memory() -> None:
    resource = gpu_resource()
    assert resource.gpu_count == 8
    assert resource.gpu_memory_gib == 320


summaries = st.builds(
    lambda mx, a, b, samples, cov: MetricSummary(
        avg=min(a, mx), p95=min(b, mx), max=mx, samples=samples, coverage=cov, window_days=14
    ),
    st.floats(0, 100),
    st.floats(0, 100),
    st.floats(0, 100),
    st.integers(0, 400),
    st.floats(0, 1),
)

resources = st.builds(
    lambda account, region, iid, name, tags, state, market, util: gpu_resource(
        uid=f"aws:{account}:{region}:{iid}",
        account=account,
        region=region,
        name=name,
        tags=tags,
        state=state,
        market=market,
        utilization={"gpu_percent": util.model_dump()} if util else None,
    ),
    st.from_regex(r"[0-9]{12}", fullmatch=True),
    st.sampled_from(["us-east-1", "eu-west-1", "ap-south-1"]),
    st.from_regex(r"i-[0-9a-f]{8,17}", fullmatch=True),
    st.one_of(st.none(), st.text(max_size=30)),
    st.dictionaries(st.text(min_size=1, max_size=20), st.text(max_size=40), max_size=5),
    st.sampled_from(["running", "stopped", "pending", "unknown"]),
    st.sampled_from(["on_demand", "spot", "reserved", "capacity_block"]),
    st.one_of(st.none(), summaries),
)


@settings(max_examples=75, deadline=None)
@given(st.lists(resources, max_size=6, unique_by=lambda r: r.uid))
def test_inventory_round_trips_through_json(items: list[Resource]) -> None:
    inventory = Inventory(resources=items)
    assert Inventory.model_validate_json(inventory.model_dump_json()) == inventory
    assert Inventory.model_validate_json(inventory.model_dump_json(exclude_none=True)) == inventory
