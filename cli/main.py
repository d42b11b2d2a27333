"""Entry point: the command group, global flags, and the one place errors become exit codes."""

from __future__ import annotations

import signal
import sys
import traceback
from types import FrameType
from typing import NoReturn

import click

from infraaudit.audit.errors import ExitCode, InfraauditError
from infraaudit.audit.version import tool_version

from .catalog import catalog
from .check import check
from .completion import completion
from .permissions import permissions
from .policies import policies
from .recommend import recommend
from .scan import scan


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(tool_version(), "--version", prog_name="infraaudit")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Audit cloud GPU spend and compliance with policy-as-code (OPA/Rego).

    Exit codes: 0 ok, 1 findings at or above --fail-on, 2 usage error, 3 runtime/config error,
    4 policy engine error, 5 scan incomplete, 130 interrupted.
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


cli.add_command(scan)
cli.add_command(check)
cli.add_command(policies)
cli.add_command(catalog)
cli.add_command(permissions)
cli.add_command(recommend)
cli.add_command(completion)


def _terminate(signum: int, frame: FrameType | None) -> None:
    # SystemExit unwinds the stack, so context managers stop the OPA server on SIGTERM too.
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> NoReturn:
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    signal.signal(signal.SIGTERM, _terminate)
    try:
        result = cli.main(args=args, prog_name="infraaudit", standalone_mode=False)
        code = int(result) if isinstance(result, int) else ExitCode.OK
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("interrupted", err=True)
        code = ExitCode.INTERRUPTED
    except click.ClickException as exc:
        exc.show()
        code = ExitCode.USAGE if isinstance(exc, click.UsageError) else exc.exit_code
    except InfraauditError as exc:
        if debug:
            traceback.print_exc()
        click.echo(f"error: {exc}", err=True)
        code = exc.exit_code
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, not a traceback
        if debug:
            traceback.print_exc()
        click.echo(f"error: internal error: {type(exc).__name__}: {exc} (run with --debug for details)", err=True)
        code = ExitCode.RUNTIME
    sys.exit(int(code))


if __name__ == "__main__":
    main()
