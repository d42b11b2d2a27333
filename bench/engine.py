"""End-to-end `infraaudit scan --inventory` on generated fleets of 1k, 10k and 100k GPU resources.

Each size runs the real CLI in a subprocess (wall time, peak RSS of infraaudit and of its OPA
server), plus an in-process breakdown of where the time goes (Python phases vs the OPA query).
Usage: .venv/bin/python bench/engine.py [--sizes 1000,10000,100000] [--markdown]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from fleet import generate_fleet  # noqa: E402
from measure import run_cli_measured  # noqa: E402

from infraaudit.audit.catalog import Catalog  # noqa: E402
from infraaudit.audit.collect.inventory_file import load_inventory  # noqa: E402
from infraaudit.audit.config import Settings  # noqa: E402
from infraaudit.audit.engine import LocalOpaServer, OpaEndpoint, PolicyEngine, PolicyLibrary, find_opa  # noqa: E402
from infraaudit.audit.gcpause import paused_gc  # noqa: E402
from infraaudit.audit.report import OutputFormat, render  # noqa: E402
from infraaudit.audit.scan import enrich, policy_data  # noqa: E402
from infraaudit.audit.summary import build_report  # noqa: E402


def end_to_end(path: Path) -> dict[str, float]:
    """The CLI as a user runs it; samples the peak RSS of infraaudit and OPA while it runs."""
    return run_cli_measured(["scan", "--inventory", str(path), "--format", "json", "--output", os.devnull])


def breakdown(path: Path) -> dict[str, float]:
    """The same pipeline in-process, timed per phase."""
    timings: dict[str, float] = {}

    def timed(name: str, func):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        value = func()
        timings[name] = time.perf_counter() - start
        return value

    settings, catalog = Settings(), Catalog.load()
    library = PolicyLibrary(find_opa())
    policies = timed("metadata_s", lambda: library.policies)
    inventory = timed("load_s", lambda: load_inventory(path))
    enriched = timed("enrich_s", lambda: enrich(inventory, catalog))
    data = policy_data(settings, catalog)
    with LocalOpaServer(library.opa, library.load_paths, data) as server:
        endpoint = OpaEndpoint("127.0.0.1", server.port or 0)
        findings = timed("evaluate_s", lambda: PolicyEngine(endpoint, policies).evaluate(enriched))
    with paused_gc():  # as run_scan does
        report = timed(
            "report_s",
            lambda: build_report(enriched, findings, policies, generated_at=datetime.now(UTC), tool_version="bench"),
        )
    timed("render_json_s", lambda: render(report, OutputFormat.JSON))
    timings["findings"] = len(findings)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table for docs/benchmarks.md")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            path = Path(tmp) / f"fleet-{size}.json"
            path.write_text(generate_fleet(size).model_dump_json(exclude_none=True))
            e2e = end_to_end(path)
            phases = breakdown(path)
            row = {"resources": size, "input_mib": path.stat().st_size / 2**20, **e2e, **phases,
                   "resources_per_s": size / e2e["wall_s"]}  # fmt: skip
            rows.append(row)
            print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}), file=sys.stderr)
    if args.markdown:
        print(f"Machine: {os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}\n")
        print("| resources | input MiB | wall s | resources/s | peak RSS infraaudit MiB | peak RSS OPA MiB "
              "| load s | enrich s | OPA evaluate s | report s | findings |")  # fmt: skip
        print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for r in rows:
            print(f"| {r['resources']:,} | {r['input_mib']:.1f} | {r['wall_s']:.2f} | {r['resources_per_s']:,.0f} "
                  f"| {r['python_rss_mib']:.0f} | {r['opa_rss_mib']:.0f} | {r['load_s']:.2f} | {r['enrich_s']:.2f} "
                  f"| {r['evaluate_s']:.2f} | {r['report_s']:.2f} | {r['findings']:,} |")  # fmt: skip


if __name__ == "__main__":
    main()
