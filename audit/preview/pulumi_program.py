"""`--pulumi-program DIR`: the resources a Pulumi Python program declares, read without the
Pulumi CLI and without cloud credentials.

The program runs in a subprocess (`_program_runner`) under the Pulumi SDK's mocks, as a preview:
every custom resource it constructs becomes a PlannedResource (op create) whose `after` is the
input property bag the engine would receive (camelCase, as in `pulumi preview --json`). This
module does not import pulumi; it reads Pulumi.yaml and the stack config, prepares the
environment and turns the runner's JSON into a Plan. See docs/pulumi-program.md.

Config rules:
- `Pulumi.yaml` (or `Pulumi.yml`) needs `name` and `runtime: python` (or `runtime: {name: python}`);
  `main` (a file, or a directory holding `__main__.py`) defaults to `__main__.py`; project-level
  `config:` values (`key: value`, or `key: {default: ...}` / `{value: ...}`) apply first.
- The stack config is `Pulumi.<stack>.yaml` (in `stackConfigDir` when set) for the given stack
  (`org/project/stack` uses its last part); it must exist. Without a stack: the only
  `Pulumi.*.yaml` there, none (no stack config; URNs use the stack name `dev`), or an error
  when there are several.
- Keys without a namespace belong to the project. Values marked `secure:` cannot be decrypted
  here: the program sees Pulumi's unknown sentinel and they are UNKNOWN in the Plan.
- `infraaudit:tags` (an object) becomes Plan.default_tags (every resource) and
  `infraaudit:dataClassification` Plan.data_classification, as for a preview.
- Each aws/gcp resource gets `after["__provider"]` with the region (aws) or project, region and
  zone (gcp) of its provider, for the keys it does not set itself, and the provider's default
  tags as `tags`: an explicit provider's arguments (`defaultTags` / `defaultLabels`), else the
  stack config (`aws:region`, `aws:defaultTags`, `gcp:project`, `gcp:region`, `gcp:zone`,
  `gcp:defaultLabels`). Unknown values stay UNKNOWN.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import yaml

from ..errors import InputError
from ..models import ChangeOp
from .plan import UNKNOWN, Plan, PlannedResource

UNKNOWN_SENTINEL: Final = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # Pulumi's unknown value on the wire
RUNNER: Final = "infraaudit.audit.preview._program_runner"
DEFAULT_STACK: Final = "dev"
PROVIDER_KEY: Final = "__provider"
_PROVIDER_FIELDS: Final = {"aws": ("region",), "gcp": ("project", "region", "zone")}
_PROVIDER_TAGS: Final = {"aws": "defaultTags", "gcp": "defaultLabels"}
# Credentials and cloud/Pulumi settings of the caller never reach the program.
_BLANKED_PREFIXES: Final = ("AWS_", "GOOGLE_", "GCLOUD_", "CLOUDSDK_", "PULUMI_", "AZURE_", "ARM_")
_DECLARATION_KEYS: Final = {"type", "default", "value", "description", "secret", "items"}


def load_pulumi_program(directory: Path, *, stack: str | None = None, timeout_s: float = 120) -> Plan:
    """Run the Pulumi Python program in `directory` under mocks and return what it would create."""
    where = f"pulumi program {directory}"
    if not directory.is_dir():
        raise InputError(f"{where}: not a directory")
    project = _read_project(directory, where)
    name = project["name"]
    program = _main_program(directory, project, where)
    stack_name, stack_config = _stack_config(directory, project, stack, where)
    config = {**_project_config(project, name, where), **stack_config}
    default_tags = _default_tags(config, where)
    result = _run(directory, program, name, stack_name or DEFAULT_STACK, config, timeout_s, where)
    providers: Mapping[str, Any] = result.get("providers") or {}
    resources = []
    for entry in result.get("resources", []):
        after = _unknowns(entry.get("inputs") or {})
        facts = _provider_facts(entry["type"], entry.get("provider"), after, providers, config)
        if facts:
            after[PROVIDER_KEY] = facts
        resources.append(
            PlannedResource(
                address=entry["urn"],
                type=entry["type"],
                name=entry["name"],
                op=ChangeOp.CREATE,
                before=None,
                after=after,
                style="pulumi",
                source_file=entry.get("source_file"),
                source_line=entry.get("source_line"),
            )
        )
    return Plan(
        input_file=str(directory),
        kind="pulumi-program",
        resources=resources,
        default_tags=default_tags,
        data_classification=_tag_value(config.get("infraaudit:dataClassification")),
        stack=stack_name,
    )


# ------------------------------------------------------------------ project and stack files


def _load_yaml(path: Path, where: str) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise InputError(f"{where}: {path.name} is not valid YAML: {problem}{at}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{where}: cannot read {path.name}: {exc}") from None


def _read_project(directory: Path, where: str) -> dict[str, Any]:
    path = next((directory / n for n in ("Pulumi.yaml", "Pulumi.yml") if (directory / n).is_file()), None)
    if path is None:
        raise InputError(f"{where}: no Pulumi.yaml (not a Pulumi project)")
    project = _load_yaml(path, where)
    if not isinstance(project, dict) or not isinstance(project.get("name"), str) or not project["name"]:
        raise InputError(f"{where}: {path.name} has no project name")
    runtime = project.get("runtime")
    runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if runtime_name != "python":
        raise InputError(
            f"{where}: runtime is {runtime_name!r}; only Python programs can be run "
            "(for other runtimes check a `pulumi preview --json` document)"
        )
    return project


def _main_program(directory: Path, project: Mapping[str, Any], where: str) -> Path:
    main = project.get("main")
    if main is not None and not isinstance(main, str):
        raise InputError(f"{where}: `main` in Pulumi.yaml must be a path")
    path = directory / main if main else directory
    if path.is_dir():
        path = path / "__main__.py"
    if not path.is_file():
        shown = path.relative_to(directory) if path.is_relative_to(directory) else path
        raise InputError(f"{where}: the program {shown} does not exist")
    return path


def _stack_config(
    directory: Path, project: Mapping[str, Any], stack: str | None, where: str
) -> tuple[str | None, dict[str, Any]]:
    config_dir = directory / str(project.get("stackConfigDir") or ".")
    files = {p.name.split(".", 1)[1].rsplit(".", 1)[0]: p for p in sorted(config_dir.glob("Pulumi.*.y*ml"))}
    if stack is not None:
        stack = stack.rsplit("/", 1)[-1]
        if stack not in files:
            known = ", ".join(sorted(files)) or "none"
            raise InputError(f"{where}: no Pulumi.{stack}.yaml for stack {stack!r} (stack configs: {known})")
    elif len(files) > 1:
        names = ", ".join(f"Pulumi.{s}.yaml" for s in sorted(files))
        raise InputError(f"{where}: several stack configs ({names}); choose one with --stack")
    elif files:
        stack = next(iter(files))
    else:
        return None, {}
    document = _load_yaml(files[stack], where) or {}
    raw = document.get("config") if isinstance(document, dict) else None
    if raw is not None and not isinstance(raw, dict):
        raise InputError(f"{where}: `config` in {files[stack].name} must be a mapping")
    name = str(project["name"])
    return stack, {_full_key(str(k), name): _secure_to_unknown(v) for k, v in (raw or {}).items()}


def _project_config(project: Mapping[str, Any], name: str, where: str) -> dict[str, Any]:
    raw = project.get("config")
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise InputError(f"{where}: `config` in Pulumi.yaml must be a mapping")
    config = {}
    for key, value in raw.items():
        if isinstance(value, dict) and value and set(value) <= _DECLARATION_KEYS:
            if "value" not in value and "default" not in value:
                continue  # a declaration without a value
            value = value.get("value", value.get("default"))
        config[_full_key(str(key), name)] = _secure_to_unknown(value)
    return config


def _full_key(key: str, project: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def _secure_to_unknown(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return UNKNOWN
        return {str(k): _secure_to_unknown(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_secure_to_unknown(v) for v in value]
    return value


def _has_unknown(value: Any) -> bool:
    if value is UNKNOWN:
        return True
    if isinstance(value, dict):
        return any(_has_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_unknown(v) for v in value)
    return False


def _encode(value: Any) -> str:
    """A config value as the Pulumi CLI hands it to a program: strings raw, the rest as JSON."""
    if value is UNKNOWN:
        return UNKNOWN_SENTINEL
    if isinstance(value, str):
        return value
    return json.dumps(_sentinels(value), default=str)  # default: YAML dates


def _sentinels(value: Any) -> Any:
    if value is UNKNOWN:
        return UNKNOWN_SENTINEL
    if isinstance(value, dict):
        return {k: _sentinels(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_sentinels(v) for v in value]
    return value


def _unknowns(value: Any) -> Any:
    """The runner's JSON with Pulumi's unknown sentinel turned into UNKNOWN, wherever it sits."""
    if value == UNKNOWN_SENTINEL:
        return UNKNOWN
    if isinstance(value, dict):
        return {k: _unknowns(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unknowns(v) for v in value]
    return value


# ------------------------------------------------------------------ tags and providers


def _object(value: Any) -> Any:
    """An object config value; one set with `pulumi config set` without --path arrives as JSON text."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _tag_value(value: Any) -> str | None:
    if value is None or value is UNKNOWN or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _default_tags(config: Mapping[str, Any], where: str) -> dict[str, str]:
    """`infraaudit:tags`: tags for every resource of the stack (provider default tags are per
    provider, see _provider_facts)."""
    return _tag_map(_object(config.get("infraaudit:tags")), "infraaudit:tags", where)


def _tag_map(value: Any, key: str, where: str) -> dict[str, str]:
    if value is None or value is UNKNOWN:
        return {}
    if not isinstance(value, dict):
        raise InputError(f"{where}: config {key} must be an object of tag: value")
    tags: dict[str, str] = {}
    for tag, tag_value in value.items():
        text = _tag_value(tag_value)
        if text is not None:
            tags[str(tag)] = text
    return tags


def _config_tags(package: str, config: Mapping[str, Any], where: str) -> dict[str, str]:
    """The default provider's tags from stack config: aws:defaultTags.tags, gcp:defaultLabels."""
    if package == "aws":
        aws = _object(config.get("aws:defaultTags"))
        return _tag_map(_object(aws.get("tags")), "aws:defaultTags", where) if isinstance(aws, dict) else {}
    return _tag_map(_object(config.get("gcp:defaultLabels")), "gcp:defaultLabels", where)


def _provider_facts(
    type_: str,
    provider: str | None,
    after: Mapping[str, Any],
    providers: Mapping[str, Any],
    config: Mapping[str, Any],
) -> dict[str, Any]:
    package = type_.split(":", 1)[0]
    fields = _PROVIDER_FIELDS.get(package)
    if fields is None:
        return {}
    explicit = providers.get(provider) if provider else None
    facts: dict[str, Any] = {}
    if explicit is not None:
        inputs = _unknowns(explicit.get("inputs") or {})
        source = {field: inputs.get(field) for field in fields}
        tags = _object(inputs.get(_PROVIDER_TAGS[package]))
        if package == "aws" and isinstance(tags, dict):
            tags = _object(tags.get("tags"))
        if isinstance(tags, dict) and tags:
            facts["tags"] = tags
    else:
        source = {field: config.get(f"{package}:{field}") for field in fields}
        tags = _config_tags(package, config, "stack config")
        if tags:
            facts["tags"] = tags
    for field, value in source.items():
        if value is not None and after.get(field) is None:
            facts[field] = value
    return facts


# ------------------------------------------------------------------ the subprocess


def _environment(config: Mapping[str, Any], project: str, stack: str, scratch: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_BLANKED_PREFIXES)}
    gcloud = scratch / "gcloud"
    gcloud.mkdir()
    env.update(
        {
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
            "CLOUDSDK_CONFIG": str(gcloud),
            "PULUMI_CONFIG": json.dumps({k: _encode(v) for k, v in config.items() if v is not None}),
            "PULUMI_CONFIG_SECRET_KEYS": json.dumps(sorted(k for k, v in config.items() if _has_unknown(v))),
            "PULUMI_PROJECT": project,
            "PULUMI_STACK": stack,
            "PULUMI_DRY_RUN": "true",
            "PULUMI_ORGANIZATION": "organization",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONIOENCODING": "utf-8",
        }
    )
    return env


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Kill the runner and anything it started (it leads its own session)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, AttributeError):
        process.kill()
    process.wait()


def _run(
    directory: Path,
    program: Path,
    project: str,
    stack: str,
    config: Mapping[str, Any],
    timeout_s: float,
    where: str,
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="infraaudit-pulumi-") as tmp:
        scratch = Path(tmp)
        out, log = scratch / "result.json", scratch / "runner.log"
        command = [
            sys.executable, "-P", "-m", RUNNER,
            "--root", str(directory.resolve()), "--program", str(program.resolve()),
            "--project", project, "--stack", stack, "--out", str(out),
        ]  # fmt: skip
        with log.open("wb") as log_file:
            process = subprocess.Popen(
                command,
                cwd=directory,
                env=_environment(config, project, stack, scratch),
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                returncode = process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                _stop(process)
                raise InputError(f"{where}: timed out after {timeout_s:g} s (the program did not finish)") from None
            except BaseException:
                _stop(process)
                raise
        if not out.is_file():
            lines = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
            last = f": {lines[-1].strip()}" if lines else ""
            raise InputError(f"{where}: the program runner exited with code {returncode} and no result{last}")
        try:
            result = json.loads(out.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise InputError(f"{where}: the program runner wrote an unreadable result ({exc})") from None
    if not isinstance(result, dict):
        raise InputError(f"{where}: the program runner wrote an unreadable result")
    if not result.get("ok"):
        raise InputError(f"{where}: the program failed: {result.get('error') or 'unknown error'}")
    return result
