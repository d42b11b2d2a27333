"""Helpers shared by the tests (importable as `infraaudit_testing`; tests/support is on pythonpath)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from infraaudit.audit.models import Resource

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"


def gpu_resource(**overrides: Any) -> Resource:
    """A running, well-tagged on-demand A100 box in us-east-1; override what a test needs."""
    fields: dict[str, Any] = {
        "uid": "aws:111122223333:us-east-1:i-0abc",
        "provider": "aws",
        "account": "111122223333",
        "region": "us-east-1",
        "instance_type": "p4d.24xlarge",
        "state": "running",
        "market": "on_demand",
        "accelerators": [{"model": "A100", "count": 8, "memory_gib": 40}],
        "tags": {"owner": "ml", "team": "research", "cost-center": "42", "data-classification": "internal"},
        "security": {"public_ip": False, "imdsv2_required": True, "boot_disk_encrypted": True},
        "source": "scan",
    }
    fields.update(overrides)
    return Resource.model_validate(fields)


def process_alive(pid: int) -> bool:
    """True while the process exists and is not a zombie (a zombie still answers kill(pid, 0))."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] not in ("Z", "X")
    except FileNotFoundError:
        return False
