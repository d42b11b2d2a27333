"""The policy pack against the real Rego library and a real OPA (INFRAAUDIT_OPA), with the
validate functions called directly on ResourceValidationArgs built as pulumi-policy builds them."""

from __future__ import annotations

import os
import socket
import stat
import time
from pathlib import Path

import infraaudit_pack
import pytest
from google.protobuf import struct_pb2
from pack_support import (
    COMPLIANT_TAGS,
    STACK,
    UNKNOWN_VALUE,
    analyze,
    aws_instance,
    gcp_provider,
    resource_args,
)
from pulumi.runtime import proto
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy
from pulumi_policy.policy import _PolicyAnalyzerServicer

from infraaudit.audit.engine import PolicyLibrary, find_opa
from infraaudit.audit.models import PolicySource, Severity
from infraaudit.audit.preview import UNKNOWN
from infraaudit.audit.preview.readers import PULUMI_UNKNOWN

ENGINE = infraaudit_pack.ENGINE_POLICY


def _by_name(policies: list[ResourceValidationPolicy]) -> dict[str, ResourceValidationPolicy]:
    return {p.name: p for p in policies}


# ----------------------------------------------------------------------------------- the policy list


def test_one_policy_per_preview_rule_of_the_library(policies: list[ResourceValidationPolicy]) -> None:
    library = PolicyLibrary(find_opa()).policies
    preview = sorted((p for p in library if PolicySource.PREVIEW in p.sources), key=lambda meta: meta.id)
    assert preview, "the library has rules for preview input"
    assert [p.name for p in policies] == [ENGINE, *(meta.id.lower() for meta in preview)]
    scan_only = {p.id.lower() for p in library if PolicySource.PREVIEW not in p.sources}
    assert scan_only and not scan_only & {p.name for p in policies}  # e.g. idle: needs telemetry
    titles = {meta.id.lower(): meta.title for meta in preview}
    for policy in policies[1:]:
        assert policy.description == titles[policy.name]
        assert policy.remediation_steps


def test_enforcement_levels_follow_the_rule_severity(
    evaluator: infraaudit_pack.Evaluator, policies: list[ResourceValidationPolicy]
) -> None:
    named = _by_name(policies)
    for meta in evaluator.preview_rules:
        expected = {
            Severity.CRITICAL: EnforcementLevel.MANDATORY,
            Severity.HIGH: EnforcementLevel.MANDATORY,
            Severity.MEDIUM: EnforcementLevel.ADVISORY,
            Severity.LOW: EnforcementLevel.ADVISORY,
            Severity.INFO: EnforcementLevel.ADVISORY,
        }[meta.severity]
        assert named[meta.id.lower()].enforcement_level is expected, meta.id
    # spot-checks against the library as it is
    assert named["ia-res-001"].enforcement_level is EnforcementLevel.MANDATORY  # critical
    assert named["ia-sec-003"].enforcement_level is EnforcementLevel.MANDATORY  # high
    assert named["ia-gpu-004"].enforcement_level is EnforcementLevel.ADVISORY  # medium
    assert named["ia-gov-001"].enforcement_level is EnforcementLevel.ADVISORY  # low
    assert named[ENGINE].enforcement_level is EnforcementLevel.MANDATORY
    assert set(infraaudit_pack.ENFORCEMENT) == set(Severity)


# ------------------------------------------------------------------------------------------ verdicts


def test_compliant_gpu_instance_has_no_violation(policies: list[ResourceValidationPolicy]) -> None:
    assert analyze(policies, aws_instance("compliant")).violations == []


def test_on_demand_training_instance_should_use_spot(policies: list[ResourceValidationPolicy]) -> None:
    args = aws_instance(
        "trainer", instanceType="p4d.24xlarge", region="us-east-1", tags={**COMPLIANT_TAGS, "workload": "training"}
    )
    found = analyze(policies, args).by_policy()
    assert set(found) == {"ia-gpu-004"}
    [violation] = found["ia-gpu-004"]
    assert violation.level is EnforcementLevel.ADVISORY
    assert "IA-GPU-004 medium" in violation.message
    assert "runs on demand" in violation.message and 'workload tag is "training"' in violation.message
    assert "Remediation: Run the workload on spot" in violation.message
    # (32.7726 - 6.7915) $/h x 730 h, from the shipped catalog snapshot
    assert "Estimated saving: $18,966.20/month" in violation.message


def test_unencrypted_root_volume_is_mandatory(policies: list[ResourceValidationPolicy]) -> None:
    args = aws_instance("plain-disk", rootBlockDevice={"encrypted": False, "volumeSize": 200})
    found = analyze(policies, args).by_policy()
    assert set(found) == {"ia-sec-003"}
    [violation] = found["ia-sec-003"]
    assert violation.level is EnforcementLevel.MANDATORY
    assert "unencrypted boot disk" in violation.message
    assert "Remediation: Recreate the boot disk" in violation.message
    assert "Estimated saving" not in violation.message  # a security finding saves nothing


def test_unknown_instance_type_is_never_denied(policies: list[ResourceValidationPolicy]) -> None:
    # Even with an unencrypted disk: until the type is known, nothing says it is a GPU instance.
    args = aws_instance("later", instanceType=UNKNOWN_VALUE, rootBlockDevice={"encrypted": False})
    assert analyze(policies, args).violations == []


def test_unknown_tags_are_never_denied(policies: list[ResourceValidationPolicy]) -> None:
    # On demand and no tags known: neither the spot, tagging nor classification rule may deny.
    args = aws_instance("tagged-later", instanceType="p4d.24xlarge", region="us-east-1", tags=UNKNOWN_VALUE)
    assert analyze(policies, args).violations == []
    args = aws_instance("one-tag-later", tags={**COMPLIANT_TAGS, "owner": UNKNOWN_VALUE})
    assert analyze(policies, args).violations == []


def test_gcp_accelerators_outside_the_eu_for_eu_personal_data(policies: list[ResourceValidationPolicy]) -> None:
    props = {
        "machineType": "n1-standard-8",
        "zone": "us-central1-a",
        "guestAccelerators": [{"type": "nvidia-tesla-t4", "count": 1}],
        "labels": {**COMPLIANT_TAGS, "data-classification": "eu-personal"},
        "bootDisk": {"initializeParams": {"image": "debian-cloud/debian-12"}},
        "networkInterfaces": [{"network": "default"}],
        "scheduling": {"provisioningModel": "STANDARD", "onHostMaintenance": "TERMINATE"},
    }
    found = analyze(
        policies, resource_args("gcp:compute/instance:Instance", "t4-box", props, gcp_provider())
    ).by_policy()
    assert set(found) == {"ia-res-001"}
    [violation] = found["ia-res-001"]
    assert violation.level is EnforcementLevel.MANDATORY
    assert 'classified "eu-personal" but runs in gcp:us-central1' in violation.message
    # The same instance in an EU zone complies.
    props["zone"] = "europe-west4-a"
    args = resource_args("gcp:compute/instance:Instance", "t4-box-eu", props, gcp_provider())
    assert analyze(policies, args).violations == []


def test_resources_that_are_not_gpu_capable_are_ignored(
    evaluator: infraaudit_pack.Evaluator, policies: list[ResourceValidationPolicy]
) -> None:
    before = evaluator.evaluations
    args = resource_args("aws:s3/bucket:Bucket", "logs", {"bucket": "logs", "acl": "public-read"})
    assert analyze(policies, args).violations == []
    assert evaluator.evaluations == before  # not even sent to OPA


def test_a_resource_is_evaluated_once_for_all_policies(
    evaluator: infraaudit_pack.Evaluator, policies: list[ResourceValidationPolicy]
) -> None:
    before = evaluator.evaluations
    args = aws_instance("cached", rootBlockDevice={"encrypted": False})
    assert len(analyze(policies, args).violations) == 1
    assert len(analyze(policies, args).violations) == 1  # e.g. preview, then the update
    assert evaluator.evaluations == before + 1
    changed = aws_instance("cached")  # same URN, new inputs: evaluated again
    assert analyze(policies, changed).violations == []
    assert evaluator.evaluations == before + 2


def test_stack_config_classification_and_default_tags() -> None:
    """`infraaudit:dataClassification` and `infraaudit:tags` apply as in `infraaudit check`."""
    config = {"infraaudit:dataClassification": "eu-personal", "infraaudit:tags": '{"team": "research"}'}
    evaluator = infraaudit_pack.Evaluator(config=config)
    try:
        tags = {k: v for k, v in COMPLIANT_TAGS.items() if k not in ("data-classification", "team")}
        args = aws_instance("us-box", region="us-east-1", tags=tags)
        found = analyze(infraaudit_pack.build_policies(evaluator), args).by_policy()
        assert set(found) == {"ia-res-001"}  # classified by the stack, wrong region; team tag from config
    finally:
        evaluator.close()


# ---------------------------------------------------------------------------------------- fail closed


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_opa_fails_closed() -> None:
    evaluator = infraaudit_pack.Evaluator(config={}, opa_url=f"http://127.0.0.1:{_closed_port()}", timeout_s=5)
    policies = infraaudit_pack.build_policies(evaluator)
    try:
        analysis = analyze(policies, aws_instance("compliant-but-unchecked"))
        [violation] = analysis.violations
        assert violation.policy == ENGINE
        assert violation.level is EnforcementLevel.MANDATORY
        assert "could not evaluate" in violation.message and "cannot reach OPA" in violation.message
        # With the engine policy disabled, every rule's policy reports the failure instead.
        analysis = analyze(policies, aws_instance("again"), levels={ENGINE: EnforcementLevel.DISABLED})
        assert {v.policy for v in analysis.violations} == {p.name for p in policies[1:]}
        assert all("could not evaluate" in v.message for v in analysis.violations)
        # A resource the engine does not evaluate is still ignored.
        assert analyze(policies, resource_args("aws:s3/bucket:Bucket", "b", {})).violations == []
    finally:
        evaluator.close()


def test_opa_that_cannot_start_fails_closed(tmp_path: Path) -> None:
    """`opa inspect` works (the pack starts), `opa run` dies: every GPU resource is a violation."""
    real = find_opa()
    broken = tmp_path / "opa"
    broken.write_text(
        f'#!/bin/sh\nif [ "$1" = run ]; then echo "boom: cannot serve" >&2; exit 1; fi\nexec "{real}" "$@"\n'
    )
    broken.chmod(broken.stat().st_mode | stat.S_IXUSR)
    evaluator = infraaudit_pack.Evaluator(opa=broken, config={})
    try:
        [violation] = analyze(infraaudit_pack.build_policies(evaluator), aws_instance("x")).violations
        assert violation.policy == ENGINE and violation.level is EnforcementLevel.MANDATORY
        assert "EngineError" in violation.message
    finally:
        evaluator.close()


# ------------------------------------------------------------------------------------ unknown values


def test_plain_maps_every_unknown_to_the_marker() -> None:
    from pulumi_policy.proxy import (
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_OBJECT_VALUE,
        UnknownValueError,
        unknown_checking_proxy,
    )

    assert PULUMI_UNKNOWN in infraaudit_pack.UNKNOWN_SENTINELS  # the sentinel `infraaudit check` reads
    props = unknown_checking_proxy(
        {
            "instanceType": UNKNOWN_VALUE,
            "rootBlockDevice": {"encrypted": UNKNOWN_BOOLEAN_VALUE, "volumeSize": 100.0},
            "tags": UNKNOWN_OBJECT_VALUE,
            "securityGroups": ["sg-1", UNKNOWN_VALUE],
        }
    )
    with pytest.raises(UnknownValueError) as raised:
        props["instanceType"]  # what a naive policy hits (str() of the error is empty: see .message)
    assert raised.value.message == "string value at .instanceType can't be known during preview"
    assert infraaudit_pack.plain(props) == {
        "instanceType": UNKNOWN,
        "rootBlockDevice": {"encrypted": UNKNOWN, "volumeSize": 100.0},
        "tags": UNKNOWN,
        "securityGroups": ["sg-1", UNKNOWN],
    }


# ------------------------------------------------------------------- through pulumi-policy's analyzer


def test_the_analyzer_path_with_wire_properties_and_pack_config(policies: list[ResourceValidationPolicy]) -> None:
    """pulumi-policy's own Analyze (its servicer, without the gRPC server): properties as the engine
    marshals them (a Struct, numbers as floats, unknowns as the sentinel) and an enforcement level
    from the pack config (`{"ia-gpu-004": "mandatory"}`)."""
    servicer = _PolicyAnalyzerServicer(infraaudit_pack.PACK_NAME, "0.0.1", policies, EnforcementLevel.ADVISORY)
    servicer.Configure(
        proto.ConfigureAnalyzerRequest(
            policyConfig={"ia-gpu-004": proto.PolicyConfig(enforcementLevel=proto.MANDATORY)}
        ),
        None,
    )
    properties = struct_pb2.Struct()
    properties.update(
        {
            "instanceType": "p4d.24xlarge",
            "ami": UNKNOWN_VALUE,
            "tags": {**COMPLIANT_TAGS, "workload": "training", "Name": UNKNOWN_VALUE},
            "rootBlockDevice": {"encrypted": False, "volumeSize": 500},
            "metadataOptions": {"httpTokens": "required"},
        }
    )
    provider = struct_pb2.Struct()
    provider.update({"region": "us-east-1"})
    request = proto.AnalyzeRequest(
        type="aws:ec2/instance:Instance",
        urn=f"{STACK}::aws:ec2/instance:Instance::wire",
        name="wire",
        properties=properties,
        provider=proto.AnalyzerProviderResource(
            type="pulumi:providers:aws",
            urn=f"{STACK}::pulumi:providers:aws::default",
            name="default",
            properties=provider,
        ),
    )
    response = servicer.Analyze(request, None)
    levels = {d.policyName: d.enforcementLevel for d in response.diagnostics}
    assert levels == {"ia-gpu-004": proto.MANDATORY, "ia-sec-003": proto.MANDATORY}
    messages = {d.policyName: d.message for d in response.diagnostics}
    assert messages["ia-gpu-004"].startswith("Interruptible GPU workload not on spot\n[IA-GPU-004 medium]")
    assert not response.not_applicable


def test_settings_and_waivers_from_the_environment(tmp_path: Path) -> None:
    """INFRAAUDIT_CONFIG is infraaudit.yaml as `infraaudit check --config` reads it: thresholds
    and waivers (a waived finding is not a violation, as in the check gate)."""
    config = tmp_path / "infraaudit.yaml"
    config.write_text(
        "tagging:\n  required: [owner, budget]\n"
        "waivers:\n  - rule: IA-GOV-001\n    resource: 'aws:*:*:Instance/legacy-*'\n    reason: migrating\n"
    )
    env = {**os.environ, "INFRAAUDIT_CONFIG": str(config), "INFRAAUDIT_OPA_TIMEOUT": "5"}
    env.pop("INFRAAUDIT_OPA_URL", None)
    evaluator = infraaudit_pack.Evaluator.from_environment(env)
    evaluator.config = {}
    try:
        assert evaluator.timeout_s == 5
        policies = infraaudit_pack.build_policies(evaluator)
        [violation] = analyze(policies, aws_instance("new-box")).violations
        assert violation.policy == "ia-gov-001" and "budget" in violation.message
        assert analyze(policies, aws_instance("legacy-box")).violations == []
    finally:
        evaluator.close()


# ------------------------------------------------------------------------------- the pack as a process


def _children(pid: int) -> set[int]:
    found = set()
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat_file.parent.name))
    return found


def _running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads child processes from /proc (Linux)")
def test_the_pack_process_speaks_the_analyzer_protocol_and_takes_opa_down_with_it(tmp_path: Path) -> None:
    """What `pulumi preview --policy-pack` runs: `python -u -m pulumi.policy ENGINE .` in the pack
    folder. It prints its port first, answers GetAnalyzerInfo and Analyze over gRPC (stack config
    from PULUMI_CONFIG), and its OPA dies with it even on SIGKILL."""
    import subprocess
    import sys

    import grpc
    from google.protobuf import empty_pb2
    from pulumi.runtime.proto import analyzer_pb2_grpc

    pack_dir = Path(infraaudit_pack.__file__).parent
    env = {**os.environ, "INFRAAUDIT_OPA": str(find_opa()), "PULUMI_CONFIG": '{"aws:region": "us-east-1"}'}
    env.pop("INFRAAUDIT_OPA_URL", None)
    env["TMPDIR"] = str(tmp_path)  # OPA's work folder, left behind by the SIGKILL below
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:1", "."],
        cwd=pack_dir, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = analyzer_pb2_grpc.AnalyzerStub(channel)
            info = stub.GetAnalyzerInfo(empty_pb2.Empty(), timeout=30)
            assert info.name == "infraaudit" and info.supportsConfig
            assert info.policies[0].name == ENGINE
            properties = struct_pb2.Struct()
            properties.update({"instanceType": "p4d.24xlarge", "rootBlockDevice": {"encrypted": False}, "tags": {}})
            request = proto.AnalyzeRequest(
                type="aws:ec2/instance:Instance", urn=f"{STACK}::aws:ec2/instance:Instance::p", name="p",
                properties=properties,
            )  # fmt: skip
            response = stub.Analyze(request, timeout=60)
        by_policy = {d.policyName: d for d in response.diagnostics}
        assert "ia-sec-003" in by_policy, [d.message for d in response.diagnostics]
        assert by_policy["ia-sec-003"].enforcementLevel == proto.MANDATORY
        assert "us-east-1" in by_policy["ia-sec-003"].message  # the region from the stack config
        [opa] = _children(process.pid)
        process.kill()
        process.wait(timeout=10)
        deadline = time.monotonic() + 5
        while _running(opa):
            assert time.monotonic() < deadline, f"OPA (pid {opa}) outlived the killed pack"
            time.sleep(0.05)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_stage_for_publishing_bundles_the_wheel(tmp_path: Path) -> None:
    """scripts/stage.py: the published copy needs no checkout (`../..`) and no `.venv-pack`."""
    import importlib.util

    import yaml

    spec = importlib.util.spec_from_file_location("stage", Path(infraaudit_pack.__file__).parent / "scripts/stage.py")
    assert spec is not None and spec.loader is not None
    stage = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(stage)
    wheel = tmp_path / "infraaudit-1.2.3-py3-none-any.whl"
    wheel.write_bytes(b"not really a wheel")
    out = tmp_path / "staged"
    stage.stage(out, wheel)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "PulumiPolicy.yaml",
        "__main__.py",
        "infraaudit_pack.py",
        "requirements.txt",
        "wheels/infraaudit-1.2.3-py3-none-any.whl",
    ]
    project = yaml.safe_load((out / "PulumiPolicy.yaml").read_text())
    assert project["runtime"] == {"name": "python", "options": {"virtualenv": "venv"}}
    assert project["version"] == "1.2.3" and project["description"]
    requirements = (out / "requirements.txt").read_text().splitlines()
    assert "./wheels/infraaudit-1.2.3-py3-none-any.whl" in requirements
    assert "pulumi-policy==1.21.0" in requirements and not any("../.." in line for line in requirements)
