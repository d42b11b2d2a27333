"""Fixtures for the catalog tests: the shipped catalog, the source data set and the build script."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from infraaudit.audit.catalog import Catalog
from infraaudit.audit.models import Provider, Resource

REPO_ROOT = Path(__file__).resolve().parents[3]
SOURCE_DIR = REPO_ROOT / "data" / "gpu-catalog"
BUILD_SCRIPT = REPO_ROOT / "scripts" / "build_catalog.py"
INPUTS = ("aws_gpu_prices.csv", "gcp_gpu_prices.csv", "gcp_accelerator_prices.csv", "SOURCE.md")


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return Catalog.load()


@pytest.fixture
def source_dir() -> Path:
    missing = [name for name in INPUTS if not (SOURCE_DIR / name).is_file()]
    assert not missing, f"the catalog source data set is incomplete: {SOURCE_DIR} lacks {', '.join(missing)}"
    return SOURCE_DIR


@pytest.fixture
def build() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Runs scripts/build_catalog.py with the given arguments, as a user would."""

    def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(BUILD_SCRIPT), *map(str, args)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    return run


@pytest.fixture
def make_resource() -> Callable[..., Resource]:
    """A Resource with a valid uid for its provider; keyword arguments override any field."""

    def make(
        provider: str = "aws", instance_type: str = "p4d.24xlarge", region: str = "us-east-1", **fields: Any
    ) -> Resource:
        kind = Provider(provider)
        uid = {
            Provider.AWS: f"aws:123456789012:{region}:i-0abc",
            Provider.GCP: f"gcp:my-project:{region}-a:vm-1",
            Provider.ONPREM: "onprem:dc1:host-1",
        }[kind]
        account = {Provider.AWS: "123456789012", Provider.GCP: "my-project", Provider.ONPREM: "dc1"}[kind]
        values: dict[str, Any] = {
            "uid": uid,
            "provider": kind,
            "account": account,
            "region": region,
            "instance_type": instance_type,
        }
        values.update(fields)
        return Resource(**values)

    return make
