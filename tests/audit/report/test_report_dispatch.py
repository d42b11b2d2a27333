from __future__ import annotations

import pytest

from infraaudit.audit.models import Report
from infraaudit.audit.report import RENDERERS, OutputFormat, render


def test_every_format_has_a_renderer() -> None:
    assert set(RENDERERS) == set(OutputFormat)


def test_format_values_are_the_cli_names() -> None:
    assert [f.value for f in OutputFormat] == ["table", "json", "sarif", "markdown", "csv"]


@pytest.mark.parametrize("fmt", list(OutputFormat))
def test_render_returns_text_ending_in_one_newline(full_report: Report, fmt: OutputFormat) -> None:
    out = render(full_report, fmt)
    assert isinstance(out, str)
    assert out.endswith("\n")
    assert not out.endswith("\n\n")


@pytest.mark.parametrize("fmt", list(OutputFormat))
def test_render_prints_nothing(full_report: Report, fmt: OutputFormat, capsys: pytest.CaptureFixture[str]) -> None:
    render(full_report, fmt, color=True)
    assert capsys.readouterr() == ("", "")


def test_render_accepts_the_format_name(full_report: Report) -> None:
    assert render(full_report, "json") == render(full_report, OutputFormat.JSON)


def test_unknown_format_is_a_clear_error(full_report: Report) -> None:
    with pytest.raises(
        ValueError, match=r"unknown output format 'xml' \(choose from table, json, sarif, markdown, csv\)"
    ):
        render(full_report, "xml")


def test_only_table_uses_color_and_width(full_report: Report) -> None:
    for fmt in (OutputFormat.JSON, OutputFormat.SARIF, OutputFormat.MARKDOWN, OutputFormat.CSV):
        assert render(full_report, fmt, color=True, width=60) == render(full_report, fmt)


def test_artifact_uri_reaches_sarif(full_report: Report) -> None:
    out = render(full_report, OutputFormat.SARIF, artifact_uri="audits/inventory.json")
    assert '"uri": "audits/inventory.json"' in out
