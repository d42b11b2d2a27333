"""Options and helpers shared by the commands."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from infraaudit.audit.errors import ExitCode, InfraauditError
from infraaudit.audit.models import Finding, Report, Severity
from infraaudit.audit.report import OutputFormat

F = TypeVar("F", bound=Callable[..., Any])

FAIL_ON_CHOICES = [s.value for s in Severity] + ["none"]


def stderr_console() -> Console:
    return Console(stderr=True, highlight=False)


def warn(message: str) -> None:
    click.echo(f"warning: {message}", err=True)


def format_option(default: OutputFormat = OutputFormat.TABLE) -> Callable[[F], F]:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice([f.value for f in OutputFormat]),
        default=default.value,
        show_default=True,
        help="Report format.",
    )


def output_option(func: F) -> F:
    return click.option(
        "--output",
        "-o",
        type=click.Path(dir_okay=False, writable=True, path_type=Path),
        help="Write the report to FILE instead of stdout.",
    )(func)


def policy_dir_option(func: F) -> F:
    return click.option(
        "--policy-dir",
        "policy_dirs",
        multiple=True,
        type=click.Path(file_okay=False, path_type=Path),
        help="Add an organisation's Rego rules (same conventions). Repeatable.",
    )(func)


def config_option(func: F) -> F:
    return click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Config file (default: ./infraaudit.yaml if present, else built-in defaults).",
    )(func)


def write_output(text: str, output: Path | None, what: str = "report") -> None:
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InfraauditError(f"cannot write {output}: {exc.strerror}") from exc
    click.echo(f"{what} written to {output}", err=True)


def fails_gate(findings: list[Finding], fail_on: str) -> bool:
    if fail_on == "none":
        return False
    threshold = Severity(fail_on).rank
    return any(not f.suppressed and f.severity.rank >= threshold for f in findings)


def scan_exit_code(report: Report, fail_on: str, allow_partial: bool) -> ExitCode:
    """Incomplete data outranks findings: a partial scan must not look like a clean one."""
    if report.gaps and not allow_partial:
        return ExitCode.INCOMPLETE
    if fails_gate(report.findings, fail_on):
        return ExitCode.FINDINGS
    return ExitCode.OK


@contextmanager
def progress_status(message: str, unit: str = "resources") -> Iterator[Callable[[int, int], None]]:
    """A spinner on stderr when it is a terminal; silent in CI logs and pipes."""
    if not sys.stderr.isatty():
        yield lambda done, total: None
        return
    console = stderr_console()
    with console.status(message) as status:

        def update(done: int, total: int) -> None:
            status.update(f"{message} {done:,}/{total:,} {unit}")

        yield update


def relative_uri(path: Path) -> str:
    """SARIF locations are relative to the checkout, where CI runs the command."""
    try:
        return path.resolve().relative_to(Path.cwd()).as_posix()
    except ValueError:
        return path.as_posix()
