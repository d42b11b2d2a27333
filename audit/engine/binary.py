"""Locating the `opa` executable: INFRAAUDIT_OPA, then the active environment, then PATH."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from ..errors import EngineError

OPA_ENV = "INFRAAUDIT_OPA"
INSTALL_HINT = (
    "run 'make setup' (builds OPA with Go), or install OPA from "
    "https://www.openpolicyagent.org/docs/#running-opa and put it on PATH or set INFRAAUDIT_OPA"
)


def find_opa(environ: dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    explicit = env.get(OPA_ENV)
    if explicit:
        path = Path(explicit)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise EngineError(f"{OPA_ENV}={explicit} is not an executable file")
        return path
    beside_python = Path(sys.executable).parent / "opa"
    if beside_python.is_file() and os.access(beside_python, os.X_OK):
        return beside_python
    on_path = shutil.which("opa", path=env.get("PATH"))
    if on_path:
        return Path(on_path)
    raise EngineError(f"the OPA binary was not found: {INSTALL_HINT}")
