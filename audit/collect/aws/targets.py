"""Which accounts to scan: the default credential chain, profiles, role ARNs, or every
active account of an AWS Organization through a role assumed in each."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from botocore.config import Config
from botocore.exceptions import NoCredentialsError, PartialCredentialsError, ProfileNotFound

from ...errors import InfraauditError
from ...models import CoverageGap
from ..shared import ApiCallCounter
from .counter import ClientFactory, new_session
from .gaps import AWS_ERRORS, gap

ROLE_ARN = re.compile(r"^arn:(?P<partition>aws[a-z-]*):iam::(?P<account>\d{12}):role/[\w+=,.@/-]{1,512}$")
ROLE_NAME = re.compile(r"^[\w+=,.@/-]{1,64}$")
SESSION_NAME = "infraaudit-scan"
# Global APIs (STS, Organizations) are called in this region unless the profile names one.
HOME_REGION = "us-east-1"


class CredentialError(InfraauditError):
    """No usable credentials at all: a configuration problem, not a coverage gap."""


@dataclass(frozen=True)
class AwsTargetSpec:
    profiles: tuple[str, ...] = ()
    role_arns: tuple[str, ...] = ()
    org_role: str | None = None
    regions: tuple[str, ...] = ()
    endpoint_url: str | None = field(default=None)

    def __post_init__(self) -> None:
        for arn in self.role_arns:
            if not ROLE_ARN.match(arn):
                raise ValueError(f"{arn!r} is not an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>)")
        if self.org_role is not None and not ROLE_NAME.match(self.org_role):
            raise ValueError(f"{self.org_role!r} is not an IAM role name")
        if self.role_arns and self.org_role:
            raise ValueError("--role-arn and --org-role cannot be combined")


@dataclass(frozen=True)
class AwsAccount:
    account_id: str
    via: str  # how it was reached, for messages: "default credentials", "profile prod", a role ARN
    clients: ClientFactory
    home_region: str


@dataclass
class ResolvedTargets:
    accounts: list[AwsAccount] = field(default_factory=list)
    gaps: list[CoverageGap] = field(default_factory=list)


def resolve_targets(spec: AwsTargetSpec, counter: ApiCallCounter, config: Config) -> ResolvedTargets:
    """The accounts to scan. Unreachable accounts become gaps; no credentials at all is an error."""
    bases = [_base(profile, spec, counter, config) for profile in spec.profiles or (None,)]
    resolved = ResolvedTargets()
    if spec.role_arns:
        base = bases[0]
        for arn in spec.role_arns:
            _add_assumed(resolved, base, arn, arn, spec, counter, config)
    elif spec.org_role:
        _add_organization(resolved, bases[0], spec.org_role, spec, counter, config)
    else:
        resolved.accounts.extend(bases)
    resolved.accounts = _unique(resolved.accounts)
    return resolved


def base_account(profile: str | None, endpoint_url: str | None, counter: ApiCallCounter, config: Config) -> AwsAccount:
    """The account of a profile (None: the default credential chain), checked with GetCallerIdentity."""
    return _base(profile, AwsTargetSpec(endpoint_url=endpoint_url), counter, config)


def _base(profile: str | None, spec: AwsTargetSpec, counter: ApiCallCounter, config: Config) -> AwsAccount:
    via = f"profile {profile}" if profile else "default credentials"
    try:
        session = new_session(profile)
        home = session.region_name or HOME_REGION
        clients = ClientFactory(session, counter, config, spec.endpoint_url)
        identity = clients.client("sts", home).get_caller_identity()
    except ProfileNotFound:  # botocore raises it when the session is first used
        raise CredentialError(f"AWS profile {profile!r} not found in the AWS config/credentials files") from None
    except (NoCredentialsError, PartialCredentialsError):
        raise CredentialError(
            f"no AWS credentials found for {via} (set AWS_PROFILE or use --profile, environment variables, "
            "SSO or an instance role)"
        ) from None
    except AWS_ERRORS as exc:
        g = gap(exc, api="sts:GetCallerIdentity")
        raise CredentialError(f"AWS credentials for {via} were rejected: {g.error_code}: {g.message}") from None
    return AwsAccount(str(identity["Account"]), via, clients, home)


def _add_assumed(
    resolved: ResolvedTargets,
    base: AwsAccount,
    role_arn: str,
    via: str,
    spec: AwsTargetSpec,
    counter: ApiCallCounter,
    config: Config,
) -> None:
    account_id = role_arn.split(":")[4]
    try:
        answer = base.clients.client("sts", base.home_region).assume_role(
            RoleArn=role_arn, RoleSessionName=SESSION_NAME
        )
    except AWS_ERRORS as exc:
        resolved.gaps.append(gap(exc, api="sts:AssumeRole", account=account_id))
        return
    creds = answer["Credentials"]
    session = new_session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=base.home_region,
    )
    clients = ClientFactory(session, counter, config, spec.endpoint_url)
    resolved.accounts.append(AwsAccount(account_id, via, clients, base.home_region))


def _add_organization(
    resolved: ResolvedTargets,
    base: AwsAccount,
    role_name: str,
    spec: AwsTargetSpec,
    counter: ApiCallCounter,
    config: Config,
) -> None:
    partition = "aws"
    try:
        pages = base.clients.client("organizations", base.home_region).get_paginator("list_accounts").paginate()
        members = [account for page in pages for account in page["Accounts"]]
    except AWS_ERRORS as exc:
        resolved.gaps.append(gap(exc, api="organizations:ListAccounts", account=base.account_id))
        return
    for member in sorted(members, key=lambda m: str(m["Id"])):
        if _member_state(member) != "ACTIVE":
            continue  # suspended or closing accounts cannot be assumed into
        account_id = str(member["Id"])
        if account_id == base.account_id:
            resolved.accounts.append(base)  # the management account: already signed in
            continue
        arn = f"arn:{partition}:iam::{account_id}:role/{role_name}"
        _add_assumed(resolved, base, arn, f"{role_name} in {account_id}", spec, counter, config)


def _member_state(member: dict[str, object]) -> str:
    # Organizations added `State` (ACTIVE, SUSPENDED, PENDING_CLOSURE, CLOSED...) beside the older `Status`.
    return str(member.get("State") or member.get("Status") or "ACTIVE").upper()


def _unique(accounts: list[AwsAccount]) -> list[AwsAccount]:
    """One target per account (two profiles of one account would double every finding)."""
    seen: dict[str, AwsAccount] = {}
    for account in accounts:
        seen.setdefault(account.account_id, account)
    return list(seen.values())
