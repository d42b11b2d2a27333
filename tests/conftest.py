"""Shared fixtures: real OPA, the example inventory, a resource factory, moto_server and AWS fleets."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aws_fleet import DEMO_KEY, ORG_ROLE, STANDARD_REGIONS, MotoServer, SeededFleet, seed_standard_fleet

from infraaudit.audit.catalog import Catalog
from infraaudit.audit.collect.aws import AwsScanResult, AwsTargetSpec, collect_aws
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


def _aws_environment(mp: pytest.MonkeyPatch, home: Path) -> None:
    """Credentials for moto only: no real profile, config file or instance metadata is ever read."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_REGION"):
        mp.delenv(name, raising=False)
    (home / "aws-config").write_text("", encoding="utf-8")
    (home / "aws-credentials").write_text("", encoding="utf-8")
    mp.setenv("AWS_CONFIG_FILE", str(home / "aws-config"))
    mp.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "aws-credentials"))
    mp.setenv("AWS_EC2_METADATA_DISABLED", "true")
    mp.setenv("AWS_ACCESS_KEY_ID", DEMO_KEY["aws_access_key_id"])
    mp.setenv("AWS_SECRET_ACCESS_KEY", DEMO_KEY["aws_secret_access_key"])
    mp.setenv("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    _aws_environment(monkeypatch, tmp_path)
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
        _aws_environment(mp, tmp_path_factory.mktemp("aws"))
        spec = AwsTargetSpec(org_role=ORG_ROLE, regions=STANDARD_REGIONS, endpoint_url=standard_aws.url)
        return collect_aws(spec, Catalog.load(), now=standard_aws.now)
