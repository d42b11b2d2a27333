"""The policy library: built-in Rego plus `--policy-dir` folders, their METADATA and revision."""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import tarfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import PolicyError
from ..models import PolicyMeta

ENTRYPOINT_PACKAGE = "infraaudit_engine"
ENTRYPOINT_PATH = "infraaudit_engine/findings"
RULE_PREFIX = "data.infraaudit."
TEST_SUFFIX = "_test.rego"


def builtin_policy_root() -> Path:
    """The folder of the shipped Rego library.

    Resolved through the package's own marker file: a strict editable install links files one
    by one, and OPA's directory loader does not follow file symlinks, so OPA must be given the
    real folder.
    """
    marker = files("infraaudit.policies") / "__init__.py"
    if not isinstance(marker, Path):  # a zipped install: OPA needs real files
        raise PolicyError("the built-in policy library is not on the file system; install infraaudit unzipped")
    return marker.resolve().parent


@dataclass(frozen=True)
class PolicySet:
    """One folder of Rego files as OPA loads it; `builtin` folders ship with infraaudit."""

    path: Path
    builtin: bool

    def rego_files(self) -> Iterator[Path]:
        for path in sorted(self.path.rglob("*.rego")):
            if not path.name.endswith(TEST_SUFFIX):
                yield path


class PolicyLibrary:
    def __init__(self, opa: Path, policy_dirs: Sequence[Path] = ()) -> None:
        self.opa = opa
        builtin = builtin_policy_root()
        self.sets: list[PolicySet] = [
            PolicySet(builtin / "infraaudit", builtin=True),
            PolicySet(builtin / "engine", builtin=True),
        ]
        for folder in policy_dirs:
            if not folder.is_dir():
                raise PolicyError(f"--policy-dir {folder}: not a directory")
            if not any(PolicySet(folder, builtin=False).rego_files()):
                raise PolicyError(f"--policy-dir {folder}: no .rego files found")
            self.sets.append(PolicySet(folder, builtin=False))
        self._policies: list[PolicyMeta] | None = None

    @property
    def load_paths(self) -> list[Path]:
        return [s.path for s in self.sets]

    @property
    def policies(self) -> list[PolicyMeta]:
        """Every rule's METADATA, validated; read once with `opa inspect -a`."""
        if self._policies is None:
            self._policies = self._read_metadata()
        return self._policies

    def revision(self, policy_data: dict[str, Any]) -> str:
        """Content hash of the rules and the data they are served with; a remote OPA must match it."""
        digest = hashlib.sha256()
        for policy_set in self.sets:
            for path in policy_set.rego_files():
                digest.update(str(path.relative_to(policy_set.path)).encode())
                digest.update(path.read_bytes())
        digest.update(json.dumps(policy_data, sort_keys=True, separators=(",", ":")).encode())
        return f"infraaudit-{digest.hexdigest()[:16]}"

    def write_bundle(self, destination: Path, policy_data: dict[str, Any]) -> str:
        """An OPA bundle (tar.gz) of the rules, the entrypoint and the data, for a remote OPA."""
        revision = self.revision(policy_data)
        manifest = {"revision": revision, "roots": ["infraaudit", ENTRYPOINT_PACKAGE]}
        with tarfile.open(destination, "w:gz") as bundle:
            _add_bytes(bundle, ".manifest", json.dumps(manifest).encode())
            _add_bytes(bundle, "data.json", json.dumps({"infraaudit": policy_data}).encode())
            for index, policy_set in enumerate(self.sets):
                prefix = policy_set.path.name if policy_set.builtin else f"custom{index}"
                for path in policy_set.rego_files():
                    _add_bytes(bundle, f"{prefix}/{path.relative_to(policy_set.path)}", path.read_bytes())
        return revision

    def _read_metadata(self) -> list[PolicyMeta]:
        found: dict[str, PolicyMeta] = {}
        for policy_set in self.sets:
            report = _inspect(self.opa, policy_set.path)
            if not policy_set.builtin:
                _check_custom_namespaces(report, policy_set.path)
            for entry in report.get("annotations") or []:
                meta = _policy_meta(entry, policy_set.path)
                if meta is None:
                    continue
                if meta.id in found:
                    raise PolicyError(f"{meta.file}: rule id {meta.id} is already used by {found[meta.id].file}")
                found[meta.id] = meta
        return sorted(found.values(), key=lambda p: p.id)


def _add_bytes(bundle: tarfile.TarFile, name: str, content: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(content)
    info.mtime = 0
    bundle.addfile(info, io.BytesIO(content))


def _inspect(opa: Path, folder: Path) -> dict[str, Any]:
    try:
        done = subprocess.run(
            [str(opa), "inspect", "--annotations", "--format", "json", str(folder)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise PolicyError(f"cannot run opa inspect on {folder}: {exc}") from exc
    if done.returncode != 0:
        raise PolicyError(opa_error_line(done.stderr or done.stdout, folder))
    try:
        report: dict[str, Any] = json.loads(done.stdout)
    except json.JSONDecodeError as exc:
        raise PolicyError(f"opa inspect returned unreadable output for {folder}") from exc
    return report


_OPA_LOCATED_ERROR = re.compile(r"(\S+\.rego:\d+): (rego_\w+: .*)")


def opa_error_line(text: str, folder: Path) -> str:
    """The first 'file:line: rego_xxx_error: message' OPA reported, from JSON or text output."""
    try:
        payload = json.loads(text)
        errors = payload.get("errors") or [payload]
        first = errors[0]
        location = first.get("location") or {}
        where = f"{location.get('file', folder)}:{location.get('row', '?')}"
        return f"policy error: {where}: {first.get('code', 'error')}: {first.get('message', 'unknown error')}"
    except (json.JSONDecodeError, AttributeError, IndexError, TypeError):
        pass
    located = _OPA_LOCATED_ERROR.search(text)
    if located:
        return f"policy error: {located.group(1)}: {located.group(2).strip()}"
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return f"policy error: {lines[0] if lines else 'unknown error'}"


def _check_custom_namespaces(report: dict[str, Any], folder: Path) -> None:
    for namespace, paths in (report.get("namespaces") or {}).items():
        rule_files = [p for p in paths if not p.endswith(TEST_SUFFIX)]
        if rule_files and not namespace.startswith(RULE_PREFIX):
            raise PolicyError(
                f"{rule_files[0]}: package {namespace.removeprefix('data.')} must live under "
                f"'infraaudit.<category>.<name>' to be evaluated (custom policies in {folder})"
            )


def _policy_meta(entry: dict[str, Any], root: Path) -> PolicyMeta | None:
    annotations = entry.get("annotations") or {}
    custom = annotations.get("custom") or {}
    location = entry.get("location") or {}
    file = str(location.get("file", root))
    if file.endswith(TEST_SUFFIX) or "id" not in custom:
        return None
    path = [part.get("value") for part in entry.get("path", [])][1:]
    if path and path[-1] == "deny":
        path = path[:-1]
    package = ".".join(str(p) for p in path)
    try:
        relative = str(Path(file).relative_to(root))
    except ValueError:
        relative = file
    try:
        return PolicyMeta(
            id=custom.get("id"),
            title=annotations.get("title", ""),
            description=annotations.get("description", ""),
            severity=custom.get("severity"),
            category=custom.get("category"),
            sources=custom.get("sources") or [],
            remediation=custom.get("remediation", ""),
            package=package,
            file=relative,
        )
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(p) for p in error["loc"])
        raise PolicyError(f"{file}:{location.get('row', '?')}: METADATA {key}: {error['msg']}") from exc
