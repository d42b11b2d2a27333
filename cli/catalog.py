"""`infraaudit catalog`: look up GPU instance types and prices."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from infraaudit.audit.catalog import Catalog
from infraaudit.audit.errors import ExitCode


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


def _money(value: float | None) -> str:
    return "—" if value is None else f"{value:,.4f}" if value < 100 else f"{value:,.2f}"
