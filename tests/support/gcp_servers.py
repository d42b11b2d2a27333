"""Local stand-ins for Compute Engine v1 (REST) and Cloud Monitoring v3 (gRPC) that the real clients talk to.

Google ships no emulator for either service, so these servers speak the real wire formats and the real
`google-cloud-compute` / `google-cloud-monitoring` clients parse every byte, the same code paths as production.

Clients (checked with google-cloud-compute 1.57.0, google-cloud-monitoring 2.32.0, google-api-core 2.44.0)::

    compute = compute_v1.InstancesClient(
        credentials=AnonymousCredentials(), transport="rest", client_options=ClientOptions(api_endpoint=server.url)
    )
    # 1.57.0 has no `return_partial_success` field at all: passing it, in a request object or a dict, raises
    # ValueError("Unknown field for AggregatedListInstancesRequest: return_partial_success"). Session-level
    # `params` do not help either (the transport passes its params as a list, which requests does not merge).
    # What works is a requests adapter on the transport's session that adds the flag (see
    # send_return_partial_success below, reusable as is by a collector):
    send_return_partial_success(compute)
    pager = compute.aggregated_list(request=compute_v1.AggregatedListInstancesRequest(project="p", max_results=50))
    for scope, scoped in pager:  # (str "zones/Z", InstancesScopedList) pairs, every page fetched lazily
        scoped.instances  # list[Instance]; empty when the scope only carries a warning
        scoped.warning.code  # "" when absent; "NO_RESULTS_ON_PAGE" or "UNREACHABLE" (a string, not an enum)
        {d.key: d.value for d in scoped.warning.data}  # {"scope": "zones/Z"}

    monitoring = monitoring_v3.MetricServiceClient(
        transport=MetricServiceGrpcTransport(channel=grpc.insecure_channel(server.target))
    )  # no `credentials=` here: the client refuses credentials next to a transport instance, and a transport
    # given a channel instance never looks for credentials.

Errors raise google.api_core.exceptions. Compute (REST): 403 -> Forbidden, 429 -> TooManyRequests,
503 -> ServiceUnavailable, 404 -> NotFound; `exc.reason` / `exc.domain` / `exc.metadata` come from the first
ErrorInfo in `error.details` (SERVICE_DISABLED, IAM_PERMISSION_DENIED, RATE_LIMIT_EXCEEDED), `exc.details` is that
JSON list as dicts, `exc.errors` the legacy `error.errors` dicts (`reason` accessNotConfigured / forbidden /
rateLimitExceeded). Monitoring (gRPC): PermissionDenied (a Forbidden), ResourceExhausted (a TooManyRequests),
ServiceUnavailable; the ErrorInfo travels in the `grpc-status-details-bin` trailer, so `exc.reason` etc. work there
too and `exc.details` holds error_details_pb2 messages.

Default retries: InstancesClient.aggregated_list retries ServiceUnavailable and DeadlineExceeded only, and
MetricServiceClient.list_time_series retries ServiceUnavailable only; a 429 / RESOURCE_EXHAUSTED reaches the caller
unless it passes `retry=Retry(predicate=if_exception_type(TooManyRequests), ...)`.

What is modelled, and the simplifications:
- Compute: `GET .../aggregated/instances` (maxResults 1-500, default 500; opaque pageToken; `filter`, `orderBy`,
  `includeAllScopes`, `returnPartialSuccess` accepted and ignored, but logged). Every page lists every known zone;
  zones with nothing on that page carry NO_RESULTS_ON_PAGE, unreachable zones UNREACHABLE whether or not
  returnPartialSuccess was sent (real Compute recommends the flag "to prevent failure"; what it does without it is
  not modelled). `GET .../zones/Z/machineTypes/T` from MACHINE_TYPES or add_machine_type().
- Monitoring: only MetricService/ListTimeSeries; other methods answer UNIMPLEMENTED. Filters are `AND`-joined
  clauses `field = "v"`, `field != "v"`, `field = starts_with|ends_with|has_substring|one_of(...)` on metric.type,
  resource.type, metric.label(s).K, resource.label(s).K, project. GAUGE data only: aligned points have
  start_time == end_time. Alignment periods end at interval.end_time and step back whole periods to cover
  start_time; a point at time t belongs to the period (e - P, e]. Points come newest first, like the real API.
  Aligners MEAN/MAX/MIN/SUM/COUNT, reducers NONE/MEAN/MAX/MIN/SUM/COUNT. A reduced series keeps only its
  group_by labels. For view FULL, page_size caps points per page but never splits a series (at least one series
  a page); for HEADERS it caps series.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import operator
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent import futures
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, NoReturn
from urllib.parse import parse_qs, urlsplit

import grpc
import requests
import requests.adapters
from google.api import metric_pb2
from google.cloud import monitoring_v3
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

Failure = Literal["SERVICE_DISABLED", "PERMISSION_DENIED", "RATE_LIMIT", "UNAVAILABLE"]
FAILURES: tuple[Failure, ...] = ("SERVICE_DISABLED", "PERMISSION_DENIED", "RATE_LIMIT", "UNAVAILABLE")

COMPUTE_API = "https://www.googleapis.com/compute/v1"
DEFAULT_PROJECT = "infraaudit-demo"
DEFAULT_ZONES: tuple[str, ...] = (
    "asia-east1-a",
    "europe-west4-a",
    "europe-west4-b",
    "us-central1-a",
    "us-central1-b",
    "us-east1-c",
)
# guestCpus, memoryMb, bundled GPUs (A2/A3/G2 attach theirs automatically and list them in guestAccelerators).
MACHINE_TYPES: dict[str, tuple[int, int, tuple[tuple[str, int], ...]]] = {
    "n1-standard-4": (4, 15360, ()),
    "n1-standard-8": (8, 30720, ()),
    "g2-standard-4": (4, 16384, (("nvidia-l4", 1),)),
    "g2-standard-8": (8, 32768, (("nvidia-l4", 1),)),
    "g2-standard-24": (24, 98304, (("nvidia-l4", 2),)),
    "a2-highgpu-1g": (12, 87040, (("nvidia-tesla-a100", 1),)),
    "a2-highgpu-8g": (96, 696320, (("nvidia-tesla-a100", 8),)),
    "a2-ultragpu-1g": (12, 174080, (("nvidia-a100-80gb", 1),)),
    "a3-highgpu-8g": (208, 1916928, (("nvidia-h100-80gb", 8),)),
}


def project_number(project: str) -> int:
    """A stable 12-digit project number, as errors name the consumer by number."""
    digest = int(hashlib.sha256(project.encode()).hexdigest(), 16)
    return 100_000_000_000 + digest % 900_000_000_000


def _stable_id(*parts: str) -> str:
    # Instance ids are uint64 and travel as JSON strings.
    return str(int(hashlib.sha256("/".join(parts).encode()).hexdigest()[:15], 16))


def _region(zone: str) -> str:
    return zone.rsplit("-", 1)[0]


def gpu_instance(
    name: str,
    zone: str,
    machine_type: str,
    *,
    project: str = DEFAULT_PROJECT,
    accelerators: Sequence[tuple[str, int]] | None = None,
    provisioning_model: str = "STANDARD",
    preemptible: bool = False,
    status: str = "RUNNING",
    labels: Mapping[str, str] | None = None,
    external_ip: bool = False,
    shielded: bool = True,
    disk_encrypted_with_kms: bool = False,
    creation: str = "2026-11-01T00:00:00.000-07:00",
    instance_id: str | None = None,
) -> dict[str, Any]:
    """A Compute v1 Instance resource as the REST API returns it (camelCase JSON, ids and int64s as strings).

    `accelerators=None` means the machine type's bundled GPUs (MACHINE_TYPES), else one nvidia-tesla-t4;
    pass `[]` for none. An ephemeral external IP keeps its access config but loses natIP unless RUNNING,
    as a stopped (TERMINATED) instance does.
    """
    zone_url = f"{COMPUTE_API}/projects/{project}/zones/{zone}"
    if accelerators is None:
        bundled = MACHINE_TYPES.get(machine_type, (0, 0, ()))[2]
        accelerators = bundled or (("nvidia-tesla-t4", 1),)
    spot = provisioning_model == "SPOT" or preemptible
    scheduling: dict[str, Any] = {
        "onHostMaintenance": "TERMINATE",  # GPU VMs cannot live-migrate
        "automaticRestart": not spot,
        "preemptible": preemptible,
        "provisioningModel": provisioning_model,
    }
    if spot:
        scheduling["instanceTerminationAction"] = "STOP"
    uid = instance_id or _stable_id(project, zone, name)
    octets = hashlib.sha256(uid.encode()).digest()
    nic: dict[str, Any] = {
        "kind": "compute#networkInterface",
        "name": "nic0",
        "network": f"{COMPUTE_API}/projects/{project}/global/networks/default",
        "subnetwork": f"{COMPUTE_API}/projects/{project}/regions/{_region(zone)}/subnetworks/default",
        "networkIP": f"10.128.{octets[0]}.{octets[1] % 254 + 1}",
        "stackType": "IPV4_ONLY",
        "fingerprint": base64.b64encode(octets[:8]).decode(),
    }
    if external_ip:
        access: dict[str, Any] = {
            "kind": "compute#accessConfig",
            "name": "External NAT",
            "type": "ONE_TO_ONE_NAT",
            "networkTier": "PREMIUM",
        }
        if status == "RUNNING":
            access["natIP"] = f"34.{octets[2]}.{octets[3]}.{octets[4] % 254 + 1}"
        nic["accessConfigs"] = [access]
    boot_disk: dict[str, Any] = {
        "kind": "compute#attachedDisk",
        "type": "PERSISTENT",
        "mode": "READ_WRITE",
        "source": f"{zone_url}/disks/{name}",
        "deviceName": "persistent-disk-0",
        "index": 0,
        "boot": True,
        "autoDelete": True,
        "interface": "NVME" if machine_type.startswith("a3-") else "SCSI",
        "diskSizeGb": "200",
        "architecture": "X86_64",
        "guestOsFeatures": [{"type": "UEFI_COMPATIBLE"}, {"type": "GVNIC"}],
    }
    if disk_encrypted_with_kms:
        boot_disk["diskEncryptionKey"] = {
            "kmsKeyName": f"projects/{project}/locations/{_region(zone)}/keyRings/infraaudit/cryptoKeys/disks"
            "/cryptoKeyVersions/1"
        }
    instance: dict[str, Any] = {
        "kind": "compute#instance",
        "id": uid,
        "creationTimestamp": creation,
        "name": name,
        "machineType": f"{zone_url}/machineTypes/{machine_type}",
        "status": status,
        "zone": zone_url,
        "canIpForward": False,
        "networkInterfaces": [nic],
        "disks": [boot_disk],
        "metadata": {"kind": "compute#metadata", "fingerprint": "cb8Vf6n_ZVo="},
        "serviceAccounts": [
            {
                "email": f"{project_number(project)}-compute@developer.gserviceaccount.com",
                "scopes": ["https://www.googleapis.com/auth/cloud-platform"],
            }
        ],
        "selfLink": f"{zone_url}/instances/{name}",
        "scheduling": scheduling,
        "cpuPlatform": "Intel Cascade Lake" if status == "RUNNING" else "Unknown CPU Platform",
        "labels": dict(labels or {}),
        "labelFingerprint": "42WmSpB8rSM=",
        "startRestricted": False,
        "deletionProtection": False,
        "shieldedInstanceConfig": {
            "enableSecureBoot": shielded,
            "enableVtpm": shielded,
            "enableIntegrityMonitoring": shielded,
        },
        "fingerprint": base64.b64encode(octets[8:16]).decode(),
        "lastStartTimestamp": creation,
    }
    if accelerators:
        instance["guestAccelerators"] = [
            {"acceleratorType": f"{zone_url}/acceleratorTypes/{kind}", "acceleratorCount": count}
            for kind, count in accelerators
        ]
    if not instance["labels"]:
        del instance["labels"]  # the API omits empty maps
    return instance


class _ReturnPartialSuccess(requests.adapters.HTTPAdapter):
    """Adds returnPartialSuccess=true to aggregated list calls, which compute_v1 1.57.0 cannot express."""

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        if request.url and "/aggregated/" in request.url and "returnPartialSuccess=" not in request.url:
            request.prepare_url(request.url, {"returnPartialSuccess": "true"})
        return super().send(request, *args, **kwargs)


def send_return_partial_success(client: Any) -> None:
    """Make a compute_v1 REST client (transport="rest") send returnPartialSuccess=true on aggregatedList."""
    session = client.transport._session  # the AuthorizedSession (a requests.Session) the REST transport uses
    adapter = _ReturnPartialSuccess()
    for prefix in ("https://", "http://"):
        session.mount(prefix, adapter)


def error_info(reason: str, domain: str, metadata: Mapping[str, str]) -> dict[str, Any]:
    return {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": reason,
        "domain": domain,
        "metadata": metadata,
    }


@dataclass(frozen=True)
class _ErrorSpec:
    http: int
    status: str
    message: str
    legacy_reason: str
    legacy_domain: str
    info: dict[str, Any] | None


def _error_spec(failure: Failure, service: str, title: str, project: str, permission: str) -> _ErrorSpec:
    """The error body Google returns for each injectable failure, the same for REST and gRPC."""
    number = project_number(project)
    consumer = f"projects/{number}"
    if failure == "SERVICE_DISABLED":
        url = f"https://console.developers.google.com/apis/api/{service}/overview?project={number}"
        message = (
            f"{title} has not been used in project {number} before or it is disabled. Enable it by visiting {url}"
            " then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our"
            " systems and retry."
        )
        meta = {"service": service, "consumer": consumer, "serviceTitle": title, "activationUrl": url}
        info = error_info("SERVICE_DISABLED", "googleapis.com", meta)
        return _ErrorSpec(403, "PERMISSION_DENIED", message, "accessNotConfigured", "usageLimits", info)
    if failure == "PERMISSION_DENIED":
        message = f"Required '{permission}' permission for 'projects/{project}'"
        meta = {"permission": permission, "resource": f"projects/{project}"}
        info = error_info("IAM_PERMISSION_DENIED", "iam.googleapis.com", meta)
        return _ErrorSpec(403, "PERMISSION_DENIED", message, "forbidden", "global", info)
    if failure == "RATE_LIMIT":
        message = (
            f"Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute' of service"
            f" '{service}' for consumer 'project_number:{number}'."
        )
        meta = {
            "service": service,
            "consumer": consumer,
            "quota_metric": f"{service}/read_requests",
            "quota_limit": "ReadRequestsPerMinutePerProject",
            "quota_limit_value": "1500",
        }
        info = error_info("RATE_LIMIT_EXCEEDED", "googleapis.com", meta)
        return _ErrorSpec(429, "RESOURCE_EXHAUSTED", message, "rateLimitExceeded", "usageLimits", info)
    return _ErrorSpec(503, "UNAVAILABLE", "The service is currently unavailable.", "backendError", "global", None)


class _FailureRules:
    """Per-project injected failures; `times=None` fails forever, else N times and then succeeds."""

    def __init__(self) -> None:
        self._rules: dict[str, list[Any]] = {}

    def set(self, project: str, failure: Failure, times: int | None) -> None:
        if failure not in FAILURES:
            raise ValueError(f"unknown failure {failure!r}; one of {FAILURES}")
        if times is not None and times <= 0:
            self._rules.pop(project, None)
        else:
            self._rules[project] = [failure, times]

    def clear(self, project: str | None = None) -> None:
        if project is None:
            self._rules.clear()
        else:
            self._rules.pop(project, None)

    def take(self, project: str) -> Failure | None:
        rule = self._rules.get(project)
        if rule is None:
            return None
        failure, remaining = rule
        if remaining is not None:
            rule[1] = remaining - 1
            if rule[1] <= 0:
                del self._rules[project]
        return failure  # type: ignore[no-any-return]


# --------------------------------------------------------------------------------------------------------- Compute


class _InjectsFailures:
    """fail()/clear_failures() for a server holding `_lock` and `_failures`."""

    _lock: threading.Lock
    _failures: _FailureRules

    def fail(self, project: str, failure: Failure, times: int | None = None) -> None:
        """Fail every call for `project`: forever, or `times` times and then succeed (for retry tests)."""
        with self._lock:
            self._failures.set(project, failure, times)

    def clear_failures(self, project: str | None = None) -> None:
        with self._lock:
            self._failures.clear(project)


@dataclass(frozen=True)
class ComputeRequest:
    method: str  # HTTP method
    path: str
    query: dict[str, list[str]]
    api_method: str  # "compute.instances.aggregatedList", "compute.machineTypes.get" or "unknown"
    project: str | None


_AGGREGATED = re.compile(r"/compute/v1/projects/(?P<project>[^/]+)/aggregated/instances")
_MACHINE_TYPE = re.compile(
    r"/compute/v1/projects/(?P<project>[^/]+)/zones/(?P<zone>[^/]+)/machineTypes/(?P<name>[^/]+)"
)
_MAX_RESULTS = 500


class _ApiError(Exception):
    def __init__(
        self,
        code: int,
        status: str,
        message: str,
        reason: str,
        info: dict[str, Any] | None = None,
        domain: str = "global",
    ) -> None:
        super().__init__(message)
        self.body: dict[str, Any] = {
            "error": {
                "code": code,
                "message": message,
                "errors": [{"message": message, "domain": domain, "reason": reason}],
                "status": status,
            }
        }
        if info is not None:
            self.body["error"]["details"] = [info]
        self.code = code


class _RestOwner:
    """What the HTTP handler asks to answer a request."""

    def handle(self, method: str, raw_path: str) -> tuple[int, dict[str, Any]]:
        raise NotImplementedError


class _ComputeHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    owner: _RestOwner


class _ComputeHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the client's requests session expects
    server: _ComputeHTTPServer

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        code, body = self.server.owner.handle(self.command, self.path)
        payload = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:  # tests need no access log
        pass


class RestServer(_RestOwner):
    """A JSON REST server on 127.0.0.1 and a free port, in a background thread, stopped on exit."""

    def __init__(self) -> None:
        self._httpd = _ComputeHTTPServer(("127.0.0.1", 0), _ComputeHandler)
        self._httpd.owner = self
        self.port = int(self._httpd.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Any:
        # A short poll interval keeps shutdown() (which waits for the next poll) from costing 0.5 s a test.
        serve = lambda: self._httpd.serve_forever(poll_interval=0.02)  # noqa: E731
        self._thread = threading.Thread(target=serve, name=type(self).__name__, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


class ComputeServer(RestServer, _InjectsFailures):
    """Compute Engine v1 REST on 127.0.0.1 and a free port, in a background thread, stopped on exit."""

    def __init__(self, zones: Iterable[str] = DEFAULT_ZONES) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._zones: list[str] = list(zones)
        self._instances: dict[str, dict[str, list[dict[str, Any]]]] = {}
        self._unreachable: dict[str, set[str]] = {}
        self._machine_types: dict[tuple[str, str], dict[str, Any]] = {}
        self._failures = _FailureRules()
        self.requests: list[ComputeRequest] = []

    def __enter__(self) -> ComputeServer:
        return super().__enter__()  # type: ignore[no-any-return]

    # ---- seeding

    def add_instance(self, project: str, zone: str, instance: Mapping[str, Any]) -> dict[str, Any]:
        """Store an Instance JSON (see gpu_instance) under project/zone; returns the stored copy."""
        zone_url = instance.get("zone")
        if zone_url is not None and not str(zone_url).endswith(f"/projects/{project}/zones/{zone}"):
            raise ValueError(f"instance zone {zone_url!r} is not projects/{project}/zones/{zone}")
        stored = json.loads(json.dumps(instance))
        with self._lock:
            if zone not in self._zones:
                self._zones.append(zone)
            self._instances.setdefault(project, {}).setdefault(zone, []).append(stored)
        return stored  # type: ignore[no-any-return]

    def add_machine_type(
        self, zone: str, name: str, guest_cpus: int, memory_mb: int, gpus: Sequence[tuple[str, int]]
    ) -> None:
        self._machine_types[(zone, name)] = self._machine_type_json("", zone, name, guest_cpus, memory_mb, gpus)

    def set_unreachable(self, project: str, zone: str, unreachable: bool = True) -> None:
        """Answer this zone with an UNREACHABLE warning (and hide its instances), a real partial failure."""
        with self._lock:
            if zone not in self._zones:
                self._zones.append(zone)
            zones = self._unreachable.setdefault(project, set())
            (zones.add if unreachable else zones.discard)(zone)

    def count(self, api_method: str | None = None, *, project: str | None = None) -> int:
        """Requests seen, optionally only of one API method ("compute.instances.aggregatedList") or project."""
        with self._lock:
            return sum(
                1
                for r in self.requests
                if (api_method is None or r.api_method == api_method) and (project is None or r.project == project)
            )

    # ---- serving

    def handle(self, method: str, raw_path: str) -> tuple[int, dict[str, Any]]:
        parts = urlsplit(raw_path)
        query = parse_qs(parts.query, keep_blank_values=True)
        route: tuple[str, re.Match[str]] | None = None
        for api_method, pattern in (
            ("compute.instances.aggregatedList", _AGGREGATED),
            ("compute.machineTypes.get", _MACHINE_TYPE),
        ):
            match = pattern.fullmatch(parts.path)
            if match and method == "GET":
                route = (api_method, match)
        with self._lock:
            self.requests.append(
                ComputeRequest(
                    method, parts.path, query, route[0] if route else "unknown", route[1]["project"] if route else None
                )
            )
            try:
                if route is None:
                    raise _ApiError(404, "NOT_FOUND", f"The requested URL {parts.path} was not found.", "notFound")
                api_method, match = route
                project = match["project"]
                failure = self._failures.take(project)
                if failure is not None:
                    self._raise(failure, project, api_method)
                if api_method == "compute.instances.aggregatedList":
                    return 200, self._aggregated(project, query)
                return 200, self._machine_type(project, match["zone"], match["name"])
            except _ApiError as err:
                return err.code, err.body

    def _raise(self, failure: Failure, project: str, api_method: str) -> NoReturn:
        permission = "compute.instances.list" if api_method.endswith("aggregatedList") else "compute.machineTypes.get"
        spec = _error_spec(failure, "compute.googleapis.com", "Compute Engine API", project, permission)
        raise _ApiError(spec.http, spec.status, spec.message, spec.legacy_reason, spec.info, spec.legacy_domain)

    def _aggregated(self, project: str, query: Mapping[str, list[str]]) -> dict[str, Any]:
        max_results = _MAX_RESULTS
        if query.get("maxResults"):
            raw = query["maxResults"][0]
            if not raw.isdigit() or int(raw) > _MAX_RESULTS:
                raise _ApiError(
                    400,
                    "INVALID_ARGUMENT",
                    f"Invalid value for field 'maxResults': '{raw}'. Must be <= 500.",
                    "invalid",
                )
            max_results = int(raw) or _MAX_RESULTS
        offset = 0
        if query.get("pageToken") and query["pageToken"][0]:
            offset = self._decode_token(project, query["pageToken"][0])
        unreachable = self._unreachable.get(project, set())
        by_zone = self._instances.get(project, {})
        listed = [(z, i) for z in self._zones if z not in unreachable for i in by_zone.get(z, [])]
        page = listed[offset : offset + max_results]
        on_page: dict[str, list[dict[str, Any]]] = {}
        for zone, instance in page:
            on_page.setdefault(zone, []).append(instance)
        items: dict[str, Any] = {}
        for zone in self._zones:
            scope = f"zones/{zone}"
            if zone in unreachable:
                items[scope] = {"warning": _warning("UNREACHABLE", f"Scope '{scope}' is unreachable.", scope)}
            elif zone in on_page:
                items[scope] = {"instances": on_page[zone]}
            else:
                message = f"There are no results for scope '{scope}' on this page."
                items[scope] = {"warning": _warning("NO_RESULTS_ON_PAGE", message, scope)}
        body: dict[str, Any] = {
            "kind": "compute#instanceAggregatedList",
            "id": f"projects/{project}/aggregated/instances",
            "items": items,
            "selfLink": f"{COMPUTE_API}/projects/{project}/aggregated/instances",
        }
        if offset + max_results < len(listed):
            body["nextPageToken"] = self._encode_token(project, offset + max_results)
        return body

    @staticmethod
    def _encode_token(project: str, offset: int) -> str:
        return base64.urlsafe_b64encode(json.dumps([project, offset]).encode()).decode()

    @staticmethod
    def _decode_token(project: str, token: str) -> int:
        try:
            owner, offset = json.loads(base64.urlsafe_b64decode(token.encode()))
            if owner == project and isinstance(offset, int) and offset >= 0:
                return offset
        except (ValueError, TypeError):
            pass
        raise _ApiError(400, "INVALID_ARGUMENT", f"Invalid value for field 'pageToken': '{token}'.", "invalid")

    def _machine_type(self, project: str, zone: str, name: str) -> dict[str, Any]:
        custom = self._machine_types.get((zone, name))
        if custom is not None:
            return {**custom, "selfLink": f"{COMPUTE_API}/projects/{project}/zones/{zone}/machineTypes/{name}"}
        if name not in MACHINE_TYPES:
            resource = f"projects/{project}/zones/{zone}/machineTypes/{name}"
            raise _ApiError(404, "NOT_FOUND", f"The resource '{resource}' was not found", "notFound")
        cpus, memory, gpus = MACHINE_TYPES[name]
        return self._machine_type_json(project, zone, name, cpus, memory, gpus)

    @staticmethod
    def _machine_type_json(
        project: str, zone: str, name: str, guest_cpus: int, memory_mb: int, gpus: Sequence[tuple[str, int]]
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": "compute#machineType",
            "id": _stable_id("machineType", name),
            "creationTimestamp": "1969-12-31T16:00:00.000-08:00",
            "name": name,
            "description": f"{guest_cpus} vCPUs, {memory_mb / 1024:g} GB RAM",
            "guestCpus": guest_cpus,
            "memoryMb": memory_mb,
            "imageSpaceGb": 0,
            "maximumPersistentDisks": 128,
            "maximumPersistentDisksSizeGb": "263168",
            "zone": zone,  # a bare name here, unlike Instance.zone
            "selfLink": f"{COMPUTE_API}/projects/{project}/zones/{zone}/machineTypes/{name}",
            "isSharedCpu": False,
            "architecture": "X86_64",
        }
        if gpus:
            body["accelerators"] = [{"guestAcceleratorType": t, "guestAcceleratorCount": n} for t, n in gpus]
        return body


def _warning(code: str, message: str, scope: str) -> dict[str, Any]:
    return {"code": code, "message": message, "data": [{"key": "scope", "value": scope}]}


# ------------------------------------------------------------------------------------------------ Resource Manager

_RM_PAGE = 100  # a small default page so tests see pagination (the real default is unspecified)


@dataclass
class _Node:
    kind: Literal["folders", "projects"]
    ident: str  # folder number, or project id
    parent: str  # "organizations/N" or "folders/N"
    state: str = "ACTIVE"
    display_name: str = ""


class ResourceManagerServer(RestServer):
    """Cloud Resource Manager v3 REST: `GET /v3/folders?parent=` and `GET /v3/projects?parent=`
    (direct children only, as the real API; DELETE_REQUESTED items only with showDeleted=true),
    `pageSize`/`pageToken` pagination. A parent can be made to fail with 403 PERMISSION_DENIED."""

    def __init__(self, page_size: int = _RM_PAGE) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._nodes: list[_Node] = []
        self._denied: set[str] = set()
        self._page_size = page_size
        self.requests: list[ComputeRequest] = []

    def __enter__(self) -> ResourceManagerServer:
        return super().__enter__()  # type: ignore[no-any-return]

    def add_folder(self, number: str, parent: str, *, state: str = "ACTIVE", name: str = "") -> str:
        """Add folders/NUMBER under `parent` ("organizations/N" or "folders/N"); returns "folders/NUMBER"."""
        with self._lock:
            self._nodes.append(_Node("folders", number, parent, state, name or f"folder {number}"))
        return f"folders/{number}"

    def add_project(self, project_id: str, parent: str, *, state: str = "ACTIVE") -> None:
        with self._lock:
            self._nodes.append(_Node("projects", project_id, parent, state, project_id))

    def deny(self, parent: str) -> None:
        """Listing anything under `parent` answers 403 PERMISSION_DENIED."""
        with self._lock:
            self._denied.add(parent)

    def count(self, api_method: str | None = None) -> int:
        with self._lock:
            return sum(1 for r in self.requests if api_method is None or r.api_method == api_method)

    def handle(self, method: str, raw_path: str) -> tuple[int, dict[str, Any]]:
        parts = urlsplit(raw_path)
        query = parse_qs(parts.query, keep_blank_values=True)
        kind = {"/v3/folders": "folders", "/v3/projects": "projects"}.get(parts.path)
        api_method = f"cloudresourcemanager.{kind}.list" if kind and method == "GET" else "unknown"
        with self._lock:
            self.requests.append(ComputeRequest(method, parts.path, query, api_method, None))
            try:
                if kind is None or method != "GET":
                    raise _ApiError(404, "NOT_FOUND", f"The requested URL {parts.path} was not found.", "notFound")
                return 200, self._list(kind, query)
            except _ApiError as err:
                return err.code, err.body

    def _list(self, kind: str, query: Mapping[str, list[str]]) -> dict[str, Any]:
        parent = (query.get("parent") or [""])[0]
        if not re.fullmatch(r"(organizations|folders)/\d+", parent):
            raise _ApiError(
                400, "INVALID_ARGUMENT", f"Request contains an invalid argument: parent {parent!r}", "badRequest"
            )
        if parent in self._denied:
            permission = f"resourcemanager.{kind}.list"
            message = "The caller does not have permission"
            info = error_info("IAM_PERMISSION_DENIED", "cloudresourcemanager.googleapis.com",
                               {"permission": permission, "resource": parent})  # fmt: skip
            raise _ApiError(403, "PERMISSION_DENIED", message, "forbidden", info)
        show_deleted = (query.get("showDeleted") or ["false"])[0] == "true"
        found = [
            n for n in self._nodes if n.kind == kind and n.parent == parent and (n.state == "ACTIVE" or show_deleted)
        ]
        size = int((query.get("pageSize") or ["0"])[0] or 0) or self._page_size
        offset = int((query.get("pageToken") or ["0"])[0] or 0)
        page = found[offset : offset + size]
        body: dict[str, Any] = {kind: [self._json(n) for n in page]}
        if offset + size < len(found):
            body["nextPageToken"] = str(offset + size)
        return body

    @staticmethod
    def _json(node: _Node) -> dict[str, Any]:
        if node.kind == "folders":
            return {
                "name": f"folders/{node.ident}",
                "parent": node.parent,
                "displayName": node.display_name,
                "state": node.state,
                "createTime": "2024-01-01T00:00:00Z",
                "etag": f'W/"{node.ident}"',
            }
        return {
            "name": f"projects/{project_number(node.ident)}",
            "parent": node.parent,
            "projectId": node.ident,
            "state": node.state,
            "displayName": node.display_name,
            "createTime": "2024-01-01T00:00:00Z",
            "etag": f'W/"{node.ident}"',
        }


# ------------------------------------------------------------------------------------------------------ Monitoring

Aligner = monitoring_v3.Aggregation.Aligner
Reducer = monitoring_v3.Aggregation.Reducer
Number = float | int
TimeLike = datetime | float | int


def _seconds(value: TimeLike) -> float:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    return float(value)


@dataclass
class _Series:
    project: str
    metric_type: str
    metric_labels: dict[str, str]
    resource_type: str
    resource_labels: dict[str, str]
    value_type: str
    points: list[tuple[float, Number]] = field(default_factory=list)

    def field_value(self, name: str) -> str | None:
        if name == "metric.type":
            return self.metric_type
        if name == "resource.type":
            return self.resource_type
        if name == "project":
            return self.project
        for prefix, labels in (("metric.label", self.metric_labels), ("resource.label", self.resource_labels)):
            for form in (f"{prefix}.", f"{prefix}s."):
                if name.startswith(form):
                    return labels.get(name[len(form) :])
        raise _FilterError(f"unsupported field {name!r}")


@dataclass(frozen=True)
class MonitoringCall:
    method: str  # "ListTimeSeries"
    project: str
    request: monitoring_v3.ListTimeSeriesRequest


class _FilterError(ValueError):
    pass


_CLAUSE = re.compile(
    r"\s*(?P<field>[A-Za-z_][\w.]*)\s*(?P<op>!=|=)\s*"
    r'(?:"(?P<value>[^"]*)"|(?P<fn>starts_with|ends_with|has_substring|one_of)\s*\((?P<args>[^)]*)\))\s*'
)
_AND = re.compile(r"AND\b")


def _parse_filter(text: str) -> Callable[[_Series], bool]:
    """Monitoring filter clauses joined by AND, each `field = "v"` or `field = fn("a", ...)`; != negates."""
    clauses: list[tuple[str, bool, Callable[[str], bool]]] = []
    pos = 0
    while True:
        match = _CLAUSE.match(text, pos)
        if not match:
            raise _FilterError(f"cannot parse filter at {text[pos:]!r}")
        args = re.findall(r'"([^"]*)"', match["args"] or "")
        fn, value = match["fn"], match["value"]
        test: Callable[[str], bool]
        if fn is None:
            test = value.__eq__
        elif fn == "one_of":
            test = set(args).__contains__
        elif len(args) != 1:
            raise _FilterError(f"{fn} takes one string")
        else:
            method = {"starts_with": "startswith", "ends_with": "endswith", "has_substring": "__contains__"}[fn]
            test = operator.methodcaller(method, args[0])
        clauses.append((match["field"], match["op"] == "!=", test))
        pos = match.end()
        if pos == len(text):
            break
        joint = _AND.match(text, pos)
        if not joint:
            raise _FilterError(f"expected AND at {text[pos:]!r}")
        pos = joint.end()

    def matches(series: _Series) -> bool:
        for name, negate, test in clauses:
            found = series.field_value(name)
            if (found is not None and test(found)) == negate:
                return False
        return True

    return matches


# The same operations serve as per-series aligners (ALIGN_X) and cross-series reducers (REDUCE_X).
_OPERATIONS: dict[str, Callable[[list[Number]], Number]] = {
    "MEAN": lambda vs: sum(vs) / len(vs),
    "MAX": max,
    "MIN": min,
    "SUM": sum,
    "COUNT": len,
}
_ALIGNERS: dict[int, Callable[[list[Number]], Number]] = {Aligner[f"ALIGN_{n}"]: op for n, op in _OPERATIONS.items()}
_REDUCERS: dict[int, Callable[[list[Number]], Number]] = {Reducer[f"REDUCE_{n}"]: op for n, op in _OPERATIONS.items()}
# Which operations change the value type; the rest keep the input's.
_TO_DOUBLE = {Aligner.ALIGN_MEAN, Reducer.REDUCE_MEAN}
_TO_INT64 = {Aligner.ALIGN_COUNT, Reducer.REDUCE_COUNT}
_MAX_PAGE = 100_000


class _Abort(Exception):
    def __init__(self, code: grpc.StatusCode, message: str, info: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.info = code, message, info


class MonitoringServer(_InjectsFailures):
    """Cloud Monitoring v3 MetricService/ListTimeSeries over insecure gRPC on 127.0.0.1 and a free port."""

    SERVICE = "google.monitoring.v3.MetricService"

    def __init__(self, max_workers: int = 4) -> None:
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=max_workers))
        handler = grpc.unary_unary_rpc_method_handler(
            self._list_time_series,
            request_deserializer=monitoring_v3.ListTimeSeriesRequest.deserialize,
            response_serializer=lambda response: response.SerializeToString(),  # raw protobuf, see _Row.proto
        )
        self._server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler(self.SERVICE, {"ListTimeSeries": handler}),)
        )
        self.port = self._server.add_insecure_port("127.0.0.1:0")
        self.target = f"127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self._series: list[_Series] = []
        self._by_identity: dict[tuple[Any, ...], _Series] = {}  # seeding thousands of series stays linear
        self._failures = _FailureRules()
        self.calls: list[MonitoringCall] = []

    def __enter__(self) -> MonitoringServer:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop(grace=None).wait(timeout=5)

    # ---- seeding

    def add_series(
        self,
        project: str,
        metric_type: str,
        metric_labels: Mapping[str, str],
        resource_type: str,
        resource_labels: Mapping[str, str],
        points: Iterable[tuple[TimeLike, Number]],
        value_type: Literal["DOUBLE", "INT64"] = "DOUBLE",
    ) -> None:
        """GAUGE points (end_time, value); a series with the same identity is extended, not duplicated."""
        if value_type not in ("DOUBLE", "INT64"):
            raise ValueError("value_type must be DOUBLE or INT64")
        new = [(_seconds(t), float(v) if value_type == "DOUBLE" else int(v)) for t, v in points]
        identity = (
            project,
            metric_type,
            tuple(sorted(metric_labels.items())),
            resource_type,
            tuple(sorted(resource_labels.items())),
        )
        with self._lock:
            known = self._by_identity.get(identity)
            if known is not None:
                known.points = sorted([*known.points, *new])
                return
            series = _Series(
                project, metric_type, dict(metric_labels), resource_type, dict(resource_labels), value_type, sorted(new)
            )
            self._series.append(series)
            self._by_identity[identity] = series

    def count(self, method: str | None = "ListTimeSeries", *, project: str | None = None) -> int:
        with self._lock:
            return sum(
                1
                for c in self.calls
                if (method is None or c.method == method) and (project is None or c.project == project)
            )

    # ---- serving

    def _list_time_series(
        self, request: monitoring_v3.ListTimeSeriesRequest, context: grpc.ServicerContext
    ) -> Any:  # the raw protobuf response
        project = request.name.removeprefix("projects/")
        with self._lock:
            self.calls.append(MonitoringCall("ListTimeSeries", project, request))
            try:
                if not request.name.startswith("projects/") or "/" in project or not project:
                    raise _Abort(grpc.StatusCode.INVALID_ARGUMENT, f"Invalid resource name {request.name!r}")
                failure = self._failures.take(project)
                if failure is not None:
                    spec = _error_spec(
                        failure,
                        "monitoring.googleapis.com",
                        "Cloud Monitoring API",
                        project,
                        "monitoring.timeSeries.list",
                    )
                    raise _Abort(getattr(grpc.StatusCode, spec.status), spec.message, spec.info)
                return self._answer(project, request)
            except (_Abort, _FilterError) as err:
                abort = err if isinstance(err, _Abort) else _Abort(grpc.StatusCode.INVALID_ARGUMENT, str(err))
        self._abort(context, abort)

    @staticmethod
    def _abort(context: grpc.ServicerContext, err: _Abort) -> NoReturn:
        # Details go in grpc-status-details-bin, where api_core reads ErrorInfo into exc.reason.
        status = status_pb2.Status(code=getattr(code_pb2, err.code.name), message=err.message)
        if err.info is not None:
            info = error_details_pb2.ErrorInfo(reason=err.info["reason"], domain=err.info["domain"])
            info.metadata.update(err.info["metadata"])
            detail = any_pb2.Any()
            detail.Pack(info)
            status.details.append(detail)
        context.abort_with_status(rpc_status.to_status(status))
        raise AssertionError("abort_with_status returned")  # it raises; this keeps NoReturn honest

    def _answer(self, project: str, request: monitoring_v3.ListTimeSeriesRequest) -> Any:  # the raw protobuf response
        if not request.filter:
            raise _Abort(grpc.StatusCode.INVALID_ARGUMENT, "Field filter had an invalid value: a filter is required")
        matches = _parse_filter(request.filter)
        if "end_time" not in request.interval:
            raise _Abort(grpc.StatusCode.INVALID_ARGUMENT, "Field interval.end_time had an invalid value")
        end = request.interval.end_time.timestamp()
        start = request.interval.start_time.timestamp() if "start_time" in request.interval else end
        if start > end:
            raise _Abort(grpc.StatusCode.INVALID_ARGUMENT, "Field interval.start_time is later than end_time")
        selected = [s for s in self._series if s.project == project and matches(s)]
        rows = self._aggregate(selected, start, end, request.aggregation)
        full = request.view == monitoring_v3.ListTimeSeriesRequest.TimeSeriesView.FULL
        return self._page([r for r in rows if r.points] if full else rows, request, full)

    def _aggregate(
        self, selected: list[_Series], start: float, end: float, aggregation: monitoring_v3.Aggregation
    ) -> list[_Row]:
        aligner, reducer = int(aggregation.per_series_aligner), int(aggregation.cross_series_reducer)
        if aligner == Aligner.ALIGN_NONE:
            if reducer != Reducer.REDUCE_NONE:
                raise _Abort(grpc.StatusCode.INVALID_ARGUMENT, "A cross_series_reducer needs a per_series_aligner")
            in_window = (lambda t: t == end) if start == end else (lambda t: start < t <= end)
            return [_Row.of(s, [p for p in reversed(s.points) if in_window(p[0])], s.value_type) for s in selected]
        if aligner not in _ALIGNERS:
            raise _Abort(grpc.StatusCode.INVALID_ARGUMENT, f"{Aligner(aligner).name} is not supported by this server")
        if reducer != Reducer.REDUCE_NONE and reducer not in _REDUCERS:
            raise _Abort(grpc.StatusCode.INVALID_ARGUMENT, f"{Reducer(reducer).name} is not supported by this server")
        period = aggregation.alignment_period.total_seconds() if "alignment_period" in aggregation else 0.0
        if period < 60:
            raise _Abort(grpc.StatusCode.INVALID_ARGUMENT, "The alignment period must be at least 60 seconds")
        # Periods end at end_time and step back until they cover start_time; period k is (end-(k+1)P, end-kP].
        lowest = end - max(1, math.ceil((end - start) / period)) * period
        aligned: list[tuple[_Series, dict[int, Number]]] = []
        for series in selected:
            buckets: dict[int, list[Number]] = {}
            for t, v in series.points:
                if lowest < t <= end:
                    buckets.setdefault(int((end - t) // period), []).append(v)
            aligned.append((series, {k: _ALIGNERS[aligner](vs) for k, vs in buckets.items()}))
        if reducer == Reducer.REDUCE_NONE:
            return [
                _Row.of(s, [(end - k * period, v) for k, v in sorted(values.items())], _typed(aligner, s.value_type))
                for s, values in aligned
            ]
        fields = list(aggregation.group_by_fields)
        groups: dict[tuple[str | None, ...], list[tuple[_Series, dict[int, Number]]]] = {}
        for series, values in aligned:
            groups.setdefault(tuple(series.field_value(f) for f in fields), []).append((series, values))
        rows = []
        for key, members in groups.items():
            # A reduced series keeps only the labels it was grouped by.
            metric_labels, resource_labels = {}, {}
            for name, found in zip(fields, key, strict=True):
                if found is not None and name.startswith("metric.label"):
                    metric_labels[name.rsplit(".", 1)[1]] = found
                elif found is not None and name.startswith("resource.label"):
                    resource_labels[name.rsplit(".", 1)[1]] = found
            merged: dict[int, list[Number]] = {}
            for _, values in members:
                for k, v in values.items():
                    merged.setdefault(k, []).append(v)
            types = {_typed(aligner, s.value_type) for s, _ in members}
            metric_types = {s.metric_type for s, _ in members}
            resource_types = {s.resource_type for s, _ in members}
            rows.append(
                _Row(
                    metric_types.pop() if len(metric_types) == 1 else "",
                    metric_labels,
                    resource_types.pop() if len(resource_types) == 1 else "",
                    resource_labels,
                    [(end - k * period, _REDUCERS[reducer](vs)) for k, vs in sorted(merged.items())],
                    _typed(reducer, types.pop() if len(types) == 1 else "DOUBLE"),
                )
            )
        return rows

    @staticmethod
    def _page(
        rows: list[_Row], request: monitoring_v3.ListTimeSeriesRequest, full: bool
    ) -> Any:  # the raw protobuf ListTimeSeriesResponse
        offset = 0
        if request.page_token:
            try:
                offset = int(base64.urlsafe_b64decode(request.page_token.encode()).decode().removeprefix("offset:"))
            except ValueError:
                raise _Abort(grpc.StatusCode.INVALID_ARGUMENT, "Invalid page token") from None
        limit = request.page_size if 0 < request.page_size <= _MAX_PAGE else _MAX_PAGE
        chosen: list[_Row] = []
        used = 0
        for row in rows[offset:]:
            cost = len(row.points) if full else 1
            if chosen and used + cost > limit:
                break
            chosen.append(row)
            used += cost
        response = _RAW_RESPONSE()
        response.time_series.extend(row.proto(full) for row in chosen)
        if offset + len(chosen) < len(rows):
            response.next_page_token = base64.urlsafe_b64encode(f"offset:{offset + len(chosen)}".encode()).decode()
        return response


def _typed(op: int, given: str) -> str:
    return "DOUBLE" if op in _TO_DOUBLE else "INT64" if op in _TO_INT64 else given


@dataclass
class _Row:
    """One output time series before it becomes a proto; points newest first."""

    metric_type: str
    metric_labels: dict[str, str]
    resource_type: str
    resource_labels: dict[str, str]
    points: list[tuple[float, Number]]
    value_type: str

    @classmethod
    def of(cls, series: _Series, points: list[tuple[float, Number]], value_type: str) -> _Row:
        labels = series.metric_labels, series.resource_labels
        return cls(series.metric_type, labels[0], series.resource_type, labels[1], points, value_type)

    def proto(self, full: bool) -> Any:
        """The raw protobuf TimeSeries: proto-plus wrappers per point made this server, not the
        client under test, the bottleneck of bench/gcp_scan.py."""
        series = _RAW_TIME_SERIES()
        series.metric.type = self.metric_type
        series.metric.labels.update(self.metric_labels)
        series.resource.type = self.resource_type
        series.resource.labels.update(self.resource_labels)
        series.metric_kind = metric_pb2.MetricDescriptor.MetricKind.GAUGE
        series.value_type = getattr(metric_pb2.MetricDescriptor.ValueType, self.value_type)
        field = "double_value" if self.value_type == "DOUBLE" else "int64_value"
        cast = float if field == "double_value" else int
        for t, v in self.points if full else []:
            point = series.points.add()
            seconds, fraction = divmod(t, 1)
            for stamp in (point.interval.start_time, point.interval.end_time):
                stamp.seconds, stamp.nanos = int(seconds), round(fraction * 1e9)
            setattr(point.value, field, cast(v))
        return series


_RAW_TIME_SERIES = monitoring_v3.TimeSeries.pb()
_RAW_RESPONSE = monitoring_v3.ListTimeSeriesResponse.pb()


# ---------------------------------------------------------------- a small project with ground truth

STANDARD_PROJECT = "ml-prod"
STANDARD_ZONE = "us-central1-a"
STANDARD_LABELS = {"owner": "ml", "team": "research", "cost-center": "cc-42", "data-classification": "internal"}


def seed_standard_project(compute: ComputeServer, monitoring: MonitoringServer, now: datetime) -> None:
    """Four g2 VMs with 14 days of hourly Ops Agent metrics: idle, busy on spot, without the
    agent, and busy on spot with a public IP and EU personal data in us-central1."""
    end = now.replace(minute=0, second=0, microsecond=0)
    hourly = [end - timedelta(hours=336 - h) + timedelta(minutes=30) for h in range(336)]
    vms: dict[str, dict[str, Any]] = {
        "idle-l4": {"util": 1.0},
        "busy-spot": {"util": 80.0, "provisioning_model": "SPOT"},
        "no-agent": {"util": None},
        "public-eu": {"util": 80.0, "provisioning_model": "SPOT", "external_ip": True,
                      "labels": {**STANDARD_LABELS, "data-classification": "eu-personal"}},
    }  # fmt: skip
    for name, spec in vms.items():
        util = spec.pop("util")
        vm = gpu_instance(
            name, STANDARD_ZONE, "g2-standard-8", project=STANDARD_PROJECT, **{"labels": STANDARD_LABELS, **spec}
        )
        compute.add_instance(STANDARD_PROJECT, STANDARD_ZONE, vm)
        labels = {"instance_id": vm["id"], "zone": STANDARD_ZONE, "project_id": STANDARD_PROJECT}
        series = [("compute.googleapis.com/instance/cpu/utilization", {}, 0.3)]
        if util is not None:
            series += [
                ("agent.googleapis.com/gpu/utilization", {"gpu_number": "0"}, util),
                ("agent.googleapis.com/gpu/memory/bytes_used", {"gpu_number": "0"}, 18.0 * 1024**3),
            ]
        for metric, metric_labels, value in series:
            points = [(stamp, value) for stamp in hourly]
            monitoring.add_series(STANDARD_PROJECT, metric, metric_labels, "gce_instance", labels, points)
