"""The on-disk snapshot format (`data/gpu_catalog.json`) and how it is read.

`scripts/build_catalog.py` writes it; this module validates it. Keep FORMAT_VERSION in step
with the script. Missing source values are null, never estimated.
"""

from __future__ import annotations

import json
from datetime import date
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import CatalogError
from ..models import Provider

FORMAT_VERSION = 1
SNAPSHOT_RESOURCE = ("data", "gpu_catalog.json")

Usd = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Gib = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PriceEntry(_Frozen):
    """USD per hour in one region; null where the source has no value."""

    on_demand: Usd | None
    spot: Usd | None


class InstanceEntry(_Frozen):
    """One instance/machine type: hardware (the same in every region) and its regional prices."""

    accelerator: str | None = Field(min_length=1)
    accelerator_count: int | None = Field(ge=1)
    accelerator_memory_gib: Gib | None = Field(description="Memory of one accelerator.")
    gpu_memory_gib: Gib | None = Field(description="Total accelerator memory of the instance.")
    vcpus: int | None = Field(ge=0)
    memory_gib: Gib | None
    regions: dict[str, PriceEntry] = Field(min_length=1)


class AcceleratorEntry(_Frozen):
    """A GPU attached to a host (GCP n1): prices per attached count and region, host not included."""

    memory_gib: Gib | None = Field(description="Memory of one accelerator.")
    counts: dict[Annotated[int, Field(ge=1)], dict[str, PriceEntry]]


class SourceFile(_Frozen):
    path: str
    commit: str = Field(pattern=r"^[0-9a-f]{40}$")


class CatalogSource(_Frozen):
    """Attribution of the upstream data the snapshot was built from."""

    name: str
    repository: str
    license: str
    files: tuple[SourceFile, ...]
    retrieved: date
    aggregation: str
    inputs: dict[str, str] = Field(description="sha256 of each input CSV the snapshot was built from.")


class Snapshot(_Frozen):
    format_version: Literal[1]
    snapshot_date: date
    source: CatalogSource
    gpu_memory_gib: dict[Provider, dict[str, Gib]] = Field(
        description="Published per-GPU memory by accelerator name, where the provider's catalog has none."
    )
    instances: dict[Provider, dict[str, InstanceEntry]]
    accelerators: dict[Provider, dict[str, AcceleratorEntry]]


def shipped_snapshot() -> Traversable:
    return files(__package__).joinpath(*SNAPSHOT_RESOURCE)


def read_snapshot(path: Path | None = None) -> Snapshot:
    """The shipped snapshot (package data) or the file at `path`; any problem is one CatalogError line."""
    resource: Traversable | Path = shipped_snapshot() if path is None else path
    label = "the shipped price catalog" if path is None else f"price catalog {path}"
    try:
        raw = resource.read_bytes()
    except FileNotFoundError:
        hint = " (reinstall infraaudit)" if path is None else ""
        raise CatalogError(f"{label}: file not found{hint}") from None
    except OSError as error:
        raise CatalogError(f"{label}: cannot read it: {error.strerror or error}") from None
    try:
        document = json.loads(raw)
    except UnicodeDecodeError:
        raise CatalogError(f"{label}: not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise CatalogError(f"{label}: invalid JSON at line {error.lineno} column {error.colno}: {error.msg}") from None
    if isinstance(document, dict) and document.get("format_version") not in (None, FORMAT_VERSION):
        raise CatalogError(
            f"{label}: snapshot format {document.get('format_version')!r} is not supported (expected {FORMAT_VERSION})"
        )
    try:
        return Snapshot.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        more = f" (and {error.error_count() - 1} more problems)" if error.error_count() > 1 else ""
        raise CatalogError(f"{label}: invalid snapshot at {where}: {first['msg']}{more}") from None
