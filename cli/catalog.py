"""`infraaudit catalog`: look up GPU instance types and prices."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from infraaudit.audit.catalog import Catalog
from infraaudit.audit.collect.prices import write_snapshot
from infraaudit.audit.errors import ExitCode

from .live import GCP_ENDPOINT_HELP, gcp_endpoints, split_regions


@click.group()
def catalog() -> None:
    """GPU instance catalog (specs and hourly prices)."""


@catalog.command("show")
@click.argument("instance_type")
@click.option("--provider", type=click.Choice(["aws", "gcp"]), help="Default: guessed from the type name.")
@click.option("--region", help="Only this region.")
@click.option("--catalog", "catalog_path", type=click.Path(dir_okay=False, path_type=Path))
def show(instance_type: str, provider: str | None, region: str | None, catalog_path: Path | None) -> int:
    """Show specs and prices of INSTANCE_TYPE by region."""
    cat = Catalog.load(catalog_path)
    providers = [provider] if provider else ["aws", "gcp"]
    offers = [o for p in providers for o in cat.offers_for(p, instance_type) if region in (None, o.region)]
    if not offers:
        where = f" in {region}" if region else ""
        click.echo(f"error: {instance_type} is not in the catalog{where} (snapshot {cat.snapshot_date})", err=True)
        return int(ExitCode.RUNTIME)
    first = offers[0]
    accelerators = f"{first.accelerator_count} × {first.accelerator or 'unknown'}"
    memory = f", {first.gpu_memory_gib:g} GiB GPU memory" if first.gpu_memory_gib else ""
    table = Table(
        title=f"{instance_type} ({first.provider}): {accelerators}{memory}, {first.vcpus} vCPU, "
        f"{first.memory_gib:g} GiB RAM — catalog {cat.snapshot_date}",
        title_justify="left",
    )
    for column in ("region", "on-demand $/h", "spot $/h", "on-demand $/month"):
        table.add_column(column, justify="left" if column == "region" else "right")
    for offer in sorted(offers, key=lambda o: o.region):
        table.add_row(
            offer.region,
            _money(offer.on_demand),
            _money(offer.spot),
            _money(offer.on_demand * 730 if offer.on_demand is not None else None),
        )
    Console(highlight=False).print(table)
    return 0


@catalog.command("update")
@click.option("--aws", "use_aws", is_flag=True, help="Refresh AWS prices (Price List API and spot price history).")
@click.option("--gcp", "use_gcp", is_flag=True, help="Refresh GCP prices (Cloud Billing Catalog API).")
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Where to write the refreshed catalog; use it with `scan --catalog FILE`.",
)
@click.option(
    "--catalog",
    "catalog_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Catalog to start from (default: the shipped snapshot).",
)
@click.option(
    "--regions",
    multiple=True,
    callback=split_regions,
    metavar="LIST",
    help="Default: every priced region (GCP: only regions the catalog prices).",
)
@click.option("--profile", metavar="NAME", help="AWS profile (default: the default credential chain).")
@click.option("--endpoint-url", metavar="URL", help="AWS endpoint override.")
@click.option("--spot-window-days", type=click.IntRange(1, 90), help="AWS spot price history window.  [default: 7]")
@click.option(
    "--gcp-credentials",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Service-account key file (default: Application Default Credentials).",
)
@click.option(
    "--gcp-endpoint",
    "gcp_endpoint_overrides",
    multiple=True,
    callback=gcp_endpoints,
    metavar="SERVICE=URL",
    help=GCP_ENDPOINT_HELP + " Only cloudbilling is used here.",
)
def update(
    use_aws: bool,
    use_gcp: bool,
    output: Path,
    catalog_path: Path | None,
    regions: tuple[str, ...],
    profile: str | None,
    endpoint_url: str | None,
    spot_window_days: int | None,
    gcp_credentials: Path | None,
    gcp_endpoint_overrides: dict[str, str],
) -> int:
    """Refresh prices from a provider's price API: --aws (Price List and spot price history) or --gcp
    (Cloud Billing Catalog). Exactly one provider a run; the refresh is all or nothing."""
    if use_aws == use_gcp:
        raise click.UsageError("give exactly one of --aws or --gcp")
    if use_aws:
        _refuse("--aws", gcp_credentials=gcp_credentials, gcp_endpoint=gcp_endpoint_overrides)
        return _update_aws(output, catalog_path, regions, profile, endpoint_url, spot_window_days or 7)
    _refuse("--gcp", profile=profile, endpoint_url=endpoint_url, spot_window_days=spot_window_days)
    unused = sorted(set(gcp_endpoint_overrides) - {"cloudbilling"})
    if unused:
        raise click.UsageError(
            f"catalog update --gcp uses only --gcp-endpoint cloudbilling=URL, not {', '.join(unused)}"
        )
    return _update_gcp(output, catalog_path, regions, gcp_credentials, gcp_endpoint_overrides.get("cloudbilling"))


def _refuse(provider: str, **options: object) -> None:
    """A usage error for options of the other provider (given, that is not None and not empty)."""
    given = [f"--{name.replace('_', '-')}" for name, value in options.items() if value not in (None, {}, ())]
    if given:
        raise click.UsageError(f"{', '.join(given)} cannot be used with {provider}")


def _update_aws(
    output: Path,
    catalog_path: Path | None,
    regions: tuple[str, ...],
    profile: str | None,
    endpoint_url: str | None,
    spot_window_days: int,
) -> int:
    from infraaudit.audit.collect.aws.price_refresh import refresh_aws_prices  # boto3 only when needed

    refresh = refresh_aws_prices(
        catalog_path,
        regions=regions,
        profile=profile,
        endpoint_url=endpoint_url,
        now=datetime.now(UTC),
        spot_window_days=spot_window_days,
    )
    write_snapshot(refresh.snapshot, output)
    summary = refresh.summary
    click.echo(
        f"aws: {len(summary.regions)} region(s) refreshed, {len(summary.replaced)} price(s) replaced, "
        f"{len(summary.added)} added, {len(summary.cleared)} cleared, {len(summary.unknown_types)} unknown type(s) "
        f"skipped, {sum(refresh.api_calls.values())} API call(s); catalog written to {output}",
        err=True,
    )
    return 0


def _update_gcp(
    output: Path, catalog_path: Path | None, regions: tuple[str, ...], credentials: Path | None, endpoint: str | None
) -> int:
    from infraaudit.audit.collect.gcp.price_refresh import refresh_gcp_prices  # google-cloud only when needed

    refresh = refresh_gcp_prices(
        catalog_path, regions=regions, credentials_file=credentials, endpoint=endpoint, now=datetime.now(UTC)
    )
    write_snapshot(refresh.snapshot, output)
    summary = refresh.summary
    kept = sorted({name for name, _ in summary.skipped})
    shown = ", ".join(kept[:5]) + (f" and {len(kept) - 5} more" if len(kept) > 5 else "")
    click.echo(
        f"gcp: {len(summary.regions)} region(s) refreshed, {len(summary.replaced)} price(s) replaced, "
        f"{len(summary.cleared)} cleared, {len(summary.skipped)} skipped"
        + (f" (no unambiguous SKU, previous prices kept: {shown})" if kept else "")
        + f", {sum(refresh.api_calls.values())} API call(s); catalog written to {output}",
        err=True,
    )
    return 0


def _money(value: float | None) -> str:
    return "—" if value is None else f"{value:,.4f}" if value < 100 else f"{value:,.2f}"
