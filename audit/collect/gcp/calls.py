"""Every Google Cloud API method infraaudit calls, with the IAM permission it needs, declared once.

`infraaudit permissions gcp` prints them and a custom role; tests/audit/collect/gcp/test_calls.py
checks that every client call in this package is declared here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GcpCall:
    client_method: str  # the google-cloud client method the collector calls
    api_method: str  # the REST/gRPC method, as coverage gaps name it
    permission: str
    purpose: str


GCP_CALLS: tuple[GcpCall, ...] = (
    GcpCall("aggregated_list", "compute.instances.aggregatedList", "compute.instances.list", "GPU VMs in every zone"),
    GcpCall("list_time_series", "monitoring.timeSeries.list", "monitoring.timeSeries.list", "GPU and CPU utilisation"),
)


def permissions() -> list[str]:
    return sorted({call.permission for call in GCP_CALLS})


def custom_role_yaml(role_id: str = "infraauditReader") -> str:
    """A custom role definition for `gcloud iam roles create ROLE --project P --file role.yaml`."""
    lines = [
        "title: infraaudit reader",
        f"description: Read-only access for infraaudit scans ({role_id})",
        "stage: GA",
        "includedPermissions:",
        *(f"- {permission}" for permission in permissions()),
    ]
    return "\n".join(lines) + "\n"
