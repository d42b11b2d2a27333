"""`infraaudit catalog update --aws`: recorded Price List and spot answers in, a catalog file out."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber

from infraaudit.audit.catalog import Catalog
from infraaudit.audit.collect.aws.counter import ClientFactory

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "aws" / "pricing"
REGIONS = ("eu-west-1", "us-east-1")


def _pages(name: str) -> list[dict[str, Any]]:
    pages: list[dict[str, Any]] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))["pages"]
    for page in pages:
        for item in page.get("SpotPriceHistory", []):
            item["Timestamp"] = datetime.fromisoformat(item["Timestamp"])
    return pages


@pytest.fixture
def recorded_prices(monkeypatch: pytest.MonkeyPatch) -> list[Stubber]:
    """Pricing and spot clients answer from the recorded pages (moto has no Price List API);
    STS still goes to moto. Request parameters are validated against the service models."""
    real_client = ClientFactory.client
    stubbers: list[Stubber] = []

    def client(self: ClientFactory, service: str, region: str) -> Any:
        made = real_client(self, service, region)
        if service == "pricing":
            stubber = Stubber(made)
            for region_name in REGIONS:  # fetched in sorted region order
                for page in _pages(f"get_products_{region_name}.json"):
                    stubber.add_response("get_products", page)
        elif service == "ec2":
            stubber = Stubber(made)
            for page in _pages(f"spot_price_history_{region}.json"):
                stubber.add_response("describe_spot_price_history", page)
        else:
            return made
        stubber.activate()
        stubbers.append(stubber)
        return made

    monkeypatch.setattr(ClientFactory, "client", client)
    return stubbers


def test_update_writes_a_refreshed_catalog(run_cli, aws_env, standard_aws, recorded_prices, tmp_path) -> None:
    out = tmp_path / "catalog.json"
    result = run_cli(
        "catalog", "update", "--aws", "--regions", ",".join(REGIONS), "--endpoint-url", standard_aws.url,
        "--output", str(out),
    )  # fmt: skip
    assert result.code == 0, result.err
    for stubber in recorded_prices:
        stubber.assert_no_pending_responses()
    assert "aws: 2 region(s) refreshed" in result.err
    catalog = Catalog.load(out)
    g5 = catalog.lookup("aws", "g5.xlarge", "us-east-1")
    assert g5 is not None and (g5.on_demand, g5.spot) == (1.006, 0.4064)
    assert catalog.snapshot_date == datetime.now(UTC).date()
    shown = run_cli("catalog", "show", "g5.xlarge", "--region", "eu-west-1", "--catalog", str(out))
    assert "1.1230" in shown.out and "0.5084" in shown.out


def test_update_fails_closed_when_aws_refuses(run_cli, aws_env, standard_aws, tmp_path) -> None:
    """moto does not implement the Price List API: an error, and no catalog half-written."""
    out = tmp_path / "catalog.json"
    result = run_cli(
        "catalog", "update", "--aws", "--regions", "us-east-1", "--endpoint-url", standard_aws.url,
        "--output", str(out),
    )  # fmt: skip
    assert result.code == 3
    [line] = result.err.strip().splitlines()
    assert line.startswith("error: AWS price refresh failed, nothing written:")
    assert not out.exists()


def test_update_needs_a_provider(run_cli, tmp_path) -> None:
    result = run_cli("catalog", "update", "--output", str(tmp_path / "c.json"))
    assert result.code == 2
