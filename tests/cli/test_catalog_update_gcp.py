"""`infraaudit catalog update --gcp`: the real google-cloud-billing client against a local Cloud Billing
Catalog server (tests/support/gcp_billing_server.py), a catalog file out."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from gcp_billing_server import BillingCatalogServer, compute_engine_skus
from google.api_core import exceptions as api_exceptions
from google.api_core.retry import Retry, if_exception_type

from infraaudit.audit.catalog import Catalog
from infraaudit.audit.catalog.snapshot import read_snapshot
from infraaudit.audit.collect.gcp import collector, price_refresh

REGIONS = "us-central1,europe-west4"


@pytest.fixture
def billing(monkeypatch: pytest.MonkeyPatch) -> Iterator[BillingCatalogServer]:
    fast = Retry(
        predicate=if_exception_type(api_exceptions.TooManyRequests, api_exceptions.ServiceUnavailable),
        initial=0.01,
        maximum=0.02,
        timeout=5.0,
    )
    monkeypatch.setattr(price_refresh, "LIST_SKUS_RETRY", fast)
    with BillingCatalogServer() as server:
        yield server


def _update(run_cli: Any, server: BillingCatalogServer, out: Path, *extra: str) -> Any:
    return run_cli(
        "catalog", "update", "--gcp", "--gcp-endpoint", f"cloudbilling={server.url}", "--output", str(out), *extra
    )


def test_update_writes_a_refreshed_catalog(run_cli, billing: BillingCatalogServer, tmp_path: Path) -> None:
    out = tmp_path / "catalog.json"
    result = _update(run_cli, billing, out, "--regions", REGIONS)
    assert result.code == 0, result.err
    [line] = result.err.strip().splitlines()
    assert line.startswith("gcp: 2 region(s) refreshed, ")
    assert line.endswith(f", 1 API call(s); catalog written to {out}")
    assert "skipped (no unambiguous SKU, previous prices kept: B200 x8, a3-edgegpu-8g, " in line
    catalog = Catalog.load(out)
    assert catalog.snapshot_date == datetime.now(UTC).date()
    # a2-highgpu-1g in europe-west4: 12 x 0.034802 + 85 x 0.004664 + 2.9336 = 3.747664 (was 2.42771)
    offer = catalog.lookup("gcp", "a2-highgpu-1g", "europe-west4")
    assert offer is not None and (offer.on_demand, offer.spot) == (3.747664, 1.487352)
    shown = run_cli("catalog", "show", "a2-highgpu-1g", "--region", "europe-west4", "--catalog", str(out))
    assert shown.code == 0 and "3.7477" in shown.out and "1.4874" in shown.out and "2,735.79" in shown.out
    before = run_cli("catalog", "show", "a2-highgpu-1g", "--region", "europe-west4")
    assert "2.4277" in before.out and "3.7477" not in before.out  # the shipped catalog is untouched
    attached = catalog.accelerator_price("gcp", "nvidia-tesla-t4", 4, "us-central1")
    assert attached is not None and (attached.on_demand, attached.spot) == (1.4, 0.56)
    untouched = catalog.lookup("gcp", "a2-highgpu-1g", "us-west3")  # a region not asked for
    assert untouched is not None and (untouched.on_demand, untouched.spot) == (4.32506, 1.72656)
    request = billing.requests[0]
    assert request.path == "/v1/services/6F81-5844-456A/skus"
    assert request.query["currencyCode"] == ["USD"] and request.query["pageSize"] == ["5000"]


def test_every_page_is_read_and_counted(
    run_cli, billing: BillingCatalogServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(price_refresh, "PAGE_SIZE", 40)
    pages = -(-len(compute_engine_skus()) // 40)
    assert pages > 1
    out = tmp_path / "catalog.json"
    result = _update(run_cli, billing, out, "--regions", REGIONS)
    assert result.code == 0, result.err
    assert f", {pages} API call(s); catalog written to" in result.err
    assert billing.count() == pages
    one_page = tmp_path / "one-page.json"
    monkeypatch.setattr(price_refresh, "PAGE_SIZE", 5000)
    assert _update(run_cli, billing, one_page, "--regions", REGIONS).code == 0
    # the pages together are the same answer (the refresh note's timestamp may differ by a second)
    paged, whole = read_snapshot(out), read_snapshot(one_page)
    assert (paged.instances, paged.accelerators) == (whole.instances, whole.accelerators)


def test_throttling_is_retried(run_cli, billing: BillingCatalogServer, tmp_path: Path) -> None:
    billing.fail("RATE_LIMIT", times=2)
    result = _update(run_cli, billing, tmp_path / "catalog.json", "--regions", "us-east4")
    assert result.code == 0, result.err
    assert "gcp: 1 region(s) refreshed" in result.err and ", 1 API call(s);" in result.err
    assert billing.count(status=429) == 2


@pytest.mark.parametrize(
    ("failure", "after", "message"),
    [
        ("SERVICE_DISABLED", 0, "403 PERMISSION_DENIED (SERVICE_DISABLED): Cloud Billing API has not been used"),
        ("PERMISSION_DENIED", 0, "403 PERMISSION_DENIED (ACCESS_TOKEN_SCOPE_INSUFFICIENT): Request had insufficient"),
        ("PERMISSION_DENIED", 1, "403 PERMISSION_DENIED (ACCESS_TOKEN_SCOPE_INSUFFICIENT)"),  # on the second page
    ],
)
def test_an_api_error_writes_nothing(
    run_cli,
    billing: BillingCatalogServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    failure: Any,
    after: int,
    message: str,
) -> None:
    monkeypatch.setattr(price_refresh, "PAGE_SIZE", 50)
    billing.fail(failure, after=after)
    out, kept = tmp_path / "catalog.json", tmp_path / "kept.json"
    kept.write_text("previous catalog\n", encoding="utf-8")
    for target in (out, kept):
        result = _update(run_cli, billing, target, "--regions", REGIONS)
        assert result.code == 3
        [line] = result.err.strip().splitlines()
        assert line.startswith(f"error: GCP price refresh failed, nothing written: {message}")
    assert not out.exists()
    assert kept.read_text(encoding="utf-8") == "previous catalog\n"  # an existing file is left as it was
    assert sorted(path.name for path in tmp_path.iterdir()) == ["kept.json"]  # no temporary file either


def test_a_region_the_catalog_does_not_price_is_refused(run_cli, billing: BillingCatalogServer, tmp_path: Path) -> None:
    out = tmp_path / "catalog.json"
    result = _update(run_cli, billing, out, "--regions", "us-central1,us-east-1")
    assert result.code == 3
    [line] = result.err.strip().splitlines()
    assert line.startswith("error: no GCP prices in the catalog for us-east-1: a GCP refresh re-prices")
    assert not out.exists() and billing.count() == 0


def test_missing_credentials_are_one_line(run_cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from google.auth.exceptions import DefaultCredentialsError

    def no_credentials(**_: Any) -> Any:
        raise DefaultCredentialsError("File /nowhere was not found.")

    monkeypatch.setattr(collector, "default_credentials", no_credentials)
    out = tmp_path / "catalog.json"
    result = run_cli("catalog", "update", "--gcp", "--output", str(out))
    assert result.code == 3
    [line] = result.err.strip().splitlines()
    assert line.startswith("error: no Google credentials found (run `gcloud auth application-default login`")
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give exactly one of --aws or --gcp"),
        (["--aws", "--gcp"], "give exactly one of --aws or --gcp"),
        (["--gcp", "--profile", "prod"], "--profile cannot be used with --gcp"),
        (["--gcp", "--endpoint-url", "http://127.0.0.1:1"], "--endpoint-url cannot be used with --gcp"),
        (["--gcp", "--spot-window-days", "3"], "--spot-window-days cannot be used with --gcp"),
        (["--aws", "--gcp-endpoint", "cloudbilling=http://127.0.0.1:1"], "--gcp-endpoint cannot be used with --aws"),
        (["--aws", "--gcp-credentials", "key.json"], "--gcp-credentials cannot be used with --aws"),
        (["--gcp", "--gcp-endpoint", "compute=http://127.0.0.1:1"], "uses only --gcp-endpoint cloudbilling=URL"),
        (["--gcp", "--gcp-endpoint", "cloudbilling"], "is not SERVICE=URL"),
        (["--gcp", "--gcp-credentials", "missing.json"], "'missing.json' does not exist"),
    ],
)
def test_bad_option_combinations_are_usage_errors(run_cli, tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "key.json").write_text("{}", encoding="utf-8")  # run_cli runs in tmp_path
    result = run_cli("catalog", "update", *args, "--output", "out.json")
    assert result.code == 2, result.err
    assert message in result.err
    assert not (tmp_path / "out.json").exists()
