#!/usr/bin/env python3
"""AWS scan benchmark: infraaudit vs Cloud Custodian on the same moto_server.

    .venv/bin/python bench/aws_scan.py [--instances 2000] [--days 14] [--markdown]

Seeds an organization on a local moto_server (tests/support/moto_fast.py: moto with indexed
CloudWatch reads, see docs/aws.md): 2 accounts x 4 regions, `--instances` GPU instances in all
(g5.xlarge, g4dn.xlarge, g6.12xlarge, p4d.24xlarge), `--days` of hourly CloudWatch-agent GPU
metrics per GPU (utilisation, memory) and EC2 CPU, shaped idle / busy / partly idle / missing.
Then, against that server:

1. infraaudit's collector (`collect_aws`, --org-role), in a child process: wall time, API calls
   by operation, peak RSS;
2. `infraaudit scan --aws` end to end (collection + OPA evaluation): wall time, IA-GPU-001 count;
3. Cloud Custodian (c7n 0.9.53, its own venv: `make bench-aws` creates .bench/c7n-venv) running
   bench/c7n/idle-gpu.yml, once per account (the management account, then --assume-role into
   the member), with API calls counted by bench/c7n/run_c7n.py.

Prints JSON, or Markdown for docs/benchmarks.md with --markdown.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "support"))

from aws_fleet import (  # noqa: E402
    DEMO_KEY,
    FULL_TAGS,
    ORG_ROLE,
    Box,
    MotoServer,
    create_organization,
    member_credentials,
    seed_many,
)
from measure import scan_idle  # noqa: E402  (bench/ is on sys.path: the script's folder)

REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1")
C7N_PYTHON = REPO / ".bench" / "c7n-venv" / "bin" / "python"
# Per account-region, out of 25 instances (scaled to --instances): type, shape, spot.
MIX: tuple[tuple[str, str, int], ...] = (
    ("g5.xlarge", "busy", 8),
    ("g5.xlarge", "idle", 5),
    ("g4dn.xlarge", "idle", 2),
    ("g4dn.xlarge", "missing", 3),
    ("g6.12xlarge", "partly_idle", 2),
    ("g6.12xlarge", "busy", 1),
    ("p4d.24xlarge", "idle", 1),
    ("p4d.24xlarge", "busy", 3),
)
MIX_TOTAL = sum(n for _, _, n in MIX)


def seed(url: str, instances: int, days: int, now: datetime) -> dict[str, Any]:
    accounts, _ = create_organization(url, members=["ml"])
    credentials = {"management": DEMO_KEY, "ml": member_credentials(url, accounts["ml"], DEMO_KEY)}
    per_pair = instances // (len(credentials) * len(REGIONS))
    jobs = []
    for creds in credentials.values():
        for region in REGIONS:
            for instance_type, shape, share in MIX:
                count = per_pair * share // MIX_TOTAL
                box = Box(f"{shape}-{instance_type}", instance_type, region=region, telemetry=shape,
                          tags={**FULL_TAGS, "workload": "inference"})  # fmt: skip
                jobs.append((box, count, creds))
    started = time.perf_counter()
    # The agent configured with omit_hostname: {InstanceId, index, name}, so c7n's exact-match
    # dimension filter can find the series too (with `host`, c7n could not name it at all).
    with ThreadPoolExecutor(4) as pool:
        done = list(pool.map(lambda job: seed_many(url, job[0], job[1], now, days * 24, job[2], host=False,
                                                   memory_total=False), jobs))  # fmt: skip
    seeded = sum(len(ids) for ids in done)
    ground_truth_idle = sum(len(ids) for (box, _, _), ids in zip(jobs, done, strict=True) if box.telemetry == "idle")
    return {
        "accounts": accounts,
        "instances": seeded,
        "idle_instances": ground_truth_idle,
        "gpus": sum(_gpus(box.instance_type) * len(ids) for (box, _, _), ids in zip(jobs, done, strict=True)),
        "seed_s": round(time.perf_counter() - started, 1),
    }


def _gpus(instance_type: str) -> int:
    from aws_fleet import GPU_SHAPES

    return GPU_SHAPES[instance_type][0]


def aws_env(home: Path) -> dict[str, str]:
    empty = home / "empty"
    empty.write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID=DEMO_KEY["aws_access_key_id"],
        AWS_SECRET_ACCESS_KEY=DEMO_KEY["aws_secret_access_key"],
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=str(empty),
        AWS_SHARED_CREDENTIALS_FILE=str(empty),
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


COLLECT_CHILD = """
import json, resource, sys, time
from datetime import datetime
from infraaudit.audit.catalog import Catalog
from infraaudit.audit.collect.aws.collector import AwsScanOptions, collect_aws
from infraaudit.audit.collect.aws.targets import AwsTargetSpec
url, regions, days, now = sys.argv[1], tuple(sys.argv[2].split(",")), int(sys.argv[3]), sys.argv[4]
spec = AwsTargetSpec(org_role=sys.argv[5], regions=regions, endpoint_url=url)
started = time.perf_counter()
result = collect_aws(spec, Catalog.load(), now=datetime.fromisoformat(now), options=AwsScanOptions(lookback_days=days))
wall = time.perf_counter() - started
inventory = result.inventory
rss = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
seen = sum(1 for r in inventory.resources if r.utilization and r.utilization.gpu_percent)
print(json.dumps({"wall_s": round(wall, 2), "calls": result.api_calls, "resources": len(inventory.resources),
                  "gaps": len(inventory.gaps), "peak_rss_mib": rss, "with_gpu_telemetry": seen}))
"""


class CpuMeter:
    """CPU seconds used by the moto_server process and by our finished child processes."""

    def __init__(self, moto_pid: int) -> None:
        self.moto_pid = moto_pid

    def read(self) -> tuple[float, float]:
        fields = Path(f"/proc/{self.moto_pid}/stat").read_text().rsplit(")", 1)[1].split()
        moto = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return moto, children.ru_utime + children.ru_stime

    def since(self, start: tuple[float, float]) -> dict[str, float]:
        moto, client = self.read()
        return {"moto_cpu_s": round(moto - start[0], 1), "client_cpu_s": round(client - start[1], 1)}


def run_infraaudit(
    url: str, days: int, now: datetime, env: dict[str, str], home: Path, cpu: CpuMeter
) -> dict[str, Any]:
    command = [sys.executable, "-c", COLLECT_CHILD, url, ",".join(REGIONS), str(days), now.isoformat(), ORG_ROLE]
    start = cpu.read()
    collected = json.loads(subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout)
    collected.update(cpu.since(start))
    scan = ["--aws", "--org-role", ORG_ROLE, "--regions", ",".join(REGIONS), "--endpoint-url", url, "--allow-partial"]
    collected.update(scan_idle(scan, env=env, home=home, days=days))
    return collected


def run_c7n(url: str, member: str, env: dict[str, str], home: Path, cpu: CpuMeter) -> dict[str, Any] | None:
    if not C7N_PYTHON.exists():
        return None
    start = cpu.read()
    runs = []
    for label, extra in (("management", []), ("ml", ["--assume-role", f"arn:aws:iam::{member}:role/{ORG_ROLE}"])):
        command = [str(C7N_PYTHON), str(REPO / "bench" / "c7n" / "run_c7n.py"), "--endpoint-url", url,
                   "--regions", ",".join(REGIONS), "--output-dir", str(home / f"c7n-{label}"), *extra]  # fmt: skip
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"c7n failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
        runs.append(json.loads(done.stdout))
    calls: dict[str, int] = {}
    for run in runs:
        for name, count in run["calls"].items():
            name = name.replace(".", ":", 1)  # c7n's runner says service.Operation
            calls[name] = calls.get(name, 0) + count
    return {
        "version": runs[0]["c7n_version"],
        "wall_s": round(sum(run["wall_s"] for run in runs), 2),
        "calls": dict(sorted(calls.items())),
        "matched": sum(sum(run["matched"].values()) for run in runs),
        "errors": sum(sum(run["errors"].values()) for run in runs),
        **cpu.since(start),
    }


def cloudwatch_calls(calls: dict[str, int]) -> int:
    return sum(n for name, n in calls.items() if name.lower().startswith(("cloudwatch", "monitoring")))


def markdown(result: dict[str, Any]) -> str:
    fleet, ours, c7n = result["fleet"], result["infraaudit"], result["c7n"]
    lines = [
        f"Fleet: {fleet['instances']:,} GPU instances ({fleet['gpus']:,} GPUs, {fleet['idle_instances']} idle) in "
        f"2 accounts x 4 regions, {result['days']} days of hourly GPU/CPU metrics; seeding took {fleet['seed_s']} s.",
        "",
        "| | infraaudit | Cloud Custodian " + (c7n["version"] if c7n else "(not run)") + " | ratio |",
        "| --- | ---: | ---: | ---: |",
    ]
    ours_cw = cloudwatch_calls(ours["calls"])
    if c7n:
        c7n_cw = cloudwatch_calls(c7n["calls"])
        lines += [
            f"| CloudWatch calls | {ours_cw:,} | {c7n_cw:,} | {c7n_cw / ours_cw:.0f}x fewer |",
            f"| all API calls | {sum(ours['calls'].values()):,} | {sum(c7n['calls'].values()):,} | "
            f"{sum(c7n['calls'].values()) / sum(ours['calls'].values()):.1f}x fewer |",
            f"| wall time, collection | {ours['wall_s']} s | {c7n['wall_s']} s | "
            f"{c7n['wall_s'] / ours['wall_s']:.1f}x faster |",
            f"| moto_server CPU (the emulated AWS side) | {ours['moto_cpu_s']} s | {c7n['moto_cpu_s']} s | "
            f"{c7n['moto_cpu_s'] / ours['moto_cpu_s']:.1f}x less |",
            f"| client CPU | {ours['client_cpu_s']} s | {c7n['client_cpu_s']} s | "
            f"{c7n['client_cpu_s'] / ours['client_cpu_s']:.1f}x less |",
            f"| idle instances reported (truth: {fleet['idle_instances']}) | {ours['idle_found']} "
            f"| {c7n['matched']} | |",
        ]
    lines += [
        "",
        f"infraaudit: collection {ours['wall_s']} s, peak RSS {ours['peak_rss_mib']} MiB, "
        f"{ours['resources']:,} resources ({ours['with_gpu_telemetry']:,} with GPU telemetry), {ours['gaps']} gaps; "
        f"`scan --aws` end to end (collection + OPA) {ours['scan_wall_s']} s.",
        "",
        "| operation | infraaudit | Cloud Custodian |",
        "| --- | ---: | ---: |",
    ]
    names = sorted({*ours["calls"], *(c7n["calls"] if c7n else {})}, key=str.lower)
    for name in names:
        lines.append(f"| {name} | {ours['calls'].get(name, '')} | {(c7n['calls'].get(name, '') if c7n else '')} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=2000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    now = datetime.now(UTC)
    with MotoServer() as moto, tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        print(f"seeding {args.instances} instances on {moto.url} ...", file=sys.stderr)
        fleet = seed(moto.url, args.instances, args.days, now)
        env = aws_env(home)
        print("infraaudit ...", file=sys.stderr)
        assert moto.pid is not None
        cpu = CpuMeter(moto.pid)
        ours = run_infraaudit(moto.url, args.days, now, env, home, cpu)
        print("Cloud Custodian ...", file=sys.stderr)
        c7n = run_c7n(moto.url, fleet["accounts"]["ml"], env, home, cpu)
    result = {"days": args.days, "fleet": fleet, "infraaudit": ours, "c7n": c7n}
    print(markdown(result) if args.markdown else json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
