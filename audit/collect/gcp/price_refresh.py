"""`catalog update --gcp`: refresh the snapshot's GCP prices from the Cloud Billing Catalog API, all or
nothing (a half-refreshed catalog would mix dates silently).

One paginated `cloudbilling.services.skus.list` of Compute Engine (USD, 5000 SKUs a page, the API's
maximum), read through the google-cloud-billing REST client. 429 and 503 answers are retried with
backoff; any other Google API error, or a transport error, aborts the refresh before anything is
written (PriceRefreshError, exit 3).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import requests
from google.api_core import exceptions as api_exceptions
from google.api_core.client_options import ClientOptions
from google.api_core.retry import Retry, if_exception_type
from google.auth import exceptions as auth_exceptions
from google.auth.credentials import Credentials
from google.cloud import billing_v1

from ...catalog.snapshot import Snapshot, read_snapshot
from ..prices import PriceRefreshError, UpdateSummary
from .collector import credentials_for
from .pricing import COMPUTE_ENGINE_SERVICE, CURRENCY, GcpPrices, covered_regions, parse_skus, updated_snapshot

LIST_SKUS = "cloudbilling.services.skus.list"
PAGE_SIZE = 5000  # the API's maximum (and its default)
# skus.list accepts cloud-billing, cloud-billing.readonly or cloud-platform; not cloud-platform.read-only.
BILLING_SCOPE = "https://www.googleapis.com/auth/cloud-billing.readonly"
REQUEST_TIMEOUT_S = 60.0
# The client retries nothing on its own for skus.list: throttling (429) and 503 are retried here, with
# backoff, up to RETRY_DEADLINE_S in all; the pager reuses it for every page.
RETRY_DEADLINE_S = 120.0
LIST_SKUS_RETRY = Retry(
    predicate=if_exception_type(api_exceptions.TooManyRequests, api_exceptions.ServiceUnavailable),
    initial=1.0,
    maximum=16.0,
    multiplier=2.0,
    timeout=RETRY_DEADLINE_S,
)


@dataclass(frozen=True)
class PriceRefresh:
    snapshot: Snapshot
    summary: UpdateSummary
    api_calls: dict[str, int]  # {"cloudbilling.services.skus.list": pages read}


def refresh_gcp_prices(
    source: Path | None,
    *,
    regions: tuple[str, ...],
    credentials_file: Path | None,
    endpoint: str | None,
    now: datetime,
    retry: Retry | None = None,
) -> PriceRefresh:
    """The snapshot at `source` (None: the shipped one) with its GCP prices recomputed from the SKUs.

    `regions` narrows the refresh to some of the snapshot's GCP regions (default: all of them).
    `endpoint` overrides the API endpoint (an emulator: anonymous credentials unless `credentials_file`).
    """
    snapshot = read_snapshot(source)
    covered = covered_regions(snapshot, regions)
    calls = {LIST_SKUS: 0}
    credentials = _credentials(credentials_file, endpoint)
    options = ClientOptions(api_endpoint=endpoint) if endpoint else None
    try:
        with billing_v1.CloudCatalogClient(credentials=credentials, transport="rest", client_options=options) as client:
            pager = client.list_skus(
                request={"parent": COMPUTE_ENGINE_SERVICE, "currency_code": CURRENCY, "page_size": PAGE_SIZE},
                retry=retry or LIST_SKUS_RETRY,
                timeout=REQUEST_TIMEOUT_S,
            )
            rates = parse_skus(_pages(pager, calls))
    except api_exceptions.RetryError as exc:
        cause = exc.cause if isinstance(exc.cause, api_exceptions.GoogleAPICallError) else None
        detail = _describe(cause) if cause else _one_line(str(exc))
        raise PriceRefreshError(f"GCP price refresh failed, nothing written: {detail} (gave up retrying)") from None
    except api_exceptions.GoogleAPICallError as exc:
        raise PriceRefreshError(f"GCP price refresh failed, nothing written: {_describe(exc)}") from None
    except (requests.RequestException, auth_exceptions.GoogleAuthError) as exc:
        raise PriceRefreshError(
            f"GCP price refresh failed, nothing written: {type(exc).__name__}: {_one_line(str(exc))}"
        ) from None
    updated, summary = updated_snapshot(snapshot, GcpPrices(rates, covered, now), retrieved=now.date())
    return PriceRefresh(updated, summary, calls)


def _pages(pager: Any, calls: dict[str, int]) -> Iterator[Any]:
    """Every SKU of every page; each page read is one API call (the first was made by list_skus)."""
    for page in pager.pages:
        calls[LIST_SKUS] += 1
        yield from page.skus


def _credentials(credentials_file: Path | None, endpoint: str | None) -> Credentials:
    # A key file wins even with an endpoint (private endpoints); an emulator needs no credentials.
    return credentials_for(credentials_file, emulated=bool(endpoint), scope=BILLING_SCOPE)


def _describe(exc: api_exceptions.GoogleAPICallError) -> str:
    """`403 PERMISSION_DENIED (SERVICE_DISABLED): Cloud Billing API has not been used ...` on one line.

    REST errors carry Google's JSON error body: its `status` and `message` are used (the exception's own
    message is prefixed with the request URL, and a REST 403 has no gRPC status code).
    """
    status = exc.grpc_status_code.name if exc.grpc_status_code is not None else None
    message = exc.message
    response = exc.response
    if isinstance(response, requests.Response):
        try:
            body = response.json()
        except ValueError:
            body = None
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            status = error.get("status") if isinstance(error.get("status"), str) else status
            message = error.get("message") if isinstance(error.get("message"), str) else message
    reason = f" ({exc.reason})" if exc.reason else ""
    code = f"{exc.code} " if exc.code else ""
    return f"{code}{status or type(exc).__name__}{reason}: {_one_line(message or str(exc))}"


def _one_line(text: str) -> str:
    return " ".join(text.split())
