"""GCP price refresh for `infraaudit catalog update --gcp`: Cloud Billing Catalog SKUs into the snapshot.

GCP does not price machine types: Compute Engine bills a machine type's vCPUs, memory and GPUs
as separate SKUs (`services/6F81-5844-456A/skus`, Cloud Billing Catalog API). `parse_skus` reads
the SKUs this refresh can use into per-region unit prices; `updated_snapshot` recomputes each GCP
entry the snapshot already has from them:

    machine type  = vcpus x "<family> Instance Core" + memory_gib x "<family> Instance Ram"
                    + accelerator_count x "<GPU> GPU"          (the snapshot's a2/a3/g2 types)
    n attached GPUs = n x "<GPU> GPU"                           (the snapshot's `accelerators`)

on demand from `usageType` OnDemand SKUs, spot from `usageType` Preemptible SKUs ("Spot
Preemptible ..."). Hardware (vCPUs, memory, GPUs) comes from the snapshot and is never fetched or
guessed. Pure functions: no client, no network; `price_refresh.py` does the calls.

What is used, what is dropped and why (docs/catalog.md, "Refreshing GCP prices"):
- only `resourceFamily` Compute SKUs with `usageType` OnDemand or Preemptible: Commit1Yr/Commit3Yr
  (committed-use prices) are not what an instance costs by default;
- descriptions naming commitments, sole tenancy, custom machine types, reservations, premiums, DWS,
  calendar mode or flex-start are dropped: they price other ways of buying the same hardware;
- exact description grammar only: "[Spot Preemptible ]<family> Instance Core|Ram running in <where>"
  (`resourceGroup` CPU / RAM) and "[Spot Preemptible ]<GPU>[ attached to Spot Preemptible VMs]
  running in <where>" (`resourceGroup` GPU); anything else (licences, Local SSD, network) is ignored;
- the price is the tier that starts at 0 usage of the latest `pricingInfo` (the list price; Compute
  SKUs have that one tier), in USD; core and GPU SKUs must be priced per `h`, RAM per `GiBy.h`.

An entry whose family/variant or GPU has no SKU anywhere in the answer, or whose SKUs disagree
(two prices for one region), keeps its previous prices and is reported as skipped: never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal

from ...catalog.snapshot import AcceleratorEntry, InstanceEntry, PriceEntry, Snapshot
from ...errors import CatalogError
from ...models import Provider
from ..prices import PriceKey, UpdateSummary

COMPUTE_ENGINE_SERVICE = "services/6F81-5844-456A"  # Compute Engine in the Cloud Billing Catalog
CURRENCY = "USD"

Part = Literal["core", "ram", "gpu"]
Market = Literal["on_demand", "spot"]
MARKETS: tuple[Market, ...] = ("on_demand", "spot")
USAGE_TYPES: dict[str, Market] = {"OnDemand": "on_demand", "Preemptible": "spot"}
RESOURCE_GROUPS: dict[Part, str] = {"core": "CPU", "ram": "RAM", "gpu": "GPU"}
USAGE_UNITS: dict[Part, str] = {"core": "h", "ram": "GiBy.h", "gpu": "h"}

# Machine-type series (first two parts of the name) -> the family label of its core and RAM SKUs, as
# the description writes it before " Instance Core|Ram". A2 high/mega/ultra share the A2 SKUs (the
# baseline's host prices fit one A2 core and one RAM rate: 12 x 0.031611 + 85 x 0.004237 = 0.73948
# for a2-highgpu-1g, 12 x 0.031611 + 170 x 0.004237 = 1.09962 for a2-ultragpu-1g, us-central1).
# "A3 Instance Core" is the original A3 (a3-highgpu); the other A3 variants take only their own label
# (seen in billing exports: "A3 Ultra Instance Ram", "A3 High Instance Core"): a variant whose SKUs
# are not in the answer is skipped rather than priced with another variant's rates.
HOST_FAMILIES: dict[str, tuple[str, ...]] = {
    "a2-highgpu": ("A2",),
    "a2-megagpu": ("A2",),
    "a2-ultragpu": ("A2",),
    "a3-highgpu": ("A3", "A3 High"),
    "a3-megagpu": ("A3 Mega",),
    "a3-edgegpu": ("A3 Edge",),
    "a3-ultragpu": ("A3 Ultra",),
    "g2-standard": ("G2",),
}
# The snapshot's accelerator names -> the GPU SKU descriptions' model part (before " running in").
# Several labels: the catalog words one GPU differently by location (H100 Mega is "Plus" in Americas).
GPU_MODELS: dict[str, tuple[str, ...]] = {
    "T4": ("Nvidia Tesla T4 GPU",),
    "V100": ("Nvidia Tesla V100 GPU",),
    "P100": ("Nvidia Tesla P100 GPU",),
    "P4": ("Nvidia Tesla P4 GPU",),
    "A100": ("Nvidia Tesla A100 GPU",),
    "A100-80GB": ("Nvidia Tesla A100 80GB GPU", "Nvidia A100 80GB GPU"),
    "L4": ("Nvidia L4 GPU",),
    "H100": ("Nvidia H100 80GB GPU",),
    "H100-MEGA": ("Nvidia H100 80GB Mega GPU", "Nvidia H100 80GB Plus GPU", "Nvidia H100 Mega 80GB GPU"),
    "H200": ("H200 141GB GPU", "Nvidia H200 141GB GPU"),
    "B200": ("A4 Nvidia B200 (1 gpu slice)",),
}

_DROPPED = re.compile(
    r"\b(commitment|sole tenancy|custom|reserved|reservation|premium|dws|calendar mode|flex(?:-start)?)\b",
    re.IGNORECASE,
)
_SPOT_PREFIX = re.compile(r"^(?:Spot )?Preemptible ")
_HOST = re.compile(r"^(?P<label>\S.*?) Instance (?P<part>Core|Ram) running in (?P<where>\S.*)$")
_GPU = re.compile(r"^(?P<label>\S.*?)(?P<attached> attached to (?:Spot )?Preemptible VMs)? running in (?P<where>\S.*)$")
_NANOS = Decimal(1_000_000_000)
_MAX_NANOS = 999_999_999

RateKey = tuple[Part, str, Market, str]  # (part, casefolded label, market, region)


class Ambiguous:
    """A lookup whose SKUs give more than one price: the entry is skipped, not guessed."""

    def __init__(self, prices: Iterable[Decimal]) -> None:
        self.prices = tuple(sorted(prices))

    def __repr__(self) -> str:
        return f"Ambiguous({', '.join(str(price) for price in self.prices)})"


Rate = Decimal | Ambiguous | None  # None: no SKU for that region and market


@dataclass(frozen=True)
class SkuPrice:
    """One usable SKU: a unit price (USD per hour, or per GiB-hour for RAM) in its regions."""

    sku_id: str
    description: str
    part: Part
    label: str  # the family ("A2") or GPU model ("Nvidia Tesla A100 GPU") as the description writes it
    market: Market
    regions: tuple[str, ...]
    price: Decimal


@dataclass(frozen=True)
class SkuRates:
    """The usable SKUs of one catalog answer, indexed by (part, label, market, region)."""

    prices: Mapping[RateKey, frozenset[Decimal]]
    skus_read: int  # every SKU of the answer
    skus_indexed: int  # the core, RAM and GPU SKUs of any family (looked up or not)
    _labels: frozenset[tuple[Part, str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_labels", frozenset((key[0], key[1]) for key in self.prices))

    def rate(self, part: Part, labels: Iterable[str], market: Market, region: str) -> Rate:
        """The one unit price of any of `labels` in `region`; None without a SKU, Ambiguous when they disagree."""
        found: set[Decimal] = set()
        for label in labels:
            found |= self.prices.get((part, label.casefold(), market, region), frozenset())
        if len(found) > 1:
            return Ambiguous(found)
        return found.pop() if found else None

    def knows(self, part: Part, labels: Iterable[str]) -> bool:
        """Whether any of `labels` has a SKU in any region and market of the answer."""
        return any((part, label.casefold()) in self._labels for label in labels)


@dataclass(frozen=True)
class GcpPrices:
    """What the refresh read: the usable SKUs, for the snapshot's entries in `regions`."""

    rates: SkuRates
    regions: tuple[str, ...]
    fetched_at: datetime

    def covers(self, region: str) -> bool:
        return region in self.regions


# ---------------------------------------------------------------------------------- parsing


def parse_skus(skus: Iterable[Any]) -> SkuRates:
    """Index the usable SKUs of a `skus.list` answer: REST JSON objects (camelCase) or billing_v1 `Sku` messages.

    Everything the module docstring lists as dropped is skipped silently. A usable SKU that is malformed
    (no USD price at usage 0, an unexpected unit, a negative price) raises CatalogError naming it: the
    answer no longer looks like the catalog this parser was written for, and nothing is better than a
    guess. An empty answer raises too: a wrong service or endpoint must not clear every price.
    """
    index: dict[RateKey, set[Decimal]] = {}
    read = indexed = 0
    for item in skus:
        read += 1
        sku = usable_sku(_as_mapping(item), read)
        if sku is None:
            continue
        indexed += 1
        for region in sku.regions:
            index.setdefault((sku.part, sku.label.casefold(), sku.market, region), set()).add(sku.price)
    if not read:
        raise CatalogError(f"the Cloud Billing Catalog returned no SKUs for {COMPUTE_ENGINE_SERVICE}")
    return SkuRates({key: frozenset(values) for key, values in index.items()}, skus_read=read, skus_indexed=indexed)


def usable_sku(sku: Mapping[str, Any], index: int = 1) -> SkuPrice | None:
    """The SKU as a core, RAM or GPU unit price, or None when the refresh does not use it (see the module doc)."""
    description = sku.get("description")
    category = sku.get("category")
    if not isinstance(description, str) or not isinstance(category, Mapping):
        return None
    if category.get("resourceFamily") != "Compute" or _DROPPED.search(description):
        return None
    market = USAGE_TYPES.get(str(category.get("usageType")))
    if market is None:
        return None
    found = _classify(description, str(category.get("resourceGroup")), market)
    if found is None:
        return None
    part, label = found
    regions = tuple(region for region in sku.get("serviceRegions") or () if isinstance(region, str) and region)
    if not regions:
        return None
    sku_id = sku.get("skuId")
    where = f"GCP SKU {sku_id if isinstance(sku_id, str) and sku_id else f'#{index}'} ({description})"
    price = _unit_price(sku, USAGE_UNITS[part], where)
    return SkuPrice(str(sku_id or ""), description, part, label, market, regions, price)


def _classify(description: str, group: str, market: Market) -> tuple[Part, str] | None:
    """(part, label) from the description; None for other grammars and on/off-market mismatches."""
    body, spot_prefix = _SPOT_PREFIX.subn("", description, count=1)
    host = _HOST.match(body)
    if host is not None:
        part: Part = "core" if host["part"] == "Core" else "ram"
        spot_marked = bool(spot_prefix)
        label = host["label"]
    else:
        gpu = _GPU.match(body)
        if gpu is None:
            return None
        part, label = "gpu", gpu["label"]
        spot_marked = bool(spot_prefix) or gpu["attached"] is not None
    if RESOURCE_GROUPS[part] != group:
        return None
    if spot_marked and market == "on_demand":
        return None  # a preemptible description billed as OnDemand (TPU-style): not a plain on-demand price
    return part, label


def _unit_price(sku: Mapping[str, Any], unit: str, where: str) -> Decimal:
    """USD per unit of the tier starting at 0 in the latest pricingInfo (the timeline is chronological)."""
    timeline = sku.get("pricingInfo")
    if not isinstance(timeline, list) or not timeline or not isinstance(timeline[-1], Mapping):
        raise CatalogError(f"{where}: pricingInfo is missing")
    expression = timeline[-1].get("pricingExpression")
    if not isinstance(expression, Mapping):
        raise CatalogError(f"{where}: pricingExpression is missing")
    if expression.get("usageUnit") != unit:
        raise CatalogError(f"{where}: priced per {expression.get('usageUnit')!r}, expected {unit!r}")
    tiers = expression.get("tieredRates")
    if not isinstance(tiers, list):
        raise CatalogError(f"{where}: tieredRates is missing")
    first = [tier for tier in tiers if isinstance(tier, Mapping) and _number(tier.get("startUsageAmount", 0)) == 0]
    if len(first) != 1:
        raise CatalogError(f"{where}: expected one tier starting at usage 0, found {len(first)}")
    money = first[0].get("unitPrice")
    if not isinstance(money, Mapping):
        raise CatalogError(f"{where}: unitPrice is missing")
    return _usd(money, where)


def _usd(money: Mapping[str, Any], where: str) -> Decimal:
    """A google.type.Money in USD (units: int64, a string in JSON; nanos: int32, same sign) as a Decimal."""
    if money.get("currencyCode") != CURRENCY:
        raise CatalogError(f"{where}: priced in {money.get('currencyCode')!r}, expected {CURRENCY}")
    units, nanos = money.get("units", 0), money.get("nanos", 0)
    try:
        whole = int(units) if isinstance(units, (int, str)) and not isinstance(units, bool) else None
    except ValueError:
        whole = None
    if whole is None or not isinstance(nanos, int) or isinstance(nanos, bool) or abs(nanos) > _MAX_NANOS:
        raise CatalogError(f"{where}: unitPrice {dict(money)!r} is not a Money value")
    if whole < 0 or nanos < 0:
        raise CatalogError(f"{where}: negative price {whole} units {nanos} nanos")
    return whole + Decimal(nanos) / _NANOS


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _as_mapping(item: Any) -> Mapping[str, Any]:
    """REST JSON as is; a proto-plus `Sku` message through its own to_dict (camelCase, int64 as strings)."""
    if isinstance(item, Mapping):
        return item
    to_dict = getattr(type(item), "to_dict", None)
    if to_dict is None:
        raise CatalogError(
            f"a Cloud Billing Catalog SKU must be a JSON object or a Sku message, not {type(item).__name__}"
        )
    converted: Mapping[str, Any] = to_dict(item, preserving_proto_field_name=False)
    return converted


# ---------------------------------------------------------------------------------- snapshot


def covered_regions(snapshot: Snapshot, regions: Iterable[str] = ()) -> tuple[str, ...]:
    """The GCP regions the snapshot prices (machine types and attached GPUs), narrowed to `regions` if any.

    A GCP refresh re-prices the snapshot's own entries only (region availability is not in the billing
    catalog), so a region the snapshot does not price raises CatalogError rather than being ignored.
    """
    known = {region for entry in snapshot.instances.get(Provider.GCP, {}).values() for region in entry.regions}
    for accelerator in snapshot.accelerators.get(Provider.GCP, {}).values():
        known.update(region for prices in accelerator.counts.values() for region in prices)
    wanted = list(dict.fromkeys(regions))
    unknown = [region for region in wanted if region not in known]
    if unknown:
        raise CatalogError(
            f"no GCP prices in the catalog for {', '.join(unknown)}: a GCP refresh re-prices the catalog's own "
            "entries (the billing catalog does not say where a machine type is offered)"
        )
    return tuple(sorted(wanted or known))


def updated_snapshot(snapshot: Snapshot, prices: GcpPrices, *, retrieved: date) -> tuple[Snapshot, UpdateSummary]:
    """`snapshot` with its GCP entries in `prices.regions` recomputed from the SKUs, dated `retrieved`.

    For each existing GCP entry (machine type or attached-GPU count) in a covered region, both prices are
    recomputed: a market whose core, RAM or GPU SKU is missing there becomes null (an entry with neither
    price is listed as cleared), never left at an older value. An entry whose SKUs cannot be matched
    unambiguously (see the module doc) keeps its previous prices and is listed as skipped. No entry is
    added: the billing catalog does not say in which regions a machine type is offered. AWS data, the
    hardware and the regions not covered stay as they were.
    """
    tally = _Tally()
    instances = snapshot.instances
    if Provider.GCP in instances:
        types = {name: _instance(name, entry, prices, tally) for name, entry in instances[Provider.GCP].items()}
        instances = {**instances, Provider.GCP: types}
    accelerators = snapshot.accelerators
    if Provider.GCP in accelerators:
        models = {name: _accelerator(name, entry, prices, tally) for name, entry in accelerators[Provider.GCP].items()}
        accelerators = {**accelerators, Provider.GCP: models}
    source = snapshot.source.model_copy(
        update={"aggregation": f"{snapshot.source.aggregation} {_refresh_note(prices, retrieved, len(tally.skipped))}"}
    )
    updated = snapshot.model_copy(
        update={
            "snapshot_date": retrieved,
            "source": source,
            "instances": instances,
            "accelerators": accelerators,
        }
    )
    summary = UpdateSummary(
        regions=prices.regions,
        replaced=tuple(sorted(tally.replaced)),
        added=(),
        cleared=tuple(sorted(tally.cleared)),
        unknown_types=(),
        changed=tally.changed,
        skipped=tuple(sorted(tally.skipped)),
    )
    return updated, summary


def accelerator_key(name: str, count: int) -> str:
    """How attached-GPU entries are named in the summary: "T4 x4"."""
    return f"{name} x{count}"


@dataclass
class _Tally:
    replaced: list[PriceKey] = field(default_factory=list)
    cleared: list[PriceKey] = field(default_factory=list)
    skipped: list[PriceKey] = field(default_factory=list)
    changed: int = 0

    def record(self, key: PriceKey, old: PriceEntry, fresh: PriceEntry | None) -> PriceEntry:
        """The entry to keep; None (not derivable) keeps `old` and counts it as skipped."""
        if fresh is None:
            self.skipped.append(key)
            return old
        (self.cleared if fresh.on_demand is None and fresh.spot is None else self.replaced).append(key)
        self.changed += old != fresh
        return fresh


def _instance(name: str, entry: InstanceEntry, prices: GcpPrices, tally: _Tally) -> InstanceEntry:
    parts = _instance_parts(name, entry, prices.rates)
    regions = dict(entry.regions)
    for region, old in entry.regions.items():
        if prices.covers(region):
            fresh = None if parts is None else _priced(parts, prices.rates, region)
            regions[region] = tally.record((name, region), old, fresh)
    return entry.model_copy(update={"regions": regions})


def _accelerator(name: str, entry: AcceleratorEntry, prices: GcpPrices, tally: _Tally) -> AcceleratorEntry:
    labels = GPU_MODELS.get(name, ())
    known = bool(labels) and prices.rates.knows("gpu", labels)
    counts: dict[int, dict[str, PriceEntry]] = {}
    for count, by_region in entry.counts.items():
        regions = dict(by_region)
        for region, old in by_region.items():
            if prices.covers(region):
                fresh = _priced([("gpu", labels, Decimal(count))], prices.rates, region) if known else None
                regions[region] = tally.record((accelerator_key(name, count), region), old, fresh)
        counts[count] = regions
    return entry.model_copy(update={"counts": counts})


_Parts = list[tuple[Part, tuple[str, ...], Decimal]]  # (part, SKU labels, quantity)


def _instance_parts(name: str, entry: InstanceEntry, rates: SkuRates) -> _Parts | None:
    """What the machine type is billed as, or None when that cannot be told without guessing."""
    families = HOST_FAMILIES.get("-".join(name.split("-")[:2]))
    gpus = GPU_MODELS.get(entry.accelerator or "")
    if families is None or gpus is None or entry.accelerator_count is None:
        return None
    if entry.vcpus is None or entry.memory_gib is None:
        return None
    parts: _Parts = [
        ("core", families, Decimal(entry.vcpus)),
        ("ram", families, Decimal(str(entry.memory_gib))),
        ("gpu", gpus, Decimal(entry.accelerator_count)),
    ]
    if not all(rates.knows(part, labels) for part, labels, _ in parts):
        return None  # the family/variant or GPU has no SKU at all in this answer: unmatched
    return parts


def _priced(parts: _Parts, rates: SkuRates, region: str) -> PriceEntry | None:
    """Both markets' prices in `region`; None when a SKU lookup is ambiguous (the entry is then skipped)."""
    totals: dict[Market, float | None] = {}
    for market in MARKETS:
        total = Decimal(0)
        for part, labels, quantity in parts:
            rate = rates.rate(part, labels, market, region)
            if isinstance(rate, Ambiguous):
                return None
            if rate is None:
                totals[market] = None
                break
            total += quantity * rate
        else:
            totals[market] = float(total)
    return PriceEntry(on_demand=totals["on_demand"], spot=totals["spot"])


def _refresh_note(prices: GcpPrices, retrieved: date, skipped: int) -> str:
    """Attribution of the refresh for `source.aggregation`: the format has no field for a second source."""
    fetched = prices.fetched_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    kept = (
        f" {skipped} entries whose SKUs could not be matched unambiguously kept their previous prices."
        if skipped
        else ""
    )
    return (
        f"GCP refresh {retrieved.isoformat()}: in {', '.join(prices.regions)}, the GCP prices were recomputed from "
        f"the Cloud Billing Catalog API ({COMPUTE_ENGINE_SERVICE}/skus, {CURRENCY} list prices, read {fetched}): "
        "machine type = vCPUs x '<family> Instance Core' + memory GiB x '<family> Instance Ram' + GPUs x the GPU "
        "SKU, n attached GPUs = n x the GPU SKU; on_demand from OnDemand SKUs, spot from Preemptible SKUs; "
        "commitment, sole-tenancy, custom, reserved, DWS, calendar-mode and flex-start SKUs ignored; bundled "
        f"Local SSD not included. In those regions a price the catalog did not give is null.{kept} Prices "
        "elsewhere, and the hardware, are from the source above."
    )
