"""The preview fixtures in tests/fixtures/preview, built here so their shape is written down once.

Pulumi: `pulumi preview --json` documents as the CLI prints them (Go's json.MarshalIndent with four
spaces; struct fields in declaration order, map keys sorted) from `PreviewDigest` / `PreviewStep`
(sdk/go/.../display/json.go) and `apitype.ResourceV3`:

    {config: {key: string}, steps: [{op, urn, provider, oldState, newState, diffReasons,
     replaceReasons, detailedDiff}], diagnostics: [{urn, message, severity}], duration (ns),
     changeSummary: {op: count}}

- config values are strings: objects JSON-encoded, secrets blinded as "[secret]";
- unknown values are the string 04da6b54-80e4-46f7-96ec-b56ff0331ba9, secret values "[secret]";
- `same` steps only with --show-sames (the root stack's always); a replacement is one `replace`
  step, or create-replacement + replace + delete-replaced with --show-replacement-steps;
- provider references are "<provider urn>::<provider id>", the id unknown while the provider is
  being created; provider inputs are strings (objects JSON-encoded), as Pulumi stores them.

Terraform: `terraform show -json PLANFILE` (format_version 1.2, compact, one line) with
resource_changes[].change {actions, before, after, after_unknown, before_sensitive,
after_sensitive}: unknown values are omitted from `after` (null inside lists) and `true` in
after_unknown, which omits known leaves but keeps collections ({} / [] / [false]).

Regenerate with `python tests/support/preview_fixtures.py` (a test checks the files match).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "preview"
PULUMI_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SECRET = "[secret]"


class _Unknown:
    """An unknown value while building Terraform documents (omitted from `after`, true in after_unknown)."""

    def __repr__(self) -> str:
        return "U"


U = _Unknown()
TAGS = {"owner": "ml-platform", "team": "research", "cost-center": "42", "data-classification": "internal"}


def _sorted(value: Any) -> Any:
    """Go marshals maps with sorted keys (struct fields keep their order: build those as dicts last)."""
    if isinstance(value, Mapping):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


# ============================================================================================ Pulumi


class Stack:
    def __init__(self, stack: str, project: str) -> None:
        self.stack, self.project = stack, project
        self.root = self.urn("pulumi:pulumi:Stack", f"{project}-{stack}")

    def urn(self, type_: str, name: str, parents: Iterable[str] = ()) -> str:
        return f"urn:pulumi:{self.stack}::{self.project}::{'$'.join([*parents, type_])}::{name}"

    def state(
        self,
        type_: str,
        name: str,
        inputs: Mapping[str, Any] | None = None,
        *,
        custom: bool = True,
        id: str | None = None,
        outputs: Mapping[str, Any] | None = None,
        parent: str | None = None,
        parents: Iterable[str] = (),
        provider: str | None = None,
        dependencies: list[str] | None = None,
        property_dependencies: Mapping[str, list[str]] | None = None,
        source: str | None = None,
    ) -> dict[str, Any]:
        """apitype.ResourceV3 in field order, empty fields left out (omitempty)."""
        urn = self.root if type_ == "pulumi:pulumi:Stack" else self.urn(type_, name, parents)
        found: dict[str, Any] = {"urn": urn, "custom": custom}
        if id:
            found["id"] = id
        found["type"] = type_
        if inputs:
            found["inputs"] = _sorted(inputs)
        if outputs:
            found["outputs"] = _sorted(outputs)
        if type_ != "pulumi:pulumi:Stack" and parent != "":
            found["parent"] = parent or self.root  # "": none (the engine's default providers)
        if dependencies:
            found["dependencies"] = dependencies
        if provider:
            found["provider"] = provider
        if property_dependencies:
            found["propertyDependencies"] = _sorted(property_dependencies)
        if source:
            found["sourcePosition"] = source
        return found


def step(
    op: str,
    *,
    old: Mapping[str, Any] | None = None,
    new: Mapping[str, Any] | None = None,
    diffs: list[str] | None = None,
    keys: list[str] | None = None,
    detailed: Mapping[str, tuple[str, bool]] | None = None,
) -> dict[str, Any]:
    """display.PreviewStep: op, urn, provider, oldState, newState, diffReasons, replaceReasons, detailedDiff."""
    state = new or old
    assert state is not None
    found: dict[str, Any] = {"op": op, "urn": state["urn"]}
    if state.get("provider"):
        found["provider"] = state["provider"]
    if old is not None:
        found["oldState"] = dict(old)
    if new is not None:
        found["newState"] = dict(new)
    if diffs:
        found["diffReasons"] = diffs
    if keys:
        found["replaceReasons"] = keys
    found["detailedDiff"] = (
        None if detailed is None else {k: {"kind": kind, "inputDiff": d} for k, (kind, d) in sorted(detailed.items())}
    )
    return found


def preview(
    config: Mapping[str, str],
    steps: list[dict[str, Any]],
    diagnostics: list[dict[str, Any]] | None = None,
    *,
    duration_ns: int,
    hidden_sames: int = 0,
) -> dict[str, Any]:
    summary: dict[str, int] = {}
    for s in steps:
        if s["op"] not in ("create-replacement", "delete-replaced"):
            summary[s["op"]] = summary.get(s["op"], 0) + 1
    if hidden_sames:
        summary["same"] = summary.get("same", 0) + hidden_sames
    found: dict[str, Any] = {"config": _sorted(config), "steps": steps}
    if diagnostics:
        found["diagnostics"] = diagnostics
    found["duration"] = duration_ns
    found["changeSummary"] = _sorted(summary)
    return found


def _aws_instance(
    instance_type: Any,
    tags: Any,
    *,
    public: Any = False,
    tokens: Any = "required",
    encrypted: Any = True,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Inputs of aws:ec2/instance:Instance (pulumi-aws 6.x, after the provider's Check)."""
    inputs: dict[str, Any] = {
        "__defaults": [],
        "ami": "ami-0b2f6494ff0b07a0e",
        "instanceType": instance_type,
        "subnetId": "subnet-0a1b2c3d4e5f60718",
        "tags": tags,
        "vpcSecurityGroupIds": ["sg-0123456789abcdef0"],
    }
    if public is not None:
        inputs["associatePublicIpAddress"] = public
    if tokens is not None:
        inputs["metadataOptions"] = (
            tokens
            if tokens == PULUMI_UNKNOWN
            else {"httpEndpoint": "enabled", "httpPutResponseHopLimit": 2, "httpTokens": tokens}
        )
    if encrypted is not None:
        inputs["rootBlockDevice"] = {"encrypted": encrypted, "volumeSize": 200, "volumeType": "gp3"}
    inputs.update(extra or {})
    return inputs


AWS_INSTANCE = "aws:ec2/instance:Instance"
AWS_PROVIDER_VERSION = "6.66.2"


def pulumi_preview() -> dict[str, Any]:
    """The AWS stack: every op, providers, a component, unknowns, a secret, a launch template + group."""
    s = Stack("dev", "gpu-fleet")
    default_tags = json.dumps({"tags": {"cost-center": "42"}}, separators=(",", ":"))
    default = s.urn("pulumi:providers:aws", "default_6_66_2")
    default_ref = f"{default}::8c1f4f2e-5b7d-4c3a-9e61-2f0d7a4b9c11"
    eu = s.urn("pulumi:providers:aws", "eu-west")
    eu_ref = f"{eu}::{PULUMI_UNKNOWN}"
    provider_inputs = {"skipCredentialsValidation": "false", "skipRegionValidation": "true"}
    stack = s.state("pulumi:pulumi:Stack", "", custom=False)
    default_provider = s.state(
        "pulumi:providers:aws",
        "default_6_66_2",
        {**provider_inputs, "defaultTags": default_tags, "region": "us-east-1", "version": AWS_PROVIDER_VERSION},
        id="8c1f4f2e-5b7d-4c3a-9e61-2f0d7a4b9c11",
        parent="",
    )
    eu_provider = s.state(
        "pulumi:providers:aws",
        "eu-west",
        {
            **provider_inputs,
            "defaultTags": json.dumps({"tags": {"cost-center": "43", "team": "research-eu"}}, separators=(",", ":")),
            "region": "eu-west-1",
            "version": AWS_PROVIDER_VERSION,
        },
        source="project:///__main__.py#12,1",
    )

    def instance(name: str, inputs: Mapping[str, Any], **kw: Any) -> dict[str, Any]:
        kw.setdefault("provider", default_ref)
        return s.state(AWS_INSTANCE, name, inputs, **kw)

    def existing(name: str, inputs: Mapping[str, Any], instance_id: str, zone: str, **kw: Any) -> dict[str, Any]:
        outputs = {
            **inputs,
            "arn": f"arn:aws:ec2:us-east-1:111122223333:instance/{instance_id}",
            "availabilityZone": zone,
            "id": instance_id,
            "instanceState": "running",
            "privateIp": "10.20.1.17",
        }
        outputs.pop("__defaults", None)
        return instance(name, inputs, id=instance_id, outputs=outputs, **kw)

    trainer = s.urn("my:gpu:Trainer", "trainer")
    component = s.state("my:gpu:Trainer", "trainer", custom=False, source="project:///__main__.py#58,11")
    full = {"team": "research"}
    llm = instance(
        "llm-server",
        _aws_instance(
            "g5.12xlarge",
            {
                **full,
                "Name": "llm-server",
                "infraaudit.io/model-params": "7B",
                "infraaudit.io/precision": "bf16",
            },
            extra={"subnetId": PULUMI_UNKNOWN},
        ),
        dependencies=[s.urn("aws:ec2/subnet:Subnet", "gpu")],
        property_dependencies={"subnetId": [s.urn("aws:ec2/subnet:Subnet", "gpu")]},
        source="project:///__main__.py#31,1",
    )
    trainer_node = instance(
        "trainer-node",
        _aws_instance("g5.xlarge", {**full, "workload": "training"}),
        parent=trainer,
        parents=["my:gpu:Trainer"],
        source="project:///components/trainer.py#40,9",
    )
    trainer_spot = instance(
        "trainer-spot",
        _aws_instance(
            "g5.xlarge",
            {**full, "workload": "training"},
            extra={
                "instanceMarketOptions": {
                    "marketType": "spot",
                    "spotOptions": {"instanceInterruptionBehavior": "stop", "spotInstanceType": "persistent"},
                }
            },
        ),
        parent=trainer,
        parents=["my:gpu:Trainer"],
        source="project:///components/trainer.py#52,9",
    )
    legacy_inputs = _aws_instance("p3.2xlarge", {**full, "Name": "legacy-v100"})
    legacy_old = existing("legacy-v100", legacy_inputs, "i-0legacy0000000001", "us-east-1c")
    legacy_new = instance("legacy-v100", legacy_inputs, id="i-0legacy0000000001")
    notebook = instance(
        "notebook",
        _aws_instance("g4dn.xlarge", {**full, "Name": "notebook"}, public=True, tokens="optional", encrypted=False),
    )
    eu_inference = instance(
        "eu-inference",
        _aws_instance("g5.xlarge", {"data-classification": "eu-personal"}),
        provider=eu_ref,
    )
    us_inference = instance("us-inference", _aws_instance("g5.xlarge", {**full, "data-classification": "eu-personal"}))
    untagged = instance("untagged-box", _aws_instance("g5.xlarge", {"Name": "untagged-box"}))
    batch_old = existing("batch-worker", _aws_instance("g5.xlarge", full), "i-0batch00000000001", "us-east-1a")
    batch_new = instance("batch-worker", _aws_instance("g6.xlarge", full), id="i-0batch00000000001")
    render_old = existing(
        "render-node",
        _aws_instance("g5.2xlarge", full, extra={"availabilityZone": "us-east-1a"}),
        "i-0render0000000001",
        "us-east-1a",
    )
    render_new = instance("render-node", _aws_instance("g6e.xlarge", full, extra={"availabilityZone": "us-east-1b"}))
    old_trainer = existing("old-trainer", _aws_instance("p3.8xlarge", full), "i-0oldtrain00000001", "us-east-1b")
    pending = instance("pending-type", _aws_instance(PULUMI_UNKNOWN, full))
    partly = instance(
        "partly-known",
        _aws_instance(
            "g5.xlarge",
            {**full, "build": PULUMI_UNKNOWN},
            tokens=PULUMI_UNKNOWN,
            encrypted=PULUMI_UNKNOWN,
            extra={"userData": SECRET},
        ),
    )
    template = s.state(
        "aws:ec2/launchTemplate:LaunchTemplate",
        "gpu-lt",
        {
            "__defaults": [],
            "blockDeviceMappings": [
                {"deviceName": "/dev/xvda", "ebs": {"encrypted": "true", "volumeSize": 100, "volumeType": "gp3"}}
            ],
            "imageId": "ami-0b2f6494ff0b07a0e",
            "instanceType": "g5.xlarge",
            "metadataOptions": {"httpEndpoint": "enabled", "httpTokens": "required"},
            "name": "gpu-workers",
            "tagSpecifications": [{"resourceType": "instance", "tags": {"team": "research"}}],
        },
        provider=default_ref,
    )
    group = s.state(
        "aws:autoscaling/group:Group",
        "gpu-asg",
        {
            "__defaults": ["name"],
            "desiredCapacity": 10,
            "maxSize": 20,
            "minSize": 2,
            "mixedInstancesPolicy": {
                "instancesDistribution": {
                    "onDemandBaseCapacity": 2,
                    "onDemandPercentageAboveBaseCapacity": 25,
                    "spotAllocationStrategy": "price-capacity-optimized",
                },
                "launchTemplate": {
                    "launchTemplateSpecification": {"launchTemplateName": "gpu-workers", "version": "$Latest"},
                    "overrides": [{"instanceType": "g5.xlarge"}, {"instanceType": "g6.xlarge"}],
                },
            },
            "name": "gpu-asg-5d1e0b7",
            "tags": [{"key": "team", "propagateAtLaunch": True, "value": "research"}],
            "vpcZoneIdentifiers": ["subnet-0a1b2c3d4e5f60718"],
        },
        provider=default_ref,
        dependencies=[template["urn"]],
    )
    spot_request = s.state(
        "aws:ec2/spotInstanceRequest:SpotInstanceRequest",
        "spot-dev",
        {
            **_aws_instance("g5.xlarge", {**full, "workload": "experiment"}),
            "spotPrice": "0.60",
            "spotType": "one-time",
            "waitForFulfillment": True,
        },
        provider=default_ref,
    )
    bucket = s.state(
        "aws:s3/bucket:Bucket",
        "datasets",
        {"__defaults": ["bucket"], "bucket": "datasets-7f3a2c1", "forceDestroy": False},
        provider=default_ref,
    )
    steps = [
        step("same", old=stack, new=stack),
        step("same", old=default_provider, new=default_provider),
        step("create", new=eu_provider),
        step("create", new=component),
        step("create", new=llm),
        step("create", new=trainer_node),
        step("create", new=trainer_spot),
        step("same", old=legacy_old, new=legacy_new),
        step("create", new=notebook),
        step("create", new=eu_inference),
        step("create", new=us_inference),
        step("create", new=untagged),
        step(
            "update",
            old=batch_old,
            new=batch_new,
            diffs=["instanceType"],
            detailed={"instanceType": ("update", False)},
        ),
        step(
            "replace",
            old=render_old,
            new=render_new,
            diffs=["availabilityZone", "instanceType"],
            keys=["availabilityZone"],
            detailed={"availabilityZone": ("update-replace", False), "instanceType": ("update", False)},
        ),
        step("create", new=pending),
        step("create", new=partly),
        step("create", new=template),
        step("create", new=group),
        step("create", new=spot_request),
        step("create", new=bucket),
        step("delete", old=old_trainer),
    ]
    config = {
        "aws:defaultTags": default_tags,
        "aws:region": "us-east-1",
        "gpu-fleet:hfToken": SECRET,
        "gpu-fleet:modelParams": "7B",
        "infraaudit:dataClassification": "internal",
        "infraaudit:tags": json.dumps({"owner": "ml-platform"}, separators=(",", ":")),
    }
    diagnostics = [
        {
            "urn": render_new["urn"],
            "message": "render-node will be replaced: availabilityZone forces a new instance\n",
            "severity": "warning",
        }
    ]
    return preview(config, steps, diagnostics, duration_ns=4_812_337_001, hidden_sames=3)


GCP_PROVIDER_VERSION = "8.10.0"


def pulumi_preview_gcp() -> dict[str, Any]:
    """A new GCP stack: a Spot VM with a public address, an on-demand A100, a template and node pools."""
    s = Stack("prod", "gpu-gcp")
    provider = s.urn("pulumi:providers:gcp", "default_8_10_0")
    ref = f"{provider}::{PULUMI_UNKNOWN}"
    stack = s.state("pulumi:pulumi:Stack", "", custom=False)
    default_provider = s.state(
        "pulumi:providers:gcp",
        "default_8_10_0",
        {
            "defaultLabels": json.dumps({"managed-by": "pulumi"}, separators=(",", ":")),
            "project": "ml-prod",
            "region": "us-central1",
            "version": GCP_PROVIDER_VERSION,
        },
        parent="",
    )
    image = "projects/deeplearning-platform-release/global/images/family/common-cu123-ubuntu-2204"

    def instance(name: str, **inputs: Any) -> dict[str, Any]:
        base = {
            "__defaults": [],
            "bootDisk": {"initializeParams": {"image": image, "size": 200}},
            "name": name,
            "networkInterfaces": [{"network": "default"}],
        }
        return s.state("gcp:compute/instance:Instance", name, {**base, **inputs}, provider=ref)

    l4 = instance(
        "l4-spot",
        machineType="g2-standard-4",
        zone="us-central1-a",
        guestAccelerators=[{"count": 1, "type": "nvidia-l4"}],
        scheduling={
            "automaticRestart": False,
            "instanceTerminationAction": "STOP",
            "onHostMaintenance": "TERMINATE",
            "preemptible": True,
            "provisioningModel": "SPOT",
        },
        networkInterfaces=[{"accessConfigs": [{}], "network": "default"}],
        labels={"data-classification": "internal", "workload": "training"},
        shieldedInstanceConfig={"enableIntegrityMonitoring": True, "enableSecureBoot": True, "enableVtpm": True},
    )
    a100 = instance(
        "a100-box",
        machineType="a2-highgpu-1g",
        zone="us-central1-b",
        scheduling={"onHostMaintenance": "TERMINATE", "provisioningModel": "STANDARD"},
        labels={"workload": "fine-tuning"},
        bootDisk={
            "initializeParams": {"image": image, "size": 200},
            "kmsKeySelfLink": "projects/ml-prod/locations/us-central1/keyRings/gpu/cryptoKeys/disk",
        },
    )
    template = s.state(
        "gcp:compute/instanceTemplate:InstanceTemplate",
        "gpu-template",
        {
            "__defaults": ["namePrefix"],
            "disks": [
                {
                    "boot": True,
                    "diskEncryptionKey": {
                        "kmsKeySelfLink": "projects/ml-prod/locations/us-central1/keyRings/gpu/cryptoKeys/disk"
                    },
                    "sourceImage": image,
                }
            ],
            "guestAccelerators": [{"count": 1, "type": "nvidia-l4"}],
            "labels": {"data-classification": "internal"},
            "machineType": "g2-standard-8",
            "namePrefix": "gpu-template-",
            "networkInterfaces": [{"network": "default"}],
            "scheduling": {"onHostMaintenance": "TERMINATE", "provisioningModel": "STANDARD"},
        },
        provider=ref,
    )

    def pool(name: str, location: str, node_config: Mapping[str, Any], **inputs: Any) -> dict[str, Any]:
        return s.state(
            "gcp:container/nodePool:NodePool",
            name,
            {
                "__defaults": [],
                "cluster": "ml-cluster-4c1d9e2",
                "location": location,
                "nodeConfig": {"oauthScopes": ["https://www.googleapis.com/auth/cloud-platform"], **node_config},
                **inputs,
            },
            provider=ref,
            dependencies=[s.urn("gcp:container/cluster:Cluster", "ml-cluster")],
        )

    l4_accelerator = {"count": 1, "gpuDriverInstallationConfig": {"gpuDriverVersion": "LATEST"}, "type": "nvidia-l4"}
    gpu_pool = pool(
        "gpu-pool",
        "us-central1",
        {
            "guestAccelerators": [l4_accelerator],
            "labels": {"pool": "gpu"},
            "machineType": "g2-standard-8",
            "resourceLabels": {"data-classification": "internal"},
            "spot": True,
        },
        nodeCount=2,
        nodeLocations=["us-central1-a", "us-central1-c"],
    )
    regional = pool(
        "eu-pool",
        "europe-west4",
        {
            "guestAccelerators": [l4_accelerator],
            "machineType": "g2-standard-4",
            "resourceLabels": {"data-classification": "eu-personal"},
            "spot": True,
        },
        nodeCount=1,
    )
    zonal = pool(
        "zonal-pool",
        "us-central1-a",
        {
            "guestAccelerators": [l4_accelerator],
            "machineType": "g2-standard-4",
            "preemptible": True,
            "resourceLabels": {"data-classification": "internal"},
        },
        nodeCount=2,
    )
    cluster = s.state(
        "gcp:container/cluster:Cluster",
        "ml-cluster",
        {"__defaults": ["name"], "initialNodeCount": 1, "location": "us-central1", "name": "ml-cluster-4c1d9e2"},
        provider=ref,
    )
    steps = [
        step("create", new=stack),
        step("create", new=default_provider),
        step("create", new=l4),
        step("create", new=a100),
        step("create", new=template),
        step("create", new=cluster),
        step("create", new=gpu_pool),
        step("create", new=regional),
        step("create", new=zonal),
    ]
    config = {
        "gcp:project": "ml-prod",
        "gcp:region": "us-central1",
        "infraaudit:tags": json.dumps(
            {"cost-center": "42", "owner": "ml-platform", "team": "research"}, separators=(",", ":")
        ),
    }
    return preview(config, steps, duration_ns=2_104_998_512)


def pulumi_preview_replacement_steps() -> dict[str, Any]:
    """--show-replacement-steps: create-before-delete and delete-before-create replacements."""
    s = Stack("dev", "gpu-fleet")
    ref = f"{s.urn('pulumi:providers:aws', 'default_6_66_2')}::8c1f4f2e-5b7d-4c3a-9e61-2f0d7a4b9c11"
    stack = s.state("pulumi:pulumi:Stack", "", custom=False)
    tags = {"team": "research"}

    def pair(name: str, old_type: str, new_type: str, instance_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        old_inputs = _aws_instance(old_type, tags, extra={"availabilityZone": "us-east-1a"})
        outputs = {**old_inputs, "id": instance_id, "availabilityZone": "us-east-1a"}
        outputs.pop("__defaults")
        old = s.state(AWS_INSTANCE, name, old_inputs, id=instance_id, outputs=outputs, provider=ref)
        new = s.state(
            AWS_INSTANCE, name, _aws_instance(new_type, tags, extra={"availabilityZone": "us-east-1b"}), provider=ref
        )
        return old, new

    cbd_old, cbd_new = pair("cbd-node", "g5.xlarge", "g6.xlarge", "i-0cbd000000000001")
    dbc_old, dbc_new = pair("dbc-node", "g5.2xlarge", "g6e.xlarge", "i-0dbc000000000001")
    replace_args: dict[str, Any] = {
        "diffs": ["availabilityZone", "instanceType"],
        "keys": ["availabilityZone"],
        "detailed": {"availabilityZone": ("update-replace", False), "instanceType": ("update", False)},
    }
    steps = [
        step("same", old=stack, new=stack),
        # create-before-delete (the default): the replacement first, the old one deleted at the end
        step("create-replacement", old=cbd_old, new=cbd_new, **replace_args),
        step("replace", old=cbd_old, new=cbd_new, **replace_args),
        # deleteBeforeReplace: the old one goes first
        step("delete-replaced", old=dbc_old),
        step("replace", old=dbc_old, new=dbc_new, **replace_args),
        step("create-replacement", old=dbc_old, new=dbc_new, **replace_args),
        step("delete-replaced", old=cbd_old),
    ]
    return preview({"aws:region": "us-east-1"}, steps, duration_ns=1_733_040_220)


def pulumi_unknowns() -> dict[str, Any]:
    """Pairs of the same instance: `bad-*` with a known bad value, `unk-*` with that value unknown."""
    s = Stack("dev", "gpu-checks")
    default = f"{s.urn('pulumi:providers:aws', 'default_6_66_2')}::8c1f4f2e-5b7d-4c3a-9e61-2f0d7a4b9c11"
    dynamic = s.urn("pulumi:providers:aws", "dynamic")
    dynamic_ref = f"{dynamic}::{PULUMI_UNKNOWN}"
    stack = s.state("pulumi:pulumi:Stack", "", custom=False)
    dynamic_provider = s.state(
        "pulumi:providers:aws",
        "dynamic",
        {"region": PULUMI_UNKNOWN, "skipCredentialsValidation": "false", "version": AWS_PROVIDER_VERSION},
    )
    spot = {"instanceMarketOptions": {"marketType": "spot"}}

    def box(name: str, inputs: Mapping[str, Any], provider: str = default) -> dict[str, Any]:
        return step("create", new=s.state(AWS_INSTANCE, name, inputs, provider=provider))

    eu = {**TAGS, "data-classification": "eu-personal"}
    no_tags = {"Name": "x", "data-classification": "internal"}
    steps = [
        step("same", old=stack, new=stack),
        step("create", new=dynamic_provider),
        box("bad-type", _aws_instance("p3.2xlarge", TAGS, extra=spot)),
        box("unk-type", _aws_instance(PULUMI_UNKNOWN, TAGS, extra=spot)),
        box("bad-region", _aws_instance("g5.xlarge", eu, extra=spot)),
        box("unk-region", _aws_instance("g5.xlarge", eu, extra=spot), dynamic_ref),
        box("bad-market", _aws_instance("g5.xlarge", {**TAGS, "workload": "training"})),
        box(
            "unk-market",
            _aws_instance(
                "g5.xlarge", {**TAGS, "workload": "training"}, extra={"instanceMarketOptions": PULUMI_UNKNOWN}
            ),
        ),
        box(
            "unk-market-type",
            _aws_instance(
                "g5.xlarge", {**TAGS, "workload": "training"}, extra={"instanceMarketOptions": {"marketType": SECRET}}
            ),
        ),
        box("bad-tags", _aws_instance("g5.xlarge", no_tags, extra=spot)),
        box("unk-tags", _aws_instance("g5.xlarge", PULUMI_UNKNOWN, extra=spot)),
        box(
            "unk-tag-values",
            _aws_instance(
                "g5.xlarge",
                {**no_tags, "owner": PULUMI_UNKNOWN, "team": PULUMI_UNKNOWN, "cost-center": PULUMI_UNKNOWN},
                extra=spot,
            ),
        ),
        box("bad-class", _aws_instance("g5.xlarge", {k: v for k, v in TAGS.items() if k != "data-classification"})),
        box("unk-class", _aws_instance("g5.xlarge", {**TAGS, "data-classification": PULUMI_UNKNOWN}, extra=spot)),
        box(
            "bad-security",
            _aws_instance("g5.xlarge", TAGS, public=True, tokens="optional", encrypted=False, extra=spot),
        ),
        box(
            "unk-security",
            _aws_instance(
                "g5.xlarge", TAGS, public=PULUMI_UNKNOWN, tokens=PULUMI_UNKNOWN, encrypted=PULUMI_UNKNOWN, extra=spot
            ),
        ),
        box(
            "unk-security-nested",
            _aws_instance(
                "g5.xlarge",
                TAGS,
                public=SECRET,
                tokens=None,
                encrypted=None,
                extra={
                    **spot,
                    "metadataOptions": {"httpEndpoint": "enabled", "httpTokens": PULUMI_UNKNOWN},
                    "rootBlockDevice": PULUMI_UNKNOWN,
                },
            ),
        ),
    ]
    return preview({"aws:region": "us-east-1"}, steps, duration_ns=998_100_431)


# ========================================================================================= Terraform

AWS = "registry.terraform.io/hashicorp/aws"
GOOGLE = "registry.terraform.io/hashicorp/google"


def _split_unknowns(value: Any) -> tuple[Any, Any]:
    """(`after` without unknowns, after_unknown), as jsonplan's omitUnknowns and unknownAsBool do."""
    if value is U:
        return None, True
    if isinstance(value, Mapping):
        after: dict[str, Any] = {}
        marks: dict[str, Any] = {}
        for key, item in value.items():
            known, mark = _split_unknowns(item)
            if item is not U:
                after[key] = known
            if mark is not False:
                marks[key] = mark
        return after, marks
    if isinstance(value, list):
        pairs = [_split_unknowns(item) for item in value]
        return [p[0] for p in pairs], [p[1] for p in pairs]
    return value, False


def _sensitive(value: Any, paths: Mapping[str, Any] | None = None) -> Any:
    """before/after_sensitive: the value's collections with no leaves, `true` where sensitive."""
    if isinstance(value, Mapping):
        found: dict[str, Any] = {}
        for key, item in value.items():
            mark = (paths or {}).get(key)
            if mark is True:
                found[key] = True
            elif isinstance(item, Mapping | list):
                found[key] = _sensitive(item, mark if isinstance(mark, Mapping) else None)
        return found
    if isinstance(value, list):
        return [_sensitive(item, paths) if isinstance(item, Mapping | list) else False for item in value]
    return False


class Change:
    def __init__(
        self,
        address: str,
        type_: str,
        name: str,
        actions: list[str],
        before: Mapping[str, Any] | None,
        after: Mapping[str, Any] | None,
        *,
        mode: str = "managed",
        provider: str = AWS,
        provider_key: str | None = None,
        module: str | None = None,
        index: int | str | None = None,
        sensitive: Mapping[str, Any] | None = None,
        reason: str | None = None,
        replace_paths: list[list[Any]] | None = None,
        expressions: Mapping[str, Any] | None = None,
    ) -> None:
        self.address, self.type, self.name, self.actions = address, type_, name, actions
        self.before, self.after, self.mode, self.provider = before, after, mode, provider
        self.provider_key = provider_key or provider.rsplit("/", 1)[-1]
        self.module, self.index, self.sensitive = module, index, sensitive
        self.reason, self.replace_paths, self.expressions = reason, replace_paths, expressions

    def json(self) -> dict[str, Any]:
        found: dict[str, Any] = {"address": self.address}
        if self.module:
            found["module_address"] = self.module
        found.update(mode=self.mode, type=self.type, name=self.name)
        if self.index is not None:
            found["index"] = self.index
        found["provider_name"] = self.provider
        after, after_unknown = _split_unknowns(self.after) if self.after is not None else (None, False)
        change: dict[str, Any] = {
            "actions": self.actions,
            "before": self.before,
            "after": after,
            "after_unknown": False if self.after is None else after_unknown or {},
            "before_sensitive": False if self.before is None else _sensitive(self.before, self.sensitive),
            "after_sensitive": False if self.after is None else _sensitive(after, self.sensitive),
        }
        if self.replace_paths:
            change["replace_paths"] = self.replace_paths
        found["change"] = change
        if self.reason:
            found["action_reason"] = self.reason
        return found

    def planned(self) -> dict[str, Any] | None:
        """planned_values entry (unknowns omitted), None for deletions."""
        if self.after is None:
            return None
        values, _ = _split_unknowns(self.after)
        found: dict[str, Any] = {"address": self.address, "mode": self.mode, "type": self.type, "name": self.name}
        if self.index is not None:
            found["index"] = self.index
        found.update(
            provider_name=self.provider,
            schema_version=1 if self.type == "aws_instance" else 0,
            values=values,
            sensitive_values=_sensitive(values, self.sensitive),
        )
        return found

    def config_address(self) -> str:
        return f"data.{self.type}.{self.name}" if self.mode == "data" else f"{self.type}.{self.name}"


def _aws_instance_tf(
    instance_type: Any,
    tags: Mapping[str, Any] | Any,
    default_tags: Mapping[str, str],
    *,
    public: Any = False,
    tokens: Any = "required",
    encrypted: Any = True,
    market: Any = None,
    zone: Any = U,
    existing: str | None = None,
) -> dict[str, Any]:
    """aws_instance attributes (hashicorp/aws 5.x) as planned: computed ones unknown unless `existing`."""
    known = existing is not None

    def computed(value: Any) -> Any:
        return value if known else U

    tags_all = U if tags is U else {**default_tags, **tags}
    metadata: Any
    if tokens is U:
        metadata = U
    else:
        metadata = [
            {
                "http_endpoint": "enabled",
                "http_protocol_ipv6": "disabled",
                "http_put_response_hop_limit": 2,
                "http_tokens": tokens,
                "instance_metadata_tags": computed("disabled"),
            }
        ]
    root: Any
    if encrypted is U:
        root = U
    else:
        root = [
            {
                "delete_on_termination": True,
                "device_name": computed("/dev/xvda"),
                "encrypted": encrypted,
                "iops": computed(3000),
                "kms_key_id": computed(""),
                "tags": None,
                "tags_all": computed({}),
                "throughput": computed(125),
                "volume_id": computed("vol-0a1b2c3d4e5f60718"),
                "volume_size": 200,
                "volume_type": "gp3",
            }
        ]
    market_options: Any = U if market is None and not known else []
    if market is not None:
        market_options = (
            U
            if market is U
            else [
                {
                    "market_type": market,
                    "spot_options": [
                        {
                            "instance_interruption_behavior": "terminate",
                            "max_price": "",
                            "spot_instance_type": "one-time",
                            "valid_until": U,
                        }
                    ],
                }
            ]
        )
    return {
        "ami": "ami-0b2f6494ff0b07a0e",
        "arn": computed(f"arn:aws:ec2:us-east-1:111122223333:instance/{existing}"),
        "associate_public_ip_address": public,
        "availability_zone": zone,
        "credit_specification": [],
        "disable_api_stop": computed(False),
        "ebs_block_device": computed([]),
        "get_password_data": False,
        "hibernation": None,
        "id": computed(existing),
        "instance_market_options": market_options,
        "instance_state": computed("running"),
        "instance_type": instance_type,
        "key_name": computed(""),
        "metadata_options": metadata,
        "private_ip": computed("10.20.1.17"),
        "public_ip": computed(""),
        "root_block_device": root,
        "source_dest_check": True,
        "subnet_id": "subnet-0a1b2c3d4e5f60718",
        "tags": tags,
        "tags_all": tags_all,
        "timeouts": None,
        "user_data": None,
        "user_data_replace_on_change": False,
        "volume_tags": None,
        "vpc_security_group_ids": ["sg-0123456789abcdef0"],
    }


TF_DEFAULT_TAGS = {"cost-center": "42", "team": "research", "data-classification": "internal"}
TF_EU_TAGS = {"cost-center": "43", "team": "research-eu", "data-classification": "eu-personal"}


def _gcp_instance_tf(
    name: str,
    machine_type: str,
    zone: str,
    labels: Mapping[str, str],
    default_labels: Mapping[str, str],
    *,
    accelerators: list[dict[str, Any]] | None = None,
    scheduling: Mapping[str, Any],
    access: bool = False,
) -> dict[str, Any]:
    return {
        "advanced_machine_features": [],
        "allow_stopping_for_update": None,
        "attached_disk": [],
        "boot_disk": [
            {
                "auto_delete": True,
                "disk_encryption_key_raw": None,
                "initialize_params": [
                    {
                        "image": "projects/deeplearning-platform-release/global/images/family/common-cu123-ubuntu-2204",
                        "labels": U,
                        "size": 200,
                        "type": U,
                    }
                ],
                "kms_key_self_link": U,
                "mode": "READ_WRITE",
                "source": U,
            }
        ],
        "can_ip_forward": False,
        "cpu_platform": U,
        "current_status": U,
        "deletion_protection": False,
        "effective_labels": {**default_labels, **labels},
        "guest_accelerator": accelerators if accelerators is not None else U,
        "id": U,
        "instance_id": U,
        "label_fingerprint": U,
        "labels": dict(labels),
        "machine_type": machine_type,
        "metadata_fingerprint": U,
        "name": name,
        "network_interface": [
            {
                "access_config": [{"nat_ip": U, "network_tier": U, "public_ptr_domain_name": None}] if access else [],
                "alias_ip_range": [],
                "network": "default",
                "network_ip": U,
                "subnetwork": U,
            }
        ],
        "project": "ml-prod",
        "scheduling": [
            {
                "automatic_restart": scheduling.get("automatic_restart", True),
                "instance_termination_action": scheduling.get("instance_termination_action"),
                "local_ssd_recovery_timeout": [],
                "max_run_duration": [],
                "min_node_cpus": None,
                "node_affinities": [],
                "on_host_maintenance": "TERMINATE",
                "on_instance_stop_action": [],
                "preemptible": scheduling.get("preemptible", False),
                "provisioning_model": scheduling["provisioning_model"],
            }
        ],
        "self_link": U,
        "service_account": [],
        "shielded_instance_config": U,
        "tags": None,
        "terraform_labels": {**default_labels, **labels},
        "timeouts": None,
        "zone": zone,
    }


def _node_pool_tf(
    name: str,
    location: str,
    node_count: Any,
    node_locations: Any,
    node_config: Mapping[str, Any],
) -> dict[str, Any]:
    return {
        "autoscaling": [],
        "cluster": "ml-cluster",
        "id": U,
        "initial_node_count": U,
        "instance_group_urls": U,
        "location": location,
        "management": U,
        "max_pods_per_node": U,
        "name": name,
        "node_config": [
            {
                "boot_disk_kms_key": None,
                "disk_size_gb": U,
                "guest_accelerator": [
                    {
                        "count": 1,
                        "gpu_driver_installation_config": [{"gpu_driver_version": "LATEST"}],
                        "gpu_partition_size": None,
                        "gpu_sharing_config": [],
                        "type": "nvidia-l4",
                    }
                ],
                "labels": U,
                "machine_type": node_config["machine_type"],
                "oauth_scopes": ["https://www.googleapis.com/auth/cloud-platform"],
                "preemptible": node_config.get("preemptible", False),
                "resource_labels": dict(node_config["resource_labels"]),
                "shielded_instance_config": U,
                "spot": node_config.get("spot", False),
            }
        ],
        "node_count": node_count,
        "node_locations": node_locations,
        "project": "ml-prod",
        "timeouts": None,
        "version": U,
    }


def _document(
    changes: list[Change],
    provider_config: Mapping[str, Any],
    *,
    module_calls: Mapping[str, list[Change]] | None = None,
    variables: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A `terraform show -json` plan around resource changes (field order of jsonplan.plan)."""
    root = [c for c in changes if not c.module]
    children: dict[str, list[dict[str, Any]]] = {}
    for c in changes:
        planned = c.planned()
        if c.module and planned is not None:
            children.setdefault(c.module, []).append(planned)
    planned_root: dict[str, Any] = {"resources": [p for c in root if (p := c.planned()) is not None]}
    if children:
        planned_root["child_modules"] = [{"resources": r, "address": a} for a, r in sorted(children.items())]
    prior = [
        {
            "address": c.address,
            "mode": c.mode,
            "type": c.type,
            "name": c.name,
            "provider_name": c.provider,
            "schema_version": 1 if c.type == "aws_instance" else 0,
            "values": c.before,
            "sensitive_values": _sensitive(c.before, c.sensitive),
        }
        for c in root
        if c.before is not None
    ]

    def config_resources(items: Iterable[Change]) -> list[dict[str, Any]]:
        seen: dict[str, dict[str, Any]] = {}
        for c in items:
            address = c.config_address()
            if address in seen:
                continue
            entry: dict[str, Any] = {
                "address": address,
                "mode": c.mode,
                "type": c.type,
                "name": c.name,
                "provider_config_key": c.provider_key,
                "expressions": dict(c.expressions or {}),
                "schema_version": 1 if c.type == "aws_instance" else 0,
            }
            if c.index is not None:
                entry["count_expression"] = {"constant_value": 2}
            seen[address] = entry
        return list(seen.values())

    configuration: dict[str, Any] = {
        "provider_config": provider_config,
        "root_module": {"resources": config_resources(root)},
    }
    if module_calls:
        configuration["root_module"]["module_calls"] = {
            name: {"source": f"./modules/{name}", "module": {"resources": config_resources(items)}}
            for name, items in module_calls.items()
        }
    return {
        "format_version": "1.2",
        "terraform_version": "1.9.8",
        **({"variables": {k: {"value": v} for k, v in variables.items()}} if variables else {}),
        "planned_values": {"root_module": planned_root},
        "resource_changes": [c.json() for c in changes],
        "prior_state": {
            "format_version": "1.0",
            "terraform_version": "1.9.8",
            "values": {"root_module": {"resources": prior}},
        },
        "configuration": configuration,
        "timestamp": "2026-11-23T09:41:07Z",
        "applyable": True,
        "complete": True,
        "errored": False,
    }


def _aws_provider(alias: str | None, region: Any, tags: Mapping[str, str] | None) -> dict[str, Any]:
    expressions: dict[str, Any] = {"region": region}
    if tags is not None:
        expressions["default_tags"] = [{"tags": {"constant_value": dict(tags)}}]
    found: dict[str, Any] = {"name": "aws", "full_name": AWS}
    if alias:
        found["alias"] = alias
    found.update(version_constraint="~> 5.80", expressions=expressions)
    return found


def terraform_plan() -> dict[str, Any]:
    d = TF_DEFAULT_TAGS
    owner = {"owner": "ml-platform"}

    def instance(name: str, actions: list[str], before: Any, after: Any, **kw: Any) -> Change:
        return Change(f"aws_instance.{name}", "aws_instance", name, actions, before, after, **kw)

    legacy = _aws_instance_tf("p3.2xlarge", {**owner, "Name": "legacy-v100"}, d, zone="us-east-1c", existing="i-0l1")
    batch_before = _aws_instance_tf("g5.xlarge", {**owner, "workload": "batch"}, d, zone="us-east-1a", existing="i-0b1")
    render_before = _aws_instance_tf("g5.2xlarge", owner, d, zone="us-east-1a", existing="i-0r1")
    cbd_before = _aws_instance_tf("g5.xlarge", owner, d, zone="us-east-1a", existing="i-0c1")
    old_trainer = _aws_instance_tf("p3.8xlarge", owner, d, zone="us-east-1b", existing="i-0o1")
    llm_tags = {**owner, "Name": "llm-server"}
    llm_before = _aws_instance_tf("g5.12xlarge", llm_tags, d, zone="us-east-1d", existing="i-0m1")
    google_labels = {"cost-center": "42", "owner": "ml-platform", "team": "research"}
    worker = _aws_instance_tf("g6.xlarge", {**owner, "Name": "worker"}, d)
    changes = [
        Change("data.aws_ami.dlami", "aws_ami", "dlami", ["read"], None, {"id": U, "most_recent": True}, mode="data"),
        instance(
            "llm_server",
            ["update"],
            llm_before,
            {
                **llm_before,
                "tags": {**llm_tags, "infraaudit.io/model-params": "7B", "infraaudit.io/precision": "bf16"},
                "tags_all": {**d, **llm_tags, "infraaudit.io/model-params": "7B", "infraaudit.io/precision": "bf16"},
            },
            expressions={"instance_type": {"constant_value": "g5.12xlarge"}},
        ),
        instance(
            "trainer",
            ["create"],
            None,
            _aws_instance_tf("g5.xlarge", {**owner, "workload": "training"}, d, market="spot"),
        ),
        instance("legacy_v100", ["no-op"], legacy, legacy),
        instance(
            "batch_worker",
            ["update"],
            batch_before,
            {**batch_before, "instance_type": "g6.xlarge"},
        ),
        instance(
            "render_node",
            ["delete", "create"],
            render_before,
            _aws_instance_tf("g6e.xlarge", owner, d, zone="us-east-1b"),
            reason="replace_because_cannot_update",
            replace_paths=[["availability_zone"]],
        ),
        instance(
            "cbd_node",
            ["create", "delete"],
            cbd_before,
            _aws_instance_tf("g5.2xlarge", owner, d, zone="us-east-1a"),
            reason="replace_because_cannot_update",
            replace_paths=[["ami"]],
        ),
        instance("old_trainer", ["delete"], old_trainer, None, reason="delete_because_no_resource_config"),
        instance(
            "notebook",
            ["create"],
            None,
            _aws_instance_tf("g4dn.xlarge", owner, d, public=True, tokens="optional", encrypted=False),
        ),
        instance(
            "eu_box",
            ["create"],
            None,
            _aws_instance_tf("g5.xlarge", owner, TF_EU_TAGS),
            provider_key="aws.eu",
        ),
        instance(
            "us_box",
            ["create"],
            None,
            _aws_instance_tf("g5.xlarge", {**owner, "data-classification": "eu-personal"}, d),
        ),
        instance("no_owner", ["create"], None, _aws_instance_tf("g5.xlarge", {"Name": "no-owner"}, d)),
        instance("pending_type", ["create"], None, _aws_instance_tf(U, owner, d)),
        Change(
            "aws_launch_template.gpu",
            "aws_launch_template",
            "gpu",
            ["create"],
            None,
            {
                "arn": U,
                "block_device_mappings": [
                    {
                        "device_name": "/dev/xvda",
                        "ebs": [
                            {
                                "delete_on_termination": "",
                                "encrypted": "true",
                                "iops": U,
                                "kms_key_id": None,
                                "snapshot_id": None,
                                "throughput": U,
                                "volume_size": 100,
                                "volume_type": "gp3",
                            }
                        ],
                        "no_device": None,
                        "virtual_name": None,
                    },
                    {
                        "device_name": "/dev/sdb",
                        "ebs": [
                            {
                                "delete_on_termination": "",
                                "encrypted": "",
                                "iops": U,
                                "kms_key_id": None,
                                "snapshot_id": "snap-0f1e2d3c4b5a69788",
                                "throughput": U,
                                "volume_size": 500,
                                "volume_type": "gp3",
                            }
                        ],
                        "no_device": None,
                        "virtual_name": None,
                    },
                ],
                "default_version": U,
                "id": U,
                "image_id": "ami-0b2f6494ff0b07a0e",
                "instance_market_options": [],
                "instance_type": "g5.xlarge",
                "latest_version": U,
                "metadata_options": [
                    {
                        "http_endpoint": "enabled",
                        "http_protocol_ipv6": None,
                        "http_put_response_hop_limit": U,
                        "http_tokens": "required",
                        "instance_metadata_tags": None,
                    }
                ],
                "name": "gpu-workers",
                "name_prefix": U,
                "network_interfaces": [],
                "tag_specifications": [{"resource_type": "instance", "tags": {"owner": "ml-platform"}}],
                "tags": None,
                "tags_all": dict(d),
            },
        ),
        Change(
            "aws_autoscaling_group.gpu",
            "aws_autoscaling_group",
            "gpu",
            ["create"],
            None,
            {
                "arn": U,
                "availability_zones": U,
                "desired_capacity": 10,
                "id": U,
                "launch_template": [],
                "max_size": 20,
                "min_size": 2,
                "mixed_instances_policy": [
                    {
                        "instances_distribution": [
                            {
                                "on_demand_allocation_strategy": "prioritized",
                                "on_demand_base_capacity": 2,
                                "on_demand_percentage_above_base_capacity": 25,
                                "spot_allocation_strategy": "price-capacity-optimized",
                                "spot_instance_pools": 0,
                                "spot_max_price": "",
                            }
                        ],
                        "launch_template": [
                            {
                                "launch_template_specification": [
                                    {
                                        "launch_template_id": U,
                                        "launch_template_name": "gpu-workers",
                                        "version": "$Latest",
                                    }
                                ],
                                "override": [
                                    {
                                        "instance_requirements": [],
                                        "instance_type": "g5.xlarge",
                                        "launch_template_specification": [],
                                        "weighted_capacity": "1",
                                    },
                                    {
                                        "instance_requirements": [],
                                        "instance_type": "g6.xlarge",
                                        "launch_template_specification": [],
                                        "weighted_capacity": "1",
                                    },
                                ],
                            }
                        ],
                    }
                ],
                "name": "gpu-workers",
                "tag": [
                    {"key": "owner", "propagate_at_launch": True, "value": "ml-platform"},
                    {"key": "workload", "propagate_at_launch": True, "value": "training"},
                ],
                "vpc_zone_identifier": ["subnet-0a1b2c3d4e5f60718"],
            },
        ),
        Change(
            "aws_spot_instance_request.spot_dev",
            "aws_spot_instance_request",
            "spot_dev",
            ["create"],
            None,
            {
                **_aws_instance_tf("g5.xlarge", {**owner, "workload": "experiment"}, d),
                "spot_bid_status": U,
                "spot_instance_id": U,
                "spot_price": "0.60",
                "spot_request_state": U,
                "spot_type": "one-time",
                "wait_for_fulfillment": True,
            },
        ),
        Change(
            "google_compute_instance.l4_spot",
            "google_compute_instance",
            "l4_spot",
            ["create"],
            None,
            _gcp_instance_tf(
                "l4-spot",
                "g2-standard-4",
                "us-central1-a",
                {"data-classification": "internal", "workload": "training"},
                google_labels,
                accelerators=[{"count": 1, "type": "nvidia-l4"}],
                scheduling={
                    "automatic_restart": False,
                    "instance_termination_action": "STOP",
                    "preemptible": True,
                    "provisioning_model": "SPOT",
                },
                access=True,
            ),
            provider=GOOGLE,
            sensitive={"boot_disk": [{"disk_encryption_key_raw": True}]},
        ),
        Change(
            "google_compute_instance.a100_box",
            "google_compute_instance",
            "a100_box",
            ["create"],
            None,
            _gcp_instance_tf(
                "a100-box",
                "a2-highgpu-1g",
                "us-central1-b",
                {"workload": "fine-tuning"},
                google_labels,
                scheduling={"provisioning_model": "STANDARD"},
            ),
            provider=GOOGLE,
            sensitive={"boot_disk": [{"disk_encryption_key_raw": True}]},
        ),
        Change(
            "google_compute_instance_template.gpu",
            "google_compute_instance_template",
            "gpu",
            ["create"],
            None,
            {
                "disk": [
                    {
                        "auto_delete": True,
                        "boot": True,
                        "disk_encryption_key": [
                            {"kms_key_self_link": "projects/ml-prod/locations/us-central1/keyRings/gpu/cryptoKeys/disk"}
                        ],
                        "source_image": "projects/deeplearning-platform-release/global/images/family/common-cu123",
                    }
                ],
                "effective_labels": {**google_labels, "data-classification": "internal"},
                "guest_accelerator": [{"count": 1, "type": "nvidia-l4"}],
                "id": U,
                "labels": {"data-classification": "internal"},
                "machine_type": "g2-standard-8",
                "name": U,
                "name_prefix": "gpu-template-",
                "network_interface": [{"access_config": [], "network": "default"}],
                "project": "ml-prod",
                "scheduling": [
                    {"on_host_maintenance": "TERMINATE", "preemptible": False, "provisioning_model": "STANDARD"}
                ],
                "self_link": U,
            },
            provider=GOOGLE,
        ),
        Change(
            "google_container_node_pool.gpu",
            "google_container_node_pool",
            "gpu",
            ["create"],
            None,
            _node_pool_tf(
                "gpu",
                "us-central1",
                1,
                U,
                {"machine_type": "g2-standard-8", "spot": True, "resource_labels": {"data-classification": "internal"}},
            ),
            provider=GOOGLE,
        ),
        Change(
            "google_container_node_pool.zonal",
            "google_container_node_pool",
            "zonal",
            ["create"],
            None,
            _node_pool_tf(
                "zonal",
                "us-central1-a",
                2,
                ["us-central1-a", "us-central1-b"],
                {
                    "machine_type": "g2-standard-4",
                    "preemptible": True,
                    "resource_labels": {"data-classification": "internal"},
                },
            ),
            provider=GOOGLE,
        ),
        Change(
            "aws_s3_bucket.datasets",
            "aws_s3_bucket",
            "datasets",
            ["create"],
            None,
            {"bucket": "datasets-7f3a2c1", "force_destroy": False, "id": U, "tags": None, "tags_all": dict(d)},
        ),
    ]
    workers = [
        Change(
            f"module.gpu.aws_instance.worker[{i}]",
            "aws_instance",
            "worker",
            ["create"],
            None,
            worker,
            module="module.gpu",
            index=i,
        )
        for i in range(2)
    ]
    changes.extend(workers)
    provider_config = {
        "aws": _aws_provider(None, {"constant_value": "us-east-1"}, TF_DEFAULT_TAGS),
        "aws.eu": _aws_provider("eu", {"constant_value": "eu-west-1"}, TF_EU_TAGS),
        "google": {
            "name": "google",
            "full_name": GOOGLE,
            "version_constraint": "~> 6.10",
            "expressions": {
                "default_labels": {"constant_value": google_labels},
                "project": {"constant_value": "ml-prod"},
                "region": {"constant_value": "us-central1"},
            },
        },
    }
    return _document(changes, provider_config, module_calls={"gpu": workers})


def terraform_unknowns() -> dict[str, Any]:
    """The Terraform twin of pulumi_unknowns: `bad_*` known bad, `unk_*` unknown (after_unknown)."""
    tags = dict(TAGS)

    def box(name: str, after: Mapping[str, Any], actions: list[str] | None = None, **kw: Any) -> Change:
        actions = actions or ["create"]
        before = dict(after) if actions == ["no-op"] else None
        return Change(f"aws_instance.{name}", "aws_instance", name, actions, before, after, **kw)

    spot = {"market": "spot"}
    eu = {**tags, "data-classification": "eu-personal"}
    no_tags = {"Name": "x", "data-classification": "internal"}
    existing_market = _aws_instance_tf(
        "g5.xlarge", {**tags, "workload": "training"}, {}, zone="us-east-1a", existing="i-0m1"
    )
    changes = [
        box("bad_type", _aws_instance_tf("p3.2xlarge", tags, {}, **spot)),
        box("unk_type", _aws_instance_tf(U, tags, {}, **spot)),
        box("bad_region", _aws_instance_tf("g5.xlarge", eu, {}, **spot)),
        box("unk_region", _aws_instance_tf("g5.xlarge", eu, {}, **spot), provider_key="aws.dynamic"),
        box("bad_market", existing_market, ["no-op"]),
        box("unk_market", _aws_instance_tf("g5.xlarge", {**tags, "workload": "training"}, {})),
        box("bad_tags", _aws_instance_tf("g5.xlarge", no_tags, {}, **spot)),
        box("unk_tags", _aws_instance_tf("g5.xlarge", U, {}, **spot)),
        box(
            "unk_tag_values",
            _aws_instance_tf("g5.xlarge", {**no_tags, "owner": U, "team": U, "cost-center": U}, {}, **spot),
        ),
        box(
            "bad_class",
            _aws_instance_tf("g5.xlarge", {k: v for k, v in tags.items() if k != "data-classification"}, {}, **spot),
        ),
        box("unk_class", _aws_instance_tf("g5.xlarge", {**tags, "data-classification": U}, {}, **spot)),
        box(
            "bad_security",
            _aws_instance_tf("g5.xlarge", tags, {}, public=True, tokens="optional", encrypted=False, **spot),
        ),
        box("unk_security", _aws_instance_tf("g5.xlarge", tags, {}, public=U, tokens=U, encrypted=U, **spot)),
    ]
    provider_config = {
        "aws": _aws_provider(None, {"constant_value": "us-east-1"}, None),
        "aws.dynamic": _aws_provider("dynamic", {"references": ["var.region"]}, None),
    }
    return _document(changes, provider_config, variables={"region": "eu-west-1"})


# ============================================================================================ output

PULUMI: dict[str, Callable[[], dict[str, Any]]] = {
    "pulumi-preview.json": pulumi_preview,
    "pulumi-preview-gcp.json": pulumi_preview_gcp,
    "pulumi-preview-replacement-steps.json": pulumi_preview_replacement_steps,
    "pulumi-unknowns.json": pulumi_unknowns,
}
TERRAFORM: dict[str, Callable[[], dict[str, Any]]] = {
    "terraform-plan.json": terraform_plan,
    "terraform-unknowns.json": terraform_unknowns,
}


def render(name: str) -> str:
    """The file's text: Pulumi's MarshalIndent (4 spaces), Terraform's compact one-line JSON."""
    if name in PULUMI:
        return json.dumps(PULUMI[name](), indent=4, ensure_ascii=False) + "\n"
    return json.dumps(TERRAFORM[name](), separators=(",", ":"), ensure_ascii=False) + "\n"


def write_all(folder: Path = FIXTURES) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in [*PULUMI, *TERRAFORM]:
        path = folder / name
        path.write_text(render(name), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_all(Path(sys.argv[1]) if len(sys.argv) > 1 else FIXTURES):
        print(path)
