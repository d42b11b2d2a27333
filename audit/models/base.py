"""Shared base for the frozen data-contract models."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ContractModel(BaseModel):
    """Immutable, strict about unknown keys: a typo in an input file is an error, not silence."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)
