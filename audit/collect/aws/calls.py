"""Every AWS API call infraaudit makes, declared once.

The collector's clients refuse an operation that is not declared here (see counter.py), so
`infraaudit permissions aws` prints exactly what a scan needs: read-only, nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class AwsCall:
    service: str  # boto3 client name
    operation: str  # botocore operation name
    action: str  # IAM action it needs
    purpose: str


AWS_CALLS: tuple[AwsCall, ...] = (
    AwsCall("sts", "GetCallerIdentity", "sts:GetCallerIdentity", "the account id of each target"),
    AwsCall("sts", "AssumeRole", "sts:AssumeRole", "--role-arn and --org-role targets"),
    AwsCall("organizations", "ListAccounts", "organizations:ListAccounts", "--org-role: the accounts to scan"),
    AwsCall("ec2", "DescribeRegions", "ec2:DescribeRegions", "the enabled regions when --regions is not given"),
    AwsCall("ec2", "DescribeInstanceTypes", "ec2:DescribeInstanceTypes", "which instance types have accelerators"),
    AwsCall("ec2", "DescribeInstances", "ec2:DescribeInstances", "the GPU instances"),
    AwsCall("ec2", "DescribeVolumes", "ec2:DescribeVolumes", "root volume encryption"),
    AwsCall("cloudwatch", "ListMetrics", "cloudwatch:ListMetrics", "which GPU metrics the CloudWatch agent publishes"),
    AwsCall("cloudwatch", "GetMetricData", "cloudwatch:GetMetricData", "GPU and CPU utilisation, batched"),
    AwsCall("pricing", "GetProducts", "pricing:GetProducts", "catalog update --aws: on-demand prices"),
    AwsCall("ec2", "DescribeSpotPriceHistory", "ec2:DescribeSpotPriceHistory", "catalog update --aws: spot prices"),
)

# GetCallerIdentity needs no permission: AWS allows it even under an explicit deny.
_NEEDS_NO_PERMISSION = {"sts:GetCallerIdentity"}
_DECLARED = {(call.service, call.operation) for call in AWS_CALLS}


def is_declared(service: str, operation: str) -> bool:
    return (service, operation) in _DECLARED


def iam_policy(calls: tuple[AwsCall, ...] = AWS_CALLS) -> dict[str, Any]:
    """The minimal read-only IAM policy document for the declared calls."""
    actions = sorted({call.action for call in calls} - _NEEDS_NO_PERMISSION)
    return {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "InfraauditReadOnly", "Effect": "Allow", "Action": actions, "Resource": "*"}],
    }
