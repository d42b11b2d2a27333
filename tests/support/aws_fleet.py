"""A real moto_server process and a seeded GPU fleet with known ground truth.

Used by the AWS collector tests, the CLI tests, `make demo` and bench/aws_scan.py.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

MANAGEMENT_ACCOUNT = "123456789012"  # moto's default account
ORG_ROLE = "InfraauditAudit"
DEMO_KEY = {"aws_access_key_id": "AKIAIOSFODNN7EXAMPLE", "aws_secret_access_key": "moto-secret-not-real"}
FULL_TAGS = {"owner": "ml-platform", "team": "research", "cost-center": "cc-42", "data-classification": "internal"}
HOURS_14_DAYS = 14 * 24

# GPUs of the types the fleets use: count, the agent's `name` dimension, MiB per GPU.
GPU_SHAPES: dict[str, tuple[int, str, int]] = {
    "g4dn.xlarge": (1, "Tesla T4", 15360),
    "g5.xlarge": (1, "NVIDIA A10G", 24576),
    "g5.2xlarge": (1, "NVIDIA A10G", 24576),
    "g6.xlarge": (1, "NVIDIA L4", 23034),
    "g6.12xlarge": (4, "NVIDIA L4", 23034),
    "p3.8xlarge": (4, "Tesla V100-SXM2-16GB", 16384),
    "p4d.24xlarge": (8, "NVIDIA A100-SXM4-40GB", 40960),
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MotoServer:
    """`moto_server` on 127.0.0.1 and a free port, stopped on exit."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._env = dict(env or {})
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> MotoServer:
        launcher = Path(__file__).with_name("moto_fast.py")
        self._process = subprocess.Popen(
            [sys.executable, str(launcher), "-H", "127.0.0.1", "-p", str(self.port)],
            env={**os.environ, **self._env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.url}/moto-api/data.json", timeout=1).close()
                return self
            except OSError:
                if self._process.poll() is not None:
                    raise RuntimeError(f"moto_server exited with {self._process.returncode}") from None
                time.sleep(0.1)
        self.__exit__()
        raise RuntimeError("moto_server did not start within 30 s")

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def reset(self) -> None:
        urllib.request.urlopen(urllib.request.Request(f"{self.url}/moto-api/reset", method="POST"), timeout=10).close()


@dataclass(frozen=True)
class Box:
    """One GPU instance to launch, and the telemetry to publish for it."""

    name: str
    instance_type: str
    region: str = "us-east-1"
    account: str = "management"  # "management" or a member account alias
    spot: bool = False
    stopped: bool = False
    telemetry: str = "busy"  # idle | busy | partly_idle | under | missing | sparse | none
    tags: Mapping[str, str] = field(default_factory=lambda: dict(FULL_TAGS))
    imdsv2: bool = True
    public_ip: bool = False
    encrypted: bool = True


@dataclass
class SeededFleet:
    accounts: dict[str, str]  # alias -> account id
    uids: dict[str, str]  # box name -> resource uid
    suspended: list[str] = field(default_factory=list)

    def uid(self, name: str) -> str:
        return self.uids[name]


# botocore gzips large PutMetricData bodies; moto checks IAM signatures on the decompressed body.
_SEED_CONFIG = Config(disable_request_compression=True)


def client(url: str, service: str, region: str, credentials: Mapping[str, str] | None = None) -> Any:
    return boto3.client(service, endpoint_url=url, region_name=region, config=_SEED_CONFIG, **(credentials or DEMO_KEY))


def member_credentials(url: str, account_id: str, base: Mapping[str, str]) -> dict[str, str]:
    arn = f"arn:aws:iam::{account_id}:role/{ORG_ROLE}"
    creds = client(url, "sts", "us-east-1", base).assume_role(RoleArn=arn, RoleSessionName="seed")["Credentials"]
    return {
        "aws_access_key_id": creds["AccessKeyId"],
        "aws_secret_access_key": creds["SecretAccessKey"],
        "aws_session_token": creds["SessionToken"],
    }


def create_organization(
    url: str, members: Sequence[str], suspended: Sequence[str] = (), base: Mapping[str, str] | None = None
) -> tuple[dict[str, str], list[str]]:
    """An organization with member accounts (alias -> id); suspended members are closed."""
    base = base or DEMO_KEY
    orgs = client(url, "organizations", "us-east-1", base)
    orgs.create_organization(FeatureSet="ALL")
    accounts = {"management": MANAGEMENT_ACCOUNT}
    closed: list[str] = []
    for alias in [*members, *suspended]:
        status = orgs.create_account(Email=f"{alias}@example.com", AccountName=alias)["CreateAccountStatus"]
        accounts[alias] = status["AccountId"]
        if alias in suspended:
            orgs.close_account(AccountId=status["AccountId"])
            closed.append(status["AccountId"])
    return accounts, closed


def seed_fleet(
    url: str,
    boxes: Sequence[Box],
    now: datetime,
    *,
    members: Sequence[str] = ("ml",),
    suspended: Sequence[str] = (),
    hours: int = HOURS_14_DAYS,
    base: Mapping[str, str] | None = None,
) -> SeededFleet:
    """Launch the boxes (grouped into one run_instances per identical box) and publish hourly
    GPU/CPU metrics for `hours` hours before `now`. Returns ids for assertions."""
    base = base or DEMO_KEY
    accounts, closed = create_organization(url, members, suspended, base)
    credentials = {alias: base if alias == "management" else member_credentials(url, aid, base)
                   for alias, aid in accounts.items()}  # fmt: skip
    uids: dict[str, str] = {}
    metrics: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for box in boxes:
        creds = credentials[box.account]
        instance_id = launch(url, box, creds)[0]
        uids[box.name] = f"aws:{accounts[box.account]}:{box.region}:{instance_id}"
        metrics.setdefault((box.account, box.region), []).extend(metric_data(box, instance_id, now, hours))
    for (alias, region), data in metrics.items():
        put_metrics(client(url, "cloudwatch", region, credentials[alias]), data)
    return SeededFleet(accounts, uids, closed)


def launch(url: str, box: Box, credentials: Mapping[str, str], count: int = 1) -> list[str]:
    ec2 = client(url, "ec2", box.region, credentials)
    subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    args: dict[str, Any] = {
        "ImageId": "ami-12c6146b",
        "MinCount": count,
        "MaxCount": count,
        "InstanceType": box.instance_type,
        "MetadataOptions": {"HttpTokens": "required" if box.imdsv2 else "optional"},
        "BlockDeviceMappings": [{"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": 200, "Encrypted": box.encrypted}}],
        "NetworkInterfaces": [{"DeviceIndex": 0, "SubnetId": subnet, "AssociatePublicIpAddress": box.public_ip}],
    }
    tags = {"Name": box.name, **box.tags}
    tag_list = [{"Key": k, "Value": v} for k, v in tags.items()]
    args["TagSpecifications"] = [{"ResourceType": "instance", "Tags": tag_list}]
    if box.spot:
        args["InstanceMarketOptions"] = {"MarketType": "spot"}
    instances = ec2.run_instances(**args)["Instances"]
    ids = [i["InstanceId"] for i in instances]
    if box.stopped:
        ec2.stop_instances(InstanceIds=ids)
    return [str(i) for i in ids]


def gpu_percent(shape: str, device: int, devices: int, hour: int) -> float | None:
    wobble = float(hour % 5)
    if shape == "idle":
        return 0.5 + (hour % 3) * 0.5  # 0.5-1.5 %
    if shape == "busy":
        return 76.0 + wobble  # 76-80 %
    if shape == "under":
        return 14.0 + wobble  # 14-18 %: under-utilised, not idle
    if shape == "partly_idle":
        return 68.0 + wobble if device < devices // 2 else 1.0
    if shape == "sparse":
        return 76.0 + wobble if hour >= HOURS_14_DAYS - 72 else None
    return None  # missing / none


def metric_data(
    box: Box, instance_id: str, now: datetime, hours: int, *, host: bool = True, memory_total: bool = True
) -> list[dict[str, Any]]:
    """The CloudWatch agent's nvidia_smi_* datums per GPU and EC2 CPUUtilization, hourly.
    `host=False` is an agent configured with omit_hostname; `memory_total=False` skips that metric."""
    count, gpu_name, memory_mib = GPU_SHAPES[box.instance_type]
    end = now.replace(minute=0, second=0, microsecond=0)
    data: list[dict[str, Any]] = []
    running = not box.stopped and box.telemetry != "none"
    for hour in range(hours):
        stamp = end - timedelta(hours=hours - hour) + timedelta(minutes=30)
        offset = hour + HOURS_14_DAYS - hours  # shapes are defined over the 14-day window
        if running:
            data.append(_datum("AWS/EC2", "CPUUtilization", 35.0, stamp, {"InstanceId": instance_id}))
        for device in range(count):
            value = gpu_percent(box.telemetry, device, count, offset) if running else None
            if value is None:
                continue
            dims = {"InstanceId": instance_id, "index": str(device), "name": gpu_name}
            if host:
                dims["host"] = f"ip-{instance_id}"
            used = memory_mib * (0.8 if value > 50 else 0.05)
            data.append(_datum("CWAgent", "nvidia_smi_utilization_gpu", value, stamp, dims))
            data.append(_datum("CWAgent", "nvidia_smi_memory_used", used, stamp, dims))
            if memory_total:
                data.append(_datum("CWAgent", "nvidia_smi_memory_total", float(memory_mib), stamp, dims))
    return data


def _datum(namespace: str, name: str, value: float, stamp: datetime, dims: Mapping[str, str]) -> dict[str, Any]:
    return {
        "Namespace": namespace,
        "MetricName": name,
        "Value": value,
        "Timestamp": stamp,
        "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
    }


def put_metrics(cloudwatch: Any, data: Sequence[dict[str, Any]], batch: int = 1000) -> None:
    by_namespace: dict[str, list[dict[str, Any]]] = {}
    for datum in data:
        by_namespace.setdefault(datum["Namespace"], []).append({k: v for k, v in datum.items() if k != "Namespace"})
    for namespace, datums in by_namespace.items():
        for start in range(0, len(datums), batch):
            cloudwatch.put_metric_data(Namespace=namespace, MetricData=datums[start : start + batch])


def restricted_user(url: str, policy: Mapping[str, Any], name: str, admin: Mapping[str, str]) -> dict[str, str]:
    """An IAM user holding only `policy` (created by an admin user), and its access key."""
    iam = client(url, "iam", "us-east-1", admin)
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="infraaudit", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}


def bootstrap_admin(url: str) -> dict[str, str]:
    """With IAM enforcement on after 3 unauthenticated calls: an admin user that seeds the rest."""
    admin = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    return restricted_user(url, admin, "seeder", DEMO_KEY)


EU_PERSONAL = {**FULL_TAGS, "data-classification": "eu-personal"}

# Two accounts of one organization (plus a closed one), two regions, every rule exercised once.
STANDARD_FLEET: tuple[Box, ...] = (
    Box("idle-a100", "p4d.24xlarge", telemetry="idle"),
    Box("busy-train-od", "g5.xlarge", tags={**FULL_TAGS, "workload": "training"}),
    Box("busy-spot", "g5.xlarge", spot=True),
    Box("partly-idle-l4", "g6.12xlarge", telemetry="partly_idle"),
    Box("no-agent", "g5.2xlarge", spot=True, telemetry="missing"),
    Box("sparse", "g5.xlarge", spot=True, telemetry="sparse"),
    Box("stopped-untagged", "g4dn.xlarge", stopped=True, tags={}),
    Box("insecure", "g5.xlarge", spot=True, public_ip=True, imdsv2=False, encrypted=False),
    Box("eu-ok", "g5.xlarge", region="eu-west-1", account="ml", spot=True, tags=EU_PERSONAL),
    Box("eu-in-us", "g5.xlarge", account="ml", spot=True, tags=EU_PERSONAL),
    Box("v100", "p3.8xlarge", account="ml", spot=True),
    Box("under", "g5.xlarge", account="ml", spot=True, telemetry="under"),
    Box("in-closed-account", "g5.xlarge", account="closed", spot=True, telemetry="idle"),
)
STANDARD_MEMBERS = ("ml",)
STANDARD_SUSPENDED = ("closed",)
STANDARD_REGIONS = ("us-east-1", "eu-west-1")

# Ground truth: the boxes each rule must report, from the shapes above (and nothing else).
STANDARD_FINDINGS: dict[str, set[str]] = {
    "IA-GOV-001": {"stopped-untagged"},  # no owner/team/cost-center tags
    "IA-GPU-001": {"idle-a100"},  # p95 1.5 % < 5 %, max 1.5 % < 15 %
    "IA-GPU-002": {"under"},  # average 16 % < 30 %, not idle
    # 2 of 4 L4s idle -> 1 x L40S fits; 'under' peaks at 1.2 GiB of 24 GiB -> a T4 box fits
    "IA-GPU-003": {"partly-idle-l4", "under"},
    "IA-GPU-004": {"busy-train-od"},  # workload=training on on-demand
    "IA-GPU-005": {"no-agent", "sparse"},  # no GPU metrics; 72 of 336 hours
    "IA-GPU-006": {"v100"},  # V100 is previous generation
    "IA-GPU-007": {"busy-train-od"},  # on-demand, up 100 %, 78 % average: commit
    "IA-RES-001": {"eu-in-us"},  # eu-personal data in us-east-1
    "IA-RES-002": {"stopped-untagged"},  # no data-classification tag
    "IA-SEC-001": {"insecure"},
    "IA-SEC-002": {"insecure"},
    "IA-SEC-003": {"insecure"},
}


def seed_standard_fleet(url: str, now: datetime) -> SeededFleet:
    return seed_fleet(url, STANDARD_FLEET, now, members=STANDARD_MEMBERS, suspended=STANDARD_SUSPENDED)


def seed_many(
    url: str,
    box: Box,
    count: int,
    now: datetime,
    hours: int,
    credentials: Mapping[str, str] | None = None,
    **shape: bool,
) -> list[str]:
    """`count` copies of one box (run_instances in batches of 100) with their metrics; returns
    instance ids. `shape` goes to metric_data (host, memory_total)."""
    creds = credentials or DEMO_KEY
    ids: list[str] = []
    for start in range(0, count, 100):
        ids.extend(launch(url, box, creds, count=min(100, count - start)))
    data = [datum for instance_id in ids for datum in metric_data(box, instance_id, now, hours, **shape)]
    put_metrics(client(url, "cloudwatch", box.region, creds), data)
    return ids


def aws_test_environment(mp: pytest.MonkeyPatch, home: Path) -> None:
    """Credentials for moto only: no real profile, config file or instance metadata is ever read."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_REGION"):
        mp.delenv(name, raising=False)
    (home / "aws-config").write_text("", encoding="utf-8")
    (home / "aws-credentials").write_text("", encoding="utf-8")
    mp.setenv("AWS_CONFIG_FILE", str(home / "aws-config"))
    mp.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / "aws-credentials"))
    mp.setenv("AWS_EC2_METADATA_DISABLED", "true")
    mp.setenv("AWS_ACCESS_KEY_ID", DEMO_KEY["aws_access_key_id"])
    mp.setenv("AWS_SECRET_ACCESS_KEY", DEMO_KEY["aws_secret_access_key"])
    mp.setenv("AWS_DEFAULT_REGION", "us-east-1")
