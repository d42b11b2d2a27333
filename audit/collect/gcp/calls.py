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
    permission: str | None  # None: the API checks no IAM permission (public data)
    purpose: str


GCP_CALLS: tuple[GcpCall, ...] = (
    GcpCall("aggregated_list", "compute.instances.aggregatedList", "compute.instances.list", "GPU VMs in every zone"),
    GcpCall(
        "get",
        "compute.machineTypes.get",
        "compute.machineTypes.get",
        "vCPUs and memory of machine types the catalog does not know (n1 with GPUs, custom types)",
    ),
    GcpCall("list_time_series", "monitoring.timeSeries.list", "monitoring.timeSeries.list", "GPU and CPU utilisation"),
    GcpCall(
        "list_folders",
        "cloudresourcemanager.folders.list",
        "resourcemanager.folders.list",
        "folders under --organization/--folder (walked recursively)",
    ),
    GcpCall(
        "list_projects",
        "cloudresourcemanager.projects.list",
        "resourcemanager.projects.list",
        "active projects under --organization/--folder",
    ),
    GcpCall(
        "list_skus",
        "cloudbilling.services.skus.list",
        None,
        "Compute Engine prices for `catalog update --gcp` (the public catalog needs no IAM permission)",
    ),
)


def permissions() -> list[str]:
    return sorted({call.permission for call in GCP_CALLS if call.permission})


def custom_role_yaml(role_id: str = "infraauditReader") -> str:
    """A custom role definition for `gcloud iam roles create ROLE --organization ORG --file role.yaml`
    (resourcemanager.* permissions only work in organization-level roles; a role created with
    --project P needs them removed and then serves `--project` scans only)."""
    lines = [
        "# gcloud iam roles create infraauditReader --organization ORG_ID --file role.yaml",
        "# (for --project scans only: drop the resourcemanager.* lines and use --project P)",
        "title: infraaudit reader",
        f"description: Read-only access for infraaudit scans ({role_id})",
        "stage: GA",
        "includedPermissions:",
        *(f"- {permission}" for permission in permissions()),
    ]
    return "\n".join(lines) + "\n"
