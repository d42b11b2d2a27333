"""JSON Schema of the policy input, generated from the models (checked into policies/schemas/).

The engine sends the inventory with None values left out, so a nullable field is simply an
optional one in the input. The schema says so (no `null` branches), which also lets
`opa check --strict` type-check references through those fields.
"""

from __future__ import annotations

import json
from typing import Any

from .inventory import Inventory


def _drop_null_branches(node: Any) -> Any:
    if isinstance(node, list):
        return [_drop_null_branches(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _drop_null_branches(value) for key, value in node.items()}
    branches = node.get("anyOf")
    if isinstance(branches, list):
        kept = [b for b in branches if b != {"type": "null"}]
        if len(kept) != len(branches):
            node.pop("anyOf")
            if node.get("default", ...) is None:
                node.pop("default")
            if len(kept) == 1:
                node = {**kept[0], **node}
            else:
                node["anyOf"] = kept
    return node


def input_schema() -> dict[str, Any]:
    schema: dict[str, Any] = _drop_null_branches(Inventory.model_json_schema(mode="serialization"))
    schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    schema["title"] = "infraaudit policy input (Inventory)"
    return schema


def input_schema_text() -> str:
    return json.dumps(input_schema(), indent=2, sort_keys=True) + "\n"
