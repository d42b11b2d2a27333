"""`infraaudit completion SHELL`: print the shell completion script (click's own)."""

from __future__ import annotations

import click
from click.shell_completion import get_completion_class


@click.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print a completion script, e.g. `eval "$(infraaudit completion bash)"`."""
    from .main import cli  # late import: main imports this module

    completer_class = get_completion_class(shell)
    assert completer_class is not None
    completer = completer_class(cli, {}, "infraaudit", "_INFRAAUDIT_COMPLETE")
    click.echo(completer.source())
