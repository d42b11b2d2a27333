"""A tiny price catalog with prices chosen so that optimal layouts can be worked out by hand."""

from __future__ import annotations

from typing import Any

import pytest

from infraaudit.audit.catalog import Catalog
from infraaudit.audit.catalog.snapshot import Snapshot, read_snapshot


def _type(
    accelerator: str, count: int, per_gpu: float, regions: dict[str, tuple[float, float | None]]
) -> dict[str, Any]:
    return {
        "accelerator": accelerator,
        "accelerator_count": count,
        "accelerator_memory_gib": per_gpu,
        "gpu_memory_gib": per_gpu * count,
        "vcpus": 8 * count,
        "memory_gib": 32.0 * count,
        "regions": {r: {"on_demand": od, "spot": spot} for r, (od, spot) in regions.items()},
    }


TINY = {
    "aws": {
        # name: (accelerator, GPUs, GiB per GPU, {region: (on-demand, spot)})
        "g.small": _type("L4", 1, 24, {"us-east-1": (1.0, 0.4), "eu-west-1": (1.2, 0.5)}),
        "g.quad": _type("L4", 4, 24, {"us-east-1": (5.0, 2.0), "eu-west-1": (5.5, 2.2)}),
        "g.big": _type("A100-80GB", 8, 80, {"us-east-1": (40.0, 16.0)}),
        "g.old": _type("V100", 1, 16, {"us-east-1": (0.5, 0.1)}),
    },
    "gcp": {
        "a2-highgpu-1g": _type("A100", 1, 40, {"europe-west4": (3.0, 1.2)}),
    },
}


def tiny_catalog(instances: dict[str, Any] = TINY) -> Catalog:
    shipped = read_snapshot()
    document = shipped.model_dump(mode="json")
    document["instances"] = instances
    document["accelerators"] = {}
    return Catalog(Snapshot.model_validate(document))


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return tiny_catalog()
