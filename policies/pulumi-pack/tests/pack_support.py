"""Helpers for the pack's tests: ResourceValidationArgs built as the analyzer builds them, and a
run of every policy over one resource."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

UNKNOWN_VALUE = UNKNOWN_STRING_VALUE  # what the engine sends for a value unknown during preview
STACK = "urn:pulumi:dev::gpu"
COMPLIANT_TAGS = {"owner": "ml-platform", "team": "research", "cost-center": "cc-42", "data-classification": "internal"}


def aws_provider(region: str = "eu-west-1") -> PolicyProviderResource:
    return PolicyProviderResource(
        "pulumi:providers:aws",
        unknown_checking_proxy({"region": region, "skipCredentialsValidation": "false"}),
        f"{STACK}::pulumi:providers:aws::default_7_0_0",
        "default_7_0_0",
    )


def gcp_provider(project: str = "ml-prod") -> PolicyProviderResource:
    return PolicyProviderResource(
        "pulumi:providers:gcp",
        unknown_checking_proxy({"project": project}),
        f"{STACK}::pulumi:providers:gcp::default_9_0_0",
        "default_9_0_0",
    )


def resource_args(
    type_: str,
    name: str,
    props: dict[str, Any],
    provider: PolicyProviderResource | None = None,
) -> ResourceValidationArgs:
    """The args the pack's analyzer builds for one resource: the inputs behind pulumi-policy's
    unknown-checking proxy, as `_PolicyAnalyzerServicer.Analyze` hands them over."""
    options = PolicyResourceOptions(
        protect=False,
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
    )
    return ResourceValidationArgs(
        resource_type=type_,
        props=unknown_checking_proxy(props),
        urn=f"{STACK}::{type_}::{name}",
        name=name,
        opts=options,
        provider=provider,
    )


def aws_instance(name: str, **overrides: Any) -> ResourceValidationArgs:
    props: dict[str, Any] = {
        "ami": "ami-0abcdef1234567890",
        "instanceType": "g5.xlarge",
        "tags": dict(COMPLIANT_TAGS),
        "rootBlockDevice": {"encrypted": True, "volumeSize": 200, "volumeType": "gp3"},
        "metadataOptions": {"httpTokens": "required", "httpEndpoint": "enabled"},
        "associatePublicIpAddress": False,
    }
    props.update(overrides)
    region = props.pop("region", "eu-west-1")
    return resource_args("aws:ec2/instance:Instance", name, props, aws_provider(region))


@dataclass
class Violation:
    policy: str
    level: EnforcementLevel
    message: str


@dataclass
class Analysis:
    violations: list[Violation] = field(default_factory=list)

    def by_policy(self) -> dict[str, list[Violation]]:
        found: dict[str, list[Violation]] = {}
        for violation in self.violations:
            found.setdefault(violation.policy, []).append(violation)
        return found


def analyze(
    policies: list[ResourceValidationPolicy],
    args: ResourceValidationArgs,
    levels: Mapping[str, EnforcementLevel] | None = None,
) -> Analysis:
    """Every enabled policy's validate, in list order, as the analyzer runs them for one resource;
    `levels` overrides enforcement levels as the pack's config would."""
    analysis = Analysis()
    for policy in policies:
        level = (levels or {}).get(policy.name, policy.enforcement_level)
        assert level is not None
        if level is EnforcementLevel.DISABLED:
            continue

        def report(message: str, urn: str | None = None, *, name: str = policy.name, at: Any = level) -> None:
            analysis.violations.append(Violation(name, at, message))

        assert policy.validate(args, report) is None  # synchronous: nothing to await
    return analysis
