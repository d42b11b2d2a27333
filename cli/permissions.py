"""`infraaudit permissions`: the least-privilege policies the live collectors need."""

from __future__ import annotations

import json

import click

from infraaudit.audit.collect.aws.calls import AWS_CALLS, iam_policy
from infraaudit.audit.collect.gcp.calls import GCP_CALLS, custom_role_yaml


@click.group()
def permissions() -> None:
    """Print the read-only permissions a live scan needs."""


@permissions.command("aws")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["policy", "table"]),
    default="policy",
    show_default=True,
    help="policy: an IAM policy document (JSON); table: each call and why it is made.",
)
def aws(fmt: str) -> int:
    """The minimal read-only IAM policy for `scan --aws` and `catalog update --aws`."""
    if fmt == "policy":
        click.echo(json.dumps(iam_policy(), indent=2))
        return 0
    width = max(len(call.action) for call in AWS_CALLS)
    for call in AWS_CALLS:
        click.echo(f"{call.action:<{width}}  {call.purpose}")
    return 0


@permissions.command("gcp")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["role", "list"]),
    default="role",
    show_default=True,
    help="role: a custom role YAML (gcloud iam roles create --file); list: each permission and why.",
)
def gcp(fmt: str) -> int:
    """The IAM permissions `scan --gcp` uses."""
    if fmt == "role":
        click.echo(custom_role_yaml(), nl=False)
        return 0
    width = max(len(call.permission or "") for call in GCP_CALLS)
    for call in GCP_CALLS:
        click.echo(f"{call.permission or '(none)':<{width}}  {call.api_method}: {call.purpose}")
    return 0
