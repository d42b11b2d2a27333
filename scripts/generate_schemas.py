"""Regenerate the files derived from the models: the policy input JSON Schema and the default
config document that `opa test` loads as data.infraaudit.config. Run after changing a model."""

from __future__ import annotations

import json
from pathlib import Path

from infraaudit.audit.config import Settings
from infraaudit.audit.models.schema import input_schema_text

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    (REPO / "policies/schemas/input.json").write_text(input_schema_text())
    config = REPO / "policies/testdata/infraaudit/config/data.json"
    config.write_text(json.dumps(Settings().policy_data(), indent=2, sort_keys=True) + "\n")
    print("wrote policies/schemas/input.json and policies/testdata/infraaudit/config/data.json")


if __name__ == "__main__":
    main()
