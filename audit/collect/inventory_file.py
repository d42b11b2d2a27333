"""The offline collector: an inventory JSON file (or stdin) validated against the data contract."""

from __future__ import annotations

import sys
from pathlib import Path

from pydantic import ValidationError

from ..config import decode_text, describe_validation_error, read_text_file
from ..errors import InputError
from ..gcpause import paused_gc
from ..models import Inventory

STDIN = Path("-")


def load_inventory(path: Path) -> Inventory:
    if path == STDIN:
        text = decode_text(sys.stdin.buffer.read(), label="inventory on stdin", error=InputError)
        name = "<stdin>"
    else:
        text = read_text_file(path, what="inventory file", error=InputError)
        name = str(path)
    try:
        with paused_gc():
            return Inventory.model_validate_json(text)
    except ValidationError as exc:
        errors = exc.errors()
        if errors and errors[0]["type"] == "json_invalid":
            raise InputError(f"{name}: invalid JSON: {errors[0]['ctx'].get('error', errors[0]['msg'])}") from exc
        raise InputError(f"{name}: {describe_validation_error(exc)}") from exc
