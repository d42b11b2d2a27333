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
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from fleet import generate_fleet  # noqa: E402

from infraaudit.audit.catalog import Catalog  # noqa: E402
from infraaudit.audit.collect.inventory_file import load_inventory  # noqa: E402
from infraaudit.audit.config import Settings  # noqa: E402
from infraaudit.audit.engine import LocalOpaServer, OpaEndpoint, PolicyEngine, PolicyLibrary, find_opa  # noqa: E402
from infraaudit.audit.gcpause import paused_gc  # noqa: E402
from infraaudit.audit.report import OutputFormat, render  # noqa: E402
from infraaudit.audit.scan import enrich, policy_data  # noqa: E402
from infraaudit.audit.summary import build_report  # noqa: E402


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def end_to_end(path: Path) -> dict[str, float]:
    """The CLI as a user runs it; samples the peak RSS of infraaudit and OPA while it runs."""
    command = [sys.executable, "-c", "from infraaudit.cli.main import main; main()",
               "scan", "--inventory", str(path), "--format", "json", "--output", os.devnull]  # fmt: skip
    peaks = {"python": 0.0, "opa": 0.0}
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def sample() -> None:
        while process.poll() is None:
            try:
                peaks["python"] = max(peaks["python"], _peak_rss_mib(process.pid))
                for child in _children(process.pid):
                    peaks["opa"] = max(peaks["opa"], _peak_rss_mib(child))
            except (FileNotFoundError, ProcessLookupError, ValueError):
                pass
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    _, err = process.communicate()
    wall = time.perf_counter() - start
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"scan failed ({process.returncode}): {err.decode()}")
    return {"wall_s": wall, "python_rss_mib": peaks["python"], "opa_rss_mib": peaks["opa"]}


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
