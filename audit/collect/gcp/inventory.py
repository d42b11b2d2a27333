"""GPU VMs of one project: one paginated aggregated list, not a call per zone.
Errors and unreachable zones become coverage gaps."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from google.api_core import exceptions as api_exceptions
from google.api_core.retry import Retry, if_exception_type
from google.cloud import compute_v1

from ...models import CoverageGap, Provider, Resource
from ..shared import ApiCallCounter, one_line
from .compute import instance_resource, is_gpu_vm, last_segment

AGGREGATED_LIST = "compute.instances.aggregatedList"
PAGE_SIZE = 500  # the API's maximum
# Quota and transient errors are retried with backoff; what remains after that is a gap.
RETRY = Retry(
    predicate=if_exception_type(
        api_exceptions.TooManyRequests, api_exceptions.ServiceUnavailable, api_exceptions.InternalServerError
    ),
    initial=1.0,
    maximum=30.0,
    timeout=120.0,
)


@dataclass
class ProjectInventory:
    resources: list[Resource] = field(default_factory=list)
    gaps: list[CoverageGap] = field(default_factory=list)
    instance_ids: dict[str, str] = field(default_factory=dict)  # uid -> Compute's numeric id (Monitoring's key)


def gap(project: str, exc: api_exceptions.GoogleAPICallError, *, api: str = AGGREGATED_LIST) -> CoverageGap:
    """A Google API error as a gap: the ErrorInfo reason (SERVICE_DISABLED, IAM_PERMISSION_DENIED...)
    when the error carries one, else the exception's name."""
    message = one_line(google_message(exc))
    return CoverageGap(provider=Provider.GCP, account=project, api=api, error_code=error_reason(exc), message=message)


def error_reason(exc: api_exceptions.GoogleAPICallError) -> str:
    return str(getattr(exc, "reason", None) or type(exc).__name__)


_REQUEST_PREFIX = re.compile(r"^(GET|POST|PUT|PATCH|DELETE) \S+: ")


def google_message(exc: api_exceptions.GoogleAPICallError) -> str:
    """The service's message without the "GET https://...: " prefix REST errors carry (the URL
    adds nothing for a reader and could carry an API key)."""
    return _REQUEST_PREFIX.sub("", str(exc.message or exc))


def list_gpu_vms(
    client: Any, project: str, *, retry: Retry = RETRY, counter: ApiCallCounter | None = None
) -> ProjectInventory:
    """The project's GPU VMs in every zone; an unreachable zone or a failed call is a gap.
    Each page fetched is one call on `counter`."""
    found = ProjectInventory()
    request = compute_v1.AggregatedListInstancesRequest(project=project, max_results=PAGE_SIZE)
    try:
        for page in client.aggregated_list(request=request, retry=retry).pages:
            if counter is not None:
                counter.record(AGGREGATED_LIST)
            _add_page(found, page, project)
    except api_exceptions.GoogleAPICallError as exc:
        # Nothing of this project can be trusted as complete: drop what was listed, report the gap.
        return ProjectInventory(gaps=[gap(project, exc)])
    return found


def _add_page(found: ProjectInventory, page: Any, project: str) -> None:
    for scope, scoped in page.items.items():
        zone = last_segment(scope)
        # Every page repeats an unreachable zone's warning: one gap per zone.
        if scoped.warning.code == "UNREACHABLE" and not any(g.region == zone for g in found.gaps):
            found.gaps.append(
                CoverageGap(
                    provider=Provider.GCP,
                    account=project,
                    region=zone,
                    api=AGGREGATED_LIST,
                    error_code="UNREACHABLE",
                    message=scoped.warning.message,
                )
            )
        for vm in scoped.instances:
            if is_gpu_vm(vm):
                resource = instance_resource(vm, project=project, zone=zone)
                found.resources.append(resource)
                found.instance_ids[resource.uid] = str(vm.id)
