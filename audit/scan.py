"""The scan pipeline: enrich the inventory from the catalog, evaluate the policies, apply
waivers, assemble the report. Orchestrates layer-3 modules, so only the CLI imports it."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from .catalog import Catalog
from .config import Settings, apply_waivers, check_waiver_rules
from .engine import LocalOpaServer, OpaEndpoint, PolicyEngine, PolicyLibrary, find_opa
from .engine.evaluate import DEFAULT_CHUNK_SIZE, DEFAULT_TIMEOUT_S, Progress
from .gcpause import paused_gc
from .models import Inventory, PolicySource, Report
from .summary import build_report
from .version import tool_version


@dataclass(frozen=True)
class EngineOptions:
    policy_dirs: Sequence[Path] = ()
    opa_url: str | None = None
    opa_token: str | None = field(default=None, repr=False)
    timeout_s: float = DEFAULT_TIMEOUT_S
    chunk_size: int = DEFAULT_CHUNK_SIZE
    workers: int | None = None
    source: PolicySource | None = None  # only the rules written for this input (check: preview)


def enrich(inventory: Inventory, catalog: Catalog) -> Inventory:
    # model_copy skips re-validating 100k resources that were validated on load.
    return inventory.model_copy(update={"resources": catalog.enrich_all(inventory.resources)})


def policy_data(settings: Settings, catalog: Catalog) -> dict[str, Any]:
    """What OPA serves as data.infraaudit: thresholds and catalog offers."""
    return {"config": settings.policy_data(), "catalog": catalog.policy_data()}


@contextmanager
def _opa_endpoint(library: PolicyLibrary, data: dict[str, Any], options: EngineOptions) -> Iterator[OpaEndpoint]:
    """The remote OPA (after checking it serves this library), or a private server for the scan."""
    if options.opa_url:
        endpoint = OpaEndpoint.from_url(options.opa_url, options.opa_token, options.timeout_s)
        endpoint.check_revision(library.revision(data))
        yield endpoint
        return
    with LocalOpaServer(library.opa, library.load_paths, data) as server:
        assert server.port is not None
        yield OpaEndpoint("127.0.0.1", server.port, timeout_s=options.timeout_s)


def run_scan(
    inventory: Inventory,
    settings: Settings,
    catalog: Catalog,
    *,
    now: Callable[[], datetime],
    options: EngineOptions = EngineOptions(),
    progress: Progress | None = None,
) -> Report:
    library = PolicyLibrary(find_opa(), options.policy_dirs)
    policies = library.policies
    check_waiver_rules(settings.waivers, (p.id for p in policies))
    applied = [p for p in policies if options.source is None or options.source in p.sources]
    enriched = enrich(inventory, catalog)
    data = policy_data(settings, catalog)
    with _opa_endpoint(library, data, options) as endpoint:
        engine = PolicyEngine(
            endpoint, policies, chunk_size=options.chunk_size, workers=options.workers, source=options.source
        )
        findings = engine.evaluate(enriched, progress)
    stamp = now()
    with paused_gc():
        findings = apply_waivers(findings, settings.waivers, stamp.date())
        return build_report(
            enriched,
            findings,
            applied,
            generated_at=stamp,
            tool_version=tool_version(),
            unpriced_reason=catalog.unpriced_reason,
        )
