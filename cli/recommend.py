"""`infraaudit recommend`: the cheapest placement of GPU workloads, as layout.yaml and a Pulumi stack config."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import click

from infraaudit.audit.catalog import Catalog
from infraaudit.audit.collect.inventory_file import load_inventory
from infraaudit.audit.config import find_config, load_settings, load_yaml_mapping
from infraaudit.audit.errors import InputError
from infraaudit.audit.report.layout import LayoutFormat, render_layout, stack_config

from .common import config_option, warn, write_output

_FILE = click.Path(dir_okay=False, path_type=Path)
_STACK_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


@click.command()
@click.option("--workloads", "workloads_path", type=_FILE, metavar="FILE", help="workloads.yaml: what to place.")
@click.option("--onprem", "onprem_path", type=_FILE, metavar="FILE", help="onprem.yaml: sites and their GPU pools.")
@click.option(
    "--from-scan", "scan_path", type=_FILE, metavar="FILE",
    help="An inventory from `scan --save-inventory`: place today's GPU fleet by its measured need.",
)  # fmt: skip
@config_option
@click.option("--catalog", "catalog_path", type=_FILE, metavar="FILE", help="Price catalog (default: the shipped one).")
@click.option(
    "--format", "fmt", type=click.Choice([f.value for f in LayoutFormat]), default=LayoutFormat.TABLE.value,
    show_default=True, help="What to print on stdout.",
)  # fmt: skip
@click.option("-o", "--output", type=_FILE, metavar="FILE", help="Write layout.yaml to FILE (the YAML layout).")
@click.option(
    "--write-stack-config", "stack", metavar="STACK",
    help="Write the layout into Pulumi.STACK.yaml (in --stack-dir) for `pulumi up` of stacks/; other keys of "
    "an existing file are kept.",
)  # fmt: skip
@click.option(
    "--stack-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True,
    help="Where Pulumi.STACK.yaml goes.",
)  # fmt: skip
@click.option("--aws-region", metavar="REGION", help="aws:region for the stack config (the stack's default).")
@click.option("--gcp-project", metavar="PROJECT", help="gcp:project for the stack config (GCP placements need it).")
def recommend(
    workloads_path: Path | None,
    onprem_path: Path | None,
    scan_path: Path | None,
    config_path: Path | None,
    catalog_path: Path | None,
    fmt: str,
    output: Path | None,
    stack: str | None,
    stack_dir: Path,
    aws_region: str | None,
    gcp_project: str | None,
) -> None:
    """Recommend the cheapest layout of GPU workloads over on-prem pools and cloud capacity.

    Each workload gets one placement (an on-prem pool, or an instance type in a region on spot,
    on-demand or a commitment) that fits its GPU memory, residency class, interruptibility and
    budget; on-prem pools, quotas and the overall budget are shared. Solved exactly by HiGHS.
    Exit 3 when no layout satisfies every constraint (the message says which and for whom).
    """
    if workloads_path is None and scan_path is None:
        raise click.UsageError("give --workloads FILE and/or --from-scan INVENTORY")
    if stack is not None and not _STACK_NAME.match(stack.rsplit("/", 1)[-1]):
        raise click.UsageError(f"--write-stack-config: {stack!r} is not a stack name")
    # Imported here: the solver (highspy, numpy) is only loaded by this command, not at CLI start.
    from infraaudit.audit.recommend import (
        Job,
        Request,
        WorkloadsFile,
        job_from_workload,
        jobs_from_inventory,
        load_onprem,
        load_workloads,
        plan_layout,
    )

    settings = load_settings(find_config(config_path, Path.cwd()))
    catalog = Catalog.load(catalog_path)
    workloads = load_workloads(workloads_path, settings) if workloads_path is not None else WorkloadsFile()
    pricing = workloads.pricing
    jobs: list[Job] = [job_from_workload(w, settings) for w in workloads.workloads]
    if scan_path is not None:
        try:
            inventory = load_inventory(scan_path)
        except InputError:
            _refuse_report(scan_path)  # a scan report gets a hint instead of the schema error
            raise
        scanned, notes = jobs_from_inventory(
            catalog.enrich_all(inventory.resources), settings, pricing.usable_memory_fraction
        )
        for note in notes:
            warn(note)
        clashes = sorted({j.name for j in scanned} & {j.name for j in jobs})
        if clashes:
            raise InputError(f"{scan_path}: workload names also in --workloads: {', '.join(clashes)}")
        jobs.extend(scanned)
    sites = load_onprem(onprem_path).sites if onprem_path is not None else []
    request = Request(tuple(sites), pricing, tuple(workloads.quotas), workloads.budget_usd)
    layout = plan_layout(jobs, request, catalog, settings, now=datetime.now(UTC))

    if output is not None:
        write_output(render_layout(layout, LayoutFormat.YAML), output, what="layout")
    if stack is not None:
        extra = {k: v for k, v in (("aws:region", aws_region), ("gcp:project", gcp_project)) if v}
        if any(p.provider.value == "gcp" for p in layout.placements) and not gcp_project:
            warn("the layout has GCP placements: pass --gcp-project (or set gcp:project in the stack) before pulumi up")
        target = stack_dir / f"Pulumi.{stack.rsplit('/', 1)[-1]}.yaml"
        existing = load_yaml_mapping(target, what="stack config", error=InputError) if target.is_file() else None
        if existing is not None and not isinstance(existing.get("config") or {}, dict):
            raise InputError(f"{target}: `config` is not a mapping")
        write_output(stack_config(layout, extra, existing), target, "stack config")
    width = shutil.get_terminal_size((120, 24)).columns
    click.echo(render_layout(layout, LayoutFormat(fmt), width=width), nl=False)


def _refuse_report(path: Path) -> None:
    """A scan report lists findings, not resources: say what to pass instead of a schema error."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return  # load_inventory's own message describes an unreadable or invalid file
    if isinstance(document, dict) and "findings" in document and "resources" not in document:
        raise InputError(
            f"{path} is a scan report (findings), not an inventory: run `infraaudit scan ... --save-inventory "
            "inventory.json` and pass that to --from-scan"
        )
