"""AWS price refresh for `infraaudit catalog update --aws`: live prices into the snapshot format.

On-demand prices come from the AWS Price List API (`pricing:GetProducts`), spot prices from the
EC2 spot price history (`ec2:DescribeSpotPriceHistory`). `fetch_aws_prices` reads both,
`updated_snapshot` puts them into a snapshot (hardware is never fetched or guessed: only types
the snapshot already knows are priced), and `write_snapshot` (shared with GCP, from
`audit.collect.prices`) writes the file that `Catalog.load(path)` reads. Clients are passed in,
so this module needs no boto3 import and the caller decides credentials, retries and endpoints.
"""

from __future__ import annotations

import json
import math
import re
import statistics
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ...catalog.snapshot import InstanceEntry, PriceEntry, Snapshot
from ...errors import CatalogError
from ...models import Provider
from ..prices import PriceKey
from ..prices import UpdateSummary as UpdateSummary  # re-exported: aws.price_refresh and callers import it here
from ..prices import render_snapshot as render_snapshot  # re-exported: the writer is shared by every provider
from ..prices import write_snapshot as write_snapshot

PRICING_ACTIONS = ("pricing:GetProducts", "ec2:DescribeSpotPriceHistory")
# The Price List API is served from a few regions only; the region is a filter, not the endpoint.
PRICING_REGION = "us-east-1"
SPOT_PRODUCT = "Linux/UNIX"
MAX_SPOT_WINDOW_DAYS = 90  # the spot price history goes back 90 days

# Linux, shared tenancy, no bundled software, the price of a running instance (capacitystatus
# "Used"; reservation rows are often $0.00). Sent as server-side filters and checked again here.
ON_DEMAND_ATTRIBUTES = {
    "productFamily": "Compute Instance",
    "operatingSystem": "Linux",
    "tenancy": "Shared",
    "preInstalledSw": "NA",
    "capacitystatus": "Used",
}
# Checked only where the product has the attribute: GPU types also list Capacity Block rows
# (marketoption CapacityBlock) that otherwise pass every filter above with a different price.
ON_DEMAND_ATTRIBUTES_IF_PRESENT = {
    "marketoption": "OnDemand",
    "licenseModel": "No License required",
    "locationType": "AWS Region",
}
_PRICE_DECIMALS = 10  # the Price List's own precision; also hides float noise of medians
_ZONE = re.compile(r"^(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+)[a-z]$")  # us-east-1a; not Local Zones


@dataclass(frozen=True)
class AwsPrices:
    """Prices read from AWS, USD per hour, for `instance_types` in `regions` (what was asked for)."""

    on_demand: Mapping[PriceKey, float]
    spot: Mapping[PriceKey, float]
    regions: tuple[str, ...]
    instance_types: tuple[str, ...]
    fetched_at: datetime
    spot_window_days: int

    def covers(self, instance_type: str, region: str) -> bool:
        return instance_type in self.instance_types and region in self.regions


# ---------------------------------------------------------------------------------- on-demand


def parse_on_demand_prices(price_list: Iterable[str]) -> dict[PriceKey, float]:
    """(instance type, region code) -> USD/hour from `GetProducts` PriceList entries (JSON strings).

    Keeps On-Demand Linux shared-tenancy rows (see ON_DEMAND_ATTRIBUTES) priced in USD per Hrs;
    everything else is skipped. A $0.00 row means "not sold on demand" and is skipped too. A
    malformed entry, or two different prices for one key, raises CatalogError.
    """
    prices: dict[PriceKey, float] = {}
    for index, item in enumerate(price_list, 1):
        document = _decode(item, index)
        where = _entry_label(document, index)
        offer = _on_demand_offer(document, where)
        if offer is None:
            continue
        key, price = offer
        previous = prices.setdefault(key, price)
        if previous != price:
            raise CatalogError(
                f"{where}: a second On-Demand price for {key[0]} in {key[1]} ({previous} and {price} USD/h)"
            )
    return prices


def _decode(item: object, index: int) -> Mapping[str, Any]:
    if not isinstance(item, str):
        raise CatalogError(f"AWS price list entry {index}: expected a JSON string, got {type(item).__name__}")
    try:
        document = json.loads(item)
    except json.JSONDecodeError as error:
        raise CatalogError(f"AWS price list entry {index}: invalid JSON ({error.msg})") from None
    return _mapping(document, "the entry", f"AWS price list entry {index}")


def _entry_label(document: Mapping[str, Any], index: int) -> str:
    product = document.get("product")
    sku = product.get("sku") if isinstance(product, Mapping) else None
    return f"AWS price list entry {index}" + (f" (sku {sku})" if isinstance(sku, str) else "")


def _on_demand_offer(document: Mapping[str, Any], where: str) -> tuple[PriceKey, float] | None:
    product = _mapping(document.get("product"), "product", where)
    attributes = _mapping(product.get("attributes"), "product.attributes", where)
    merged = {**attributes, "productFamily": product.get("productFamily")}
    if any(merged.get(name) != value for name, value in ON_DEMAND_ATTRIBUTES.items()):
        return None
    if any(attributes.get(name, value) != value for name, value in ON_DEMAND_ATTRIBUTES_IF_PRESENT.items()):
        return None
    key = (_text(attributes, "instanceType", where), _text(attributes, "regionCode", where))
    price = _hourly_usd(_mapping(document.get("terms"), "terms", where), where)
    return None if price is None or price == 0 else (key, price)


def _hourly_usd(terms: Mapping[str, Any], where: str) -> float | None:
    """The one USD per Hrs price of the OnDemand terms (Reserved and other terms are ignored)."""
    if terms.get("OnDemand") is None:
        return None
    found: set[float] = set()
    for term in _mapping(terms["OnDemand"], "terms.OnDemand", where).values():
        dimensions = _mapping(
            _mapping(term, "an OnDemand term", where).get("priceDimensions"), "priceDimensions", where
        )
        for dimension in dimensions.values():
            dimension = _mapping(dimension, "a price dimension", where)
            if dimension.get("unit") == "Hrs":
                found.add(_usd(dimension, where))
    if len(found) > 1:
        raise CatalogError(f"{where}: several hourly On-Demand prices {sorted(found)}")
    return found.pop() if found else None


def _usd(dimension: Mapping[str, Any], where: str) -> float:
    per_unit = _mapping(dimension.get("pricePerUnit"), "pricePerUnit", where)
    return _price(per_unit.get("USD"), f"{where}: pricePerUnit.USD")


# ---------------------------------------------------------------------------------- spot


def median_spot_prices(history: Iterable[Mapping[str, Any]]) -> dict[PriceKey, float]:
    """(instance type, region) -> median USD/hour over all zones and samples of the region.

    `history` holds `DescribeSpotPriceHistory` SpotPriceHistory items. Only Linux/UNIX items of
    regular zones count (Local and Wavelength Zones are priced apart from their region). Each
    item is a price change, so the median is over changes, not weighted by time. A malformed
    item raises CatalogError.
    """
    samples: dict[PriceKey, list[float]] = {}
    for index, item in enumerate(history, 1):
        where = f"AWS spot price history item {index}"
        item = _mapping(item, "the item", where)
        if _text(item, "ProductDescription", where) != SPOT_PRODUCT:
            continue
        zone = _ZONE.match(_text(item, "AvailabilityZone", where))
        if zone is None:
            continue
        key = (_text(item, "InstanceType", where), zone["region"])
        samples.setdefault(key, []).append(_price(item.get("SpotPrice"), f"{where}: SpotPrice"))
    return {key: round(statistics.median(values), _PRICE_DECIMALS) for key, values in samples.items()}


# ---------------------------------------------------------------------------------- fetching


def fetch_aws_prices(
    pricing_client: Any,
    ec2_clients: Mapping[str, Any],
    instance_types: Collection[str],
    *,
    now: datetime,
    spot_window_days: int = 7,
) -> AwsPrices:
    """On-demand and spot prices of `instance_types` in each region of `ec2_clients` (region -> EC2 client).

    `pricing_client` is a `pricing` client in PRICING_REGION. Only paginated list calls are made:
    GetProducts per region, DescribeSpotPriceHistory per region for all types at once, over the
    `spot_window_days` before `now` (timezone-aware). API errors propagate as botocore raises them.
    """
    if not instance_types:
        raise ValueError("fetch_aws_prices: no instance types to price")
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("fetch_aws_prices: `now` must be timezone-aware")
    if not 1 <= spot_window_days <= MAX_SPOT_WINDOW_DAYS:
        raise ValueError(f"fetch_aws_prices: spot_window_days must be 1 to {MAX_SPOT_WINDOW_DAYS}")
    types = tuple(sorted(set(instance_types)))
    regions = tuple(sorted(ec2_clients))
    on_demand: dict[PriceKey, float] = {}
    spot: dict[PriceKey, float] = {}
    for region in regions:
        on_demand.update(_region_on_demand(pricing_client, region, types))
        spot.update(_region_spot(ec2_clients[region], region, types, now - timedelta(days=spot_window_days), now))
    return AwsPrices(
        on_demand=dict(sorted(on_demand.items())),
        spot=dict(sorted(spot.items())),
        regions=regions,
        instance_types=types,
        fetched_at=now,
        spot_window_days=spot_window_days,
    )


def on_demand_filters(region: str) -> list[dict[str, str]]:
    """The GetProducts filters for one region's Linux on-demand instance prices."""
    wanted = {**ON_DEMAND_ATTRIBUTES, "regionCode": region}
    return [{"Type": "TERM_MATCH", "Field": name, "Value": value} for name, value in wanted.items()]


def _region_on_demand(pricing_client: Any, region: str, types: tuple[str, ...]) -> dict[PriceKey, float]:
    seen = 0

    def entries() -> Iterator[str]:
        nonlocal seen
        pages = pricing_client.get_paginator("get_products").paginate(
            ServiceCode="AmazonEC2",
            Filters=on_demand_filters(region),
            FormatVersion="aws_v1",
            PaginationConfig={"PageSize": 100},  # the API's maximum
        )
        for page in pages:
            for entry in page.get("PriceList", []):
                seen += 1
                yield entry

    try:
        prices = parse_on_demand_prices(entries())
    except CatalogError as error:
        raise CatalogError(f"AWS Price List for {region}: {error}") from None
    # An empty answer means a wrong region code or filter, not "no prices": refuse to clear a region on it.
    if not seen:
        raise CatalogError(f"the AWS Price List returned no Linux on-demand instance products for region {region}")
    stray = sorted({key[1] for key in prices} - {region})
    if stray:
        raise CatalogError(f"the AWS Price List answered the {region} query with products of {', '.join(stray)}")
    wanted = set(types)
    return {key: price for key, price in prices.items() if key[0] in wanted}


def _region_spot(
    ec2_client: Any, region: str, types: tuple[str, ...], start: datetime, end: datetime
) -> dict[PriceKey, float]:
    try:
        medians = median_spot_prices(_spot_history(ec2_client, types, start, end))
    except CatalogError as error:
        raise CatalogError(f"EC2 spot price history for {region}: {error}") from None
    return {key: price for key, price in medians.items() if key[1] == region}


def _spot_history(ec2_client: Any, types: tuple[str, ...], start: datetime, end: datetime) -> Iterator[Any]:
    pages = ec2_client.get_paginator("describe_spot_price_history").paginate(
        InstanceTypes=list(types),
        ProductDescriptions=[SPOT_PRODUCT],
        StartTime=start,
        EndTime=end,
        PaginationConfig={"PageSize": 1000},  # the API's maximum
    )
    for page in pages:
        yield from page.get("SpotPriceHistory", [])


# ---------------------------------------------------------------------------------- snapshot


def updated_snapshot(snapshot: Snapshot, prices: AwsPrices, *, retrieved: date) -> tuple[Snapshot, UpdateSummary]:
    """`snapshot` with the fetched AWS prices of the types it knows, dated `retrieved`.

    For every covered (type, region) (a type in `prices.instance_types`, a region in
    `prices.regions`) both prices are replaced by what AWS returned, null where it returned
    nothing: a refreshed region never keeps an older on-demand or spot price. A covered region
    the type had no entry for is added when AWS priced it. Types without hardware in the
    snapshot are skipped and listed; prices outside the covered set are left as they were.
    """
    known = snapshot.instances.get(Provider.AWS, {})
    fetched = {key[0] for key in prices.on_demand} | {key[0] for key in prices.spot}
    tally = _Tally()
    types = {name: _refreshed(name, entry, prices, tally) for name, entry in known.items()}
    source = snapshot.source.model_copy(
        update={"aggregation": f"{snapshot.source.aggregation} {_refresh_note(prices, retrieved)}"}
    )
    instances = (
        {**snapshot.instances, Provider.AWS: types} if Provider.AWS in snapshot.instances else snapshot.instances
    )
    updated = snapshot.model_copy(update={"snapshot_date": retrieved, "source": source, "instances": instances})
    summary = UpdateSummary(
        regions=prices.regions,
        replaced=tuple(sorted(tally.replaced)),
        added=tuple(sorted(tally.added)),
        cleared=tuple(sorted(tally.cleared)),
        unknown_types=tuple(sorted(fetched - known.keys())),
        changed=tally.changed,
    )
    return updated, summary


@dataclass
class _Tally:
    replaced: list[PriceKey] = field(default_factory=list)
    added: list[PriceKey] = field(default_factory=list)
    cleared: list[PriceKey] = field(default_factory=list)
    changed: int = 0


def _refreshed(name: str, entry: InstanceEntry, prices: AwsPrices, tally: _Tally) -> InstanceEntry:
    """The type's entry with its covered regions set to the fetched prices, counted in `tally`."""
    if name not in prices.instance_types:
        return entry
    regions = dict(entry.regions)
    for region in prices.regions:
        key = (name, region)
        fresh = PriceEntry(on_demand=prices.on_demand.get(key), spot=prices.spot.get(key))
        old = regions.get(region)
        empty = fresh.on_demand is None and fresh.spot is None
        if old is None and empty:
            continue  # AWS does not offer it there, and neither did the snapshot
        (tally.added if old is None else tally.cleared if empty else tally.replaced).append(key)
        tally.changed += old != fresh
        regions[region] = fresh
    return entry.model_copy(update={"regions": dict(sorted(regions.items()))})


def _refresh_note(prices: AwsPrices, retrieved: date) -> str:
    """Attribution of the refresh for `source.aggregation`: the format has no field for a second source."""
    start = prices.fetched_at - timedelta(days=prices.spot_window_days)
    return (
        f"AWS refresh {retrieved.isoformat()}: in {', '.join(prices.regions)}, the prices of the "
        f"{len(prices.instance_types)} requested instance types known here were replaced with prices read on that "
        "date: on_demand from the AWS Price List API (GetProducts, AmazonEC2 Compute Instance, Linux, Shared "
        "tenancy, preInstalledSw NA, capacitystatus Used, On-Demand USD per Hrs); spot = median of the EC2 spot "
        f"price history (DescribeSpotPriceHistory, Linux/UNIX) over the region's zones and price changes from "
        f"{_utc(start)} to {_utc(prices.fetched_at)}. In those regions a price AWS did not return is null. "
        "Prices elsewhere, and the hardware, are from the source above."
    )


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------------- helpers


def _mapping(value: object, what: str, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise CatalogError(f"{where}: {what} is missing or not an object")
    return value


def _text(values: Mapping[str, Any], name: str, where: str) -> str:
    value = values.get(name)
    if not isinstance(value, str) or not value:
        raise CatalogError(f"{where}: {name} is missing or not a string")
    return value


def _price(value: object, where: str) -> float:
    """A decimal string such as "32.7726000000" as a finite, non-negative float."""
    try:
        number = float(value) if isinstance(value, str) else math.nan
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number < 0:
        raise CatalogError(f"{where}: {value!r} is not a non-negative decimal price")
    return round(number, _PRICE_DECIMALS)
