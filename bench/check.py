#!/usr/bin/env python3
"""`infraaudit check` on a generated `pulumi preview --json` document of `--resources` steps.

    .venv/bin/python bench/check.py [--resources 5000] [--markdown]

The preview mixes what a large GPU stack holds: AWS instances (on-demand and spot, several GPU
types), launch templates with Auto Scaling groups (mixed on-demand/spot), GCP instances with
guest accelerators and GKE node pools; creates, updates (a type change), replaces, deletes and
unchanged steps; one step in ten with unknown values (the engine's sentinel). It runs the real
CLI in a subprocess three ways (JSON report; JSON + SARIF + PR comment in one run; the table),
and an in-process breakdown (read, map, cost, OPA). Target (issue 5): under 5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from measure import run_cli_measured  # noqa: E402

from infraaudit.audit.catalog import Catalog  # noqa: E402
from infraaudit.audit.check import plan_inventory, run_check  # noqa: E402
from infraaudit.audit.config import Settings  # noqa: E402
from infraaudit.audit.preview import cost_change, read_pulumi_preview  # noqa: E402

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
STACK = "urn:pulumi:prod::gpu-fleet"
AWS_TYPES = ["g5.xlarge", "g5.12xlarge", "g6.xlarge", "p4d.24xlarge", "p5.48xlarge", "g4dn.xlarge"]
GCP_TYPES = [("g2-standard-8", None), ("a2-highgpu-1g", None), ("n1-standard-8", ("nvidia-tesla-t4", 1))]
TAGS = {"owner": "ml", "team": "research", "cost-center": "cc-42", "data-classification": "internal"}


def _urn(type_: str, name: str) -> str:
    return f"{STACK}::{type_}::{name}"


def _state(type_: str, name: str, inputs: dict[str, Any], provider: str) -> dict[str, Any]:
    parent = f"{STACK}::pulumi:pulumi:Stack::gpu-fleet-prod"
    return {"urn": _urn(type_, name), "custom": True, "type": type_, "inputs": inputs, "parent": parent,
            "provider": f"{provider}::{UNKNOWN}"}  # fmt: skip


def _aws_instance(rng: random.Random) -> dict[str, Any]:
    inputs: dict[str, Any] = {
        "instanceType": rng.choice(AWS_TYPES),
        "tags": {**TAGS, "workload": rng.choice(["training", "inference", "batch"])},
        "rootBlockDevice": {"encrypted": rng.random() > 0.1, "volumeSize": 200},
        "metadataOptions": {"httpTokens": "required" if rng.random() > 0.2 else "optional"},
        "ami": "ami-0abcdef1234567890",
    }
    if rng.random() < 0.3:
        inputs["instanceMarketOptions"] = {"marketType": "spot"}
    return inputs


def _launch_template(rng: random.Random, name: str) -> dict[str, Any]:
    return {
        "name": name,
        "instanceType": rng.choice(AWS_TYPES),
        "metadataOptions": {"httpTokens": "required"},
        "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": True, "volumeSize": 200}}],
        "tagSpecifications": [{"resourceType": "instance", "tags": TAGS}],
    }


def _asg(rng: random.Random, template: str) -> dict[str, Any]:
    return {
        "desiredCapacity": rng.choice([2, 4, 8]),
        "minSize": 1,
        "maxSize": 16,
        "mixedInstancesPolicy": {
            "instancesDistribution": {"onDemandBaseCapacity": 1, "onDemandPercentageAboveBaseCapacity": 25},
            "launchTemplate": {"launchTemplateSpecification": {"launchTemplateName": template}},
        },
        "tags": [{"key": k, "value": v, "propagateAtLaunch": True} for k, v in TAGS.items()],
    }


def _gcp_instance(rng: random.Random) -> dict[str, Any]:
    machine, accelerator = rng.choice(GCP_TYPES)
    inputs: dict[str, Any] = {
        "machineType": machine,
        "zone": rng.choice(["us-central1-a", "europe-west4-a"]),
        "labels": TAGS,
        "scheduling": {"provisioningModel": rng.choice(["SPOT", "STANDARD"]), "onHostMaintenance": "TERMINATE"},
        "networkInterfaces": [{"network": "default"}],
        "shieldedInstanceConfig": {"enableSecureBoot": True},
    }
    if accelerator:
        inputs["guestAccelerators"] = [{"type": accelerator[0], "count": accelerator[1]}]
    return inputs


def _node_pool(rng: random.Random) -> dict[str, Any]:
    return {
        "cluster": "ml",
        "location": "us-central1",
        "nodeCount": rng.choice([1, 2]),
        "nodeConfig": {"machineType": "g2-standard-8", "spot": rng.random() < 0.5, "labels": TAGS},
    }


def generate_preview(resources: int, seed: int = 7) -> dict[str, Any]:
    rng = random.Random(seed)
    aws_provider = f"{STACK}::pulumi:providers:aws::default_7_51_1"
    gcp_provider = f"{STACK}::pulumi:providers:gcp::default_9_37_1"
    steps: list[dict[str, Any]] = [
        {"op": "same", "urn": aws_provider, "newState": {"urn": aws_provider, "custom": True,
         "type": "pulumi:providers:aws", "inputs": {"region": "us-east-1"}}},
        {"op": "same", "urn": gcp_provider, "newState": {"urn": gcp_provider, "custom": True,
         "type": "pulumi:providers:gcp", "inputs": {"project": "ml-prod", "region": "us-central1"}}},
    ]  # fmt: skip
    i = 0
    while len(steps) < resources:
        kind = rng.random()
        if kind < 0.45:
            built = [("aws:ec2/instance:Instance", f"train-{i}", _aws_instance(rng), aws_provider)]
        elif kind < 0.6:
            name = f"lt-{i}"
            built = [("aws:ec2/launchTemplate:LaunchTemplate", name, _launch_template(rng, name), aws_provider),
                     ("aws:autoscaling/group:Group", f"asg-{i}", _asg(rng, name), aws_provider)]  # fmt: skip
        elif kind < 0.9:
            built = [("gcp:compute/instance:Instance", f"vm-{i}", _gcp_instance(rng), gcp_provider)]
        else:
            built = [("gcp:container/nodePool:NodePool", f"pool-{i}", _node_pool(rng), gcp_provider)]
        for type_, name, inputs, provider in built:
            steps.append(_step(rng, type_, name, inputs, provider))
        i += 1
    return {"config": {"aws:region": "us-east-1", "gcp:project": "ml-prod"}, "steps": steps[:resources],
            "changeSummary": {}, "duration": 0}  # fmt: skip


def _step(rng: random.Random, type_: str, name: str, inputs: dict[str, Any], provider: str) -> dict[str, Any]:
    op = rng.choices(["create", "update", "replace", "same", "delete"], weights=[40, 20, 5, 30, 5])[0]
    new = dict(inputs)
    if rng.random() < 0.1 and "instanceType" in new:
        new["instanceType"] = UNKNOWN  # computed at apply time
    step: dict[str, Any] = {"op": op, "urn": _urn(type_, name), "provider": provider}
    if op != "delete":
        step["newState"] = _state(type_, name, new, provider)
    if op != "create":
        old = dict(inputs)
        if op in ("update", "replace") and "instanceType" in old:
            old["instanceType"] = rng.choice(AWS_TYPES)
        step["oldState"] = _state(type_, name, old, provider)
    return step


def breakdown(path: Path) -> dict[str, float]:
    settings, catalog = Settings(), Catalog.load()
    times: dict[str, float] = {}
    start = time.perf_counter()
    plan = read_pulumi_preview(path)
    times["read_s"] = time.perf_counter() - start
    start = time.perf_counter()
    inventory = plan_inventory([plan], settings, generated_at=datetime.now(UTC))
    times["map_s"] = time.perf_counter() - start
    start = time.perf_counter()
    cost = cost_change([plan], catalog)
    times["cost_s"] = time.perf_counter() - start
    start = time.perf_counter()
    report = run_check([plan], settings, catalog, now=lambda: datetime.now(UTC))
    times["run_check_s"] = time.perf_counter() - start
    times.update(
        planned=len(plan.resources),
        resources=len(inventory.resources),
        instances=sum(r.count for r in inventory.resources),
        cost_lines=len(cost.lines),
        unpriced=cost.unpriced,
        findings=len(report.findings),
    )
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=5000)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "preview.json"
        path.write_text(json.dumps(generate_preview(args.resources)))
        size_mib = path.stat().st_size / 2**20
        common = ["check", "--pulumi-preview", str(path), "--fail-on", "none"]
        runs = {
            "json": run_cli_measured([*common, "--format", "json", "--output", os.devnull]),
            "json + sarif + comment": run_cli_measured(
                [
                    *common,
                    "--format",
                    "json",
                    "--output",
                    os.devnull,
                    "--sarif",
                    str(Path(tmp) / "r.sarif"),
                    "--markdown",
                    str(Path(tmp) / "c.md"),
                ]  # fmt: skip
            ),
            "table": run_cli_measured([*common, "--output", os.devnull]),
        }
        comment_chars = len((Path(tmp) / "c.md").read_text())
        parts = breakdown(path)
    if not args.markdown:
        print(json.dumps({"preview_mib": size_mib, "runs": runs, "breakdown": parts, "comment_chars": comment_chars}))
        return 0
    print(f"Preview: {args.resources:,} steps ({size_mib:.1f} MiB): {int(parts['planned']):,} GPU-capable planned "
          f"resources → {int(parts['resources']):,} preview resources ({int(parts['instances']):,} instances), "
          f"{int(parts['findings']):,} findings, {int(parts['cost_lines']):,} cost lines "
          f"({int(parts['unpriced'])} unpriced); PR comment {comment_chars:,} characters.")  # fmt: skip
    print()
    print("| run | wall | peak RSS infraaudit | peak RSS OPA |")
    print("| --- | ---: | ---: | ---: |")
    for name, run in runs.items():
        rss = f"{run['python_rss_mib']:.0f} MiB | {run['opa_rss_mib']:.0f} MiB"
        print(f"| `check` {name} | {run['wall_s']:.2f} s | {rss} |")
    print()
    print("In-process: read {read_s:.2f} s, map {map_s:.2f} s, cost {cost_s:.2f} s, "
          "run_check (map + OPA + report + cost) {run_check_s:.2f} s.".format(**parts))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
