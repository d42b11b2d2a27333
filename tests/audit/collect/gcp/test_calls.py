"""Every Google client call in audit/collect/gcp is declared in calls.py (permissions gcp is complete)."""

from __future__ import annotations

import ast

import yaml

from infraaudit.audit.collect.gcp import inventory, machine_types, monitoring, projects
from infraaudit.audit.collect.gcp.calls import GCP_CALLS, custom_role_yaml, permissions
from infraaudit_testing import REPO


def _client_calls() -> set[str]:
    found = set()
    for module in (REPO / "audit" / "collect" / "gcp").glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "client"
            ):
                found.add(node.func.attr)
    return found


def test_every_client_call_is_declared() -> None:
    calls = _client_calls()
    assert calls, "the scan found no client calls: the meta-test would pass vacuously"
    assert calls <= {call.client_method for call in GCP_CALLS}


def test_gap_api_names_are_the_declared_methods() -> None:
    declared = {call.api_method for call in GCP_CALLS}
    assert {
        inventory.AGGREGATED_LIST,
        monitoring.LIST_TIME_SERIES,
        machine_types.GET_MACHINE_TYPE,
        projects.LIST_FOLDERS,
        projects.LIST_PROJECTS,
    } <= declared


def test_the_custom_role_lists_exactly_the_permissions() -> None:
    role = yaml.safe_load(custom_role_yaml())
    assert (
        role["includedPermissions"]
        == permissions()
        == [
            "compute.instances.list",
            "compute.machineTypes.get",
            "monitoring.timeSeries.list",
            "resourcemanager.folders.list",
            "resourcemanager.projects.list",
        ]
    )
