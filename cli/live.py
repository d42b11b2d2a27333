"""Options and helpers for the live collectors (`scan --aws`, `scan --gcp`).

The collectors (and boto3 / google-cloud with them, ~1.5 s of imports) are imported only when a
live scan runs, so `check`, `scan --inventory` and the other commands start fast.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from infraaudit.audit.catalog import Catalog
from infraaudit.audit.config import Settings
from infraaudit.audit.models import Coverage, Inventory, Provider

from .common import progress_status

if TYPE_CHECKING:
    from infraaudit.audit.collect.aws.targets import AwsTargetSpec
    from infraaudit.audit.collect.gcp.collector import GcpTargetSpec

F = TypeVar("F", bound=Callable[..., Any])


def split_regions(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    """--regions us-east-1,eu-west-1 and repeated --regions both work; order kept, duplicates dropped."""
    regions = [part.strip() for value in values for part in value.split(",") if part.strip()]
    return tuple(dict.fromkeys(regions))


GCP_SERVICES = ("compute", "monitoring", "resourcemanager", "cloudbilling")


def gcp_endpoints(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    """`--gcp-endpoint compute=http://127.0.0.1:8080` (repeatable) -> {"compute": "http://..."}."""
    endpoints: dict[str, str] = {}
    for value in values:
        service, sep, url = value.partition("=")
        if not sep or not url or service not in GCP_SERVICES:
            raise click.BadParameter(f"{value!r} is not SERVICE=URL with SERVICE one of {', '.join(GCP_SERVICES)}")
        endpoints[service] = url
    return endpoints


GCP_ENDPOINT_HELP = (
    "Endpoint override for one Google API, SERVICE=URL (emulators, private endpoints); SERVICE is one of "
    + ", ".join(GCP_SERVICES)
    + ". monitoring takes HOST:PORT of a plaintext gRPC server. Repeatable."
)

AWS_OPTIONS: list[Callable[[F], F]] = [
    click.option("--aws", "use_aws", is_flag=True, help="Scan live AWS accounts (read-only)."),
    click.option("--profile", "profiles", multiple=True, metavar="NAME", help="AWS profile to scan. Repeatable."),
    click.option(
        "--role-arn",
        "role_arns",
        multiple=True,
        metavar="ARN",
        help="Assume ARN and scan its account. Repeatable.",
    ),
    click.option(
        "--org-role",
        metavar="NAME",
        help="Scan every active account of the AWS Organization through role NAME in each.",
    ),
    click.option(
        "--regions",
        multiple=True,
        callback=split_regions,
        metavar="LIST",
        help="Comma-separated regions (default: the account's enabled regions).",
    ),
    click.option("--endpoint-url", metavar="URL", help="AWS endpoint override (emulators, private endpoints)."),
    click.option(
        "--concurrency",
        type=click.IntRange(1, 64),
        default=8,
        show_default=True,
        help="Account×region pairs scanned in parallel.",
    ),
]


GCP_OPTIONS: list[Callable[[F], F]] = [
    click.option("--gcp", "use_gcp", is_flag=True, help="Scan live GCP projects (read-only)."),
    click.option("--project", "projects", multiple=True, metavar="ID", help="GCP project to scan. Repeatable."),
    click.option(
        "--organization", metavar="ID", help="Scan every active project of this GCP organization (numeric id)."
    ),
    click.option(
        "--folder",
        "folders",
        multiple=True,
        metavar="ID",
        help="Scan every active project under this GCP folder, at any depth (numeric id). Repeatable.",
    ),
    click.option(
        "--gcp-credentials",
        type=click.Path(dir_okay=False, exists=True, path_type=Path),
        help="Service-account key file (default: Application Default Credentials).",
    ),
    click.option(
        "--gcp-endpoint",
        "gcp_endpoint",
        multiple=True,
        callback=gcp_endpoints,
        metavar="SERVICE=URL",
        help=GCP_ENDPOINT_HELP,
    ),
]


def stacked(options: list[Callable[[F], F]]) -> Callable[[F], F]:
    """One decorator applying a list of click options, in the order listed."""

    def apply(func: F) -> F:
        for option in reversed(options):
            func = option(func)
        return func

    return apply


aws_options = stacked(AWS_OPTIONS)
gcp_options = stacked(GCP_OPTIONS)


def gcp_spec(
    projects: tuple[str, ...],
    organization: str | None,
    folders: tuple[str, ...],
    credentials: Path | None,
    endpoints: dict[str, str],
) -> GcpTargetSpec:
    from infraaudit.audit.collect.gcp.collector import GcpTargetSpec

    try:
        return GcpTargetSpec(projects, organization, folders, credentials, endpoints)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


def collect_gcp_inventory(spec: GcpTargetSpec, settings: Settings, catalog: Catalog, concurrency: int) -> Inventory:
    from infraaudit.audit.collect.gcp.collector import GcpScanOptions, collect_gcp

    options = GcpScanOptions(
        lookback_days=settings.lookback_days,
        max_workers=concurrency,
        known_machine_types=frozenset(catalog.instance_types(Provider.GCP)),
    )
    with progress_status("Scanning GCP", unit="projects") as progress:
        result = collect_gcp(spec, now=datetime.now(UTC), options=options, progress=progress)
    inventory = result.inventory
    click.echo(
        f"gcp: {len(inventory.coverage.accounts)} project(s), {len(inventory.resources)} GPU VM(s), "
        f"{sum(result.api_calls.values())} API call(s), {len(inventory.gaps)} gap(s)",
        err=True,
    )
    return inventory


def merge(inventories: list[Inventory]) -> Inventory:
    """One inventory from several providers' scans."""
    if len(inventories) == 1:
        return inventories[0]
    return Inventory(
        generated_at=max((i.generated_at for i in inventories if i.generated_at), default=None),
        resources=[r for i in inventories for r in i.resources],
        coverage=Coverage(
            accounts=sorted({a for i in inventories for a in i.coverage.accounts}),
            regions=sorted({r for i in inventories for r in i.coverage.regions}),
            apis=sorted({a for i in inventories for a in i.coverage.apis}),
        ),
        gaps=[g for i in inventories for g in i.gaps],
    )


def aws_spec(
    profiles: tuple[str, ...],
    role_arns: tuple[str, ...],
    org_role: str | None,
    regions: tuple[str, ...],
    endpoint_url: str | None,
) -> AwsTargetSpec:
    from infraaudit.audit.collect.aws.targets import AwsTargetSpec

    try:
        return AwsTargetSpec(profiles, role_arns, org_role, regions, endpoint_url)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


def collect_aws_inventory(spec: AwsTargetSpec, settings: Settings, catalog: Catalog, concurrency: int) -> Inventory:
    from infraaudit.audit.collect.aws.collector import AwsScanOptions, collect_aws

    options = AwsScanOptions(lookback_days=settings.lookback_days, max_workers=concurrency)
    with progress_status("Scanning AWS", unit="account-regions") as progress:
        result = collect_aws(spec, catalog, now=datetime.now(UTC), options=options, progress=progress)
    inventory = result.inventory
    calls = sum(result.api_calls.values())
    click.echo(
        f"aws: {len(inventory.coverage.accounts)} account(s), {len(inventory.coverage.regions)} region(s), "
        f"{len(inventory.resources)} GPU instance(s), {calls} API call(s), {len(inventory.gaps)} gap(s)",
        err=True,
    )
    return inventory
