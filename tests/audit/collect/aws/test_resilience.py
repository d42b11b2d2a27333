"""Errors moto cannot produce (throttling, opted-out regions, expired tokens), answered by botocore's
Stubber on the collector's real clients: each becomes a coverage gap and the scan goes on."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.stub import Stubber

from infraaudit.audit.catalog import Catalog
from infraaudit.audit.collect.aws.collector import collect_aws
from infraaudit.audit.collect.aws.counter import ClientFactory
from infraaudit.audit.collect.aws.targets import AwsTargetSpec

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
ERRORS = {
    "us-west-2": ("Throttling", 400, "Rate exceeded"),  # what is left after botocore's retries
    "me-south-1": ("OptInRequired", 401, "You are not subscribed to this service."),
    "eu-west-1": ("ExpiredToken", 400, "The security token included in the request is expired"),
}


@pytest.fixture
def failing_regions(monkeypatch: pytest.MonkeyPatch, standard_aws) -> None:  # type: ignore[no-untyped-def]
    """EC2 in the ERRORS regions answers with those errors; other regions and services are moto."""
    real_client = ClientFactory.client

    def client(self: ClientFactory, service: str, region: str) -> Any:
        made = real_client(self, service, region)
        if service == "ec2" and region in ERRORS:
            code, status, message = ERRORS[region]
            stubber = Stubber(made)
            stubber.add_response("describe_instance_types", {"InstanceTypes": []})
            stubber.add_client_error(
                "describe_instances", service_error_code=code, service_message=message, http_status_code=status
            )
            stubber.activate()
        return made

    monkeypatch.setattr(ClientFactory, "client", client)


def test_failing_regions_become_gaps_and_the_rest_is_scanned(failing_regions, aws_env, standard_aws) -> None:
    regions = ("us-east-1", *ERRORS)
    result = collect_aws(
        AwsTargetSpec(regions=regions, endpoint_url=standard_aws.url), Catalog.load(), now=standard_aws.now
    )
    gaps = {(g.region, g.api, g.error_code) for g in result.inventory.gaps}
    assert gaps == {(region, "ec2:DescribeInstances", code) for region, (code, _, _) in ERRORS.items()}
    assert {r.region for r in result.inventory.resources} == {"us-east-1"}
    assert len(result.inventory.resources) == 8  # the management account's boxes in us-east-1
    assert all(g.account == standard_aws.fleet.accounts["management"] for g in result.inventory.gaps)
