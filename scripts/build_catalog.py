#!/usr/bin/env python3
"""Build the shipped GPU price catalog snapshot from the aggregated SkyPilot catalog CSVs.

    python scripts/build_catalog.py [--source DIR] [--output FILE] [--date YYYY-MM-DD]

Reads `aws_gpu_prices.csv`, `gcp_gpu_prices.csv`, `gcp_accelerator_prices.csv` and `SOURCE.md`
from DIR (default: `data/gpu-catalog` in the repository) and writes
`audit/catalog/data/gpu_catalog.json`. The output is deterministic (sorted keys, fixed
layout, date taken from SOURCE.md unless `--date` is given): rebuilding from the same
inputs gives identical bytes. Values missing in the source stay null; nothing is estimated.

Standard library only, so it runs without the project installed. The snapshot format is
read by `infraaudit.audit.catalog` (`snapshot.py` there); bump FORMAT_VERSION in both
places when it changes.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import os
import re
import sys
import tempfile
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

FORMAT_VERSION = 1
REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = REPO_ROOT / "data" / "gpu-catalog"
DEFAULT_OUTPUT = REPO_ROOT / "audit" / "catalog" / "data" / "gpu_catalog.json"

AWS_FILE = "aws_gpu_prices.csv"
GCP_FILE = "gcp_gpu_prices.csv"
GCP_ACCEL_FILE = "gcp_accelerator_prices.csv"
SOURCE_FILE = "SOURCE.md"
INPUT_FILES = (AWS_FILE, GCP_FILE, GCP_ACCEL_FILE)

AWS_COLUMNS = (
    "instance_type", "accelerator", "accelerator_count", "gpu_memory_gib_total", "vcpus", "memory_gib",
    "region", "on_demand_usd_per_hour", "spot_usd_per_hour_min", "spot_usd_per_hour_median", "zones",
)  # fmt: skip
GCP_COLUMNS = (
    "machine_type", "accelerator", "accelerator_count", "vcpus", "memory_gib", "region",
    "host_on_demand_usd_per_hour", "host_spot_usd_per_hour", "accelerator_on_demand_usd_per_hour",
    "accelerator_spot_usd_per_hour", "total_on_demand_usd_per_hour", "total_spot_usd_per_hour", "zones",
)  # fmt: skip
GCP_ACCEL_COLUMNS = (
    "accelerator", "accelerator_count", "region", "on_demand_usd_per_hour", "spot_usd_per_hour", "zones", "kind",
)  # fmt: skip

# Memory of ONE GPU in GiB for the GCP accelerator names SkyPilot uses. The GCP catalog has no
# GPU-memory column, so these are the vendors' published capacities (NVIDIA quotes GB; the
# nominal figure is used as GiB, as AWS's GpuInfo does, e.g. 81920 MiB for an H100):
#   A100 40 GB / A100-80GB 80 GB - NVIDIA A100 Tensor Core GPU datasheet (nvidia.com/en-us/data-center/a100/)
#   H100 80 GB (H100-MEGA is GCP's a3-megagpu H100 80GB) - NVIDIA H100 datasheet (nvidia.com/en-us/data-center/h100/)
#   H200 141 GB - NVIDIA H200 product page (nvidia.com/en-us/data-center/h200/)
#   B200 180 GB - NVIDIA DGX B200 / HGX B200 spec (1,440 GB per 8 GPUs; nvidia.com/en-us/data-center/dgx-b200/)
#   L4 24 GB - NVIDIA L4 datasheet; T4 16 GB - NVIDIA T4 datasheet
#   V100 16 GB (GCP offers the 16 GB part) - NVIDIA V100 datasheet; P100 16 GB - NVIDIA Tesla P100 datasheet
#   P4 8 GB - NVIDIA Tesla P4 datasheet
# The same per-GPU figures are listed in Google Cloud's "GPU machine types" page
# (cloud.google.com/compute/docs/gpus).
GCP_GPU_MEMORY_GIB: dict[str, float] = {
    "A100": 40,
    "A100-80GB": 80,
    "B200": 180,
    "H100": 80,
    "H100-MEGA": 80,
    "H200": 141,
    "L4": 24,
    "P100": 16,
    "P4": 8,
    "T4": 16,
    "V100": 16,
}

SOURCE_NAME = "SkyPilot catalog"
SOURCE_REPOSITORY = "https://github.com/skypilot-org/skypilot-catalog"
SOURCE_LICENSE = "Apache-2.0"
AGGREGATION = (
    "One entry per (instance type, region). AWS: on_demand = min Price over the region's zones; "
    "spot = median over zones of each zone's lowest SpotPrice (spot_usd_per_hour_median); "
    "accelerator_memory_gib = GpuInfo TotalGpuMemoryInMiB / 1024 / accelerator_count. "
    "GCP: on_demand/spot = host + attached accelerator price, min over zones per column "
    "(total_*_usd_per_hour); accelerator_memory_gib from the vendors' published specs "
    "(gpu_memory_gib table). GCP attached GPUs (kind gpu, no TPU) are listed separately under "
    "accelerators. Blank in the source is null here."
)


class BuildError(Exception):
    """Bad or unexpected input: the message is printed as one line."""


# ---------------------------------------------------------------------------------- parsing


def _number(text: str, where: str) -> int | float | None:
    """'' -> None, '96' -> 96, '32.7726' -> 32.7726; negatives, NaN and infinities are errors."""
    text = text.strip()
    if not text:
        return None
    try:
        value: int | float = int(text) if re.fullmatch(r"\d+", text) else float(text)
    except ValueError:
        raise BuildError(f"{where}: {text!r} is not a number") from None
    if (isinstance(value, float) and not math.isfinite(value)) or value < 0:
        raise BuildError(f"{where}: {text!r} is not a finite non-negative number")
    return value


def _count(text: str, where: str) -> int | None:
    value = _number(text, where)
    if value is None:
        return None
    if not isinstance(value, int) or value < 1:
        raise BuildError(f"{where}: accelerator count {text!r} is not a positive integer")
    return value


def _compact(value: float | None) -> int | float | None:
    """Integral floats are written as integers (40.0 -> 40) so the file stays small and stable."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _rows(path: Path, columns: Sequence[str]) -> Iterator[tuple[str, dict[str, str]]]:
    if not path.is_file():
        raise BuildError(f"{path}: file not found")
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != tuple(columns):
            raise BuildError(f"{path}: unexpected header {reader.fieldnames!r}; expected {list(columns)!r}")
        for row in reader:
            if None in row or any(value is None for value in row.values()):
                raise BuildError(f"{path.name} line {reader.line_num}: wrong number of fields")
            yield f"{path.name} line {reader.line_num}", row


def _merge_spec(types: dict[str, dict[str, Any]], name: str, spec: dict[str, Any], where: str) -> dict[str, Any]:
    """A type's hardware must be the same in every region: the snapshot stores it once."""
    entry = types.setdefault(name, {**spec, "regions": {}})
    if any(entry[key] != value for key, value in spec.items()):
        raise BuildError(f"{where}: {name} hardware differs from an earlier row of the same type")
    return entry


def _add_region(entry: dict[str, Any], region: str, prices: dict[str, Any], where: str) -> None:
    if not region:
        raise BuildError(f"{where}: empty region")
    if region in entry["regions"]:
        raise BuildError(f"{where}: duplicate region {region}")
    entry["regions"][region] = prices


def read_aws(path: Path) -> dict[str, dict[str, Any]]:
    types: dict[str, dict[str, Any]] = {}
    for where, row in _rows(path, AWS_COLUMNS):
        name = row["instance_type"].strip()
        if not name:
            raise BuildError(f"{where}: empty instance_type")
        count = _count(row["accelerator_count"], where)
        total = _number(row["gpu_memory_gib_total"], where)
        per_gpu = round(total / count, 2) if total is not None and count else None
        spec = {
            "accelerator": row["accelerator"].strip() or None,
            "accelerator_count": count,
            "accelerator_memory_gib": _compact(per_gpu),
            "gpu_memory_gib": total,
            "vcpus": _number(row["vcpus"], where),
            "memory_gib": _number(row["memory_gib"], where),
        }
        entry = _merge_spec(types, name, spec, where)
        prices = {
            "on_demand": _number(row["on_demand_usd_per_hour"], where),
            "spot": _number(row["spot_usd_per_hour_median"], where),
        }
        _add_region(entry, row["region"].strip(), prices, where)
    return types


def _gcp_memory(model: str, where: str, warnings: list[str]) -> float | None:
    memory = GCP_GPU_MEMORY_GIB.get(model)
    if memory is None:
        message = f"no published memory for GCP accelerator {model!r} (add it to GCP_GPU_MEMORY_GIB); left null"
        if message not in warnings:
            warnings.append(message)
    return memory


def read_gcp(path: Path, warnings: list[str]) -> dict[str, dict[str, Any]]:
    types: dict[str, dict[str, Any]] = {}
    for where, row in _rows(path, GCP_COLUMNS):
        name = row["machine_type"].strip()
        if not name:
            raise BuildError(f"{where}: empty machine_type")
        model = row["accelerator"].strip() or None
        count = _count(row["accelerator_count"], where)
        per_gpu = _gcp_memory(model, where, warnings) if model else None
        spec = {
            "accelerator": model,
            "accelerator_count": count,
            "accelerator_memory_gib": per_gpu,
            "gpu_memory_gib": _compact(per_gpu * count) if per_gpu is not None and count else None,
            "vcpus": _number(row["vcpus"], where),
            "memory_gib": _number(row["memory_gib"], where),
        }
        entry = _merge_spec(types, name, spec, where)
        prices = {
            "on_demand": _number(row["total_on_demand_usd_per_hour"], where),
            "spot": _number(row["total_spot_usd_per_hour"], where),
        }
        _add_region(entry, row["region"].strip(), prices, where)
    return types


def read_gcp_accelerators(path: Path, warnings: list[str]) -> dict[str, dict[str, Any]]:
    models: dict[str, dict[str, Any]] = {}
    for where, row in _rows(path, GCP_ACCEL_COLUMNS):
        kind = row["kind"].strip()
        if kind == "tpu":
            continue
        if kind != "gpu":
            raise BuildError(f"{where}: unknown kind {kind!r} (expected gpu or tpu)")
        model = row["accelerator"].strip()
        count = _count(row["accelerator_count"], where)
        if not model or count is None:
            raise BuildError(f"{where}: GPU row without accelerator name or count")
        entry = models.setdefault(model, {"memory_gib": _gcp_memory(model, where, warnings), "counts": {}})
        by_region = entry["counts"].setdefault(str(count), {"regions": {}})
        prices = {
            "on_demand": _number(row["on_demand_usd_per_hour"], where),
            "spot": _number(row["spot_usd_per_hour"], where),
        }
        _add_region(by_region, row["region"].strip(), prices, where)
    return {
        model: {**entry, "counts": {count: v["regions"] for count, v in entry["counts"].items()}}
        for model, entry in models.items()
    }


def read_attribution(path: Path) -> tuple[list[dict[str, str]], str]:
    """The upstream files/commits and the date they were read, from the data set's SOURCE.md."""
    if not path.is_file():
        raise BuildError(f"{path}: file not found (it carries the source attribution)")
    text = path.read_text(encoding="utf-8")
    files = [
        {"path": match[1], "commit": match[2]}
        for match in re.finditer(r"`(catalogs/[^`]+\.csv)`\W+commit `([0-9a-f]{40})`", text)
    ]
    read = re.search(r"Date read:\s*(\d{4}-\d{2}-\d{2})", text)
    if not files or read is None:
        raise BuildError(f"{path}: could not find the upstream file commits and 'Date read:'")
    return sorted(files, key=lambda f: f["path"]), read[1]


# ---------------------------------------------------------------------------------- building


def build(source: Path, snapshot_date: str | None = None, warnings: list[str] | None = None) -> dict[str, Any]:
    """The snapshot document built from the CSVs in `source`."""
    warnings = [] if warnings is None else warnings
    files, read_date = read_attribution(source / SOURCE_FILE)
    if snapshot_date is None:
        snapshot_date = read_date
    try:
        date.fromisoformat(snapshot_date)
    except ValueError:
        raise BuildError(f"--date {snapshot_date!r}: expected YYYY-MM-DD") from None
    instances = {"aws": read_aws(source / AWS_FILE), "gcp": read_gcp(source / GCP_FILE, warnings)}
    accelerators = {"gcp": read_gcp_accelerators(source / GCP_ACCEL_FILE, warnings)}
    return {
        "format_version": FORMAT_VERSION,
        "snapshot_date": snapshot_date,
        "source": {
            "name": SOURCE_NAME,
            "repository": SOURCE_REPOSITORY,
            "license": SOURCE_LICENSE,
            "files": files,
            "retrieved": read_date,
            "aggregation": AGGREGATION,
            "inputs": {name: "sha256:" + _sha256(source / name) for name in INPUT_FILES},
        },
        "gpu_memory_gib": {"gcp": {model: _compact(float(gib)) for model, gib in GCP_GPU_MEMORY_GIB.items()}},
        "instances": instances,
        "accelerators": accelerators,
    }


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def render(document: dict[str, Any]) -> bytes:
    return (json.dumps(document, indent=1, sort_keys=True, ensure_ascii=True, allow_nan=False) + "\n").encode()


def write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; the snapshot is ordinary package data
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def summary(document: dict[str, Any]) -> str:
    parts = []
    for provider, types in sorted(document["instances"].items()):
        offers = sum(len(entry["regions"]) for entry in types.values())
        parts.append(f"{provider}: {len(types)} types, {offers} offers")
    accel = sum(
        len(regions)
        for models in document["accelerators"].values()
        for model in models.values()
        for regions in model["counts"].values()
    )
    parts.append(f"attached-GPU prices: {accel}")
    return "; ".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help=f"input folder ({DEFAULT_SOURCE})")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help=f"snapshot file ({DEFAULT_OUTPUT})")
    parser.add_argument("--date", help="snapshot date YYYY-MM-DD (default: the 'Date read' of SOURCE.md)")
    args = parser.parse_args(argv)
    warnings: list[str] = []
    try:
        document = build(args.source, args.date, warnings)
        data = render(document)
        write(args.output, data)
    except (BuildError, OSError) as error:
        print(f"build_catalog: error: {error}", file=sys.stderr)
        return 1
    for warning in warnings:
        print(f"build_catalog: warning: {warning}", file=sys.stderr)
    print(f"wrote {args.output} ({len(data):,} bytes; {summary(document)})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
