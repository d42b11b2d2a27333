"""Catalog.enrich and Catalog.unpriced_reason."""

from __future__ import annotations

import gc

import pytest

from infraaudit.audit.catalog import (
    N1_HOST_UNPRICED,
    NO_ON_DEMAND_PRICE,
    NO_SPOT_PRICE,
    ONPREM_UNPRICED,
    UNKNOWN_INSTANCE_TYPE,
)
from infraaudit.audit.models import Accelerator, Cost, Market, Resource


def test_aws_on_demand(catalog, make_resource):
    resource = make_resource("aws", "p4d.24xlarge", "us-east-1")
    enriched = catalog.enrich(resource)
    assert enriched is not resource and resource.cost is None and resource.accelerators == []  # a copy
    assert enriched.accelerators == [Accelerator(model="A100", count=8, memory_gib=40)]
    assert (enriched.vcpus, enriched.memory_gib, enriched.gpu_memory_gib) == (96, 1152, 320)
    assert enriched.cost == Cost(
        hourly_current=32.7726, hourly_on_demand=32.7726, hourly_spot=6.7915, catalog_region="us-east-1"
    )
    assert catalog.unpriced_reason(enriched) is None
    assert Resource.model_validate(enriched.model_dump()) == enriched  # still a valid contract object


def test_aws_spot(catalog, make_resource):
    enriched = catalog.enrich(make_resource("aws", "p4d.24xlarge", "us-east-1", market=Market.SPOT))
    assert enriched.cost is not None
    assert (enriched.cost.hourly_current, enriched.cost.hourly_on_demand, enriched.cost.hourly_spot) == (
        6.7915,
        32.7726,
        6.7915,
    )


@pytest.mark.parametrize("market", [Market.RESERVED, Market.CAPACITY_BLOCK])
def test_reserved_and_capacity_block_use_the_on_demand_price(catalog, make_resource, market):
    enriched = catalog.enrich(make_resource("aws", "p5.48xlarge", "us-east-1", market=market))
    assert enriched.cost is not None and enriched.cost.hourly_current == enriched.cost.hourly_on_demand
    assert enriched.cost.hourly_current == catalog.lookup("aws", "p5.48xlarge", "us-east-1").on_demand


def test_gcp(catalog, make_resource):
    enriched = catalog.enrich(make_resource("gcp", "a3-highgpu-8g", "us-central1"))
    assert enriched.accelerators == [Accelerator(model="H100", count=8, memory_gib=80)]
    assert (enriched.vcpus, enriched.memory_gib) == (208, 1872)
    assert enriched.cost == Cost(
        hourly_current=43.06615, hourly_on_demand=43.06615, hourly_spot=20.19947, catalog_region="us-central1"
    )
    spot = catalog.enrich(make_resource("gcp", "g2-standard-4", "us-central1", market="spot"))
    assert spot.cost is not None and spot.cost.hourly_current == 0.28184 and spot.cost.hourly_on_demand == 0.70683


def test_region_given_as_a_zone_is_mapped_to_its_region(catalog, make_resource):
    gcp = catalog.enrich(make_resource("gcp", "g2-standard-4", "us-central1-a"))
    assert gcp.cost is not None and gcp.cost.catalog_region == "us-central1" and gcp.cost.hourly_current == 0.70683
    aws = catalog.enrich(make_resource("aws", "p4d.24xlarge", "us-east-1a"))
    assert aws.cost is not None and aws.cost.catalog_region == "us-east-1"


def test_unknown_type_is_unpriced(catalog, make_resource):
    resource = make_resource("aws", "m5.large", "us-east-1")
    enriched = catalog.enrich(resource)
    assert enriched.cost is None and enriched.vcpus is None
    assert enriched == resource
    assert catalog.unpriced_reason(enriched) == UNKNOWN_INSTANCE_TYPE


def test_n1_with_attached_gpu_is_unpriced_never_guessed(catalog, make_resource):
    resource = make_resource(
        "gcp", "n1-standard-8", "us-central1", accelerators=[Accelerator(model="nvidia-tesla-t4", count=2)]
    )
    enriched = catalog.enrich(resource)
    assert enriched.cost is None
    assert catalog.unpriced_reason(enriched) == N1_HOST_UNPRICED
    # the attached GPUs' memory is a published spec, so it is filled in; the name is left as given
    assert enriched.accelerators == [Accelerator(model="nvidia-tesla-t4", count=2, memory_gib=16)]
    # their price is available separately (host excluded)
    price = catalog.accelerator_price("gcp", "nvidia-tesla-t4", 2, "us-central1")
    assert price is not None and price.on_demand is not None


def test_existing_values_win(catalog, make_resource):
    resource = make_resource(
        "aws",
        "p4d.24xlarge",
        "us-east-1",
        accelerators=[Accelerator(model="A100", count=8, memory_gib=39.5)],
        vcpus=48,
        memory_gib=1000,
        cost=Cost(hourly_on_demand=20.0),
    )
    enriched = catalog.enrich(resource)
    assert enriched.accelerators == resource.accelerators
    assert (enriched.vcpus, enriched.memory_gib) == (48, 1000)
    # a given on-demand price wins and drives hourly_current; the catalog fills what is missing
    assert enriched.cost == Cost(
        hourly_current=20.0, hourly_on_demand=20.0, hourly_spot=6.7915, catalog_region="us-east-1"
    )


def test_existing_current_price_wins(catalog, make_resource):
    resource = make_resource("aws", "p4d.24xlarge", "us-east-1", cost=Cost(hourly_current=12.5, catalog_region="x"))
    enriched = catalog.enrich(resource)
    assert enriched.cost == Cost(hourly_current=12.5, hourly_on_demand=32.7726, hourly_spot=6.7915, catalog_region="x")
    assert catalog.unpriced_reason(resource) is None


def test_missing_accelerator_memory_is_filled(catalog, make_resource):
    resource = make_resource("aws", "g5.xlarge", "us-east-1", accelerators=[Accelerator(model="A10G", count=1)])
    assert catalog.enrich(resource).accelerators == [Accelerator(model="A10G", count=1, memory_gib=22.35)]


def test_no_on_demand_price_in_region(catalog, make_resource):
    # p5e: on-demand blank in the source; spot known
    on_demand = catalog.enrich(make_resource("aws", "p5e.48xlarge", "us-east-2"))
    assert on_demand.cost == Cost(hourly_on_demand=None, hourly_spot=15.4279, catalog_region="us-east-2")
    assert catalog.unpriced_reason(on_demand) == NO_ON_DEMAND_PRICE
    spot = catalog.enrich(make_resource("aws", "p5e.48xlarge", "us-east-2", market="spot"))
    assert spot.cost is not None and spot.cost.hourly_current == 15.4279
    assert catalog.unpriced_reason(spot) is None


def test_region_not_offered_is_unpriced(catalog, make_resource):
    # p4d is not in the catalog for eu-north-1: another region's price is never substituted
    enriched = catalog.enrich(make_resource("aws", "p4d.24xlarge", "eu-north-1"))
    assert enriched.cost is None and enriched.vcpus == 96  # the spec still applies
    assert catalog.unpriced_reason(enriched) == NO_ON_DEMAND_PRICE
    spot = make_resource("aws", "p4d.24xlarge", "eu-north-1", market="spot")
    assert catalog.unpriced_reason(catalog.enrich(spot)) == NO_SPOT_PRICE


def test_no_spot_price_in_region(catalog, make_resource):
    enriched = catalog.enrich(make_resource("aws", "p4d.24xlarge", "ap-south-1", market="spot"))
    assert enriched.cost is not None
    assert enriched.cost.hourly_current is None and enriched.cost.hourly_on_demand == 39.32
    assert catalog.unpriced_reason(enriched) == NO_SPOT_PRICE


def test_onprem_is_left_as_given(catalog, make_resource):
    bare = make_resource("onprem", "dgx-a100", "dc1")
    assert catalog.enrich(bare) is bare
    assert catalog.unpriced_reason(bare) == ONPREM_UNPRICED
    priced = make_resource("onprem", "dgx-a100", "dc1", cost=Cost(hourly_current=9.0))
    assert catalog.enrich(priced) is priced
    assert catalog.unpriced_reason(priced) is None


def test_enrich_all_matches_enrich_and_restores_gc(catalog, make_resource):
    resources = [
        make_resource("aws", "p4d.24xlarge", "us-east-1"),
        make_resource("gcp", "g2-standard-8", "us-east4", market="spot"),
        make_resource("aws", "m5.large", "us-east-1"),
    ]
    assert gc.isenabled()
    assert catalog.enrich_all(resources) == [catalog.enrich(r) for r in resources]
    assert gc.isenabled()
    gc.disable()
    try:
        catalog.enrich_all(resources)
        assert not gc.isenabled()
    finally:
        gc.enable()
