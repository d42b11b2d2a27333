"""JSON: the Report model itself, as pydantic serialises it (field order, so stable)."""

from __future__ import annotations

from ..models import Report


def render_json(report: Report) -> str:
    """``Report.model_validate_json`` reads it back; ``schema_version`` is the first key."""
    return report.model_dump_json(indent=2) + "\n"
