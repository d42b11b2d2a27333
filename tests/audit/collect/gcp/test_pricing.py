"""GCP price refresh: Cloud Billing Catalog SKU parsing, machine-type and attached-GPU prices from
core/RAM/GPU SKUs, what is ignored or skipped, the snapshot update, and the paginated fetch through
the real google-cloud-billing REST client against a local server speaking the API's wire format."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
from gcp_billing_server import (
    LOCATIONS,
    REGIONS,
    BillingCatalogServer,
    compute_engine_skus,
    ignored_skus,
    sku,
)
from google.api_core import exceptions as api_exceptions
from google.api_core.retry import Retry, if_exception_type
from google.cloud import billing_v1
from google.protobuf import json_format

from infraaudit.audit.catalog import Catalog
from infraaudit.audit.catalog.snapshot import Snapshot, read_snapshot
from infraaudit.audit.collect.gcp import collector, price_refresh
from infraaudit.audit.collect.gcp.collector import GcpCredentialError
from infraaudit.audit.collect.gcp.price_refresh import LIST_SKUS, refresh_gcp_prices
from infraaudit.audit.collect.gcp.pricing import (
    GPU_MODELS,
    HOST_FAMILIES,
    Ambiguous,
    GcpPrices,
    SkuRates,
    covered_regions,
    parse_skus,
    updated_snapshot,
    usable_sku,
)
from infraaudit.audit.collect.prices import PriceRefreshError, write_snapshot
from infraaudit.audit.errors import CatalogError
from infraaudit.audit.models import Provider

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
AMERICAS = LOCATIONS["Americas"]
FAST_RETRY = Retry(
    predicate=if_exception_type(api_exceptions.TooManyRequests, api_exceptions.ServiceUnavailable),
    initial=0.01,
    maximum=0.02,
    timeout=5.0,
)


@pytest.fixture(scope="module")
def shipped() -> Snapshot:
    return read_snapshot()


@pytest.fixture(scope="module")
def rates() -> SkuRates:
    return parse_skus(compute_engine_skus())


def _refreshed(snapshot: Snapshot, rates: SkuRates, regions: tuple[str, ...] = REGIONS) -> tuple[Snapshot, Any]:
    return updated_snapshot(snapshot, GcpPrices(rates, regions, NOW), retrieved=NOW.date())


def _price(snapshot: Snapshot, name: str, region: str) -> tuple[float | None, float | None]:
    entry = snapshot.instances[Provider.GCP][name].regions[region]
    return entry.on_demand, entry.spot


def _attached(snapshot: Snapshot, name: str, count: int, region: str) -> tuple[float | None, float | None]:
    entry = snapshot.accelerators[Provider.GCP][name].counts[count][region]
    return entry.on_demand, entry.spot


def _relevant(rates: SkuRates) -> dict[Any, frozenset[Decimal]]:
    """The index entries of the labels the refresh looks up (the snapshot's families and GPUs)."""
    hosts = {label.casefold() for labels in HOST_FAMILIES.values() for label in labels}
    gpus = {label.casefold() for labels in GPU_MODELS.values() for label in labels}
    return {
        key: prices
        for key, prices in rates.prices.items()
        if (key[0] in ("core", "ram") and key[1] in hosts) or (key[0] == "gpu" and key[1] in gpus)
    }


# ---------------------------------------------------------------------------------- the worked example


def test_a_machine_type_is_cores_plus_memory_plus_gpus(shipped: Snapshot, rates: SkuRates) -> None:
    updated, _ = _refreshed(shipped, rates)
    # a2-highgpu-1g (12 vCPU, 85 GiB, 1 x A100) in us-central1 ("Americas" SKUs):
    #   on demand 12 x 0.031611 + 85 x 0.004237 + 1 x 2.933908 = 0.379332 + 0.360145 + 2.933908 = 3.673385
    #   spot      12 x 0.012644 + 85 x 0.001695 + 1 x 1.1472   = 0.151728 + 0.144075 + 1.1472   = 1.443003
    assert _price(updated, "a2-highgpu-1g", "us-central1") == (3.673385, 1.443003)
    assert _price(shipped, "a2-highgpu-1g", "us-central1") == (3.67339, 1.44296)  # SkyPilot's 5-decimal rounding
    # g2-standard-24 (24 vCPU, 96 GiB, 2 x L4): 24 x 0.024988 + 96 x 0.002927 + 2 x 0.56004 = 2.000784
    assert _price(updated, "g2-standard-24", "us-east1") == (2.000784, 0.798376)  # spot 0.23976 + 0.112416 + 0.4462
    # a2-ultragpu-1g (12 vCPU, 170 GiB, 1 x A100 80GB) in us-east4 ("Virginia" SKUs): the same A2 core/RAM SKUs
    assert _price(updated, "a2-ultragpu-1g", "us-east4") == (
        float(12 * Decimal("0.035605") + 170 * Decimal("0.004771") + Decimal("4.42433")),
        float(12 * Decimal("0.0142") + 170 * Decimal("0.0019") + Decimal("1.7697")),
    )
    # a3-highgpu-8g: "A3 Instance Core/Ram" + 8 x "Nvidia H100 80GB GPU", exact decimal arithmetic
    expected = 208 * Decimal("0.026772") + 1872 * Decimal("0.002331") + 8 * Decimal("12.73552")
    assert _price(updated, "a3-highgpu-8g", "europe-west4")[0] == float(expected) == 111.816368
    # H100 Mega is "Plus" in the Americas and "Mega" elsewhere, both the H100-MEGA accelerator
    mega = _price(updated, "a3-megagpu-8g", "us-central1")
    assert mega == _price(shipped, "a3-megagpu-8g", "us-central1")  # but no A3 Mega cores: see the skip test


def test_attached_gpus_are_n_times_the_gpu_sku(shipped: Snapshot, rates: SkuRates) -> None:
    updated, _ = _refreshed(shipped, rates)
    assert _attached(updated, "T4", 4, "us-central1") == (1.4, 0.56)
    assert _attached(updated, "T4", 1, "asia-southeast1") == (0.37, 0.1195)
    assert _attached(updated, "V100", 8, "europe-west4") == (20.4, 5.7184)
    assert _attached(updated, "A100-80GB", 2, "us-east4") == (8.84866, 3.5394)
    assert _attached(updated, "H100-MEGA", 8, "us-central1") == (82.754205696, 19.0328)  # the "Plus" SKU
    assert _attached(updated, "H100-MEGA", 8, "europe-west4") == (107.58048, 19.3648)  # the "Mega" SKU
    assert _attached(updated, "H200", 8, "europe-west4") == (81.9432, 31.2872)


def test_only_entries_in_covered_regions_change_and_the_hardware_never(shipped: Snapshot, rates: SkuRates) -> None:
    updated, _ = _refreshed(shipped, rates, ("europe-west4",))
    before, after = shipped.instances[Provider.GCP], updated.instances[Provider.GCP]
    assert _price(updated, "a2-highgpu-1g", "europe-west4") != _price(shipped, "a2-highgpu-1g", "europe-west4")
    for name, entry in after.items():
        assert entry.model_dump(exclude={"regions"}) == before[name].model_dump(exclude={"regions"})
        assert list(entry.regions) == list(before[name].regions)  # no region added or dropped
        for region, prices in entry.regions.items():
            if region != "europe-west4":
                assert prices == before[name].regions[region], (name, region)
    assert _attached(updated, "T4", 1, "us-central1") == _attached(shipped, "T4", 1, "us-central1")
    assert updated.instances[Provider.AWS] == shipped.instances[Provider.AWS]
    assert updated.gpu_memory_gib == shipped.gpu_memory_gib


def test_the_snapshot_is_dated_and_attributes_the_refresh(shipped: Snapshot, rates: SkuRates) -> None:
    updated, summary = _refreshed(shipped, rates, ("europe-west4", "us-central1"))
    assert updated.snapshot_date == date(2026, 11, 23)
    note = updated.source.aggregation.removeprefix(shipped.source.aggregation)
    assert note.startswith(" GCP refresh 2026-11-23: in europe-west4, us-central1, the GCP prices were recomputed")
    assert "services/6F81-5844-456A/skus, USD list prices, read 2026-11-23T12:00:00Z" in note
    assert "vCPUs x '<family> Instance Core' + memory GiB x '<family> Instance Ram' + GPUs x the GPU SKU" in note
    assert f"{len(summary.skipped)} entries whose SKUs could not be matched unambiguously kept" in note
    assert updated.source.model_dump(exclude={"aggregation"}) == shipped.source.model_dump(exclude={"aggregation"})


# ---------------------------------------------------------------------------------- markets and tiers


def test_spot_comes_from_preemptible_skus_in_either_wording() -> None:
    on_demand = sku("Nvidia L4 GPU running in Americas", regions=AMERICAS, group="GPU", price="0.56004")
    prefixed = sku("Spot Preemptible Nvidia L4 GPU running in Americas", regions=AMERICAS, group="GPU",
                   price="0.2231", usage_type="Preemptible")  # fmt: skip
    attached = sku("Nvidia Tesla T4 GPU attached to Spot Preemptible VMs running in Americas", regions=AMERICAS,
                   group="GPU", price="0.14", usage_type="Preemptible")  # fmt: skip
    host = sku("Spot Preemptible G2 Instance Ram running in Americas", regions=AMERICAS, group="RAM",
               price="0.001171", usage_type="Preemptible")  # fmt: skip
    parsed = [usable_sku(item) for item in (on_demand, prefixed, attached, host)]
    assert [(p.part, p.label, p.market, str(p.price)) for p in parsed if p] == [
        ("gpu", "Nvidia L4 GPU", "on_demand", "0.56004"),
        ("gpu", "Nvidia L4 GPU", "spot", "0.2231"),
        ("gpu", "Nvidia Tesla T4 GPU", "spot", "0.14"),
        ("ram", "G2", "spot", "0.001171"),
    ]
    rates = parse_skus([on_demand, prefixed])
    assert rates.rate("gpu", ["Nvidia L4 GPU"], "on_demand", "us-west1") == Decimal("0.56004")
    assert rates.rate("gpu", ["nvidia l4 gpu"], "spot", "us-west1") == Decimal("0.2231")  # labels compare casefolded
    assert rates.rate("gpu", ["Nvidia L4 GPU"], "spot", "europe-west4") is None


def test_a_preemptible_description_billed_as_on_demand_is_not_an_on_demand_price() -> None:
    odd = sku("Spot Preemptible Nvidia L4 GPU running in Americas", regions=AMERICAS, group="GPU", price="0.2231")
    assert usable_sku(odd) is None


def test_the_price_is_the_tier_starting_at_zero() -> None:
    tiered = sku("Nvidia Tesla T4 GPU running in Americas", regions=AMERICAS, group="GPU",
                 tiers=[(0.0, "0.35"), (730.0, "0.3")])  # fmt: skip
    parsed = usable_sku(tiered)
    assert parsed is not None and parsed.price == Decimal("0.35")
    implicit = copy.deepcopy(tiered)  # proto3 JSON may leave a 0 start out
    del implicit["pricingInfo"][0]["pricingExpression"]["tieredRates"][0]["startUsageAmount"]
    assert usable_sku(implicit) is not None
    late = sku("Nvidia Tesla T4 GPU running in Americas", regions=AMERICAS, group="GPU", tiers=[(10.0, "0.35")])
    with pytest.raises(CatalogError, match=r"expected one tier starting at usage 0, found 0"):
        usable_sku(late)


def test_the_latest_pricing_info_is_used_and_units_and_nanos_are_exact() -> None:
    item = sku("Nvidia H100 80GB GPU running in Virginia", regions=["us-east4"], group="GPU", price="9.796550569")
    assert item["pricingInfo"][0]["pricingExpression"]["tieredRates"][0]["unitPrice"] == {
        "currencyCode": "USD", "units": "9", "nanos": 796550569}  # fmt: skip
    older = copy.deepcopy(item["pricingInfo"][0])
    older["pricingExpression"]["tieredRates"][0]["unitPrice"] = {"currencyCode": "USD", "units": "11", "nanos": 0}
    item["pricingInfo"].insert(0, older)  # chronological: the last one is current
    parsed = usable_sku(item)
    assert parsed is not None and parsed.price == Decimal("9.796550569")


# ---------------------------------------------------------------------------------- what is ignored


@pytest.mark.parametrize("ignored", ignored_skus(), ids=lambda item: str(item["description"]))
def test_skus_that_are_not_the_list_price_change_nothing(ignored: dict[str, Any], rates: SkuRates) -> None:
    """Each is priced differently from the list price: used, it would change a price or make one ambiguous."""
    assert _relevant(parse_skus([*compute_engine_skus(), ignored])) == _relevant(rates)
    assert _relevant(parse_skus([ignored])) == {}


def test_without_the_filters_an_ignored_sku_would_count(rates: SkuRates) -> None:
    """The ignore test above can fail: the same commitment price as an OnDemand SKU is taken up."""
    commitment = next(item for item in ignored_skus() if item["description"].startswith("Commitment v1: A2 Cpu"))
    disguised = copy.deepcopy(commitment)
    disguised["description"] = "A2 Instance Core running in Americas"
    disguised["category"]["usageType"] = "OnDemand"
    merged = parse_skus([*compute_engine_skus(), disguised])
    assert _relevant(merged) != _relevant(rates)
    assert isinstance(merged.rate("core", ["A2"], "on_demand", "us-central1"), Ambiguous)


@pytest.mark.parametrize(
    ("description", "family", "group", "usage_type"),
    [
        ("A2 Instance Core running in Americas", "Storage", "CPU", "OnDemand"),  # not Compute
        ("A2 Instance Core running in Americas", "Compute", "RAM", "OnDemand"),  # group contradicts the text
        ("A2 Instance Core running in Americas", "Compute", "CPU", "Commit1Yr"),
        ("A2 Instance Extended Ram running in Americas", "Compute", "RAM", "OnDemand"),  # other grammar
        ("Nvidia Tesla T4 GPU running Windows in Americas", "Compute", "GPU", "OnDemand"),
        ("Licensing Fee for Windows Server on A2", "Compute", "CPU", "OnDemand"),
    ],
)
def test_other_categories_and_grammars_are_not_used(description: str, family: str, group: str, usage_type: str) -> None:
    item = sku(description, regions=AMERICAS, group=group, price="1", family=family, usage_type=usage_type)
    assert usable_sku(item) is None


def test_a_sku_without_regions_is_not_used() -> None:
    assert usable_sku(sku("A2 Instance Core running in Americas", regions=[], group="CPU", price="0.03")) is None


# ---------------------------------------------------------------------------------- skipped, never guessed


def test_a_variant_without_its_own_skus_keeps_its_old_prices(shipped: Snapshot, rates: SkuRates) -> None:
    """No "A3 Mega"/"A3 Edge" core SKUs in the answer: not priced with A3 High's, kept and reported."""
    updated, summary = _refreshed(shipped, rates)
    for name in ("a3-megagpu-8g", "a3-edgegpu-8g", "a3-edgegpu-8g-nolssd"):
        assert updated.instances[Provider.GCP][name] == shipped.instances[Provider.GCP][name]
        assert (name, "us-central1") in summary.skipped
    assert ("B200 x8", "us-central1") in summary.skipped  # no B200 SKU in this answer
    assert _attached(updated, "B200", 8, "us-east4") == _attached(shipped, "B200", 8, "us-east4")
    assert {key[0] for key in summary.skipped} == {"a3-edgegpu-8g", "a3-edgegpu-8g-nolssd", "a3-megagpu-8g", "B200 x8"}
    assert not set(summary.skipped) & (set(summary.replaced) | set(summary.cleared))


def test_conflicting_skus_skip_the_entries_that_need_them(shipped: Snapshot) -> None:
    second_a2 = sku("A2 Instance Core running in Iowa", regions=["us-central1"], group="CPU", price="0.0299")
    updated, summary = _refreshed(shipped, parse_skus([*compute_engine_skus(), second_a2]))
    assert _price(updated, "a2-highgpu-1g", "us-central1") == _price(shipped, "a2-highgpu-1g", "us-central1")
    assert ("a2-highgpu-1g", "us-central1") in summary.skipped
    assert _price(updated, "a2-highgpu-1g", "us-east1") == (3.673385, 1.443003)  # other Americas regions agree
    assert ("a2-highgpu-1g", "us-east1") in summary.replaced
    assert ("g2-standard-4", "us-central1") in summary.replaced  # G2 does not use A2 SKUs


def test_a3_high_and_a3_labels_agreeing_are_not_a_conflict(shipped: Snapshot) -> None:
    same = sku("A3 High Instance Core running in Americas", regions=AMERICAS, group="CPU", price="0.025502")
    updated, summary = _refreshed(shipped, parse_skus([*compute_engine_skus(), same]))
    assert ("a3-highgpu-1g", "us-central1") in summary.replaced
    other = sku("A3 High Instance Core running in Americas", regions=AMERICAS, group="CPU", price="0.03")
    _, summary = _refreshed(shipped, parse_skus([*compute_engine_skus(), other]))
    assert ("a3-highgpu-1g", "us-central1") in summary.skipped


def test_an_unknown_machine_series_is_skipped(shipped: Snapshot, rates: SkuRates) -> None:
    a2 = shipped.instances[Provider.GCP]["a2-highgpu-1g"]
    odd = shipped.model_copy(deep=True)
    odd.instances[Provider.GCP]["a9-newgpu-1g"] = a2
    updated, summary = _refreshed(odd, rates)
    assert updated.instances[Provider.GCP]["a9-newgpu-1g"] == a2
    assert ("a9-newgpu-1g", "us-central1") in summary.skipped


def test_a_region_without_skus_is_cleared_and_a_missing_market_is_null(shipped: Snapshot) -> None:
    """A3 Ultra has SKUs, but none in Virginia; Singapore loses its spot L4 SKU."""
    skus = [item for item in compute_engine_skus()
            if item["description"] != "Spot Preemptible Nvidia L4 GPU running in Singapore"]  # fmt: skip
    updated, summary = _refreshed(shipped, parse_skus(skus))
    assert _price(shipped, "a3-ultragpu-8g", "us-east4") == (86.75992, 30.06976)
    assert _price(updated, "a3-ultragpu-8g", "us-east4") == (None, None)
    assert ("a3-ultragpu-8g", "us-east4") in summary.cleared
    on_demand, spot = _price(updated, "g2-standard-4", "asia-southeast1")
    assert on_demand == float(4 * Decimal("0.030842") + 16 * Decimal("0.003612") + Decimal("0.69092")) and spot is None
    assert ("g2-standard-4", "asia-southeast1") in summary.replaced


def test_the_summary_counts_every_covered_entry_once(shipped: Snapshot, rates: SkuRates) -> None:
    _, summary = _refreshed(shipped, rates)
    covered = {
        (name, region)
        for name, entry in shipped.instances[Provider.GCP].items()
        for region in entry.regions
        if region in REGIONS
    } | {
        (f"{name} x{count}", region)
        for name, entry in shipped.accelerators[Provider.GCP].items()
        for count, regions in entry.counts.items()
        for region in regions
        if region in REGIONS
    }
    listed = [*summary.replaced, *summary.cleared, *summary.skipped]
    assert sorted(listed) == sorted(covered)
    assert summary.added == () and summary.unknown_types == ()
    assert summary.regions == REGIONS
    assert 0 < summary.changed <= len(summary.replaced) + len(summary.cleared)


def test_regions_narrow_the_snapshot_regions_and_unknown_ones_are_refused(shipped: Snapshot) -> None:
    everything = covered_regions(shipped)
    assert len(everything) == 30 and "me-central2" in everything  # machine types' 25 and attached GPUs' regions
    assert covered_regions(shipped, ["us-east4", "europe-west4", "us-east4"]) == ("europe-west4", "us-east4")
    with pytest.raises(CatalogError, match=r"no GCP prices in the catalog for us-east-1, mars-north1: a GCP refresh"):
        covered_regions(shipped, ["us-east-1", "europe-west4", "mars-north1"])


def test_the_written_snapshot_loads_and_is_deterministic(shipped: Snapshot, rates: SkuRates, tmp_path: Path) -> None:
    updated, _ = _refreshed(shipped, rates)
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    write_snapshot(updated, first)
    catalog = Catalog.load(first)
    assert catalog.snapshot == updated
    offer = catalog.lookup("gcp", "a2-highgpu-1g", "us-central1")
    assert offer is not None and (offer.on_demand, offer.spot, offer.accelerator) == (3.673385, 1.443003, "A100")
    attached = catalog.accelerator_price("gcp", "nvidia-tesla-t4", 4, "us-central1")
    assert attached is not None and attached.on_demand == 1.4
    write_snapshot(read_snapshot(first), second)
    assert first.read_bytes() == second.read_bytes()


# ---------------------------------------------------------------------------------- malformed answers


def _usable(**edits: Any) -> dict[str, Any]:
    item = sku(
        "Nvidia L4 GPU running in Americas", regions=AMERICAS, group="GPU", price="0.56004", sku_id="C6D2-9E8A-1B37"
    )
    expression = item["pricingInfo"][0]["pricingExpression"]
    for name, value in edits.items():
        if name == "unit":
            expression["usageUnit"] = value
        elif name == "price":
            expression["tieredRates"][0]["unitPrice"] = value
        elif name == "pricing":
            item["pricingInfo"] = value
    return item


@pytest.mark.parametrize(
    ("edits", "message"),
    [
        ({"price": {"currencyCode": "EUR", "units": "0", "nanos": 510000000}}, r"priced in 'EUR', expected USD"),
        ({"price": {"currencyCode": "USD", "units": "-1", "nanos": 0}}, r"negative price -1 units 0 nanos"),
        ({"price": {"currencyCode": "USD", "units": "zero", "nanos": 5}}, r"unitPrice .* is not a Money value"),
        (
            {"price": {"currencyCode": "USD", "units": "0", "nanos": 1_000_000_000}},
            r"unitPrice .* is not a Money value",
        ),
        ({"unit": "GiBy.h"}, r"priced per 'GiBy.h', expected 'h'"),
        ({"pricing": []}, r"pricingInfo is missing"),
    ],
)
def test_a_malformed_usable_sku_is_a_one_line_error_naming_it(edits: dict[str, Any], message: str) -> None:
    with pytest.raises(
        CatalogError, match=r"^GCP SKU C6D2-9E8A-1B37 \(Nvidia L4 GPU running in Americas\): " + message
    ):
        parse_skus([_usable(**edits)])


def test_ram_must_be_priced_per_gibibyte_hour() -> None:
    ram = sku("A2 Instance Ram running in Americas", regions=AMERICAS, group="RAM", price="0.004237", unit="h")
    with pytest.raises(CatalogError, match=r"priced per 'h', expected 'GiBy.h'"):
        parse_skus([ram])


def test_an_empty_answer_is_refused() -> None:
    with pytest.raises(CatalogError, match=r"returned no SKUs for services/6F81-5844-456A"):
        parse_skus([])


def test_client_messages_parse_like_their_json() -> None:
    """What the billing_v1 client yields (proto-plus Sku messages) gives the same index as the wire JSON."""
    skus = compute_engine_skus()
    messages = []
    for item in skus:
        pb = billing_v1.Sku.pb()()
        json_format.Parse(json.dumps(item), pb, ignore_unknown_fields=True)
        messages.append(billing_v1.Sku.wrap(pb))
    assert parse_skus(messages) == parse_skus(skus)


# ---------------------------------------------------------------------------------- fetching


@pytest.fixture
def billing() -> Iterator[BillingCatalogServer]:
    with BillingCatalogServer() as server:
        yield server


def _refresh(server: BillingCatalogServer, **kwargs: Any) -> price_refresh.PriceRefresh:
    options: dict[str, Any] = {"regions": REGIONS, "credentials_file": None, "endpoint": server.url, "now": NOW,
                               "retry": FAST_RETRY, **kwargs}  # fmt: skip
    return refresh_gcp_prices(None, **options)


def test_refresh_reads_every_page_with_the_documented_request(
    billing: BillingCatalogServer, monkeypatch: pytest.MonkeyPatch, shipped: Snapshot, rates: SkuRates
) -> None:
    monkeypatch.setattr(price_refresh, "PAGE_SIZE", 50)
    refresh = _refresh(billing)
    pages = -(-len(compute_engine_skus()) // 50)
    assert pages == 3
    assert refresh.api_calls == {LIST_SKUS: pages} and billing.count() == pages
    first, *rest = billing.requests
    assert first.path == "/v1/services/6F81-5844-456A/skus"
    assert first.query["currencyCode"] == ["USD"] and first.query["pageSize"] == ["50"]
    assert "pageToken" not in first.query and all(request.query["pageToken"] for request in rest)
    assert (refresh.snapshot, refresh.summary) == _refreshed(shipped, rates)


def test_refresh_asks_for_the_largest_page(billing: BillingCatalogServer) -> None:
    refresh = _refresh(billing)
    assert refresh.api_calls == {LIST_SKUS: 1}
    assert billing.requests[0].query["pageSize"] == ["5000"]


def test_refresh_retries_throttling_and_unavailability(
    billing: BillingCatalogServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    billing.fail("RATE_LIMIT", times=2)
    assert _refresh(billing).api_calls == {LIST_SKUS: 1}
    assert billing.count(status=429) == 2 and billing.count(status=200) == 1
    monkeypatch.setattr(price_refresh, "PAGE_SIZE", 50)
    billing.fail("UNAVAILABLE", times=1, after=1)  # the second page's first try
    refresh = _refresh(billing, regions=("us-east4",))
    assert refresh.summary.regions == ("us-east4",) and refresh.api_calls == {LIST_SKUS: 3}
    assert billing.count(status=503) == 1 and billing.count(status=200) == 1 + 3


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        ("PERMISSION_DENIED", "403 PERMISSION_DENIED (ACCESS_TOKEN_SCOPE_INSUFFICIENT): Request had insufficient"),
        ("SERVICE_DISABLED", "403 PERMISSION_DENIED (SERVICE_DISABLED): Cloud Billing API has not been used in"),
    ],
)
def test_refresh_errors_are_one_line_and_abort(billing: BillingCatalogServer, failure: Any, expected: str) -> None:
    billing.fail(failure)
    with pytest.raises(PriceRefreshError) as caught:
        _refresh(billing)
    assert str(caught.value).startswith(f"GCP price refresh failed, nothing written: {expected}")
    assert "\n" not in str(caught.value) and "http://" not in str(caught.value).split("visiting")[0]
    assert billing.count() == 1  # not retried


def test_an_error_on_a_later_page_aborts_the_whole_refresh(
    billing: BillingCatalogServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(price_refresh, "PAGE_SIZE", 50)
    billing.fail("PERMISSION_DENIED", after=2)
    with pytest.raises(PriceRefreshError, match="ACCESS_TOKEN_SCOPE_INSUFFICIENT"):
        _refresh(billing)
    assert billing.count(status=200) == 2


def test_throttling_that_does_not_stop_gives_up(billing: BillingCatalogServer) -> None:
    billing.fail("RATE_LIMIT")
    impatient = Retry(predicate=if_exception_type(api_exceptions.TooManyRequests), initial=0.01, timeout=0.1)
    with pytest.raises(
        PriceRefreshError, match=r"429 RESOURCE_EXHAUSTED \(RATE_LIMIT_EXCEEDED\): Quota .* retrying\)$"
    ):
        _refresh(billing, retry=impatient)
    assert billing.count(status=429) >= 2


def test_an_unreachable_endpoint_is_one_line() -> None:
    with BillingCatalogServer() as server:
        url = server.url
    with pytest.raises(PriceRefreshError, match=r"^GCP price refresh failed, nothing written: ConnectionError: "):
        refresh_gcp_prices(None, regions=(), credentials_file=None, endpoint=url, now=NOW, retry=FAST_RETRY)


def test_missing_credentials_are_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from google.auth.exceptions import DefaultCredentialsError

    def no_credentials(**_: Any) -> Any:
        raise DefaultCredentialsError("Your default credentials were not found.")

    monkeypatch.setattr(collector, "default_credentials", no_credentials)
    with pytest.raises(GcpCredentialError, match=r"^no Google credentials found"):
        refresh_gcp_prices(None, regions=(), credentials_file=None, endpoint=None, now=NOW)
    broken = tmp_path / "key.json"
    broken.write_text("{}", encoding="utf-8")
    with pytest.raises(GcpCredentialError, match=r"^cannot use --gcp-credentials .*key.json: "):
        refresh_gcp_prices(None, regions=(), credentials_file=broken, endpoint=None, now=NOW)


def test_the_server_speaks_the_wire_format(billing: BillingCatalogServer) -> None:
    base = f"{billing.url}/v1/services/6F81-5844-456A/skus"
    page = requests.get(base, params={"pageSize": "2", "currencyCode": "USD"}, timeout=5).json()
    assert set(page) == {"skus", "nextPageToken"} and len(page["skus"]) == 2 and page["nextPageToken"]
    price = page["skus"][0]["pricingInfo"][0]["pricingExpression"]["tieredRates"][0]["unitPrice"]
    assert isinstance(price["units"], str) and isinstance(price["nanos"], int)
    last = requests.get(base, params={"pageToken": page["nextPageToken"], "pageSize": "5000"}, timeout=5).json()
    assert last["nextPageToken"] == "" and len(last["skus"]) == len(compute_engine_skus()) - 2
    bad = requests.get(base, params={"pageToken": "nope"}, timeout=5)
    assert bad.status_code == 400 and bad.json()["error"]["status"] == "INVALID_ARGUMENT"
    missing = requests.get(f"{billing.url}/v1/services/0000-0000-0000/skus", timeout=5)
    assert missing.status_code == 404 and missing.json()["error"]["status"] == "NOT_FOUND"


def test_an_ambiguous_rate_says_which_prices() -> None:
    both = parse_skus([
        sku("A2 Instance Core running in Americas", regions=AMERICAS, group="CPU", price="0.031611"),
        sku("A2 Instance Core running in Iowa", regions=["us-central1"], group="CPU", price="0.03"),
    ])  # fmt: skip
    found = both.rate("core", ["A2"], "on_demand", "us-central1")
    assert isinstance(found, Ambiguous) and found.prices == (Decimal("0.03"), Decimal("0.031611"))
    assert both.rate("core", ["A2"], "on_demand", "us-west1") == Decimal("0.031611")
    assert both.knows("core", ["A2"]) and not both.knows("ram", ["A2"])
