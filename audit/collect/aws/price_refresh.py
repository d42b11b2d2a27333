"""`catalog update --aws`: refresh the snapshot's AWS prices from the Price List API and the
spot price history, all regions or none (a half-refreshed catalog would mix dates silently)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ...catalog.snapshot import Snapshot, read_snapshot
from ...models import Provider
from ..prices import PriceRefreshError
from ..shared import ApiCallCounter
from .counter import client_config
from .gaps import AWS_ERRORS, error_code, error_message
from .pricing import PRICING_REGION, UpdateSummary, fetch_aws_prices, updated_snapshot
from .targets import base_account


@dataclass(frozen=True)
class PriceRefresh:
    snapshot: Snapshot
    summary: UpdateSummary
    api_calls: dict[str, int]


def refresh_aws_prices(
    source: Path | None,
    *,
    regions: tuple[str, ...],
    profile: str | None,
    endpoint_url: str | None,
    now: datetime,
    spot_window_days: int = 7,
) -> PriceRefresh:
    """The snapshot at `source` (None: the shipped one) with fresh AWS prices for its GPU types.
    `regions` defaults to every AWS region the snapshot prices."""
    snapshot = read_snapshot(source)
    aws_types = snapshot.instances.get(Provider.AWS, {})
    wanted = regions or tuple(sorted({region for entry in aws_types.values() for region in entry.regions}))
    counter = ApiCallCounter()
    config = client_config()
    account = base_account(profile, endpoint_url, counter, config)
    pricing = account.clients.client("pricing", PRICING_REGION)
    ec2 = {region: account.clients.client("ec2", region) for region in wanted}
    try:
        prices = fetch_aws_prices(pricing, ec2, sorted(aws_types), now=now, spot_window_days=spot_window_days)
    except AWS_ERRORS as exc:
        raise PriceRefreshError(
            f"AWS price refresh failed, nothing written: {error_code(exc)}: {error_message(exc)}"
        ) from None
    updated, summary = updated_snapshot(snapshot, prices, retrieved=now.date())
    return PriceRefresh(updated, summary, counter.snapshot())
