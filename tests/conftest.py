"""Shared fixtures: real OPA, the example inventory, a resource factory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from infraaudit.audit.engine import find_opa
from infraaudit.audit.models import Resource
from infraaudit_testing import EXAMPLES, gpu_resource


@pytest.fixture(scope="session")
def opa_path() -> Path:
    return find_opa()


@pytest.fixture
def example_inventory() -> Path:
    return EXAMPLES / "inventory.json"


@pytest.fixture
def make_resource() -> Callable[..., Resource]:
    return gpu_resource
