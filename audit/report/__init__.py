"""Report renderers: a Report in, a string out, one renderer per output format.

Renderers never print and never exit; the CLI writes what they return.

    text = render(report, OutputFormat.SARIF, artifact_uri="inventory.json")
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from ..models import Report
from .csv_report import render_csv
from .formatting import money
from .json_report import render_json
from .markdown import render_markdown
from .sarif import DEFAULT_ARTIFACT_URI, render_sarif
from .table import render_table


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    SARIF = "sarif"
    MARKDOWN = "markdown"
    CSV = "csv"


@dataclass(frozen=True)
class RenderOptions:
    color: bool = False
    width: int = 120
    artifact_uri: str = DEFAULT_ARTIFACT_URI


Renderer = Callable[[Report, RenderOptions], str]

#: One renderer per format; tests assert the mapping covers OutputFormat exactly.
RENDERERS: dict[OutputFormat, Renderer] = {
    OutputFormat.TABLE: lambda report, opts: render_table(report, color=opts.color, width=opts.width),
    OutputFormat.JSON: lambda report, opts: render_json(report),
    OutputFormat.SARIF: lambda report, opts: render_sarif(report, artifact_uri=opts.artifact_uri),
    OutputFormat.MARKDOWN: lambda report, opts: render_markdown(report),
    OutputFormat.CSV: lambda report, opts: render_csv(report),
}


def render(
    report: Report,
    fmt: OutputFormat | str,
    *,
    color: bool = False,
    width: int = 120,
    artifact_uri: str = DEFAULT_ARTIFACT_URI,
) -> str:
    """Render ``report`` as ``fmt``.

    ``color`` and ``width`` apply to the table only (ANSI colours when ``color``); ``artifact_uri``
    to SARIF only: the path, relative to the repository root, that results point at (the
    inventory or plan file that was audited).
    """
    try:
        fmt = OutputFormat(fmt)
    except ValueError:
        choices = ", ".join(f.value for f in OutputFormat)
        raise ValueError(f"unknown output format {fmt!r} (choose from {choices})") from None
    return RENDERERS[fmt](report, RenderOptions(color=color, width=width, artifact_uri=artifact_uri))


__all__ = [
    "DEFAULT_ARTIFACT_URI",
    "RENDERERS",
    "OutputFormat",
    "RenderOptions",
    "money",
    "render",
    "render_csv",
    "render_json",
    "render_markdown",
    "render_sarif",
    "render_table",
]
