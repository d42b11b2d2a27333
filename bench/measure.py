"""Run the real CLI in a subprocess and measure it: wall time and the peak RSS of infraaudit and
of its OPA server (sampled from /proc while it runs)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

CLI = [sys.executable, "-c", "from infraaudit.cli.main import main; main()"]


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def run_cli_measured(args: Sequence[str], *, ok_codes: Sequence[int] = (0,)) -> dict[str, float]:
    """`infraaudit ARGS` as a user runs it; exits the benchmark if the command fails."""
    peaks = {"python": 0.0, "opa": 0.0}
    start = time.perf_counter()
    process = subprocess.Popen([*CLI, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

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
    if process.returncode not in ok_codes:
        raise SystemExit(f"infraaudit {args[0]} failed ({process.returncode}): {err.decode()}")
    return {"wall_s": wall, "python_rss_mib": peaks["python"], "opa_rss_mib": peaks["opa"], "code": process.returncode}


def scan_idle(scan_args: Sequence[str], *, env: dict[str, str], home: Path, days: int) -> dict[str, Any]:
    """`infraaudit scan ARGS --format json` end to end (collection + OPA) with a `days` lookback:
    wall time and how many instances IA-GPU-001 (idle) reported."""
    config = home / "infraaudit.yaml"
    config.write_text(f"version: 1\nlookback_days: {days}\n")
    command = [str(Path(sys.executable).with_name("infraaudit")), "scan", *scan_args, "--format", "json",
               "--config", str(config)]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"infraaudit scan failed ({done.returncode}): {done.stderr.strip()}")
    findings = json.loads(done.stdout)["findings"]
    return {"scan_wall_s": round(wall, 2), "idle_found": sum(1 for f in findings if f["rule_id"] == "IA-GPU-001")}
