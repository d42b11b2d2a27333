"""Report renderers: a Report in, a string out, one renderer per output format.

Renderers never print and never exit; the CLI writes what they return.

    text = render(report, OutputFormat.SARIF, artifact_uri="inventory.json")

Check reports (``infraaudit check``: ``report.cost_change`` set or ``report.origins`` not empty)
render through the same formats: ``markdown`` becomes the pull-request comment
(:func:`render_check_markdown`: hidden marker, gate verdict, GPU cost table, violations by
severity) and ``sarif`` points results at the IaC source. The CLI passes:

    render(
        report,
        fmt,
        fail_on=fail_on,        # --fail-on (critical|high|medium|low|info|none): the comment's verdict
        locate=plan_locator(documents, relative=...),  # optional: SARIF lines in the JSON inputs
        sarif_category=None,    # optional runAutomationDetails.id (not with upload-sarif's category)
    )
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from ..models import Report, Severity
from .check_markdown import COMMENT_MARKER, render_check_markdown
from .csv_report import render_csv
from .formatting import is_check_report, money
from .json_report import render_json
from .layout import LayoutFormat, render_layout, stack_config
from .locate import address_lines, plan_locator
from .markdown import render_markdown
from .sarif import DEFAULT_ARTIFACT_URI, Locate, render_sarif
from .table import render_table


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    SARIF = "sarif"
    MARKDOWN = "markdown"
    CSV = "csv"


@dataclass(frozen=True)
class RenderOptions:
    """What the formats need beyond the report.

    ``color``/``width``: the table. ``artifact_uri``: SARIF, where results without an IaC origin
    point (the audited inventory, relative to the repository root). ``locate``: SARIF, where
    check results point (``locate(origin) -> (path, line)``, None = default; see
    :mod:`.locate`). ``sarif_category``: SARIF ``runAutomationDetails.id``. ``fail_on``: the
    check comment's gate verdict (the CLI's ``--fail-on``; None or ``"none"`` = not gated).
    """

    color: bool = False
    width: int = 120
    artifact_uri: str = DEFAULT_ARTIFACT_URI
    locate: Locate | None = None
    sarif_category: str | None = None
    fail_on: str | None = None


Renderer = Callable[[Report, RenderOptions], str]


def _markdown(report: Report, opts: RenderOptions) -> str:
    if is_check_report(report):
        return render_check_markdown(report, fail_on=opts.fail_on)
    return render_markdown(report)


#: One renderer per format; tests assert the mapping covers OutputFormat exactly.
RENDERERS: dict[OutputFormat, Renderer] = {
    OutputFormat.TABLE: lambda report, opts: render_table(report, color=opts.color, width=opts.width),
    OutputFormat.JSON: lambda report, opts: render_json(report),
    OutputFormat.SARIF: lambda report, opts: render_sarif(
        report, artifact_uri=opts.artifact_uri, locate=opts.locate, category=opts.sarif_category
    ),
    OutputFormat.MARKDOWN: _markdown,
    OutputFormat.CSV: lambda report, opts: render_csv(report),
}


def render(
    report: Report,
    fmt: OutputFormat | str,
    *,
    color: bool = False,
    width: int = 120,
    artifact_uri: str = DEFAULT_ARTIFACT_URI,
    locate: Locate | None = None,
    sarif_category: str | None = None,
    fail_on: str | None = None,
) -> str:
    """Render ``report`` as ``fmt``.

    ``color`` and ``width`` apply to the table only (ANSI colours when ``color``); ``artifact_uri``
    to SARIF only: the path, relative to the repository root, that results point at (the
    inventory or plan file that was audited). ``locate`` and ``sarif_category`` apply to SARIF,
    ``fail_on`` to the Markdown of check reports (see :class:`RenderOptions`).
    """
    try:
        fmt = OutputFormat(fmt)
    except ValueError:
        choices = ", ".join(f.value for f in OutputFormat)
        raise ValueError(f"unknown output format {fmt!r} (choose from {choices})") from None
    if fail_on is not None and fail_on != "none" and fail_on not in {s.value for s in Severity}:
        raise ValueError(f"unknown fail-on severity {fail_on!r}")
    options = RenderOptions(
        color=color,
        width=width,
        artifact_uri=artifact_uri,
        locate=locate,
        sarif_category=sarif_category,
        fail_on=fail_on,
    )
    return RENDERERS[fmt](report, options)


__all__ = [
    "LayoutFormat",
    "render_layout",
    "stack_config",
    "COMMENT_MARKER",
    "DEFAULT_ARTIFACT_URI",
    "RENDERERS",
    "Locate",
    "OutputFormat",
    "RenderOptions",
    "address_lines",
    "is_check_report",
    "money",
    "plan_locator",
    "render",
    "render_check_markdown",
    "render_csv",
    "render_json",
    "render_markdown",
    "render_sarif",
    "render_table",
]
