"""vCPUs, memory and bundled GPUs of machine types the catalog does not know (n1 hosts with
attached GPUs, custom types, families newer than the snapshot): one `machineTypes.get` per
type name per scan, shared by all projects (a type's definition is the same everywhere)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from google.api_core import exceptions as api_exceptions

from ...catalog import gcp_accelerator_model
from ...models import Accelerator, CoverageGap, Resource
from ..series import MIB_PER_GIB
from ..shared import ApiCallCounter
from .inventory import RETRY, gap

GET_MACHINE_TYPE = "compute.machineTypes.get"


@dataclass(frozen=True)
class MachineSpec:
    vcpus: int
    memory_gib: float
    accelerators: tuple[Accelerator, ...]


class MachineTypeCache:
    def __init__(self, client: Any, known: frozenset[str], counter: ApiCallCounter) -> None:
        self._client = client
        self._known = known  # types the catalog describes: never fetched
        self._counter = counter
        self._lock = threading.Lock()
        self._type_locks: dict[str, threading.Lock] = {}
        self._specs: dict[str, MachineSpec] = {}

    def fill(self, resources: list[Resource], project: str) -> tuple[list[Resource], list[CoverageGap]]:
        """The resources with vcpus/memory (and GPUs, where they have none) of unknown types;
        a type that cannot be fetched is a gap and its resources stay as they were."""
        wanted = {r.instance_type: r.zone for r in resources if r.instance_type not in self._known and r.zone}
        specs: dict[str, MachineSpec] = {}
        gaps: list[CoverageGap] = []
        for name, zone in sorted(wanted.items()):
            try:
                specs[name] = self._spec(project, str(zone), name)
            except api_exceptions.GoogleAPICallError as exc:
                gaps.append(gap(project, exc, api=GET_MACHINE_TYPE))
        return [_with_spec(r, specs.get(r.instance_type)) for r in resources], gaps

    def _spec(self, project: str, zone: str, name: str) -> MachineSpec:
        with self._lock:
            type_lock = self._type_locks.setdefault(name, threading.Lock())
        with type_lock:
            if name not in self._specs:
                client = self._client
                found = client.get(project=project, zone=zone, machine_type=name, retry=RETRY)
                self._counter.record(GET_MACHINE_TYPE)
                self._specs[name] = MachineSpec(
                    vcpus=found.guest_cpus,
                    memory_gib=round(found.memory_mb / MIB_PER_GIB, 3),
                    accelerators=tuple(
                        Accelerator(
                            model=gcp_accelerator_model(a.guest_accelerator_type), count=a.guest_accelerator_count
                        )
                        for a in found.accelerators
                        if a.guest_accelerator_count
                    ),
                )
            return self._specs[name]


def _with_spec(resource: Resource, spec: MachineSpec | None) -> Resource:
    if spec is None:
        return resource
    update: dict[str, Any] = {"vcpus": spec.vcpus, "memory_gib": spec.memory_gib}
    if not resource.accelerators and spec.accelerators:
        update["accelerators"] = list(spec.accelerators)
    return resource.model_copy(update=update)
