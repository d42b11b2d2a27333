"""Deterministic synthetic GPU fleets for benchmarks: a realistic mix of types, markets,
telemetry shapes (idle, busy, partly idle, none), tags and security facts."""

from __future__ import annotations

import random
from typing import Any

from infraaudit.audit.models import Inventory

AWS_TYPES = [("p4d.24xlarge", "A100", 8, 40), ("g5.xlarge", "A10G", 1, 24), ("g6.12xlarge", "L4", 4, 24),
             ("p5.48xlarge", "H100", 8, 80), ("p3.8xlarge", "V100", 4, 16), ("g4dn.xlarge", "T4", 1, 16)]  # fmt: skip
GCP_TYPES = [("a2-highgpu-1g", "A100", 1, 40), ("a3-highgpu-8g", "H100", 8, 80), ("g2-standard-8", "L4", 1, 24)]
AWS_REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1"]
GCP_ZONES = ["us-central1-a", "europe-west4-a", "us-east4-c"]


def _summary(rng: random.Random, level: float) -> dict[str, Any]:
    avg = max(0.0, min(100.0, rng.gauss(level, 3)))
    p95 = min(100.0, avg + rng.uniform(0, 10))
    return {"avg": round(avg, 2), "p95": round(p95, 2), "max": round(min(100.0, p95 + rng.uniform(0, 5)), 2),
            "samples": 336, "coverage": 1.0, "window_days": 14}  # fmt: skip


def _utilization(rng: random.Random, gpus: int, memory: int) -> dict[str, Any] | None:
    shape = rng.random()
    if shape < 0.15:
        return None  # no telemetry
    level = 1.0 if shape < 0.35 else 20.0 if shape < 0.55 else 75.0
    devices = [{"index": i, "gpu_percent": _summary(rng, level if i < max(1, gpus // 2) or shape > 0.8 else 1.0)}
               for i in range(gpus)]  # fmt: skip
    used = memory * gpus * (0.2 if level < 50 else 0.8)
    return {
        "gpu_percent": _summary(rng, level),
        "gpu_memory_used_gib": {
            "avg": round(used * 0.8, 1),
            "p95": round(used * 0.9, 1),
            "max": round(used, 1),
            "samples": 336,
            "coverage": 1.0,
            "window_days": 14,
        },  # fmt: skip
        "devices": devices,
        "uptime_fraction": round(rng.uniform(0.5, 1.0), 3),
    }


def generate_fleet(size: int, seed: int = 7) -> Inventory:
    rng = random.Random(seed)
    resources = []
    for n in range(size):
        aws = rng.random() < 0.7
        instance_type, model, gpus, memory = rng.choice(AWS_TYPES if aws else GCP_TYPES)
        if aws:
            region, zone = rng.choice(AWS_REGIONS), None
            account = f"{100000000000 + n % 40:012d}"
            uid = f"aws:{account}:{region}:i-{n:017x}"
        else:
            zone = rng.choice(GCP_ZONES)
            region, account = zone.rsplit("-", 1)[0], f"ml-project-{n % 12}"
            uid = f"gcp:{account}:{zone}:vm-{n}"
        tags = {"owner": "ml-platform", "team": rng.choice(["research", "serving"]), "cost-center": "cc-42"}
        if rng.random() < 0.3:
            tags.pop("cost-center")
        if rng.random() < 0.8:
            tags["data-classification"] = rng.choice(["internal", "eu-personal", "public"])
        if rng.random() < 0.4:
            tags["workload"] = rng.choice(["training", "inference", "batch"])
        resources.append({
            "uid": uid, "provider": "aws" if aws else "gcp", "account": account, "region": region, "zone": zone,
            "name": f"gpu-{n}", "instance_type": instance_type,
            "state": "running" if rng.random() < 0.9 else "stopped",
            "market": "spot" if rng.random() < 0.25 else "on_demand",
            "accelerators": [{"model": model, "count": gpus, "memory_gib": memory}],
            "tags": tags,
            "security": {"public_ip": rng.random() < 0.1, "imdsv2_required": rng.random() < 0.7,
                         "boot_disk_encrypted": rng.random() < 0.9},
            "utilization": _utilization(rng, gpus, memory),
            "source": "scan",
        })  # fmt: skip
    return Inventory.model_validate({"resources": resources})
