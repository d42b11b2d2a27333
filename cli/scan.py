"""`infraaudit scan`: collect an inventory, evaluate the policies, report."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from infraaudit.audit.catalog import Catalog
from infraaudit.audit.collect.inventory_file import load_inventory
from infraaudit.audit.config import expired_waivers, find_config, load_settings
from infraaudit.audit.errors import ExitCode
from infraaudit.audit.report import OutputFormat, render
from infraaudit.audit.scan import EngineOptions, run_scan

from .common import (
    FAIL_ON_CHOICES,
    config_option,
    format_option,
    output_option,
    policy_dir_option,
    progress_status,
    relative_uri,
    scan_exit_code,
    warn,
    write_output,
)
from .live import (
    aws_options,
    aws_spec,
    collect_aws_inventory,
    collect_gcp_inventory,
    gcp_options,
    gcp_spec,
    merge,
)


@click.command()
@click.option(
    "--inventory",
    "inventory_path",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="Inventory JSON to audit ('-' reads stdin), instead of a live scan.",
)
@aws_options
@gcp_options
@click.option(
    "--save-inventory",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Also write the collected inventory JSON to FILE (re-audit it later with --inventory).",
)
@config_option
@policy_dir_option
@format_option()
@output_option
@click.option(
    "--fail-on",
    type=click.Choice(FAIL_ON_CHOICES),
    default="none",
    show_default=True,
    help="Exit 1 when an unwaived finding has this severity or higher.",
)
@click.option("--allow-partial", is_flag=True, help="Report coverage gaps as warnings instead of exit 5.")
@click.option("--opa-url", metavar="URL", help="Use a remote OPA that serves the infraaudit bundle.")
@click.option("--opa-token", envvar="INFRAAUDIT_OPA_TOKEN", metavar="TOKEN", help="Bearer token for --opa-url.")
@click.option("--opa-timeout", type=click.FloatRange(min=1), default=300, show_default=True, help="Seconds.")
@click.option(
    "--catalog",
    "catalog_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Price catalog JSON (default: the snapshot shipped with infraaudit).",
)
def scan(
    inventory_path: Path | None,
    use_aws: bool,
    profiles: tuple[str, ...],
    role_arns: tuple[str, ...],
    org_role: str | None,
    regions: tuple[str, ...],
    endpoint_url: str | None,
    concurrency: int,
    use_gcp: bool,
    projects: tuple[str, ...],
    organization: str | None,
    folders: tuple[str, ...],
    gcp_credentials: Path | None,
    gcp_endpoint: dict[str, str],
    save_inventory: Path | None,
    config_path: Path | None,
    policy_dirs: tuple[Path, ...],
    fmt: str,
    output: Path | None,
    fail_on: str,
    allow_partial: bool,
    opa_url: str | None,
    opa_token: str | None,
    opa_timeout: float,
    catalog_path: Path | None,
) -> int:
    """Audit GPU resources against the policy library: live AWS accounts (--aws), GCP projects
    (--gcp), or an inventory file."""
    aws_given = bool(profiles or role_arns or org_role or regions or endpoint_url)
    if aws_given and not use_aws:
        raise click.UsageError("--profile, --role-arn, --org-role, --regions and --endpoint-url need --aws")
    if (projects or organization or folders or gcp_credentials or gcp_endpoint) and not use_gcp:
        raise click.UsageError("--project, --organization, --folder, --gcp-credentials and --gcp-endpoint need --gcp")
    live = use_aws or use_gcp
    if (inventory_path is None) == (not live):
        raise click.UsageError("give exactly one source: --inventory FILE, or --aws and/or --gcp")
    aws = aws_spec(profiles, role_arns, org_role, regions, endpoint_url) if use_aws else None
    gcp = gcp_spec(projects, organization, folders, gcp_credentials, gcp_endpoint) if use_gcp else None
    settings = load_settings(find_config(config_path, Path.cwd()))
    catalog = Catalog.load(catalog_path)
    if live:
        collected = []
        if aws is not None:
            collected.append(collect_aws_inventory(aws, settings, catalog, concurrency))
        if gcp is not None:
            collected.append(collect_gcp_inventory(gcp, settings, catalog, concurrency))
        inventory = merge(collected)
        artifact = "+".join(p for p, used in (("aws", use_aws), ("gcp", use_gcp)) if used)
    else:
        assert inventory_path is not None
        inventory = load_inventory(inventory_path)
        artifact = "stdin" if str(inventory_path) == "-" else relative_uri(inventory_path)
    if save_inventory is not None:
        write_output(inventory.model_dump_json(exclude_none=True, indent=1), save_inventory, what="inventory")
    today = datetime.now(UTC).date()
    for waiver in expired_waivers(settings.waivers, today):
        warn(f"waiver for {waiver.rule} on {waiver.resource} expired on {waiver.expires}; it no longer applies")
    options = EngineOptions(policy_dirs=policy_dirs, opa_url=opa_url, opa_token=opa_token, timeout_s=opa_timeout)
    with progress_status("Evaluating policies") as progress:
        report = run_scan(
            inventory, settings, catalog, now=lambda: datetime.now(UTC), options=options, progress=progress
        )
    output_format = OutputFormat(fmt)
    color = output is None and output_format is OutputFormat.TABLE and sys.stdout.isatty()
    write_output(render(report, output_format, color=color, artifact_uri=artifact), output)
    code = scan_exit_code(report, fail_on, allow_partial)
    if report.gaps:
        message = f"scan incomplete: {len(report.gaps)} coverage gap(s); the report does not cover everything"
        warn(message if allow_partial else message + " (exit 5; --allow-partial accepts it)")
    return int(code) if code is not ExitCode.OK else 0
