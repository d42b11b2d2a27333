"""Readers for `pulumi preview --json` and `terraform show -json PLAN` documents → Plan.

Both fail closed: a file that is not JSON, not the expected document, or has a resource in an
unexpected shape raises InputError (exit 3) with one line naming the file; nothing is skipped
silently except what the tools themselves mark as not a change (reads, data sources, no-ops
are kept as `same`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote

from ..errors import InputError
from ..models import ChangeOp
from .mapping import PROVIDER_KEY, supported
from .plan import UNKNOWN, Plan, PlannedResource

T = TypeVar("T")

PULUMI_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's UnknownStringValue
PULUMI_SECRET = "[secret]"  # how preview JSON prints secret values
_PULUMI_OPS = {
    "create": ChangeOp.CREATE,
    "update": ChangeOp.UPDATE,
    "same": ChangeOp.SAME,
    "delete": ChangeOp.DELETE,
    "replace": ChangeOp.REPLACE,
    "create-replacement": ChangeOp.REPLACE,
    "delete-replaced": ChangeOp.REPLACE,
    "import": ChangeOp.SAME,  # adopts what exists: no cost change
    "import-replacement": ChangeOp.REPLACE,
}
# Reads (and their replacements) look at resources managed elsewhere; the rest touch only state.
_PULUMI_SKIPPED = {"read", "read-replacement", "refresh", "discard", "discard-replaced", "remove-pending-replace"}
_SOURCE_POSITION = re.compile(r"^project:///(?P<file>[^#]+)#(?P<line>\d+)")  # URL-escaped path, "#line,col"
# The engine's default providers are named "default" or "default_<version>" (dots as underscores).
_DEFAULT_PROVIDER = re.compile(r"::default(_[0-9A-Za-z_\-]+)?$")
MAX_INPUT_BYTES = 512 * 1024 * 1024


def read_json(path: Path, what: str) -> Any:
    try:
        if path.stat().st_size > MAX_INPUT_BYTES:
            raise InputError(f"{path}: larger than {MAX_INPUT_BYTES // 2**20} MiB; is this {what}?")
        with path.open("rb") as handle:
            return json.load(handle)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, expected {what}") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not JSON ({exc}); expected {what}") from None


def _shaped(path: Path, where: str, parse: Callable[..., T], *args: Any) -> T:
    """`parse(*args)`, with a part of the document in an unexpected shape (a list where an object
    belongs, ...) reported as one InputError line instead of a traceback."""
    try:
        return parse(*args)
    except (TypeError, ValueError, AttributeError, KeyError, IndexError) as exc:
        detail = " ".join(str(exc).split())[:200]
        raise InputError(f"{path}: {where} has an unexpected shape ({type(exc).__name__}: {detail})") from None


# ------------------------------------------------------------------------------------------ Pulumi


def read_pulumi_preview(path: Path) -> Plan:
    document = read_json(path, "the output of `pulumi preview --json`")
    if not isinstance(document, Mapping) or not isinstance(document.get("steps"), list):
        raise InputError(f"{path}: not a `pulumi preview --json` document (no `steps` list)")
    config = _pulumi_config(document.get("config"))
    providers = _shaped(path, "provider steps", _pulumi_providers, document["steps"])
    merged: dict[str, PlannedResource] = {}
    for index, step in enumerate(document["steps"]):
        planned = _shaped(path, f"steps[{index}]", _pulumi_step, step, index, path, config, providers)
        if planned is None:
            continue
        known = merged.get(planned.address)
        merged[planned.address] = planned if known is None else _merge_replacement(known, planned)
    classification = config.get("infraaudit:dataClassification")
    return Plan(
        input_file=str(path),
        kind="pulumi-preview",
        resources=list(merged.values()),
        default_tags=_string_map(_object(config.get("infraaudit:tags"))),
        data_classification=classification if isinstance(classification, str) else None,
        stack=_stack_of(merged),
    )


def _pulumi_config(raw: Any) -> dict[str, Any]:
    """Config values are strings; objects (aws:defaultTags, infraaudit:tags) arrive JSON-encoded."""
    if not isinstance(raw, Mapping):
        return {}
    found: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, Mapping) and "value" in value:  # {"value": ..., "secret": bool} form
            value = PULUMI_SECRET if value.get("secret") else value["value"]
        found[str(key)] = value
    return found


def _object(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return {}
    return dict(value) if isinstance(value, Mapping) else {}


def _string_map(value: Mapping[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items() if isinstance(v, str | int | float | bool)}


def _pulumi_providers(steps: list[Any]) -> dict[str, dict[str, Any]]:
    """Provider resource URN → its region/project/zone/default tags (from its inputs)."""
    found: dict[str, dict[str, Any]] = {}
    for step in steps:
        state = step.get("newState") or step.get("oldState") if isinstance(step, Mapping) else None
        if not isinstance(state, Mapping) or not str(state.get("type", "")).startswith("pulumi:providers:"):
            continue
        inputs = _unknowns(state.get("inputs") or {})
        found[str(state.get("urn") or step.get("urn"))] = provider_settings(str(state["type"]), inputs)
    return found


def provider_settings(type_: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    for key in ("region", "project", "zone"):
        if inputs.get(key) is not None:
            settings[key] = inputs[key]
    tags: Any = None
    if type_.endswith(":aws"):
        default_tags = inputs.get("defaultTags")
        default_tags = _object(default_tags) if not isinstance(default_tags, Mapping) else default_tags
        tags = default_tags.get("tags") if isinstance(default_tags, Mapping) else None
    elif type_.endswith(":gcp"):
        tags = _object(inputs.get("defaultLabels"))
    if isinstance(tags, Mapping):
        settings["tags"] = _string_map(tags)
    return settings


def config_provider(config: Mapping[str, Any], type_: str) -> dict[str, Any]:
    """The default provider's settings from stack config (aws:region, gcp:project, ...)."""
    package = type_.split(":", 1)[0]
    inputs = {key.split(":", 1)[1]: value for key, value in config.items() if key.startswith(f"{package}:")}
    return provider_settings(f"pulumi:providers:{package}", inputs)


def _pulumi_step(
    step: Any, index: int, path: Path, config: Mapping[str, Any], providers: Mapping[str, dict[str, Any]]
) -> PlannedResource | None:
    if not isinstance(step, Mapping) or not isinstance(step.get("op"), str):
        raise InputError(f"{path}: steps[{index}] is not a preview step (no `op`)")
    op = step["op"]
    if op in _PULUMI_SKIPPED:
        return None
    if op not in _PULUMI_OPS:
        raise InputError(f"{path}: steps[{index}] has an unknown op {op!r}")
    old, new = step.get("oldState"), step.get("newState")
    state = new if isinstance(new, Mapping) else old
    if not isinstance(state, Mapping) or not isinstance(state.get("type"), str):
        raise InputError(f"{path}: steps[{index}] ({op}) has no oldState/newState with a `type`")
    type_ = state["type"]
    if not supported(type_):
        return None
    urn = str(step.get("urn") or state.get("urn") or "")
    provider_ref = str(state.get("provider") or step.get("provider") or "").rsplit("::", 1)[0]
    provider = _step_provider(provider_ref, providers, config, type_)
    change = _PULUMI_OPS[op]
    before = _with_provider(old.get("inputs"), provider) if isinstance(old, Mapping) else None
    after = _with_provider(new.get("inputs"), provider) if isinstance(new, Mapping) else None
    if op == "delete-replaced" or change is ChangeOp.DELETE:
        after = None
    if op == "create-replacement" or change is ChangeOp.CREATE:
        before = None
    if op == "import":
        before = after  # adopts what already runs: the same resource on both sides
    source_file, source_line = _source_position(state.get("sourcePosition"))
    return PlannedResource(
        address=urn,
        type=type_,
        name=urn.rsplit("::", 1)[-1] or f"step{index}",
        op=change,
        before=before,
        after=after,
        style="pulumi",
        source_file=source_file,
        source_line=source_line,
    )


def _step_provider(
    ref: str, providers: Mapping[str, dict[str, Any]], config: Mapping[str, Any], type_: str
) -> dict[str, Any]:
    """The settings of the provider a step names. Unchanged providers have no step of their own
    unless the preview ran with --show-sames: a default provider then takes the stack config
    (aws:region, gcp:project, ...) as the engine does; an explicit one's location is unknown
    (it never reads the stack config, and guessing it would put the resource in the wrong place)."""
    if ref in providers:
        return providers[ref]
    if not ref or _DEFAULT_PROVIDER.search(ref):
        return config_provider(config, type_)
    return {"region": UNKNOWN, "project": UNKNOWN, "zone": UNKNOWN}


def _merge_replacement(first: PlannedResource, second: PlannedResource) -> PlannedResource:
    """A replacement can show as replace + create-replacement + delete-replaced steps: one change."""
    return PlannedResource(
        address=first.address,
        type=first.type,
        name=first.name,
        op=ChangeOp.REPLACE,
        before=first.before if first.before is not None else second.before,
        after=first.after if first.after is not None else second.after,
        style=first.style,
        source_file=first.source_file or second.source_file,
        source_line=first.source_line or second.source_line,
    )


def _with_provider(inputs: Any, provider: Mapping[str, Any]) -> dict[str, Any] | None:
    if not isinstance(inputs, Mapping):
        return None
    return {**_unknowns(inputs), PROVIDER_KEY: dict(provider)}


def _unknowns(value: Any) -> Any:
    """Pulumi's unknown sentinel and redacted secrets → UNKNOWN, at any depth."""
    if isinstance(value, str):
        return UNKNOWN if value in (PULUMI_UNKNOWN, PULUMI_SECRET) else value
    if isinstance(value, Mapping):
        return {str(k): _unknowns(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unknowns(v) for v in value]
    return value


def _source_position(raw: Any) -> tuple[str | None, int | None]:
    match = _SOURCE_POSITION.match(raw) if isinstance(raw, str) else None
    return (unquote(match["file"]), int(match["line"])) if match else (None, None)


def _stack_of(resources: Mapping[str, PlannedResource]) -> str | None:
    for urn in resources:
        parts = urn.split(":", 3)
        if len(parts) == 4 and parts[:2] == ["urn", "pulumi"]:
            return parts[2].split("::", 1)[0] or None
    return None


# --------------------------------------------------------------------------------------- Terraform

_TF_ACTIONS: dict[tuple[str, ...], ChangeOp] = {
    ("create",): ChangeOp.CREATE,
    ("update",): ChangeOp.UPDATE,
    ("delete",): ChangeOp.DELETE,
    ("no-op",): ChangeOp.SAME,
    ("read",): ChangeOp.SAME,
    ("delete", "create"): ChangeOp.REPLACE,
    ("create", "delete"): ChangeOp.REPLACE,
    # Terraform >= 1.7 `removed` blocks with destroy = false: the old object keeps running,
    # outside this configuration, so the plan changes nothing about it; a replacement that
    # forgets the old object creates the new one.
    ("create", "forget"): ChangeOp.CREATE,
}
_TF_SKIPPED = {("forget",)}


def read_terraform_plan(path: Path) -> Plan:
    document = read_json(path, "the output of `terraform show -json PLANFILE`")
    # resource_changes is omitted when empty; planned_values is always there (a state has `values`).
    if not isinstance(document, Mapping) or not {"resource_changes", "planned_values"} & document.keys():
        raise InputError(f"{path}: not a `terraform show -json` plan (no `resource_changes`)")
    changes = document.get("resource_changes")
    changes = [] if changes is None else changes
    if not isinstance(changes, list):
        raise InputError(f"{path}: `resource_changes` is not a list")
    providers = _shaped(path, "configuration", _terraform_providers, document.get("configuration"))
    keys = _shaped(path, "configuration", _provider_keys, document.get("configuration"))
    resources = []
    for index, entry in enumerate(changes):
        planned = _shaped(path, f"resource_changes[{index}]", _terraform_change, entry, index, path, providers, keys)
        if planned is not None:
            resources.append(planned)
    return Plan(input_file=str(path), kind="terraform-plan", resources=resources)


def _terraform_providers(configuration: Any) -> dict[str, dict[str, Any]]:
    """provider_config key ("aws", "aws.eu") → constant region/project/zone/default tags."""
    found: dict[str, dict[str, Any]] = {}
    config = configuration.get("provider_config") if isinstance(configuration, Mapping) else None
    if not isinstance(config, Mapping):
        return found
    for key, provider in config.items():
        expressions = provider.get("expressions") if isinstance(provider, Mapping) else None
        if not isinstance(expressions, Mapping):
            continue
        settings: dict[str, Any] = {}
        for name in ("region", "project", "zone"):
            constant = _constant(expressions.get(name))
            if constant is not None:
                settings[name] = constant
        default_tags = expressions.get("default_tags")
        if isinstance(default_tags, list) and default_tags and isinstance(default_tags[0], Mapping):
            tags = _constant(default_tags[0].get("tags"))
            if isinstance(tags, Mapping):
                settings["tags"] = _string_map(tags)
        labels = _constant(expressions.get("default_labels"))
        if isinstance(labels, Mapping):
            settings["tags"] = _string_map(labels)
        found[str(key)] = settings
    return found


def _provider_keys(configuration: Any) -> dict[str, str]:
    """Configuration address (module path without instance keys + type.name) → the provider_config
    key it uses ("aws.eu", "module.gpu:aws"): resource_changes name only the provider's source
    address, the same for every alias."""
    root = configuration.get("root_module") if isinstance(configuration, Mapping) else None
    return dict(_module_provider_keys(root, ""))


def _module_provider_keys(module: Any, prefix: str) -> Iterator[tuple[str, str]]:
    if not isinstance(module, Mapping):
        return
    for resource in module.get("resources") or ():
        if isinstance(resource, Mapping) and isinstance(resource.get("provider_config_key"), str):
            yield f"{prefix}{resource.get('address')}", resource["provider_config_key"]
    calls = module.get("module_calls")
    for name, call in calls.items() if isinstance(calls, Mapping) else ():
        if isinstance(call, Mapping):
            yield from _module_provider_keys(call.get("module"), f"{prefix}module.{name}.")


def _constant(expression: Any) -> Any:
    return expression.get("constant_value") if isinstance(expression, Mapping) else None


def _terraform_change(
    entry: Any,
    index: int,
    path: Path,
    providers: Mapping[str, dict[str, Any]],
    keys: Mapping[str, str],
) -> PlannedResource | None:
    where = f"{path}: resource_changes[{index}]"
    if not isinstance(entry, Mapping) or not isinstance(entry.get("change"), Mapping):
        raise InputError(f"{where} has no `change`")
    if entry.get("mode", "managed") != "managed" or not supported(str(entry.get("type"))):
        return None
    change = entry["change"]
    actions = tuple(change.get("actions") or ())
    if actions in _TF_SKIPPED:
        return None
    if actions not in _TF_ACTIONS:
        raise InputError(f"{where} ({entry.get('address')}) has unknown actions {list(actions)}")
    op = _TF_ACTIONS[actions]
    key = _provider_key(entry, keys)
    if key not in providers:  # a module's key for a provider configured above it: the inherited one
        key = key.rsplit(":", 1)[-1]
    provider = providers.get(key, {})
    before = change.get("before")
    after = change.get("after")
    if after is not None:
        after = _with_provider(_terraform_unknowns(after, change.get("after_unknown")), provider)
    if before is not None:
        before = _with_provider(before, provider)
    if op is ChangeOp.DELETE:
        after = None
    if op is ChangeOp.CREATE:
        before = None
    address = str(entry.get("address") or f"{entry.get('type')}.{entry.get('name')}")
    return PlannedResource(
        address=address,
        type=str(entry["type"]),
        name=address.split(".", 1)[-1] if not address.startswith("module.") else address,
        op=op,
        before=before,
        after=after,
        style="terraform",
    )


def _provider_key(entry: Mapping[str, Any], keys: Mapping[str, str]) -> str:
    """The provider_config key of the resource's configuration (an alias, a module's own provider),
    else the provider's type: registry.terraform.io/hashicorp/aws → "aws" (the root default)."""
    module = re.sub(r"\[[^\]]*\]", "", str(entry.get("module_address") or ""))
    key = keys.get(f"{module}.{entry.get('type')}.{entry.get('name')}".lstrip("."))
    if key is not None:
        return key
    name = str(entry.get("provider_name") or "")
    return name.rsplit("/", 1)[-1]


def _terraform_unknowns(after: Any, unknown: Any) -> Any:
    """Mark what after_unknown says is unknown: `true` at a position replaces the value there."""
    if unknown is True:
        return UNKNOWN
    if isinstance(after, Mapping):
        marks = unknown if isinstance(unknown, Mapping) else {}
        merged = {str(k): _terraform_unknowns(v, marks.get(k)) for k, v in after.items()}
        for key, mark in marks.items():  # unknown attributes are absent from `after` altogether
            if key not in merged and mark is True:
                merged[str(key)] = UNKNOWN
        return merged
    if isinstance(after, list):
        items: list[Any] = unknown if isinstance(unknown, list) else []
        return [_terraform_unknowns(v, items[i] if i < len(items) else None) for i, v in enumerate(after)]
    return after


__all__ = ["PULUMI_UNKNOWN", "config_provider", "provider_settings", "read_pulumi_preview", "read_terraform_plan"]
