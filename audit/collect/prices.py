"""What every provider's price refresh (`infraaudit catalog update --aws/--gcp`) shares: the summary of
what changed, the error that aborts a refresh, and writing the refreshed snapshot.

A refresh is all or nothing: any API error raises `PriceRefreshError` before anything is written, and
`write_snapshot` replaces the output file atomically.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..catalog.snapshot import Snapshot
from ..errors import CatalogError, InfraauditError

PriceKey = tuple[str, str]  # (instance type, region); GCP attached GPUs: ("T4 x4", region)


class PriceRefreshError(InfraauditError):
    """A provider refused or failed a price call: nothing is written."""


@dataclass(frozen=True)
class UpdateSummary:
    """What an `updated_snapshot` did; every tuple is sorted."""

    regions: tuple[str, ...]
    replaced: tuple[PriceKey, ...]  # existing entries that now hold the fetched prices
    added: tuple[PriceKey, ...]  # regions newly priced for a known type
    cleared: tuple[PriceKey, ...]  # existing entries the provider returned no price for: both now null
    unknown_types: tuple[str, ...]  # priced by the provider, no hardware in the snapshot: skipped
    changed: int  # entries whose values differ from before (added and cleared included)
    # Existing entries left exactly as they were because their prices could not be derived
    # unambiguously (GCP: no SKU of the family/variant, or SKUs with conflicting prices).
    skipped: tuple[PriceKey, ...] = ()


def render_snapshot(snapshot: Snapshot) -> bytes:
    """The file bytes, laid out as scripts/build_catalog.py writes them (sorted keys, indent 1)."""
    document = _compact(snapshot.model_dump(mode="json"))
    return (json.dumps(document, indent=1, sort_keys=True, ensure_ascii=True, allow_nan=False) + "\n").encode()


def write_snapshot(snapshot: Snapshot, path: Path) -> None:
    """Writes the snapshot atomically (temporary file, then rename); errors are one CatalogError line."""
    data = render_snapshot(snapshot)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as error:
        raise CatalogError(f"price catalog {path}: cannot write it: {error.strerror or error}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; the snapshot is ordinary data
        os.replace(tmp, path)
    except OSError as error:
        Path(tmp).unlink(missing_ok=True)
        raise CatalogError(f"price catalog {path}: cannot write it: {error.strerror or error}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _compact(value: Any) -> Any:
    """Integral floats as integers (40.0 -> 40), as the build script writes them."""
    if isinstance(value, dict):
        return {key: _compact(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_compact(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
