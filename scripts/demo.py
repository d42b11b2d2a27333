#!/usr/bin/env python3
"""`make demo`: a live AWS + GCP scan of demo GPU fleets, with no cloud account.

Starts a real moto_server on 127.0.0.1 and seeds an organization (two active accounts and a
closed one) with GPU instances and 14 days of CloudWatch-agent GPU metrics; starts local
Compute Engine (REST) and Cloud Monitoring (gRPC) servers speaking the real wire formats with a
GCP project of four GPU VMs and their Ops Agent metrics; then runs

    infraaudit scan --aws --org-role InfraauditAudit --regions us-east-1,eu-west-1 --endpoint-url URL \
        --gcp --project ml-prod --gcp-endpoint compute=URL --gcp-endpoint monitoring=HOST:PORT

exactly as against real accounts, and prints the one report. Extra arguments go to `scan`
(e.g. `make demo ARGS="--format markdown"`). The server stops when the scan ends.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "support"))

from aws_fleet import DEMO_KEY, ORG_ROLE, STANDARD_REGIONS, MotoServer, seed_standard_fleet  # noqa: E402
from gcp_servers import STANDARD_PROJECT, ComputeServer, MonitoringServer, seed_standard_project  # noqa: E402


def main(extra: list[str]) -> int:
    infraaudit = Path(sys.executable).with_name("infraaudit")
    with (
        MotoServer() as moto,
        ComputeServer() as compute,
        MonitoringServer() as monitoring,
        tempfile.TemporaryDirectory() as home,
    ):
        print(f"demo: moto_server on {moto.url}; seeding an organization with 13 GPU instances ...", file=sys.stderr)
        seed_standard_fleet(moto.url, datetime.now(UTC))
        print(f"demo: Compute on {compute.url}, Monitoring on {monitoring.target}: 4 GPU VMs", file=sys.stderr)
        seed_standard_project(compute, monitoring, datetime.now(UTC))
        empty = Path(home) / "empty"
        empty.write_text("")
        env = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": DEMO_KEY["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": DEMO_KEY["aws_secret_access_key"],
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": str(empty),  # never your real profiles
            "AWS_SHARED_CREDENTIALS_FILE": str(empty),
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
            env.pop(name, None)
        command = [
            "infraaudit", "scan", "--aws", "--org-role", ORG_ROLE, "--regions", ",".join(STANDARD_REGIONS),
            "--endpoint-url", moto.url, "--gcp", "--project", STANDARD_PROJECT,
            "--gcp-endpoint", f"compute={compute.url}", "--gcp-endpoint", f"monitoring={monitoring.target}", *extra,
        ]  # fmt: skip
        print("$ " + " ".join(command), file=sys.stderr)
        return subprocess.call([str(infraaudit), *command[1:]], env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
