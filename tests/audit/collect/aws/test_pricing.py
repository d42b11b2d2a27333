"""AWS price refresh: Price List parsing, spot medians, paginated fetching (botocore Stubber on real
clients, so request params and responses are checked against the service models), snapshot update and writing."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from infraaudit.audit.catalog import Catalog
from infraaudit.audit.catalog.snapshot import PriceEntry, Snapshot, read_snapshot
from infraaudit.audit.collect.aws.pricing import (
    PRICING_ACTIONS,
    PRICING_REGION,
    AwsPrices,
    UpdateSummary,
    fetch_aws_prices,
    median_spot_prices,
    parse_on_demand_prices,
    render_snapshot,
    updated_snapshot,
    write_snapshot,
)
from infraaudit.audit.errors import CatalogError
from infraaudit.audit.models import Provider

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "aws" / "pricing"
SHIPPED = Path(__file__).resolve().parents[4] / "audit" / "catalog" / "data" / "gpu_catalog.json"
REGIONS = ("eu-west-1", "us-east-1")
TYPES = ["p5.48xlarge", "g6.xlarge", "g5.xlarge", "p4d.24xlarge", "p6-b200.48xlarge"]
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
START = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)

# Written out here rather than taken from the module, so a changed filter name fails the test.
LINUX_ON_DEMAND_FILTERS = [
    {"Type": "TERM_MATCH", "Field": "productFamily", "Value": "Compute Instance"},
    {"Type": "TERM_MATCH", "Field": "operatingSystem", "Value": "Linux"},
    {"Type": "TERM_MATCH", "Field": "tenancy", "Value": "Shared"},
    {"Type": "TERM_MATCH", "Field": "preInstalledSw", "Value": "NA"},
    {"Type": "TERM_MATCH", "Field": "capacitystatus", "Value": "Used"},
]

# Every Linux, shared, running-instance On-Demand price in the fixtures (m5.large included: parsing
# does not filter types); the Windows, Dedicated, reservation, SQL, Capacity Block, $0.00 and
# Reserved-term prices are not.
ALL_ON_DEMAND = {
    ("g5.xlarge", "eu-west-1"): 1.123,
    ("g5.xlarge", "us-east-1"): 1.006,
    ("g6.xlarge", "eu-west-1"): 0.8892,
    ("g6.xlarge", "us-east-1"): 0.8048,
    ("m5.large", "us-east-1"): 0.096,
    ("p4d.24xlarge", "us-east-1"): 32.7726,
    ("p5.48xlarge", "us-east-1"): 55.04,
    ("p6-b200.48xlarge", "us-east-1"): 113.9328,
}
SPOT_MEDIANS = {
    ("g5.xlarge", "eu-west-1"): 0.5084,  # 0.4987 0.5084 0.5213
    ("g5.xlarge", "us-east-1"): 0.4064,  # 0.3951 0.4028 | 0.41 0.43
    ("g6.xlarge", "us-east-1"): 0.406025,  # 0.3992 | 0.41285
    ("p4d.24xlarge", "eu-west-1"): 16.6591,  # 16.3182 | 17.0
    ("p5.48xlarge", "us-east-1"): 26.94305,  # 25.9 26.7861 | 27.1 30.2: four samples, three zones
    ("p6-b200.48xlarge", "us-east-1"): 18.4736,
}


# ---------------------------------------------------------------------------------- fixtures


def _pages(name: str) -> list[dict[str, Any]]:
    pages: list[dict[str, Any]] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))["pages"]
    return pages


def _price_list(region: str) -> list[str]:
    return [entry for page in _pages(f"get_products_{region}.json") for entry in page["PriceList"]]


def _spot_pages(region: str) -> list[dict[str, Any]]:
    """Spot history pages as botocore returns them: Timestamp parsed into a datetime."""
    pages = _pages(f"spot_price_history_{region}.json")
    for page in pages:
        for item in page["SpotPriceHistory"]:
            item["Timestamp"] = datetime.fromisoformat(item["Timestamp"])
    return pages


def _entry(region: str, **attributes: str) -> str:
    """The one fixture product of `region` whose attributes include all of `attributes`."""
    found = [
        raw for raw in _price_list(region) if attributes.items() <= json.loads(raw)["product"]["attributes"].items()
    ]
    assert len(found) == 1, attributes
    return found[0]


def _edited(raw: str, edit: Callable[[dict[str, Any]], None]) -> str:
    document = json.loads(raw)
    edit(document)
    return json.dumps(document)


def _hours(document: dict[str, Any]) -> dict[str, Any]:
    """The On-Demand Hrs price dimension of a product document."""
    (term,) = document["terms"]["OnDemand"].values()
    (dimension,) = term["priceDimensions"].values()
    assert dimension["unit"] == "Hrs"
    return dimension  # type: ignore[no-any-return]


def _client(service: str, region: str) -> Any:
    return boto3.client(service, region_name=region, aws_access_key_id="x", aws_secret_access_key="x")


@pytest.fixture
def stubbed() -> Iterator[tuple[Any, dict[str, Any], list[Stubber]]]:
    """A pricing client and one EC2 client per region, stubbed with the recorded pages."""
    pricing = _client("pricing", PRICING_REGION)
    ec2 = {region: _client("ec2", region) for region in REGIONS}
    stubbers = [Stubber(pricing), *(Stubber(client) for client in ec2.values())]
    for region in REGIONS:  # fetch_aws_prices walks the regions in name order
        _queue(stubbers[0], "get_products", _pages(f"get_products_{region}.json"), _products_params(region))
    for stubber, region in zip(stubbers[1:], ec2, strict=True):
        _queue(stubber, "describe_spot_price_history", _spot_pages(region), _spot_params())
    for stubber in stubbers:
        stubber.activate()
    yield pricing, ec2, stubbers
    for stubber in stubbers:
        stubber.deactivate()


def _products_params(region: str) -> dict[str, Any]:
    filters = [*LINUX_ON_DEMAND_FILTERS, {"Type": "TERM_MATCH", "Field": "regionCode", "Value": region}]
    return {"ServiceCode": "AmazonEC2", "Filters": filters, "FormatVersion": "aws_v1", "MaxResults": 100}


def _spot_params() -> dict[str, Any]:
    return {
        "InstanceTypes": sorted(TYPES),
        "ProductDescriptions": ["Linux/UNIX"],
        "StartTime": START,
        "EndTime": NOW,
        "MaxResults": 1000,
    }


def _queue(stubber: Stubber, operation: str, pages: list[dict[str, Any]], params: dict[str, Any]) -> None:
    """One response per page; each request after the first must carry the previous page's NextToken."""
    token = None
    for page in pages:
        stubber.add_response(operation, page, {**params, "NextToken": token} if token else params)
        token = page.get("NextToken")


def _fetched() -> AwsPrices:
    on_demand = {key: price for key, price in ALL_ON_DEMAND.items() if key[0] in TYPES}
    return AwsPrices(
        on_demand=on_demand,
        spot=SPOT_MEDIANS,
        regions=REGIONS,
        instance_types=tuple(sorted(TYPES)),
        fetched_at=NOW,
        spot_window_days=7,
    )


@pytest.fixture(scope="module")
def shipped() -> Snapshot:
    return read_snapshot()


# ---------------------------------------------------------------------------------- on-demand


def test_parse_keeps_only_linux_shared_on_demand_hourly_prices() -> None:
    prices = parse_on_demand_prices(_price_list("us-east-1") + _price_list("eu-west-1"))
    assert prices == ALL_ON_DEMAND


@pytest.mark.parametrize(
    "attributes",
    [
        {"operatingSystem": "Windows"},
        {"tenancy": "Dedicated"},
        {"capacitystatus": "UnusedCapacityReservation"},
        {"preInstalledSw": "SQL Web"},
        {"marketoption": "CapacityBlock"},
        {"instanceType": "p5e.48xlarge"},  # $0.00: listed, not sold on demand
    ],
    ids=lambda attributes: next(iter(attributes.values())),
)
def test_parse_drops_products_that_are_not_the_on_demand_linux_price(attributes: dict[str, str]) -> None:
    assert parse_on_demand_prices([_entry("us-east-1", **attributes)]) == {}


def test_parse_ignores_reserved_terms() -> None:
    p5 = _entry("us-east-1", instanceType="p5.48xlarge", marketoption="OnDemand")
    assert "Reserved" in json.loads(p5)["terms"]
    assert parse_on_demand_prices([p5]) == {("p5.48xlarge", "us-east-1"): 55.04}
    reserved_only = _edited(p5, lambda document: document["terms"].pop("OnDemand"))
    assert parse_on_demand_prices([reserved_only]) == {}


def test_parse_skips_non_hourly_dimensions_and_accepts_identical_duplicates() -> None:
    g5 = _entry("us-east-1", instanceType="g5.xlarge", usagetype="BoxUsage:g5.xlarge", operation="RunInstances")
    per_quantity = _edited(g5, lambda document: _hours(document).update(unit="Quantity"))
    assert parse_on_demand_prices([per_quantity]) == {}
    assert parse_on_demand_prices([g5, g5]) == {("g5.xlarge", "us-east-1"): 1.006}


G6 = _entry("us-east-1", instanceType="g6.xlarge", tenancy="Shared")


def _set_price(value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda document: _hours(document)["pricePerUnit"].update(USD=value)


def _second_hourly_price(document: dict[str, Any]) -> None:
    (term,) = document["terms"]["OnDemand"].values()
    term["priceDimensions"]["extra"] = {**_hours(document), "pricePerUnit": {"USD": "0.9000000000"}}


MALFORMED: list[tuple[str, Any, str]] = [
    ("not JSON", G6[:-1], r"AWS price list entry 1: invalid JSON"),
    ("not an object", "[]", r"AWS price list entry 1: the entry is missing or not an object"),
    ("not a string", json.loads(G6), r"AWS price list entry 1: expected a JSON string, got dict"),
    ("no product", _edited(G6, lambda d: d.pop("product")), r"entry 1: product is missing"),
    ("no attributes", _edited(G6, lambda d: d["product"].pop("attributes")), r"product.attributes is missing"),
    ("no regionCode", _edited(G6, lambda d: d["product"]["attributes"].pop("regionCode")), r"regionCode is missing"),
    ("no terms", _edited(G6, lambda d: d.pop("terms")), r"\(sku \w{16}\): terms is missing"),
    ("text price", _edited(G6, _set_price("n/a")), r"pricePerUnit.USD: 'n/a' is not a non-negative decimal price"),
    ("negative price", _edited(G6, _set_price("-0.8048")), r"'-0.8048' is not a non-negative decimal price"),
    ("NaN price", _edited(G6, _set_price("NaN")), r"'NaN' is not a non-negative decimal price"),
    ("numeric price", _edited(G6, _set_price(0.8048)), r"0.8048 is not a non-negative decimal price"),
    ("no USD", _edited(G6, lambda d: _hours(d)["pricePerUnit"].clear()), r"None is not a non-negative decimal"),
    ("two hourly prices", _edited(G6, _second_hourly_price), r"several hourly On-Demand prices \[0.8048, 0.9\]"),
]


@pytest.mark.parametrize(("raw", "message"), [case[1:] for case in MALFORMED], ids=[case[0] for case in MALFORMED])
def test_malformed_entries_raise_one_line_catalog_errors(raw: Any, message: str) -> None:
    with pytest.raises(CatalogError, match=message) as caught:
        parse_on_demand_prices([raw])
    assert "\n" not in str(caught.value)


def test_two_different_prices_for_one_type_and_region_are_an_error() -> None:
    cheaper = _edited(G6, _set_price("0.7000000000"))
    with pytest.raises(
        CatalogError, match=r"entry 2 .*second On-Demand price for g6.xlarge in us-east-1 \(0.8048 and 0.7"
    ):
        parse_on_demand_prices([G6, cheaper])


# ---------------------------------------------------------------------------------- spot


def test_spot_median_over_zones_and_samples_per_region() -> None:
    history = [item for region in REGIONS for page in _spot_pages(region) for item in page["SpotPriceHistory"]]
    assert median_spot_prices(history) == SPOT_MEDIANS


def test_spot_skips_other_products_and_zones_that_are_not_regular_availability_zones() -> None:
    def item(zone: str, product: str = "Linux/UNIX", price: str = "0.5") -> dict[str, Any]:
        return {"AvailabilityZone": zone, "InstanceType": "g4dn.xlarge", "ProductDescription": product,
                "SpotPrice": price, "Timestamp": NOW}  # fmt: skip

    history = [
        item("us-east-1a", price="0.2000"),
        item("us-east-1b", "Windows", "0.9"),
        item("us-east-1-bos-1a", price="0.9"),  # Local Zone: priced apart from its region
        item("ap-southeast-2c", price="0.3000"),
    ]
    assert median_spot_prices(history) == {("g4dn.xlarge", "us-east-1"): 0.2, ("g4dn.xlarge", "ap-southeast-2"): 0.3}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"SpotPrice": "cheap"}, r"AWS spot price history item 1: SpotPrice: 'cheap' is not a non-negative"),
        ({"SpotPrice": "-1"}, r"SpotPrice: '-1' is not a non-negative"),
        ({"AvailabilityZone": None}, r"item 1: AvailabilityZone is missing or not a string"),
        ({"InstanceType": ""}, r"item 1: InstanceType is missing or not a string"),
    ],
)
def test_malformed_spot_items_raise_catalog_errors(change: dict[str, Any], message: str) -> None:
    item = {"AvailabilityZone": "us-east-1a", "InstanceType": "g5.xlarge", "ProductDescription": "Linux/UNIX",
            "SpotPrice": "0.4", "Timestamp": NOW, **change}  # fmt: skip
    with pytest.raises(CatalogError, match=message):
        median_spot_prices([item])


# ---------------------------------------------------------------------------------- fetching


def test_fetch_pages_through_both_apis_with_the_documented_requests(
    stubbed: tuple[Any, dict[str, Any], list[Stubber]],
) -> None:
    pricing, ec2, stubbers = stubbed
    prices = fetch_aws_prices(pricing, ec2, TYPES, now=NOW)
    for stubber in stubbers:
        stubber.assert_no_pending_responses()  # both pages of each paginated answer were read
    assert prices == _fetched()
    assert dict(prices.on_demand) == {key: price for key, price in ALL_ON_DEMAND.items() if key[0] != "m5.large"}
    assert prices.covers("g6.xlarge", "eu-west-1") and not prices.covers("m5.large", "us-east-1")


def test_declared_actions_are_the_operations_used() -> None:
    pricing, ec2 = _client("pricing", PRICING_REGION), _client("ec2", "us-east-1")
    used = {
        f"pricing:{pricing.meta.method_to_api_mapping['get_products']}",
        f"ec2:{ec2.meta.method_to_api_mapping['describe_spot_price_history']}",
    }
    assert set(PRICING_ACTIONS) == used


def test_fetch_refuses_to_clear_a_region_on_an_empty_price_list() -> None:
    pricing = _client("pricing", PRICING_REGION)
    with Stubber(pricing) as stubber:
        stubber.add_response(
            "get_products", {"FormatVersion": "aws_v1", "PriceList": []}, _products_params("eu-west-1")
        )
        with pytest.raises(CatalogError, match="no Linux on-demand instance products for region eu-west-1"):
            fetch_aws_prices(pricing, {"eu-west-1": _client("ec2", "eu-west-1")}, TYPES, now=NOW)


def test_fetch_errors_name_the_region() -> None:
    pricing, ec2 = _client("pricing", PRICING_REGION), _client("ec2", "eu-west-1")
    bad_item = {"AvailabilityZone": "eu-west-1a", "InstanceType": "g5.xlarge", "ProductDescription": "Linux/UNIX",
                "SpotPrice": "free", "Timestamp": NOW}  # fmt: skip
    with Stubber(pricing) as pricing_stub, Stubber(ec2) as ec2_stub:
        page = {"FormatVersion": "aws_v1", "PriceList": ["{}"]}
        pricing_stub.add_response("get_products", page, _products_params("eu-west-1"))
        with pytest.raises(CatalogError, match=r"^AWS Price List for eu-west-1: AWS price list entry 1: product is"):
            fetch_aws_prices(pricing, {"eu-west-1": ec2}, TYPES, now=NOW)
        pricing_stub.add_response(
            "get_products", _pages("get_products_eu-west-1.json")[0], _products_params("eu-west-1")
        )
        ec2_stub.add_response("describe_spot_price_history", {"SpotPriceHistory": [bad_item]}, _spot_params())
        with pytest.raises(CatalogError, match=r"^EC2 spot price history for eu-west-1: AWS spot price history item 1"):
            fetch_aws_prices(pricing, {"eu-west-1": ec2}, TYPES, now=NOW)


@pytest.mark.parametrize(
    ("types", "now", "window", "message"),
    [
        ([], NOW, 7, "no instance types"),
        (TYPES, NOW.replace(tzinfo=None), 7, "timezone-aware"),
        (TYPES, NOW, 0, "spot_window_days must be 1 to 90"),
        (TYPES, NOW, 91, "spot_window_days must be 1 to 90"),
    ],
)
def test_fetch_rejects_bad_arguments_before_calling_aws(
    types: list[str], now: datetime, window: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        fetch_aws_prices(object(), {"us-east-1": object()}, types, now=now, spot_window_days=window)


# ---------------------------------------------------------------------------------- snapshot


def test_updated_snapshot_replaces_covered_prices_and_keeps_hardware(shipped: Snapshot) -> None:
    updated, summary = updated_snapshot(shipped, _fetched(), retrieved=date(2026, 11, 23))
    before, after = shipped.instances[Provider.AWS], updated.instances[Provider.AWS]

    def prices(name: str, region: str) -> tuple[float | None, float | None]:
        entry = after[name].regions[region]
        return entry.on_demand, entry.spot

    assert prices("p5.48xlarge", "us-east-1") == (55.04, 26.94305)  # was 98.32 / 26.7861
    assert prices("g5.xlarge", "us-east-1") == (1.006, 0.4064)
    assert prices("g5.xlarge", "eu-west-1") == (1.123, 0.5084)
    assert prices("g6.xlarge", "us-east-1") == (0.8048, 0.406025)
    assert prices("g6.xlarge", "eu-west-1") == (0.8892, None)  # a region newly priced for a known type
    assert prices("p4d.24xlarge", "us-east-1") == (32.7726, None)  # the old spot 6.7915 is not kept
    assert prices("p4d.24xlarge", "eu-west-1") == (None, 16.6591)  # nor the old on-demand 35.39655
    assert "eu-west-1" not in after["p5.48xlarge"].regions  # AWS priced nothing there
    assert prices("p5.48xlarge", "us-west-2") == (98.32, 31.3566)  # regions not refreshed are untouched
    assert prices("g5.xlarge", "eu-central-1") == (1.258, 0.51)
    assert after["g6e.xlarge"] == before["g6e.xlarge"]  # types not asked for are untouched
    assert "p6-b200.48xlarge" not in after  # no hardware: never guessed
    for name, entry in after.items():
        assert entry.model_dump(exclude={"regions"}) == before[name].model_dump(exclude={"regions"})
    assert list(after["g6.xlarge"].regions) == sorted(after["g6.xlarge"].regions)
    assert updated.instances[Provider.GCP] == shipped.instances[Provider.GCP]
    assert updated.accelerators == shipped.accelerators

    assert summary == UpdateSummary(
        regions=REGIONS,
        replaced=(
            ("g5.xlarge", "eu-west-1"),
            ("g5.xlarge", "us-east-1"),
            ("g6.xlarge", "us-east-1"),
            ("p4d.24xlarge", "eu-west-1"),
            ("p4d.24xlarge", "us-east-1"),
            ("p5.48xlarge", "us-east-1"),
        ),
        added=(("g6.xlarge", "eu-west-1"),),
        cleared=(),
        unknown_types=("p6-b200.48xlarge",),
        changed=6,  # g5.xlarge in eu-west-1 came back with the prices it had
    )


def test_updated_snapshot_is_dated_and_attributes_the_aws_prices(shipped: Snapshot) -> None:
    updated, _ = updated_snapshot(shipped, _fetched(), retrieved=date(2026, 11, 23))
    assert updated.snapshot_date == date(2026, 11, 23)
    source = updated.source
    assert source.aggregation.startswith(
        shipped.source.aggregation + " AWS refresh 2026-11-23: in eu-west-1, us-east-1"
    )
    assert "AWS Price List API (GetProducts" in source.aggregation
    assert "DescribeSpotPriceHistory, Linux/UNIX" in source.aggregation
    assert "from 2026-11-16T12:00:00Z to 2026-11-23T12:00:00Z" in source.aggregation
    assert "a price AWS did not return is null" in source.aggregation
    assert source.model_dump(exclude={"aggregation"}) == shipped.source.model_dump(exclude={"aggregation"})


def test_a_covered_region_aws_returned_nothing_for_is_cleared_not_kept(shipped: Snapshot) -> None:
    prices = AwsPrices(
        on_demand={("g6e.xlarge", "eu-central-1"): 2.4},
        spot={},
        regions=("eu-central-1", "us-east-1"),
        instance_types=("g6e.xlarge",),
        fetched_at=NOW,
        spot_window_days=7,
    )
    updated, summary = updated_snapshot(shipped, prices, retrieved=date(2026, 11, 23))
    regions = updated.instances[Provider.AWS]["g6e.xlarge"].regions
    assert regions["us-east-1"] == PriceEntry(on_demand=None, spot=None)  # was 1.861 / 0.81705
    assert regions["eu-central-1"] == PriceEntry(on_demand=2.4, spot=None)  # was 2.327 / 0.72465
    assert regions["us-west-2"] == PriceEntry(on_demand=1.861, spot=0.82895)
    assert summary.cleared == (("g6e.xlarge", "us-east-1"),)
    assert summary.replaced == (("g6e.xlarge", "eu-central-1"),)
    assert summary.changed == 2
    assert Catalog(updated).lookup("aws", "g6e.xlarge", "us-east-1") is not None


# ---------------------------------------------------------------------------------- writing


def test_written_snapshot_loads_back_through_the_catalog(shipped: Snapshot, tmp_path: Path) -> None:
    updated, _ = updated_snapshot(shipped, _fetched(), retrieved=date(2026, 11, 23))
    path = tmp_path / "catalog" / "gpu_catalog.json"
    write_snapshot(updated, path)
    catalog = Catalog.load(path)
    assert catalog.snapshot == updated
    assert catalog.snapshot_date == date(2026, 11, 23)
    offer = catalog.lookup("aws", "p5.48xlarge", "us-east-1")
    assert offer is not None
    assert (offer.on_demand, offer.spot, offer.accelerator, offer.gpu_memory_gib) == (55.04, 26.94305, "H100", 640)
    g6 = catalog.lookup("aws", "g6.xlarge", "eu-west-1")
    assert g6 is not None and (g6.on_demand, g6.spot, g6.vcpus) == (0.8892, None, 4)
    assert sorted(os.listdir(path.parent)) == ["gpu_catalog.json"]  # no temporary file left
    assert path.stat().st_mode & 0o777 == 0o644


def test_writing_is_deterministic_and_matches_the_build_script_layout(shipped: Snapshot, tmp_path: Path) -> None:
    assert render_snapshot(shipped) == SHIPPED.read_bytes()  # same bytes as scripts/build_catalog.py wrote
    updated, _ = updated_snapshot(shipped, _fetched(), retrieved=date(2026, 11, 23))
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    write_snapshot(updated, first)
    write_snapshot(read_snapshot(first), second)
    assert first.read_bytes() == second.read_bytes()
    text = first.read_text(encoding="ascii")
    assert text.endswith("}\n") and '\n "format_version": 1,\n' in text
    assert '"memory_gib": 2048,' in text  # integral floats are written as integers, as the build script does


def test_write_errors_are_one_line_catalog_errors(shipped: Snapshot, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(CatalogError, match=r"price catalog .*gpu_catalog.json: cannot write it: "):
        write_snapshot(shipped, blocker / "gpu_catalog.json")
