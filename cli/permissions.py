"""`infraaudit permissions`: the least-privilege policies the live collectors need."""

from __future__ import annotations

import json

import click

from infraaudit.audit.collect.aws import AWS_CALLS, iam_policy


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
