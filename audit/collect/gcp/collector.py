"""The GCP scan: projects in a bounded thread pool; per project one aggregated VM listing and a
few Cloud Monitoring calls. Failures become coverage gaps; the scan goes on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import grpc
from google.api_core import exceptions as api_exceptions
from google.api_core.client_options import ClientOptions
from google.auth import default as default_credentials
from google.auth.credentials import AnonymousCredentials, Credentials
from google.auth.exceptions import DefaultCredentialsError
from google.cloud import compute_v1, monitoring_v3
from google.cloud.monitoring_v3.services.metric_service.transports import MetricServiceGrpcTransport
from google.oauth2 import service_account

from ...errors import InfraauditError
from ...models import Coverage, CoverageGap, Inventory, Resource
from ..pool import Progress, run_all
from ..series import Window
from ..shared import UNKNOWN_UTILIZATION, sorted_gaps
from . import inventory, monitoring

READ_ONLY_SCOPE = "https://www.googleapis.com/auth/cloud-platform.read-only"
APIS = (inventory.AGGREGATED_LIST, monitoring.LIST_TIME_SERIES)


class GcpCredentialError(InfraauditError):
    """No usable Google credentials: a configuration problem, not a coverage gap."""


@dataclass(frozen=True)
class GcpTargetSpec:
    projects: tuple[str, ...]
    credentials_file: Path | None = None
    compute_endpoint: str | None = None  # e.g. http://127.0.0.1:8080 (emulators, private endpoints)
    monitoring_endpoint: str | None = None  # host:port of a plaintext gRPC emulator

    def __post_init__(self) -> None:
        if not self.projects:
            raise ValueError("--gcp needs at least one --project")


@dataclass(frozen=True)
class GcpScanOptions:
    lookback_days: int = 14
    max_workers: int = 4


@dataclass
class GcpScanResult:
    inventory: Inventory
    api_calls: dict[str, int] = field(default_factory=dict)


def _credentials(spec: GcpTargetSpec) -> Credentials:
    if spec.credentials_file is not None:
        try:
            loaded: Credentials = service_account.Credentials.from_service_account_file(  # type: ignore[no-untyped-call]
                str(spec.credentials_file), scopes=[READ_ONLY_SCOPE]
            )
            return loaded
        except (OSError, ValueError) as exc:
            raise GcpCredentialError(f"cannot use --gcp-credentials {spec.credentials_file}: {exc}") from None
    if spec.compute_endpoint and spec.monitoring_endpoint:
        return AnonymousCredentials()  # type: ignore[no-untyped-call]  # emulators: nothing to sign
    try:
        credentials, _ = default_credentials(scopes=[READ_ONLY_SCOPE])
    except DefaultCredentialsError:
        raise GcpCredentialError(
            "no Google credentials found (run `gcloud auth application-default login`, set "
            "GOOGLE_APPLICATION_CREDENTIALS or use --gcp-credentials FILE)"
        ) from None
    return credentials


def _clients(spec: GcpTargetSpec) -> tuple[Any, Any]:
    credentials = _credentials(spec)
    options = ClientOptions(api_endpoint=spec.compute_endpoint) if spec.compute_endpoint else None
    compute = compute_v1.InstancesClient(credentials=credentials, transport="rest", client_options=options)
    if spec.monitoring_endpoint:
        channel = grpc.insecure_channel(spec.monitoring_endpoint)
        metrics = monitoring_v3.MetricServiceClient(transport=MetricServiceGrpcTransport(channel=channel))
    else:
        metrics = monitoring_v3.MetricServiceClient(credentials=credentials)
    return compute, metrics


def collect_gcp(
    spec: GcpTargetSpec,
    *,
    now: datetime,
    options: GcpScanOptions = GcpScanOptions(),
    progress: Progress | None = None,
) -> GcpScanResult:
    compute, metrics = _clients(spec)
    window = Window.ending(now, options.lookback_days)
    resources: list[Resource] = []
    gaps: list[CoverageGap] = []
    jobs = [partial(_scan_project, compute, metrics, project, window) for project in spec.projects]
    for found, missing in run_all(jobs, max_workers=options.max_workers, name="gcp-scan", progress=progress):
        resources.extend(found)
        gaps.extend(missing)
    resources.sort(key=lambda r: r.uid)
    regions = sorted({r.region for r in resources})
    inventory_ = Inventory(
        generated_at=now,
        resources=resources,
        coverage=Coverage(accounts=sorted(spec.projects), regions=regions, apis=sorted(APIS)),
        gaps=sorted_gaps(gaps),
    )
    return GcpScanResult(inventory_)


def _scan_project(compute: Any, metrics: Any, project: str, window: Window) -> tuple[list[Resource], list[CoverageGap]]:
    listed = inventory.list_gpu_vms(compute, project)
    if not listed.resources:
        return [], listed.gaps
    gaps = list(listed.gaps)
    try:
        telemetry = monitoring.project_telemetry(metrics, project, window)
    except api_exceptions.GoogleAPICallError as exc:
        gaps.append(inventory.gap(project, exc, api=monitoring.LIST_TIME_SERIES))
        unknown = [resource.model_copy(update={"unknown": [UNKNOWN_UTILIZATION]}) for resource in listed.resources]
        return unknown, gaps
    found = []
    for resource in listed.resources:
        summary = telemetry.get(listed.instance_ids[resource.uid])
        found.append(resource.model_copy(update={"utilization": summary.utilization if summary else None}))
    return found, gaps
