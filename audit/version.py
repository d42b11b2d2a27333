"""The installed version of infraaudit."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def tool_version() -> str:
    try:
        return version("infraaudit")
    except PackageNotFoundError:  # running from a source tree without an install
        return "0+unknown"
