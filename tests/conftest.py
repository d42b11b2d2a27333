"""Shared fixtures: real OPA, the example inventory, a resource factory, moto_server and AWS fleets."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aws_fleet import (
    ORG_ROLE,
    STANDARD_REGIONS,
    MotoServer,
    SeededFleet,
    aws_test_environment,
    seed_standard_fleet,
)

from infraaudit.audit.catalog import Catalog
from infraaudit.audit.collect.aws.collector import AwsScanResult, collect_aws
from infraaudit.audit.collect.aws.targets import AwsTargetSpec
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


# ---------------------------------------------------------------- AWS on a real moto_server


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    aws_test_environment(monkeypatch, tmp_path)
    return tmp_path


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    """A moto_server for tests that seed their own data (reset it first)."""
    with MotoServer() as server:
        yield server


@dataclass(frozen=True)
class StandardAws:
    url: str
    now: datetime
    fleet: SeededFleet


@pytest.fixture(scope="session")
def standard_aws() -> Iterator[StandardAws]:
    """Its own moto_server holding the standard fleet (aws_fleet.STANDARD_FLEET); never reset."""
    now = datetime.now(UTC)
    with MotoServer() as server:
        yield StandardAws(server.url, now, seed_standard_fleet(server.url, now))


@pytest.fixture(scope="session")
def standard_scan(standard_aws: StandardAws, tmp_path_factory: pytest.TempPathFactory) -> AwsScanResult:
    """One collection of the standard fleet through the organization role, shared by the tests."""
    with pytest.MonkeyPatch.context() as mp:
        aws_test_environment(mp, tmp_path_factory.mktemp("aws"))
        spec = AwsTargetSpec(org_role=ORG_ROLE, regions=STANDARD_REGIONS, endpoint_url=standard_aws.url)
        return collect_aws(spec, Catalog.load(), now=standard_aws.now)
