"""infraaudit's preview rules as Pulumi CrossGuard resource policies (pulumi-policy 1.21).

`__main__.py` hands `build_policies(Evaluator.from_environment())` to `PolicyPack`, which starts
the analyzer's gRPC server and blocks; tests import this module and call each policy's
`validate` directly. Nothing here runs at import time.

Per resource, the path is the one `infraaudit check` takes for a planned resource:

    ResourceValidationArgs --plain()--> PlannedResource(style="pulumi", op=create)
        --planned_resources()--> Resources (source=preview) --enrich (catalog)--> OPA (real engine)
        --> Findings --waivers--> report_violation() of the policy named after each finding's rule

- One `ResourceValidationPolicy` per library rule whose METADATA `sources` include `preview`,
  read from the library at pack start (custom rules from INFRAAUDIT_POLICY_DIRS included):
  name = rule id lowercased, description = title, enforcement level from the severity
  (`ENFORCEMENT`); Pulumi's policy config overrides the level per policy, as for any pack.
- Only the GPU-capable types `infraaudit.audit.preview.mapping` maps are evaluated; the rest
  return at once. A resource is evaluated once per distinct input (URN + digest of its inputs):
  the first policy that sees it queries OPA, the other policies read the cached findings.
- Fail closed: when the engine cannot evaluate a resource, the `infraaudit-engine` policy
  (mandatory, first in the list) reports it; should that policy be disabled, every rule's
  policy reports the failure itself. A failure never reads as "no violations".
- OPA: one private `opa run --server` for the pack's lifetime, started when the pack starts
  (`Evaluator.start`, on the main thread: see there why not from an analyzer thread) and stopped
  at exit, or the remote OPA at INFRAAUDIT_OPA_URL, which must serve the bundle that
  `infraaudit policies bundle` builds from the same library and config.

Unknown values: pulumi-policy hands `args.props` over as a read-only proxy whose item access
raises `UnknownValueError` for a value unknown during preview (the engine sends Pulumi's unknown
sentinel strings). `plain()` walks the proxy by key and index and turns those into UNKNOWN, so
the mappers never see a sentinel and no rule denies on an unknown value.

Environment (all optional): INFRAAUDIT_OPA (the opa binary), INFRAAUDIT_OPA_URL,
INFRAAUDIT_OPA_TOKEN, INFRAAUDIT_OPA_TIMEOUT (seconds), INFRAAUDIT_CONFIG (infraaudit.yaml:
thresholds, residency classes, required tags, waivers), INFRAAUDIT_CATALOG (price snapshot),
INFRAAUDIT_POLICY_DIRS (custom rule folders, separated by os.pathsep). Relative paths are
taken from the pack's working directory, which Pulumi sets to the pack folder. Stack config
`infraaudit:tags` and `infraaudit:dataClassification` apply as in `infraaudit check`.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import pulumi
import pulumi.runtime
from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Secret,
)
from pulumi_policy import Severity as PulumiSeverity
from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
)

from infraaudit.audit.catalog import Catalog
from infraaudit.audit.config import Settings, apply_waivers, check_waiver_rules, load_settings
from infraaudit.audit.engine import LocalOpaServer, OpaEndpoint, PolicyEngine, PolicyLibrary, find_opa
from infraaudit.audit.models import ChangeOp, Coverage, Finding, Inventory, PolicyMeta, PolicySource, Severity
from infraaudit.audit.preview import UNKNOWN, Plan, PlannedResource, planned_resources, supported
from infraaudit.audit.preview.mapping import PROVIDER_KEY
from infraaudit.audit.preview.readers import config_provider, provider_settings
from infraaudit.audit.scan import enrich, policy_data

PACK_NAME: Final = "infraaudit"
ENGINE_POLICY: Final = "infraaudit-engine"
PLAN_INPUT: Final = "pulumi-policy-pack"  # IacOrigin.input_file of what the pack evaluates
DEFAULT_TIMEOUT_S: Final = 60.0
FAILURE_TTL_S: Final = 60.0  # an engine failure is reused (not retried) this long: one OPA try per resource

ENFORCEMENT: Final[Mapping[Severity, EnforcementLevel]] = {
    Severity.CRITICAL: EnforcementLevel.MANDATORY,
    Severity.HIGH: EnforcementLevel.MANDATORY,
    Severity.MEDIUM: EnforcementLevel.ADVISORY,
    Severity.LOW: EnforcementLevel.ADVISORY,
    # Shown, never blocking: an info rule says something worth knowing, not something to stop.
    Severity.INFO: EnforcementLevel.ADVISORY,
}
_PULUMI_SEVERITY: Final[Mapping[Severity, PulumiSeverity | None]] = {
    Severity.CRITICAL: PulumiSeverity.CRITICAL,
    Severity.HIGH: PulumiSeverity.HIGH,
    Severity.MEDIUM: PulumiSeverity.MEDIUM,
    Severity.LOW: PulumiSeverity.LOW,
    Severity.INFO: None,  # pulumi-policy has no info severity: left unspecified
}
UNKNOWN_SENTINELS: Final = frozenset(
    {
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_STRING_VALUE,  # the one the Go engine sends, = readers.PULUMI_UNKNOWN
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_ARCHIVE_VALUE,
        UNKNOWN_OBJECT_VALUE,
    }
)


# ------------------------------------------------------------------------------- args → PlannedResource


def plain(value: Any) -> Any:
    """Pulumi's property bag (a pulumi-policy proxy, or plain dicts/lists) as plain JSON-like values
    with every unknown as UNKNOWN: sentinel strings, proxy items that raise UnknownValueError, and
    (defensively) `pulumi.Output` values, which cannot be read synchronously."""
    if isinstance(value, str):
        return UNKNOWN if value in UNKNOWN_SENTINELS else value
    if isinstance(value, pulumi.Output):
        return UNKNOWN
    if isinstance(value, Secret):
        return plain(value.value)
    if isinstance(value, Mapping):
        found: dict[str, Any] = {}
        for key in value:  # iterating a proxy never raises; reading an unknown item does
            try:
                item = value[key]
            except UnknownValueError:
                item = UNKNOWN
            found[str(key)] = plain(item)
        return found
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        items = []
        for index in range(len(value)):
            try:
                item = value[index]
            except UnknownValueError:
                item = UNKNOWN
            items.append(plain(item))
        return items
    return value


def stack_config() -> dict[str, Any]:
    """The stack's config as the engine passes it to the pack (PULUMI_CONFIG), {} outside Pulumi."""
    return dict(pulumi.runtime.get_config_env())


def planned_resource(args: ResourceValidationArgs, config: Mapping[str, Any]) -> PlannedResource:
    """The resource as `infraaudit check` reads it from a preview: camelCase inputs plus the
    region/project/zone and default tags of its provider (explicit or default; else the config)."""
    after = plain(args.props)
    if not isinstance(after, dict):
        after = {}
    provider = args.provider
    if provider is not None and str(provider.resource_type).startswith("pulumi:providers:"):
        inputs = plain(provider.props)
        settings = provider_settings(str(provider.resource_type), inputs if isinstance(inputs, Mapping) else {})
    else:
        settings = config_provider(config, args.resource_type)
    after[PROVIDER_KEY] = settings
    return PlannedResource(
        address=args.urn,
        type=args.resource_type,
        name=args.name,
        op=ChangeOp.CREATE,
        before=None,
        after=after,
        style="pulumi",
    )


def _config_object(value: Any) -> dict[str, str]:
    """A config object (JSON-encoded in PULUMI_CONFIG) as string tags; anything else is {}."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return {}
    if not isinstance(value, Mapping):
        return {}
    return {str(k): str(v) for k, v in value.items() if isinstance(v, str | int | float | bool)}


def _digest(planned: PlannedResource) -> str:
    def default(value: Any) -> str:
        return "<unknown>" if value is UNKNOWN else repr(value)

    text = json.dumps([planned.type, planned.after], sort_keys=True, default=default)
    return hashlib.sha256(text.encode()).hexdigest()


# -------------------------------------------------------------------------------------------- engine


@dataclass
class Outcome:
    """The evaluation of one resource input: findings by rule id, or why the engine failed."""

    key: str
    findings: dict[str, list[Finding]] = field(default_factory=dict)
    error: str | None = None
    at: float = field(default_factory=time.monotonic)
    error_reported: bool = False  # by the engine policy: the rule policies need not repeat it


class Evaluator:
    """The pack's shared state: the library's METADATA, settings, catalog, one OPA endpoint
    (started on first use) and the last outcome per URN. Thread-safe: the analyzer's gRPC
    server calls the policies from a pool of threads."""

    def __init__(
        self,
        *,
        opa: Path | None = None,
        policy_dirs: Sequence[Path] = (),
        settings: Settings | None = None,
        catalog: Catalog | None = None,
        opa_url: str | None = None,
        opa_token: str | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        config: Mapping[str, Any] | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.library = PolicyLibrary(opa or find_opa(), policy_dirs)
        self.policies: list[PolicyMeta] = self.library.policies  # runs `opa inspect`: fails loudly at start
        self.settings = settings or Settings()
        check_waiver_rules(self.settings.waivers, (p.id for p in self.policies))
        self.catalog = catalog or Catalog.load()
        self.data = policy_data(self.settings, self.catalog)
        self.opa_url = opa_url
        self.opa_token = opa_token
        self.timeout_s = timeout_s
        self.config = dict(config) if config is not None else None
        self.now = now
        self._endpoint: OpaEndpoint | None = None
        self._server: LocalOpaServer | None = None
        self._endpoint_lock = threading.Lock()
        self._cache_lock = threading.Lock()
        self._cache: dict[str, Outcome] = {}
        self.evaluations = 0  # resources sent to OPA (tests count them)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Evaluator:
        env = os.environ if environ is None else environ
        config_file = env.get("INFRAAUDIT_CONFIG")
        catalog_file = env.get("INFRAAUDIT_CATALOG")
        dirs = [Path(p) for p in env.get("INFRAAUDIT_POLICY_DIRS", "").split(os.pathsep) if p]
        return cls(
            opa=find_opa(dict(env)),
            policy_dirs=dirs,
            settings=load_settings(Path(config_file) if config_file else None),
            catalog=Catalog.load(Path(catalog_file) if catalog_file else None),
            opa_url=env.get("INFRAAUDIT_OPA_URL") or None,
            opa_token=env.get("INFRAAUDIT_OPA_TOKEN") or None,
            timeout_s=float(env.get("INFRAAUDIT_OPA_TIMEOUT") or DEFAULT_TIMEOUT_S),
        )

    @property
    def preview_rules(self) -> list[PolicyMeta]:
        return [p for p in self.policies if PolicySource.PREVIEW in p.sources]

    # -- evaluation

    def outcome(self, args: ResourceValidationArgs) -> Outcome:
        """The findings for this resource input, from the cache when it was evaluated already."""
        config = self.config if self.config is not None else stack_config()
        try:
            planned = planned_resource(args, config)
            key = _digest(planned)
        except Exception as exc:  # noqa: BLE001 - anything unexpected fails closed, never passes
            return Outcome(key="", error=f"cannot read the resource's inputs: {type(exc).__name__}: {exc}")
        with self._cache_lock:
            cached = self._cache.get(args.urn)
        if cached is not None and cached.key == key:
            if cached.error is None or time.monotonic() - cached.at < FAILURE_TTL_S:
                return cached
        result = self._evaluate(planned, key, config)
        with self._cache_lock:
            self._cache[args.urn] = result
        return result

    def _evaluate(self, planned: PlannedResource, key: str, config: Mapping[str, Any]) -> Outcome:
        classification = config.get("infraaudit:dataClassification")
        plan = Plan(
            input_file=PLAN_INPUT,
            kind="pulumi-policy-pack",
            resources=[planned],
            default_tags=_config_object(config.get("infraaudit:tags")),
            data_classification=classification if isinstance(classification, str) else None,
            stack=os.environ.get("PULUMI_STACK"),
        )
        try:
            resources = planned_resources(planned, plan, classification_tag=self.settings.residency.classification_tag)
            if not resources:
                return Outcome(key=key)
            stamp = self.now()
            inventory = Inventory(
                generated_at=stamp,
                resources=resources,
                coverage=Coverage(
                    accounts=sorted({r.account for r in resources}),
                    regions=sorted({r.region for r in resources}),
                    apis=[PLAN_INPUT],
                ),
            )
            enriched = enrich(inventory, self.catalog)
            engine = PolicyEngine(self.endpoint(), self.policies, workers=1, source=PolicySource.PREVIEW)
            with self._cache_lock:
                self.evaluations += 1
            findings = apply_waivers(engine.evaluate(enriched), self.settings.waivers, stamp.date())
        except Exception as exc:  # noqa: BLE001 - EngineError and anything unexpected: fail closed
            return Outcome(key=key, error=f"{type(exc).__name__}: {exc}")
        by_rule: dict[str, list[Finding]] = {}
        for finding in findings:
            if finding.suppression is None:  # waived: not a violation (as in the check gate)
                by_rule.setdefault(finding.rule_id, []).append(finding)
        return Outcome(key=key, findings=by_rule)

    # -- OPA

    def start(self) -> None:
        """Start the pack's OPA (or check the remote one) now; raises EngineError when it cannot.

        `__main__` calls it on the main thread before `PolicyPack` starts gRPC's threads: OPA is
        started with a `preexec_fn` (Linux: stop OPA when its parent dies), and forking from a
        process whose gRPC threads are busy crashes the child now and then (SIGSEGV/SIGABRT
        before exec, measured 5 of 30 starts from an analyzer thread). The main thread also
        lives as long as the pack, and PR_SET_PDEATHSIG fires when the starting *thread* ends."""
        self.endpoint()

    def endpoint(self) -> OpaEndpoint:
        """The remote OPA (checked once to serve this library and config) or the pack's own server,
        started on first use when `start()` was not called (tests); stopped at exit."""
        with self._endpoint_lock:
            if self._endpoint is None:
                if self.opa_url:
                    endpoint = OpaEndpoint.from_url(self.opa_url, self.opa_token, self.timeout_s)
                    endpoint.check_revision(self.library.revision(self.data))
                else:
                    server = LocalOpaServer(self.library.opa, self.library.load_paths, self.data).__enter__()
                    assert server.port is not None
                    self._server = server
                    endpoint = OpaEndpoint("127.0.0.1", server.port, timeout_s=self.timeout_s)
                self._endpoint = endpoint
            return self._endpoint

    def close(self) -> None:
        """Stop the pack's OPA (also done at exit) and forget the cached outcomes."""
        with self._endpoint_lock:
            if self._server is not None:
                self._server.stop()
                self._server = None
            self._endpoint = None
        with self._cache_lock:
            self._cache.clear()


# ------------------------------------------------------------------------------------------ policies


def violation_message(finding: Finding) -> str:
    """What Pulumi shows under the policy's description: the finding, what to do, what it saves."""
    lines = [f"[{finding.rule_id} {finding.severity.value}] {finding.message}"]
    if finding.recommendation:
        lines.append(f"Recommendation: {finding.recommendation}")
    if finding.remediation:
        lines.append(f"Remediation: {finding.remediation}")
    if finding.estimated_monthly_savings_usd > 0:
        lines.append(f"Estimated saving: ${finding.estimated_monthly_savings_usd:,.2f}/month (730 h)")
    return "\n".join(lines)


def failure_message(outcome: Outcome) -> str:
    return f"infraaudit could not evaluate its policies on this resource, so it is not known to comply: {outcome.error}"


def enforcement_level(severity: Severity) -> EnforcementLevel:
    return ENFORCEMENT[severity]


def _rule_validation(evaluator: Evaluator, rule_id: str) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if not supported(args.resource_type):
            return
        outcome = evaluator.outcome(args)
        if outcome.error is not None:
            if not outcome.error_reported:  # the engine policy is disabled: fail closed here
                report_violation(failure_message(outcome), None)
            return
        for finding in outcome.findings.get(rule_id, []):
            report_violation(violation_message(finding), None)

    return validate


def _engine_validation(evaluator: Evaluator) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if not supported(args.resource_type):
            return
        outcome = evaluator.outcome(args)
        if outcome.error is not None:
            outcome.error_reported = True
            report_violation(failure_message(outcome), None)

    return validate


def rule_policy(evaluator: Evaluator, meta: PolicyMeta) -> ResourceValidationPolicy:
    return ResourceValidationPolicy(
        name=meta.id.lower(),
        description=meta.title,
        validate=_rule_validation(evaluator, meta.id),
        enforcement_level=enforcement_level(meta.severity),
        display_name=f"{meta.id}: {meta.title}",
        severity=_PULUMI_SEVERITY[meta.severity],
        tags=[meta.category.value],
        remediation_steps=meta.remediation,
    )


def engine_policy(evaluator: Evaluator) -> ResourceValidationPolicy:
    return ResourceValidationPolicy(
        name=ENGINE_POLICY,
        description="infraaudit evaluates its policies on every GPU-capable resource",
        validate=_engine_validation(evaluator),
        enforcement_level=EnforcementLevel.MANDATORY,
        display_name="infraaudit policy evaluation",
        severity=PulumiSeverity.HIGH,
        tags=["infraaudit"],
        remediation_steps=(
            "Make OPA available to the pack (INFRAAUDIT_OPA, or INFRAAUDIT_OPA_URL serving the bundle "
            "`infraaudit policies bundle` builds) and run the preview again."
        ),
    )


def build_policies(evaluator: Evaluator) -> list[ResourceValidationPolicy]:
    """The engine policy first (Pulumi runs a pack's policies in list order for each resource),
    then one policy per preview rule of the library, by rule id."""
    return [engine_policy(evaluator), *(rule_policy(evaluator, meta) for meta in evaluator.preview_rules)]
