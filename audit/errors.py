"""Error types and the exit-code table shared by every command.

Each error carries the exit code the CLI uses for it, so the mapping lives in one place.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FINDINGS = 1
    USAGE = 2
    RUNTIME = 3
    ENGINE = 4
    INCOMPLETE = 5
    INTERRUPTED = 130


class InfraauditError(Exception):
    """Base error: its message is the one line the CLI prints."""

    exit_code: ExitCode = ExitCode.RUNTIME


class InputError(InfraauditError):
    """An input file (inventory, plan) is unreadable, malformed or violates the schema."""


class ConfigError(InfraauditError):
    """The configuration file is invalid."""


class CatalogError(InfraauditError):
    """The price catalog is missing or corrupt."""


class EngineError(InfraauditError):
    """The policy engine failed: the gate fails closed."""

    exit_code = ExitCode.ENGINE


class PolicyError(EngineError):
    """A policy does not compile or breaks the library conventions."""


class InfeasibleError(InfraauditError):
    """No placement satisfies every constraint; `reasons` name the constraint and the workloads."""

    def __init__(self, reasons: list[str], limit: int = 5) -> None:
        self.reasons = reasons
        shown = "; ".join(reasons[:limit])
        more = f"; and {len(reasons) - limit} more" if len(reasons) > limit else ""
        super().__init__(f"no layout satisfies every constraint: {shown}{more}")
