"""Catalog loading, lookups, smallest_fitting and the policy data document."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from infraaudit.audit.catalog import Catalog, gcp_accelerator_model
from infraaudit.audit.errors import CatalogError
from infraaudit.audit.models import Accelerator, Market, Provider

PACKAGE_DIR = Path(__file__).resolve().parents[3] / "audit" / "catalog"
POLICY_KEYS = {
    "instance_type", "accelerator", "accelerator_count", "gpu_memory_gib", "vcpus", "memory_gib", "on_demand", "spot",
}  # fmt: skip


# ------------------------------------------------------------------ loading


def test_shipped_snapshot_loads(catalog):
    assert catalog.snapshot_date == date(2026, 11, 22)
    assert catalog.source.name == "SkyPilot catalog"
    assert len(catalog) == 743 + 318


def test_load_from_a_path_gives_the_same_catalog(tmp_path, catalog):
    path = tmp_path / "copy.json"
    path.write_text(catalog.snapshot.model_dump_json())
    copy = Catalog.load(path)
    assert copy.snapshot == catalog.snapshot
    assert copy.lookup("aws", "p4d.24xlarge", "us-east-1") == catalog.lookup("aws", "p4d.24xlarge", "us-east-1")


def _assert_one_line(error: pytest.ExceptionInfo[CatalogError], *fragments: str) -> None:
    message = str(error.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message


def test_missing_file_is_catalog_error(tmp_path):
    with pytest.raises(CatalogError) as error:
        Catalog.load(tmp_path / "nope.json")
    _assert_one_line(error, "nope.json", "not found")


def test_corrupt_json_is_catalog_error(tmp_path, catalog):
    path = tmp_path / "corrupt.json"
    path.write_text(catalog.snapshot.model_dump_json()[:5000])
    with pytest.raises(CatalogError) as error:
        Catalog.load(path)
    _assert_one_line(error, "corrupt.json", "invalid JSON")


def test_binary_garbage_is_catalog_error(tmp_path):
    path = tmp_path / "garbage.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(CatalogError) as error:
        Catalog.load(path)
    _assert_one_line(error, "garbage.json")


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda d: d.pop("instances"), "instances"),
        (lambda d: d["instances"]["aws"]["p4d.24xlarge"]["regions"]["us-east-1"].update(on_demand=-1), "on_demand"),
        (lambda d: d["instances"]["aws"]["p4d.24xlarge"].update(vcpus="many"), "vcpus"),
        (lambda d: d.update(format_version=99), "format 99"),
    ],
    ids=["missing-section", "negative-price", "wrong-type", "future-format"],
)
def test_invalid_snapshot_is_catalog_error(tmp_path, catalog, mutate, fragment):
    document = json.loads(catalog.snapshot.model_dump_json())
    mutate(document)
    path = tmp_path / "invalid.json"
    path.write_text(json.dumps(document))
    with pytest.raises(CatalogError) as error:
        Catalog.load(path)
    _assert_one_line(error, "invalid.json", fragment)


def test_non_object_json_is_catalog_error(tmp_path):
    path = tmp_path / "list.json"
    path.write_text("[]")
    with pytest.raises(CatalogError) as error:
        Catalog.load(path)
    _assert_one_line(error, "list.json", "invalid snapshot")


# ------------------------------------------------------------------ lookups


def test_lookup_p4d_us_east_1(catalog):
    offer = catalog.lookup("aws", "p4d.24xlarge", "us-east-1")
    assert offer is not None
    assert (offer.provider, offer.instance_type, offer.region) == (Provider.AWS, "p4d.24xlarge", "us-east-1")
    assert (offer.accelerator, offer.accelerator_count) == ("A100", 8)
    assert (offer.accelerator_memory_gib, offer.gpu_memory_gib) == (40, 320)
    assert (offer.vcpus, offer.memory_gib) == (96, 1152)
    assert offer.on_demand == 32.7726
    assert offer.spot == 6.7915  # spot_usd_per_hour_median (the min column is 5.0933)
    assert offer.price(Market.SPOT) == 6.7915 and offer.price("capacity_block") == 32.7726


def test_lookup_a3_highgpu_8g(catalog):
    offer = catalog.lookup(Provider.GCP, "a3-highgpu-8g", "us-central1")
    assert offer is not None
    assert (offer.accelerator, offer.accelerator_count, offer.accelerator_memory_gib, offer.gpu_memory_gib) == (
        "H100",
        8,
        80,
        640,
    )
    assert (offer.vcpus, offer.memory_gib) == (208, 1872)
    assert (offer.on_demand, offer.spot) == (43.06615, 20.19947)  # host + 8 x H100 (total_* columns)


def test_lookup_g2_standard_4(catalog):
    offer = catalog.lookup("gcp", "g2-standard-4", "us-central1")
    assert offer is not None
    assert (offer.accelerator, offer.accelerator_count, offer.gpu_memory_gib) == ("L4", 1, 24)
    assert (offer.vcpus, offer.memory_gib, offer.on_demand, offer.spot) == (4, 16, 0.70683, 0.28184)


def test_lookup_misses_are_none(catalog):
    assert catalog.lookup("aws", "m5.large", "us-east-1") is None
    assert catalog.lookup("aws", "p4d.24xlarge", "eu-north-1") is None
    assert catalog.lookup("azure", "p4d.24xlarge") is None
    assert catalog.lookup("onprem", "dgx-a100") is None
    assert catalog.spec("aws", "m5.large") is None
    assert catalog.offers_for("aws", "m5.large") == ()


def test_lookup_without_region_is_the_cheapest_on_demand_region(catalog):
    offer = catalog.lookup("aws", "p4d.24xlarge")
    # us-east-1, us-east-2 and us-west-2 tie at 32.7726: the region name breaks the tie
    assert offer is not None and (offer.region, offer.on_demand) == ("us-east-1", 32.7726)
    assert all(offer.on_demand <= o.on_demand for o in catalog.offers_for("aws", "p4d.24xlarge"))
    assert catalog.lookup("aws", "p4d.24xlarge") == offer  # deterministic


def test_lookup_without_region_falls_back_to_spot_when_no_on_demand_anywhere(catalog):
    offer = catalog.lookup("aws", "p5e.48xlarge")  # on-demand blank in every source row
    assert offer is not None and (offer.region, offer.on_demand, offer.spot) == ("ap-southeast-3", None, 14.925)


def test_spec_is_region_independent(catalog):
    spec = catalog.spec("aws", "g5.48xlarge")
    assert spec is not None
    assert spec.accelerators == (Accelerator(model="A10G", count=8, memory_gib=22.35),)
    assert (spec.vcpus, spec.memory_gib, spec.gpu_count) == (192, 768, 8)
    assert all(o.vcpus == 192 and o.accelerator_count == 8 for o in catalog.offers_for("aws", "g5.48xlarge"))
    gcp = catalog.spec("gcp", "a2-ultragpu-8g")
    assert gcp is not None and gcp.accelerators == (Accelerator(model="A100-80GB", count=8, memory_gib=80),)
    assert gcp.gpu_memory_gib == 640
    trn2 = catalog.spec("aws", "trn2.48xlarge")
    assert trn2 is not None and trn2.accelerators == () and trn2.vcpus == 192


def test_attached_gpu_price(catalog):
    t4 = catalog.accelerator_price("gcp", "T4", 1, "us-central1")
    assert t4 is not None and (t4.on_demand, t4.spot, t4.memory_gib, t4.gpu_memory_gib) == (0.35, 0.14, 16, 16)
    assert catalog.accelerator_price("gcp", "nvidia-tesla-t4", 1, "us-central1") == t4
    assert catalog.accelerator_price("gcp", "T4", 3, "us-central1") is None
    assert catalog.accelerator_price("aws", "T4", 1, "us-east-1") is None


@pytest.mark.parametrize(
    ("api_name", "model"),
    [
        ("nvidia-tesla-t4", "T4"),
        (
            "https://compute.googleapis.com/compute/v1/projects/p/zones/us-central1-a/acceleratorTypes/nvidia-tesla-v100",
            "V100",
        ),  # fmt: skip
        ("nvidia-a100-80gb", "A100-80GB"),
        ("nvidia-h100-mega-80gb", "H100-MEGA"),
        ("L4", "L4"),
        ("nvidia-future-x", "nvidia-future-x"),
    ],
)
def test_gcp_accelerator_model(api_name, model):
    assert gcp_accelerator_model(api_name) == model


# ------------------------------------------------------------------ smallest_fitting


def test_smallest_fitting_is_cheapest_first_and_fits(catalog):
    offers = catalog.smallest_fitting("aws", "us-east-1", min_gpu_memory_gib=40)
    assert offers[0].instance_type == "g6e.xlarge"  # 1 x L40S, 44.7 GiB, 1.861 USD/h
    assert all(o.gpu_memory_gib is not None and o.gpu_memory_gib >= 40 for o in offers)
    keys = [(o.on_demand, o.instance_type) for o in offers]
    assert keys == sorted(keys)
    assert "p4d.24xlarge" in {o.instance_type for o in offers}
    assert "g4dn.xlarge" not in {o.instance_type for o in offers}  # 16 GiB does not fit


def test_smallest_fitting_ties_are_broken_by_name(catalog):
    offers = catalog.smallest_fitting("aws", "us-east-1", min_gpu_memory_gib=32, min_gpu_count=2, accelerators={"T4g"})
    assert [(o.instance_type, o.on_demand) for o in offers] == [("g5g.16xlarge", 2.744), ("g5g.metal", 2.744)]
    h100 = catalog.smallest_fitting("gcp", "us-central1", 640, 8, accelerators={"H100"})
    assert [o.instance_type for o in h100] == ["a3-edgegpu-8g", "a3-edgegpu-8g-nolssd", "a3-highgpu-8g"]


def test_smallest_fitting_spot_market_orders_by_spot_and_skips_missing(catalog):
    offers = catalog.smallest_fitting("gcp", "us-central1", 40, market="spot")
    assert offers[0].instance_type == "g2-standard-24"  # 2 x L4 = 48 GiB, spot 0.79862
    keys = [(o.spot, o.instance_type) for o in offers]
    assert keys == sorted(keys)
    ap_south = catalog.smallest_fitting("aws", "ap-south-1", 300, market=Market.SPOT)
    assert "p4d.24xlarge" not in {o.instance_type for o in ap_south}  # no spot price there
    assert "p4d.24xlarge" in {o.instance_type for o in catalog.smallest_fitting("aws", "ap-south-1", 300)}


def test_smallest_fitting_filters(catalog):
    eight = catalog.smallest_fitting("aws", "us-east-1", 0, min_gpu_count=8)
    assert eight and all(o.accelerator_count >= 8 for o in eight)
    big = catalog.smallest_fitting("aws", "us-east-1", 80, min_memory_per_gpu_gib=80)
    assert big and all(o.accelerator_memory_gib >= 80 for o in big)
    assert "g6e.12xlarge" not in {o.instance_type for o in big}  # 4 x 44.7 GiB: enough in total, not per GPU
    assert catalog.smallest_fitting("aws", "mars-north-1", 1) == []
    assert catalog.smallest_fitting("onprem", "dc1", 1) == []
    # unknown memory cannot be shown to fit
    assert not any(o.gpu_memory_gib is None for o in catalog.smallest_fitting("aws", "us-east-1", 1))


# ------------------------------------------------------------------ policy data


def test_policy_data_shape(catalog):
    data = catalog.policy_data()
    assert set(data) == {"snapshot_date", "offers"}
    assert data["snapshot_date"] == "2026-11-22"
    assert set(data["offers"]) == {"aws", "gcp"}
    count = 0
    for provider, regions in data["offers"].items():
        assert isinstance(provider, str)
        for region, offers in regions.items():
            assert isinstance(region, str) and isinstance(offers, list)
            names = [offer["instance_type"] for offer in offers]
            assert names == sorted(names)
            for offer in offers:
                count += 1
                assert set(offer) <= POLICY_KEYS
                assert {"instance_type", "vcpus", "memory_gib"} <= set(offer)
                assert None not in offer.values()
    assert count == len(catalog)
    assert json.loads(json.dumps(data)) == data


def test_policy_data_values(catalog):
    aws = {o["instance_type"]: o for o in catalog.policy_data()["offers"]["aws"]["us-east-1"]}
    assert aws["p4d.24xlarge"] == {
        "instance_type": "p4d.24xlarge",
        "accelerator": "A100",
        "accelerator_count": 8,
        "gpu_memory_gib": 320,  # total, not per GPU
        "vcpus": 96,
        "memory_gib": 1152,
        "on_demand": 32.7726,
        "spot": 6.7915,
    }
    inf1 = aws["inf1.xlarge"]
    assert "gpu_memory_gib" not in inf1 and inf1["accelerator"] == "Inferentia"
    trn2 = {o["instance_type"]: o for o in catalog.policy_data()["offers"]["aws"]["us-east-2"]}["trn2.48xlarge"]
    assert set(trn2) == {"instance_type", "vcpus", "memory_gib", "on_demand"}
    # instance offers only: no attached-GPU prices (GCP n1 accelerators) in the policy document
    gcp_types = {o["instance_type"] for offers in catalog.policy_data()["offers"]["gcp"].values() for o in offers}
    assert gcp_types == set(catalog.instance_types("gcp"))


def test_policy_data_is_a_fresh_document(catalog):
    first = catalog.policy_data()
    first["offers"]["aws"]["us-east-1"].clear()
    assert catalog.policy_data()["offers"]["aws"]["us-east-1"]
