"""The GCP scan: projects in a bounded thread pool; per project one aggregated VM listing and a
few Cloud Monitoring calls. Failures become coverage gaps; the scan goes on."""

from __future__ import annotations

from collections.abc import Mapping
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
from google.cloud import compute_v1, monitoring_v3, resourcemanager_v3
from google.cloud.monitoring_v3.services.metric_service.transports import MetricServiceGrpcTransport
from google.oauth2 import service_account

from ...errors import InfraauditError
from ...models import Coverage, CoverageGap, Inventory, Resource
from ..pool import Progress, run_all
from ..series import Window
from ..shared import UNKNOWN_UTILIZATION, ApiCallCounter, sorted_gaps
from . import inventory, monitoring
from .machine_types import GET_MACHINE_TYPE, MachineTypeCache
from .projects import LIST_FOLDERS, LIST_PROJECTS, discover_projects

READ_ONLY_SCOPE = "https://www.googleapis.com/auth/cloud-platform.read-only"
SCAN_APIS = (inventory.AGGREGATED_LIST, GET_MACHINE_TYPE, monitoring.LIST_TIME_SERIES)


class GcpCredentialError(InfraauditError):
    """No usable Google credentials: a configuration problem, not a coverage gap."""


@dataclass(frozen=True)
class GcpTargetSpec:
    projects: tuple[str, ...] = ()
    organization: str | None = None  # numeric id: every active project under it
    folders: tuple[str, ...] = ()  # numeric ids: every active project under each, any depth
    credentials_file: Path | None = None
    # Per-service endpoint overrides (emulators, private endpoints): compute and resourcemanager
    # take a URL, monitoring HOST:PORT of a plaintext gRPC server.
    endpoints: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not (self.projects or self.organization or self.folders):
            raise ValueError("--gcp needs --project, --organization or --folder")
        for kind, ident in [("--organization", self.organization), *(("--folder", f) for f in self.folders)]:
            if ident is not None and not ident.isdigit():
                raise ValueError(f"{kind} takes a numeric id, not {ident!r} (see `gcloud organizations list`)")

    @property
    def roots(self) -> list[str]:
        """Resource Manager parents to walk for projects."""
        organization = [f"organizations/{self.organization}"] if self.organization else []
        return organization + [f"folders/{folder}" for folder in self.folders]

    @property
    def services(self) -> tuple[str, ...]:
        """The Google APIs this scan talks to."""
        return ("compute", "monitoring", *(("resourcemanager",) if self.roots else ()))


@dataclass(frozen=True)
class GcpScanOptions:
    lookback_days: int = 14
    max_workers: int = 4
    known_machine_types: frozenset[str] = frozenset()  # the catalog's: their specs are not fetched


@dataclass
class GcpScanResult:
    inventory: Inventory
    api_calls: dict[str, int] = field(default_factory=dict)


def credentials_for(credentials_file: Path | None, *, emulated: bool, scope: str = READ_ONLY_SCOPE) -> Credentials:
    """A service-account key file, anonymous credentials when every API is emulated, else ADC."""
    if credentials_file is not None:
        try:
            loaded: Credentials = service_account.Credentials.from_service_account_file(  # type: ignore[no-untyped-call]
                str(credentials_file), scopes=[scope]
            )
            return loaded
        except (OSError, ValueError) as exc:
            raise GcpCredentialError(f"cannot use --gcp-credentials {credentials_file}: {exc}") from None
    if emulated:
        return AnonymousCredentials()  # type: ignore[no-untyped-call]  # emulators: nothing to sign
    try:
        credentials, _ = default_credentials(scopes=[scope])
    except DefaultCredentialsError:
        raise GcpCredentialError(
            "no Google credentials found (run `gcloud auth application-default login`, set "
            "GOOGLE_APPLICATION_CREDENTIALS or use --gcp-credentials FILE)"
        ) from None
    return credentials


def rest_options(endpoint: str | None) -> ClientOptions | None:
    return ClientOptions(api_endpoint=endpoint) if endpoint else None


@dataclass(frozen=True)
class _Clients:
    instances: Any
    machine_types: Any
    metrics: Any
    folders: Any
    projects: Any


def _clients(spec: GcpTargetSpec) -> _Clients:
    endpoints = spec.endpoints
    credentials = credentials_for(spec.credentials_file, emulated=all(s in endpoints for s in spec.services))
    compute = rest_options(endpoints.get("compute"))
    manager = rest_options(endpoints.get("resourcemanager"))
    if "monitoring" in endpoints:
        channel = grpc.insecure_channel(endpoints["monitoring"])
        metrics = monitoring_v3.MetricServiceClient(transport=MetricServiceGrpcTransport(channel=channel))
    else:
        metrics = monitoring_v3.MetricServiceClient(credentials=credentials)
    return _Clients(
        instances=compute_v1.InstancesClient(credentials=credentials, transport="rest", client_options=compute),
        machine_types=compute_v1.MachineTypesClient(credentials=credentials, transport="rest", client_options=compute),
        metrics=metrics,
        folders=resourcemanager_v3.FoldersClient(credentials=credentials, transport="rest", client_options=manager),
        projects=resourcemanager_v3.ProjectsClient(credentials=credentials, transport="rest", client_options=manager),
    )


def collect_gcp(
    spec: GcpTargetSpec,
    *,
    now: datetime,
    options: GcpScanOptions = GcpScanOptions(),
    progress: Progress | None = None,
) -> GcpScanResult:
    clients = _clients(spec)
    counter = ApiCallCounter()
    gaps: list[CoverageGap] = []
    projects = list(spec.projects)
    apis = list(SCAN_APIS)
    if spec.roots:
        discovered = discover_projects(spec.roots, clients.folders, clients.projects, counter)
        projects = list(dict.fromkeys(projects + discovered.projects))
        gaps += discovered.gaps
        apis += [LIST_FOLDERS, LIST_PROJECTS]
    machine_types = MachineTypeCache(clients.machine_types, options.known_machine_types, counter)
    window = Window.ending(now, options.lookback_days)
    scan = partial(_scan_project, clients, machine_types, window, counter)
    resources: list[Resource] = []
    jobs = [partial(scan, project) for project in projects]
    for found, missing in run_all(jobs, max_workers=options.max_workers, name="gcp-scan", progress=progress):
        resources.extend(found)
        gaps.extend(missing)
    resources.sort(key=lambda r: r.uid)
    inventory_ = Inventory(
        generated_at=now,
        resources=resources,
        coverage=Coverage(accounts=sorted(projects), regions=sorted({r.region for r in resources}), apis=sorted(apis)),
        gaps=sorted_gaps(gaps),
    )
    return GcpScanResult(inventory_, counter.snapshot())


def _scan_project(
    clients: _Clients, machine_types: MachineTypeCache, window: Window, counter: ApiCallCounter, project: str
) -> tuple[list[Resource], list[CoverageGap]]:
    listed = inventory.list_gpu_vms(clients.instances, project, counter=counter)
    if not listed.resources:
        return [], listed.gaps
    resources, gaps = machine_types.fill(listed.resources, project)
    gaps = listed.gaps + gaps
    try:
        telemetry = monitoring.project_telemetry(clients.metrics, project, window, counter=counter)
    except api_exceptions.GoogleAPICallError as exc:
        gaps.append(inventory.gap(project, exc, api=monitoring.LIST_TIME_SERIES))
        return [resource.model_copy(update={"unknown": [UNKNOWN_UTILIZATION]}) for resource in resources], gaps
    found = []
    for resource in resources:
        summary = telemetry.get(listed.instance_ids[resource.uid])
        found.append(resource.model_copy(update={"utilization": summary.utilization if summary else None}))
    return found, gaps
