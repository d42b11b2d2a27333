"""`infraaudit check`: the policies on planned infrastructure, before it merges."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from infraaudit.audit.catalog import Catalog
from infraaudit.audit.check import run_check
from infraaudit.audit.config import expired_waivers, find_config, load_settings
from infraaudit.audit.errors import ExitCode
from infraaudit.audit.models import Report
from infraaudit.audit.preview import Plan, read_pulumi_preview, read_terraform_plan
from infraaudit.audit.preview.pulumi_program import load_pulumi_program
from infraaudit.audit.report import OutputFormat, render
from infraaudit.audit.report.locate import Locate, plan_locator
from infraaudit.audit.scan import EngineOptions

from .common import (
    FAIL_ON_CHOICES,
    config_option,
    fails_gate,
    format_option,
    output_option,
    policy_dir_option,
    progress_status,
    relative_uri,
    warn,
    write_output,
)

_FILE = click.Path(dir_okay=False, path_type=Path)
_EXTRA_OUTPUTS = (OutputFormat.SARIF, OutputFormat.MARKDOWN, OutputFormat.JSON)


@click.command()
@click.option(
    "--pulumi-preview", "previews", multiple=True, type=_FILE, metavar="FILE",
    help="Output of `pulumi preview --json`. Repeatable.",
)  # fmt: skip
@click.option(
    "--pulumi-program", "programs", multiple=True, type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
    help="A Pulumi Python program, run under the SDK's mocks (no credentials). Repeatable.",
)  # fmt: skip
@click.option("--stack", metavar="NAME", help="Stack config (Pulumi.NAME.yaml) for --pulumi-program.")
@click.option("--terraform-plan", "tf_plans", multiple=True, type=_FILE, metavar="FILE",
              help="Output of `terraform show -json PLANFILE`. Repeatable.")  # fmt: skip
@config_option
@policy_dir_option
@format_option()
@output_option
@click.option("--sarif", "sarif_path", type=_FILE, metavar="FILE", help="Also write SARIF to FILE.")
@click.option("--markdown", "markdown_path", type=_FILE, metavar="FILE",
              help="Also write the Markdown PR comment to FILE.")  # fmt: skip
@click.option("--json", "json_path", type=_FILE, metavar="FILE", help="Also write the JSON report to FILE.")
@click.option(
    "--fail-on",
    type=click.Choice(FAIL_ON_CHOICES),
    default="high",
    show_default=True,
    help="Exit 1 when an unwaived finding has this severity or higher (a gate: 'none' never fails).",
)
@click.option("--opa-url", metavar="URL", help="Use a remote OPA that serves the infraaudit bundle.")
@click.option("--opa-token", envvar="INFRAAUDIT_OPA_TOKEN", metavar="TOKEN", help="Bearer token for --opa-url.")
@click.option("--opa-timeout", type=click.FloatRange(min=1), default=300, show_default=True, help="Seconds.")
@click.option("--catalog", "catalog_path", type=_FILE, help="Price catalog JSON (default: the shipped snapshot).")
def check(
    previews: tuple[Path, ...],
    programs: tuple[Path, ...],
    stack: str | None,
    tf_plans: tuple[Path, ...],
    config_path: Path | None,
    policy_dirs: tuple[Path, ...],
    fmt: str,
    output: Path | None,
    sarif_path: Path | None,
    markdown_path: Path | None,
    json_path: Path | None,
    fail_on: str,
    opa_url: str | None,
    opa_token: str | None,
    opa_timeout: float,
    catalog_path: Path | None,
) -> int:
    """Check planned infrastructure (Pulumi previews and programs, Terraform plans) against the
    policies written for it, with the monthly GPU cost before and after the change."""
    if not (previews or programs or tf_plans):
        raise click.UsageError("give at least one --pulumi-preview FILE, --pulumi-program DIR or --terraform-plan FILE")
    if stack and not programs:
        raise click.UsageError("--stack applies to --pulumi-program")
    settings = load_settings(find_config(config_path, Path.cwd()))
    catalog = Catalog.load(catalog_path)
    plans: list[Plan] = [read_pulumi_preview(p) for p in previews]
    plans += [load_pulumi_program(d, stack=stack) for d in programs]
    plans += [read_terraform_plan(p) for p in tf_plans]
    today = datetime.now(UTC).date()
    for waiver in expired_waivers(settings.waivers, today):
        warn(f"waiver for {waiver.rule} on {waiver.resource} expired on {waiver.expires}; it no longer applies")
    options = EngineOptions(policy_dirs=policy_dirs, opa_url=opa_url, opa_token=opa_token, timeout_s=opa_timeout)
    with progress_status("Evaluating policies") as progress:
        report = run_check(plans, settings, catalog, now=lambda: datetime.now(UTC), options=options, progress=progress)
    _summary(report, plans)
    primary = OutputFormat(fmt)
    color = output is None and primary is OutputFormat.TABLE and sys.stdout.isatty()
    rendering: dict[str, Any] = {"artifact_uri": relative_uri(Path(plans[0].input_file)), "fail_on": fail_on}
    if sarif_path is not None or primary is OutputFormat.SARIF:
        rendering["locate"] = _locator(plans)
    for extra_format, path in zip(_EXTRA_OUTPUTS, (sarif_path, markdown_path, json_path), strict=True):
        if path is not None:
            write_output(render(report, extra_format, **rendering), path, what=extra_format.value)
    write_output(render(report, primary, color=color, **rendering), output)
    return int(ExitCode.FINDINGS) if fails_gate(report.findings, fail_on) else 0


def _locator(plans: list[Plan]) -> Locate:
    """SARIF locations: the program line that declares a resource (sourcePosition is relative to
    the Pulumi project: a program's directory, or for a preview the directory of the preview
    file, checked to exist), else the line of the input where its URN or address appears."""
    documents = {
        plan.input_file: Path(plan.input_file).read_text(encoding="utf-8")
        for plan in plans
        if plan.kind != "pulumi-program"
    }
    roots = {
        plan.input_file: plan.input_file if plan.kind == "pulumi-program" else str(Path(plan.input_file).parent)
        for plan in plans
    }
    return plan_locator(
        documents, relative=lambda path: relative_uri(Path(path)), source_roots=roots, exists=os.path.exists
    )


def _summary(report: Report, plans: list[Plan]) -> None:
    cost = report.cost_change
    planned = sum(len(plan.resources) for plan in plans)
    line = f"check: {len(plans)} input(s), {planned} planned resource(s), {report.inventory.resources} GPU-capable"
    if cost is not None:
        sign = "+" if cost.delta_usd >= 0 else "-"
        line += (
            f", monthly GPU cost ${cost.monthly_before_usd:,.2f} -> ${cost.monthly_after_usd:,.2f} "
            f"({sign}${abs(cost.delta_usd):,.2f})"
        )
        if cost.unpriced:
            line += f", {cost.unpriced} change(s) unpriced"
    click.echo(line, err=True)
    if report.inventory.resources == 0:
        warn("no GPU-capable resources in the inputs: nothing for the policies to check")
