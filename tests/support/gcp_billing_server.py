"""A local stand-in for the Cloud Billing Catalog API v1 (REST) that the real `google-cloud-billing` client talks to.

Google ships no emulator for it, so this server speaks the real wire format and the real client
(`billing_v1.CloudCatalogClient(transport="rest")`, checked with google-cloud-billing 1.21.0 and
google-api-core 2.44.0) parses every byte::

    client = billing_v1.CloudCatalogClient(
        credentials=AnonymousCredentials(), transport="rest", client_options=ClientOptions(api_endpoint=server.url)
    )
    pager = client.list_skus(request={"parent": "services/6F81-5844-456A", "currency_code": "USD", "page_size": 5000})
    for page in pager.pages:  # one GET per page: /v1/services/6F81-5844-456A/skus?currencyCode=USD&pageSize=5000
        page.skus             # list[Sku]; page.next_page_token is "" on the last page

The client sends `currencyCode`, `pageSize`, `pageToken` (camelCase) and `$alt=json;enum-encoding=int`.

What is modelled:
- `GET /v1/services/{service}/skus` only (404 NOT_FOUND for other paths and unknown services). `pageSize`
  1-5000 (absent or 0: 5000, the API's default and maximum; more is capped to 5000, a negative or non-numeric
  value is 400 INVALID_ARGUMENT); `pageToken` opaque, a bad one is 400; `currencyCode` USD (or absent). Other
  currencies are 400 here: the real API converts with `currencyConversionRate`, which is not modelled.
- Responses as the real API writes them: camelCase JSON `{"skus": [...], "nextPageToken": "..."}` (the token
  is "" on the last page), `unitPrice.units` an int64 string, `nanos` an int.
- Errors in Google's JSON error format `{"error": {"code", "message", "status", "details": [ErrorInfo ...]}}`:
  PERMISSION_DENIED (403, ACCESS_TOKEN_SCOPE_INSUFFICIENT: the public catalog checks no IAM permission, a
  token without a billing or cloud-platform scope is what is refused), SERVICE_DISABLED (403), RATE_LIMIT
  (429 RESOURCE_EXHAUSTED) and UNAVAILABLE (503), injected with `fail()`.

`compute_engine_skus()` builds a realistic Compute Engine SKU set (see its docstring).
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import parse_qs, unquote, urlsplit

from gcp_servers import RestServer, error_info

COMPUTE_ENGINE_SERVICE_ID = "6F81-5844-456A"
LIST_SKUS = "cloudbilling.services.skus.list"
MAX_PAGE_SIZE = 5000
CONSUMER_PROJECT = 412_345_678_901  # the project number errors name as the consumer

Failure = Literal["PERMISSION_DENIED", "SERVICE_DISABLED", "RATE_LIMIT", "UNAVAILABLE"]
FAILURES: tuple[Failure, ...] = ("PERMISSION_DENIED", "SERVICE_DISABLED", "RATE_LIMIT", "UNAVAILABLE")

# ----------------------------------------------------------------------------------------------- the SKU set

# Billing "locations" (the end of "... running in <location>") and the regions their SKUs list.
LOCATIONS: dict[str, tuple[str, ...]] = {
    "Americas": ("us-central1", "us-east1", "us-west1"),
    "Virginia": ("us-east4",),
    "Netherlands": ("europe-west4",),
    "Singapore": ("asia-southeast1",),
}
REGIONS: tuple[str, ...] = tuple(sorted(region for regions in LOCATIONS.values() for region in regions))

# USD list prices (on demand, spot) per location. Core and GPU: per hour; RAM: per GiB-hour. A2 Americas
# are the published A2 rates; the others are shaped like the catalog's (derived from the shipped snapshot,
# then moved a little so that a refresh visibly changes it). Illustrative, not quotes.
Rates = dict[str, tuple[str, str]]
HOST_RATES: dict[tuple[str, str], Rates] = {
    ("A2", "Core"): {
        "Americas": ("0.031611", "0.012644"),
        "Virginia": ("0.035605", "0.0142"),
        "Netherlands": ("0.034802", "0.013601"),
        "Singapore": ("0.038999", "0.0156"),
    },
    ("A2", "Ram"): {
        "Americas": ("0.004237", "0.001695"),
        "Virginia": ("0.004771", "0.0019"),
        "Netherlands": ("0.004664", "0.001824"),
        "Singapore": ("0.005226", "0.00209"),
    },
    ("G2", "Core"): {
        "Americas": ("0.024988", "0.00999"),
        "Virginia": ("0.024906", "0.00996"),
        "Netherlands": ("0.026247", "0.010499"),
        "Singapore": ("0.030842", "0.012337"),
    },
    ("G2", "Ram"): {
        "Americas": ("0.002927", "0.001171"),
        "Virginia": ("0.002917", "0.001166"),
        "Netherlands": ("0.003073", "0.001229"),
        "Singapore": ("0.003612", "0.001445"),
    },
    ("A3", "Core"): {
        "Americas": ("0.025502", "0.005869"),
        "Virginia": ("0.025502", "0.004595"),
        "Netherlands": ("0.026772", "0.004824"),
        "Singapore": ("0.031458", "0.005666"),
    },
    ("A3", "Ram"): {
        "Americas": ("0.00222", "0.000511"),
        "Virginia": ("0.00222", "0.0004"),
        "Netherlands": ("0.002331", "0.00042"),
        "Singapore": ("0.002739", "0.000493"),
    },
    ("A3 Ultra", "Core"): {"Americas": ("0.029806", "0.006865"), "Netherlands": ("0.031297", "0.005196")},
    ("A3 Ultra", "Ram"): {"Americas": ("0.001893", "0.000436"), "Netherlands": ("0.001988", "0.00033")},
}
# GPU SKU model part -> per-GPU rates. "H100 80GB Plus" is how the catalog words H100 Mega in the Americas.
GPU_RATES: dict[str, Rates] = {
    "Nvidia Tesla A100 GPU": {
        "Americas": ("2.933908", "1.1472"),
        "Netherlands": ("2.9336", "1.1691"),
        "Singapore": ("3.10156", "1.2406"),
    },
    "Nvidia Tesla A100 80GB GPU": {
        "Americas": ("3.92808", "1.5712"),
        "Virginia": ("4.42433", "1.7697"),
        "Netherlands": ("4.32485", "1.5771"),
        "Singapore": ("4.84607", "1.6476"),
    },
    "Nvidia L4 GPU": {
        "Americas": ("0.560040", "0.2231"),
        "Virginia": ("0.558208", "0.2233"),
        "Netherlands": ("0.588043", "0.2106"),
        "Singapore": ("0.690920", "0.2384"),
    },
    "Nvidia H100 80GB GPU": {
        "Americas": ("11.0612", "2.2530"),
        "Virginia": ("9.796550569", "1.7632"),
        "Netherlands": ("12.73552", "2.2913"),
        "Singapore": ("11.61428", "2.2918"),
    },
    "Nvidia H100 80GB Plus GPU": {"Americas": ("10.344275712", "2.3791"), "Virginia": ("10.344275712", "1.8619")},
    "Nvidia H100 80GB Mega GPU": {"Netherlands": ("13.44756", "2.4206"), "Singapore": ("12.26343", "2.4206")},
    "H200 141GB GPU": {"Americas": ("9.31174", "3.7247"), "Netherlands": ("10.2429", "3.9109")},
    "Nvidia Tesla T4 GPU": {
        "Americas": ("0.35", "0.14"),
        "Virginia": ("0.35", "0.14"),
        "Netherlands": ("0.35", "0.14"),
        "Singapore": ("0.37", "0.1195"),
    },
    "Nvidia Tesla V100 GPU": {"Americas": ("2.48", "0.992"), "Netherlands": ("2.55", "0.7148")},
    "Nvidia Tesla P100 GPU": {"Americas": ("1.46", "0.584"), "Netherlands": ("1.533", "0.3265")},
    "Nvidia Tesla P4 GPU": {
        "Americas": ("0.6", "0.24"),
        "Virginia": ("0.6", "0.1734"),
        "Netherlands": ("0.63", "0.0822"),
        "Singapore": ("0.65", "0.0662"),
    },
}
# GPUs whose spot SKU reads "Spot Preemptible <model> running in <location>" (the others read "<model>
# attached to Spot Preemptible VMs running in <location>"): the catalog uses both.
SPOT_PREFIXED_GPUS = frozenset({"Nvidia L4 GPU"})

EFFECTIVE_TIME = "2026-11-23T05:07:11.382Z"


def money(price: str | Decimal) -> dict[str, Any]:
    """A google.type.Money in USD as the API writes it: units an int64 string, nanos an int."""
    value = Decimal(price)
    units = int(value)
    return {"currencyCode": "USD", "units": str(units), "nanos": int((value - units) * 1_000_000_000)}


def sku(
    description: str,
    *,
    regions: Sequence[str],
    group: str,
    price: str | Decimal | None = None,
    usage_type: str = "OnDemand",
    family: str = "Compute",
    unit: str | None = None,
    tiers: Sequence[tuple[float, str]] | None = None,
    sku_id: str | None = None,
) -> dict[str, Any]:
    """One SKU object as `services.skus.list` returns it (camelCase JSON)."""
    unit = unit or ("GiBy.h" if group == "RAM" else "h")
    units = {
        "h": ("hour", "s", "second", 3600),
        "GiBy.h": ("gibibyte hour", "By.s", "byte second", 3865470566400),
        "GiBy.mo": ("gibibyte month", "By.s", "byte second", 2835754615603200),
        "GiBy": ("gibibyte", "By", "byte", 1073741824),
    }[unit]
    rates = tiers if tiers is not None else [(0.0, str(price))]
    ident = sku_id or _sku_id(description, usage_type, *regions)
    return {
        "name": f"services/{COMPUTE_ENGINE_SERVICE_ID}/skus/{ident}",
        "skuId": ident,
        "description": description,
        "category": {
            "serviceDisplayName": "Compute Engine",
            "resourceFamily": family,
            "resourceGroup": group,
            "usageType": usage_type,
        },
        "serviceRegions": list(regions),
        "pricingInfo": [
            {
                "effectiveTime": EFFECTIVE_TIME,
                "summary": "",
                "pricingExpression": {
                    "usageUnit": unit,
                    "displayQuantity": 1,
                    "tieredRates": [{"startUsageAmount": start, "unitPrice": money(rate)} for start, rate in rates],
                    "usageUnitDescription": units[0],
                    "baseUnit": units[1],
                    "baseUnitDescription": units[2],
                    "baseUnitConversionFactor": units[3],
                },
                "currencyConversionRate": 1,
            }
        ],
        "serviceProviderName": "Google",
        "geoTaxonomy": {"type": "MULTI_REGIONAL" if len(regions) > 1 else "REGIONAL", "regions": list(regions)},
    }


def _sku_id(*parts: str) -> str:
    digest = hashlib.sha256("/".join(parts).encode()).hexdigest().upper()
    return f"{digest[:4]}-{digest[4:8]}-{digest[8:12]}"


def compute_engine_skus() -> list[dict[str, Any]]:
    """A Compute Engine SKU set covering the snapshot's GCP machine types and attached GPUs in REGIONS.

    Priced here (HOST_RATES, GPU_RATES), on demand and spot: A2, G2, A3 (a3-highgpu) and A3 Ultra cores and
    RAM; A100, A100 80GB, L4, H100, H100 Mega ("Plus" in the Americas, "Mega" elsewhere), H200, T4, V100,
    P100 and P4 GPUs. Deliberately absent: A3 Mega and A3 Edge cores (their types must be skipped, not
    priced with A3 High rates) and B200. Around them, SKUs a refresh must ignore: commitments (Commit1Yr/3Yr),
    sole tenancy, custom, reserved, DWS, calendar-mode and flex-start variants (at other prices, so using one
    would show), other families (N1, N2, E2), a GPU virtual workstation, Local SSD, PD storage and egress.
    Sorted by SKU id, as the real list is in no useful order.
    """
    skus: list[dict[str, Any]] = []
    for (family, part), by_location in HOST_RATES.items():
        group = "CPU" if part == "Core" else "RAM"
        for location, (on_demand, spot) in by_location.items():
            regions = LOCATIONS[location]
            skus.append(sku(f"{family} Instance {part} running in {location}", regions=regions, group=group,
                            price=on_demand))  # fmt: skip
            skus.append(sku(f"Spot Preemptible {family} Instance {part} running in {location}", regions=regions,
                            group=group, price=spot, usage_type="Preemptible"))  # fmt: skip
    for model, by_location in GPU_RATES.items():
        for location, (on_demand, spot) in by_location.items():
            regions = LOCATIONS[location]
            skus.append(sku(f"{model} running in {location}", regions=regions, group="GPU", price=on_demand))
            spot_description = (
                f"Spot Preemptible {model} running in {location}"
                if model in SPOT_PREFIXED_GPUS
                else f"{model} attached to Spot Preemptible VMs running in {location}"
            )
            skus.append(sku(spot_description, regions=regions, group="GPU", price=spot, usage_type="Preemptible"))
    skus.extend(ignored_skus())
    return sorted(skus, key=lambda item: item["skuId"])


def ignored_skus() -> list[dict[str, Any]]:
    """Compute Engine SKUs that name the snapshot's families or GPUs but are not their list price."""
    americas, virginia = LOCATIONS["Americas"], LOCATIONS["Virginia"]
    return [
        sku("Commitment v1: A2 Cpu in Americas for 1 Year", regions=americas, group="CPU", price="0.019915",
            usage_type="Commit1Yr"),
        sku("Commitment v1: A2 Ram in Americas for 3 Years", regions=americas, group="RAM", price="0.001907",
            usage_type="Commit3Yr"),
        sku("Commitment v1: Nvidia Tesla A100 GPU running in Americas for 1 Year", regions=americas, group="GPU",
            price="1.848362", usage_type="Commit1Yr"),
        sku("Commitment v1: Nvidia L4 GPU running in Americas for 3 Years", regions=americas, group="GPU",
            price="0.252018", usage_type="Commit3Yr"),
        sku("Nvidia Tesla T4 GPU attached to Sole Tenancy VMs running in Americas", regions=americas, group="GPU",
            price="0.385"),
        sku("Sole Tenancy Instance Core running in Americas", regions=americas, group="CPU", price="0.034773"),
        sku("G2 Custom Instance Core running in Americas", regions=americas, group="CPU", price="0.026237"),
        sku("G2 Custom Instance Ram running in Americas", regions=americas, group="RAM", price="0.003073"),
        sku("Reserved Nvidia H100 80GB Mega GPU in Americas", regions=americas, group="GPU", price="8.54"),
        sku("DWS Defined Duration Nvidia H100 80GB GPU running in Virginia", regions=virginia, group="GPU",
            price="5.3843"),
        sku("DWS Defined Duration A3 Instance Core running in Virginia", regions=virginia, group="CPU",
            price="0.014026"),
        sku("A3 Instance Core running in Virginia (Calendar mode)", regions=virginia, group="CPU", price="0.0153"),
        sku("Nvidia H100 80GB GPU running in Virginia (Flex-start)", regions=virginia, group="GPU", price="5.5"),
        sku("N1 Predefined Instance Core running in Americas", regions=americas, group="N1Standard",
            price="0.031611"),
        sku("N1 Predefined Instance Ram running in Americas", regions=americas, group="N1Standard",
            price="0.004237", unit="GiBy.h"),
        sku("N2 Instance Core running in Americas", regions=americas, group="CPU", price="0.031611"),
        sku("E2 Instance Ram running in Americas", regions=americas, group="RAM", price="0.002917"),
        sku("Nvidia Tesla T4 Virtual Workstation GPU running in Americas", regions=americas, group="GPU",
            price="0.55"),
        sku("SSD backed Local Storage", regions=americas, group="LocalSSD", family="Storage", price="0.08",
            unit="GiBy.mo"),
        sku("Storage PD Capacity", regions=americas, group="PDStandard", family="Storage", price="0.04",
            unit="GiBy.mo"),
        sku("Network Internet Egress from Americas to Americas", regions=americas, group="PremiumInternetEgress",
            family="Network", unit="GiBy", tiers=[(0.0, "0"), (1.0, "0.12"), (1024.0, "0.11")]),
    ]  # fmt: skip


# --------------------------------------------------------------------------------------------------- server


@dataclass(frozen=True)
class BillingRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    api_method: str  # LIST_SKUS or "unknown"
    status: int


class _ApiError(Exception):
    def __init__(self, code: int, status: str, message: str, details: Sequence[Mapping[str, Any]] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.body: dict[str, Any] = {"error": {"code": code, "message": message, "status": status}}
        if details:
            self.body["error"]["details"] = [dict(detail) for detail in details]


def failure_error(failure: Failure) -> _ApiError:
    """The error Google returns for each injectable failure."""
    service = "cloudbilling.googleapis.com"
    if failure == "PERMISSION_DENIED":
        info = error_info(
            "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
            "googleapis.com",
            {"service": service, "method": "google.cloud.billing.v1.CloudCatalog.ListSkus"},
        )
        return _ApiError(403, "PERMISSION_DENIED", "Request had insufficient authentication scopes.", [info])
    if failure == "SERVICE_DISABLED":
        url = f"https://console.developers.google.com/apis/api/{service}/overview?project={CONSUMER_PROJECT}"
        message = (
            f"Cloud Billing API has not been used in project {CONSUMER_PROJECT} before or it is disabled. Enable it"
            f" by visiting {url} then retry. If you enabled this API recently, wait a few minutes for the action to"
            " propagate to our systems and retry."
        )
        meta = {"service": service, "consumer": f"projects/{CONSUMER_PROJECT}", "serviceTitle": "Cloud Billing API",
                "activationUrl": url}  # fmt: skip
        return _ApiError(403, "PERMISSION_DENIED", message, [error_info("SERVICE_DISABLED", "googleapis.com", meta)])
    if failure == "RATE_LIMIT":
        message = (
            "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute' of service"
            f" '{service}' for consumer 'project_number:{CONSUMER_PROJECT}'."
        )
        meta = {"service": service, "consumer": f"projects/{CONSUMER_PROJECT}",
                "quota_metric": f"{service}/read_requests", "quota_limit": "ReadRequestsPerMinutePerProject",
                "quota_limit_value": "300"}  # fmt: skip
        return _ApiError(
            429, "RESOURCE_EXHAUSTED", message, [error_info("RATE_LIMIT_EXCEEDED", "googleapis.com", meta)]
        )
    if failure == "UNAVAILABLE":
        return _ApiError(503, "UNAVAILABLE", "The service is currently unavailable.")
    raise ValueError(f"unknown failure {failure!r}; one of {FAILURES}")


class BillingCatalogServer(RestServer):
    """Cloud Billing Catalog v1 REST on 127.0.0.1 and a free port, in a background thread, stopped on exit."""

    def __init__(self, skus: Iterable[Mapping[str, Any]] | None = None) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._services: dict[str, list[dict[str, Any]]] = {}
        self._failures: list[tuple[Failure, int, int | None]] = []  # (failure, successes before, times or None)
        self.requests: list[BillingRequest] = []
        self.set_skus(compute_engine_skus() if skus is None else skus)

    def __enter__(self) -> BillingCatalogServer:
        return super().__enter__()  # type: ignore[no-any-return]

    # ---- seeding

    def set_skus(self, skus: Iterable[Mapping[str, Any]], service_id: str = COMPUTE_ENGINE_SERVICE_ID) -> None:
        with self._lock:
            self._services[service_id] = json.loads(json.dumps(list(skus)))

    def fail(self, failure: Failure, *, times: int | None = None, after: int = 0) -> None:
        """Fail skus.list calls with `failure`: after `after` successful calls, `times` times (None: forever)."""
        if failure not in FAILURES:
            raise ValueError(f"unknown failure {failure!r}; one of {FAILURES}")
        with self._lock:
            self._failures = [(failure, after, times)]

    def clear_failures(self) -> None:
        with self._lock:
            self._failures = []

    def count(self, api_method: str | None = LIST_SKUS, *, status: int | None = None) -> int:
        """Requests seen, optionally only of one API method and/or answered with one HTTP status."""
        with self._lock:
            return sum(
                1
                for r in self.requests
                if (api_method is None or r.api_method == api_method) and (status is None or r.status == status)
            )

    # ---- serving

    def handle(self, method: str, raw_path: str) -> tuple[int, dict[str, Any]]:
        parts = urlsplit(raw_path)
        query = parse_qs(parts.query, keep_blank_values=True)
        segments = [unquote(part) for part in parts.path.strip("/").split("/")]
        is_list = (
            method == "GET" and len(segments) == 4 and segments[:2] == ["v1", "services"] and segments[3] == "skus"
        )
        with self._lock:
            try:
                if not is_list:
                    raise _ApiError(404, "NOT_FOUND", f"The requested URL {parts.path} was not found.")
                code, body = 200, self._list(segments[2], query)
            except _ApiError as err:
                code, body = err.code, err.body
            self.requests.append(BillingRequest(method, parts.path, query, LIST_SKUS if is_list else "unknown", code))
        return code, body

    def _list(self, service_id: str, query: Mapping[str, list[str]]) -> dict[str, Any]:
        failure = self._take_failure()
        if failure is not None:
            raise failure_error(failure)
        if service_id not in self._services:
            raise _ApiError(404, "NOT_FOUND", f"Service services/{service_id} not found.")
        currency = _param(query, "currencyCode") or "USD"
        if currency != "USD":
            raise _ApiError(400, "INVALID_ARGUMENT", f"currencyCode {currency!r} is not supported by this server.")
        raw_size = _param(query, "pageSize") or "0"
        if not raw_size.lstrip("-").isdigit() or int(raw_size) < 0:
            raise _ApiError(400, "INVALID_ARGUMENT", f"Invalid value at 'page_size' (TYPE_INT32), \"{raw_size}\"")
        size = min(int(raw_size) or MAX_PAGE_SIZE, MAX_PAGE_SIZE)
        skus = self._services[service_id]
        offset = self._offset(service_id, _param(query, "pageToken"))
        page = skus[offset : offset + size]
        end = offset + len(page)
        token = _token(service_id, end) if end < len(skus) else ""
        return {"skus": page, "nextPageToken": token}

    def _take_failure(self) -> Failure | None:
        if not self._failures:
            return None
        failure, after, times = self._failures[0]
        if after > 0:
            self._failures[0] = (failure, after - 1, times)
            return None
        if times is not None:
            if times <= 1:
                self._failures.pop(0)
            else:
                self._failures[0] = (failure, 0, times - 1)
        return failure

    @staticmethod
    def _offset(service_id: str, token: str | None) -> int:
        if not token:
            return 0
        try:
            service, _, offset = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
            if service == service_id and offset.isdigit():
                return int(offset)
        except ValueError:
            pass
        raise _ApiError(400, "INVALID_ARGUMENT", "Invalid page token.")


def _param(query: Mapping[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[-1] if values else None


def _token(service_id: str, offset: int) -> str:
    return base64.urlsafe_b64encode(f"{service_id}:{offset}".encode()).decode()
