from __future__ import annotations

import json

from infraaudit.audit.models import REPORT_SCHEMA_VERSION, Report
from infraaudit.audit.report import render_json


def test_round_trips(full_report: Report, empty_report: Report) -> None:
    for report in (full_report, empty_report):
        assert Report.model_validate_json(render_json(report)) == report


def test_schema_version_first_and_key_order_stable(full_report: Report) -> None:
    data = json.loads(render_json(full_report))
    assert list(data)[:3] == ["schema_version", "tool_version", "generated_at"]
    assert data["schema_version"] == REPORT_SCHEMA_VERSION
    assert list(data) == list(Report.model_fields)
    assert render_json(full_report) == render_json(Report.model_validate_json(render_json(full_report)))


def test_keeps_suppressions_gaps_and_totals(full_report: Report) -> None:
    data = json.loads(render_json(full_report))
    waived = [f for f in data["findings"] if f["suppression"]]
    assert waived[0]["suppression"] == {
        "reason": "reserved for Q4 launch",
        "expires": "2026-12-31",
        "resource_pattern": "aws:*:us-west-2:*",
    }
    assert len(data["gaps"]) == 2
    assert data["totals"]["suppressed"] == 1


def test_is_indented(full_report: Report) -> None:
    assert render_json(full_report).startswith('{\n  "schema_version": ')
