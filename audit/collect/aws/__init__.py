"""Live AWS collector: accounts, regions, GPU instances, CloudWatch GPU telemetry, prices."""

from __future__ import annotations

from ..shared import ApiCallCounter
from .calls import AWS_CALLS, AwsCall, iam_policy
from .collector import AwsScanOptions, AwsScanResult, collect_aws
from .targets import AwsTargetSpec

__all__ = [
    "AWS_CALLS",
    "ApiCallCounter",
    "AwsCall",
    "AwsScanOptions",
    "AwsScanResult",
    "AwsTargetSpec",
    "collect_aws",
    "iam_policy",
]
