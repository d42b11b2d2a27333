"""Runs a Pulumi Python program under the SDK's mocks and records what it declares.

Internal: `pulumi_program.load_pulumi_program` starts this module in a subprocess
(`python -P -m infraaudit.audit.preview._program_runner --root DIR --program MAIN --out FILE ...`)
with the stack config in `PULUMI_CONFIG` and cloud credentials blanked. The result is one JSON
document written to FILE (never stdout, which the user's program may print to):

    {"ok": true, "resources": [...], "providers": {urn: {"type", "inputs"}}, "invokes": [token, ...]}
    {"ok": false, "error": "ValueError: message (__main__.py:12)"}

How it works (pulumi 3.272):
- `pulumi.runtime.set_mocks(mocks, preview=True, monitor=...)` with a `MockMonitor` subclass that
  records every `RegisterResource` request: type, name, parent URN, custom flag, provider
  reference and the input property bag exactly as the engine would receive it (camelCase).
- The program runs through `pulumi.runtime.run_in_stack` (what the language host does), so
  `pulumi.run(...)` async entry points work too.
- Source lines come from a legacy stack *transformation* (`register_stack_transformation`): the
  SDK calls transformations synchronously inside `Resource.__init__`, so the Python stack still
  holds the user's frame. The newer stack *transforms* (`register_resource_transform`) are run by
  the engine through the callback server; the mock monitor records them but never runs them.
- The mock monitor builds URNs with only the immediate parent's type and prefixes top-level
  resources with `pulumi:pulumi:Stack$`; `make_urn` is overridden with the engine's rule (the
  parent's whole type chain, the root stack left out).
- Unknown values (outputs a preview cannot know) reach the monitor as Pulumi's unknown sentinel
  string; they are written as that sentinel and turned into UNKNOWN by the caller.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import runpy
import sys
import threading
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from types import FrameType
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import settings as pulumi_settings

UNKNOWN_SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # pulumi.runtime.rpc.UNKNOWN
_SIG_KEY = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
_RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
_OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"
_ROOT_TYPE = "pulumi:pulumi:Stack"
_MOCK_ACCOUNT = "000000000000"


def plain(value: Any) -> Any:
    """A protobuf Struct/ListValue (or a plain value) as JSON values; secrets unwrapped, unknowns as the sentinel."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if hasattr(value, "keys"):  # struct_pb2.Struct or a dict
        fields = {key: value[key] for key in value.keys()}
        sig = fields.pop(_SIG_KEY, None)
        if sig == _SECRET_SIG:
            return plain(fields.get("value"))
        if sig == _OUTPUT_SIG:
            return plain(fields["value"]) if "value" in fields else UNKNOWN_SENTINEL
        if sig == _RESOURCE_SIG:  # a resource reference: its ID (custom) or URN (component), as without refs
            ref = fields.get("id", fields.get("urn"))
            return plain(ref) if ref != "" else UNKNOWN_SENTINEL
        return {key: plain(item) for key, item in fields.items()}  # assets/archives keep path/text/uri
    if isinstance(value, Iterable):
        return [plain(item) for item in value]
    return str(value)


def _qualified_type(urn: str) -> str:
    return urn.split("::")[2]


class _Recorder(pulumi_mocks.MockMonitor):
    """The mock monitor, recording registrations and making URNs the way the engine does."""

    def __init__(self, mocks: _Mocks) -> None:
        super().__init__(mocks)
        self.lock = threading.Lock()
        self.registered: dict[str, dict[str, Any]] = {}
        self.providers: dict[str, dict[str, Any]] = {}

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        return make_urn(pulumi.get_stack(), pulumi.get_project(), parent, type_, name)

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - the gRPC method name
        if request.type != _ROOT_TYPE:
            urn = self.make_urn(request.parent, request.type, request.name)
            entry = {
                "urn": urn,
                "type": request.type,
                "name": request.name,
                "custom": bool(request.custom),
                "parent": request.parent or None,
                "provider": request.provider.rsplit("::", 1)[0] if request.provider else None,
                "inputs": plain(request.object),
            }
            with self.lock:
                if request.type.startswith("pulumi:providers:"):
                    self.providers[urn] = {"type": request.type, "inputs": entry["inputs"]}
                self.registered[urn] = entry
        return super().RegisterResource(request)  # type: ignore[no-untyped-call]


def make_urn(stack: str, project: str, parent: str, type_: str, name: str) -> str:
    """The engine's URN: the parent's qualified type chain `$` this type, the root stack left out."""
    if parent and _qualified_type(parent) != _ROOT_TYPE:
        type_ = f"{_qualified_type(parent)}${type_}"
    return f"urn:pulumi:{stack}::{project}::{type_}::{name}"


class _Mocks(pulumi.runtime.Mocks):
    """Resources echo their inputs; invokes return plausible, obviously mock values."""

    def __init__(self) -> None:
        self.monitor: _Recorder | None = None
        self.invokes: list[str] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        # A bare dict: the mock monitor iterates the failures of a (result, failures) tuple.
        self.invokes.append(args.token)
        make = _INVOKES.get(args.token)
        return make(self, dict(args.args or {}), args.provider or "") if make is not None else {}

    def setting(self, package: str, key: str, provider: str, default: str) -> str:
        """A provider setting: the explicit provider's argument, else the stack config, else a mock value."""
        value = None
        if self.monitor is not None and provider:
            value = self.monitor.providers.get(provider.rsplit("::", 1)[0], {}).get("inputs", {}).get(key)
        if value is None and not provider:
            value = pulumi.Config(package).get(key)
        return str(value) if value and value != UNKNOWN_SENTINEL else default

    def aws_region(self, provider: str) -> str:
        return self.setting("aws", "region", provider, "mock-region-1")

    def gcp(self, key: str, provider: str, default: str) -> str:
        return self.setting("gcp", key, provider, default)


def _aws_region(m: _Mocks, a: dict[str, Any], p: str) -> dict[str, Any]:
    region = str(a.get("region") or a.get("name") or m.aws_region(p))
    return {"id": region, "region": region, "name": region, "endpoint": f"ec2.{region}.amazonaws.com",
            "description": "infraaudit mock region"}  # fmt: skip


def _aws_ami(m: _Mocks, a: dict[str, Any], p: str) -> dict[str, Any]:
    ami = "ami-00000000000mock"
    return {"id": ami, "imageId": ami, "name": "infraaudit-mock-ami", "architecture": "x86_64",
            "arn": f"arn:aws:ec2:{m.aws_region(p)}::image/{ami}", "ownerId": _MOCK_ACCOUNT, "state": "available",
            "rootDeviceName": "/dev/xvda", "virtualizationType": "hvm", "owners": a.get("owners") or [],
            "mostRecent": bool(a.get("mostRecent")), "tags": {}}  # fmt: skip


def _aws_zones(m: _Mocks, a: dict[str, Any], p: str) -> dict[str, Any]:
    region = m.aws_region(p)
    return {"id": region, "names": [f"{region}{z}" for z in "abc"], "zoneIds": [f"mock-az{i}" for i in (1, 2, 3)],
            "groupNames": [region], "region": region}  # fmt: skip


def _aws_caller(m: _Mocks, a: dict[str, Any], p: str) -> dict[str, Any]:
    return {"id": _MOCK_ACCOUNT, "accountId": _MOCK_ACCOUNT, "userId": "AIDAINFRAAUDITMOCK",
            "arn": f"arn:aws:iam::{_MOCK_ACCOUNT}:user/infraaudit-mock"}  # fmt: skip


def _aws_ssm(m: _Mocks, a: dict[str, Any], p: str) -> dict[str, Any]:
    name = str(a.get("name") or "")
    value = "ami-00000000000mock" if "ami" in name.lower() else "infraaudit-mock-parameter"
    return {"id": name, "name": name, "value": value, "insecureValue": value, "type": "String", "version": 1,
            "arn": f"arn:aws:ssm:{m.aws_region(p)}:{_MOCK_ACCOUNT}:parameter{name}"}  # fmt: skip


def _gcp_image(m: _Mocks, a: dict[str, Any], p: str) -> dict[str, Any]:
    project = str(a.get("project") or m.gcp("project", p, "mock-project"))
    name = str(a.get("name") or "infraaudit-mock-image")
    link = f"https://www.googleapis.com/compute/v1/projects/{project}/global/images/{name}"
    return {"id": f"projects/{project}/global/images/{name}", "name": name, "family": a.get("family") or "",
            "project": project, "selfLink": link, "status": "READY", "diskSizeGb": 50, "labels": {},
            "licenses": []}  # fmt: skip


def _gcp_zones(m: _Mocks, a: dict[str, Any], p: str) -> dict[str, Any]:
    region = str(a.get("region") or m.gcp("region", p, "mock-region1"))
    project = m.gcp("project", p, "mock-project")
    return {"id": f"projects/{project}/regions/{region}", "names": [f"{region}-{z}" for z in "abc"],
            "project": project, "region": region}  # fmt: skip


def _gcp_project(m: _Mocks, a: dict[str, Any], p: str) -> dict[str, Any]:
    project = str(a.get("projectId") or m.gcp("project", p, "mock-project"))
    return {"id": f"projects/{project}", "projectId": project, "name": project, "number": _MOCK_ACCOUNT,
            "labels": {}}  # fmt: skip


def _gcp_client(m: _Mocks, a: dict[str, Any], p: str) -> dict[str, Any]:
    return {"id": "infraaudit-mock-client", "accessToken": "infraaudit-mock-token",
            "project": m.gcp("project", p, "mock-project"), "region": m.gcp("region", p, "mock-region1"),
            "zone": m.gcp("zone", p, "mock-region1-a")}  # fmt: skip


_INVOKES: dict[str, Callable[[_Mocks, dict[str, Any], str], dict[str, Any]]] = {
    "aws:index/getRegion:getRegion": _aws_region,
    "aws:ec2/getAmi:getAmi": _aws_ami,
    "aws:index/getAvailabilityZones:getAvailabilityZones": _aws_zones,
    "aws:index/getCallerIdentity:getCallerIdentity": _aws_caller,
    "aws:ssm/getParameter:getParameter": _aws_ssm,
    "gcp:compute/getImage:getImage": _gcp_image,
    "gcp:compute/getZones:getZones": _gcp_zones,
    "gcp:organizations/getProject:getProject": _gcp_project,
    "gcp:organizations/getClientConfig:getClientConfig": _gcp_client,
}


class _Locator:
    """A stack transformation that notes where each resource is constructed and its URN."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.qualified: dict[int, tuple[pulumi.Resource, str]] = {}  # id(resource) -> (resource, type chain)
        self.where: dict[str, tuple[int, str | None, int | None]] = {}  # urn -> (order, file, line)
        self._files: dict[str, str | None] = {}

    def relative(self, filename: str) -> str | None:
        """`filename` relative to the program root, or None outside it (or in a virtualenv inside it)."""
        if filename not in self._files:
            try:
                relative = Path(filename).resolve().relative_to(self.root)
            except (ValueError, OSError):
                relative = None
            inside = relative is not None and not {"site-packages", "dist-packages"} & set(relative.parts)
            self._files[filename] = relative.as_posix() if inside and relative is not None else None
        return self._files[filename]

    def __call__(self, args: pulumi.ResourceTransformationArgs) -> None:
        parent = args.opts.parent if args.opts is not None else None
        chain = args.type_
        if parent is not None and id(parent) in self.qualified:
            chain = f"{self.qualified[id(parent)][1]}${args.type_}"
        self.qualified[id(args.resource)] = (args.resource, chain)
        urn = f"urn:pulumi:{pulumi.get_stack()}::{pulumi.get_project()}::{chain}::{args.name}"
        if urn in self.where:
            raise ValueError(f"duplicate resource URN '{urn}': give the resource a unique name")
        frame: FrameType | None = sys._getframe(1)
        file, line = None, None
        while frame is not None:
            file = self.relative(frame.f_code.co_filename)
            if file is not None:
                line = frame.f_lineno
                break
            frame = frame.f_back
        self.where[urn] = (len(self.where), file, line)


_SECRET_GETTERS = ("get_secret", "get_secret_bool", "get_secret_int", "get_secret_float", "get_secret_object",
                   "require_secret", "require_secret_bool", "require_secret_int", "require_secret_float",
                   "require_secret_object")  # fmt: skip


def _unknown_secrets(loop: asyncio.AbstractEventLoop) -> None:
    """Make `Config.*_secret*` of a `secure:` value (the sentinel) an unknown secret Output, as in a
    preview that cannot decrypt it: applies on it do not run. Plain getters still see the sentinel."""

    def resolved(value: Any) -> asyncio.Future[Any]:
        future = loop.create_future()
        future.set_result(value)
        return future

    def wrap(original: Callable[..., Any]) -> Callable[..., Any]:
        def getter(self: pulumi.Config, key: str, *args: Any, **kwargs: Any) -> Any:
            if pulumi.runtime.get_config(self.full_key(key)) == UNKNOWN_SENTINEL:
                return pulumi.Output(set(), resolved(None), resolved(False), resolved(True))
            return original(self, key, *args, **kwargs)

        return getter

    for name in _SECRET_GETTERS:
        setattr(pulumi.Config, name, wrap(getattr(pulumi.Config, name)))


def _error_line(exc: BaseException, locator: _Locator) -> str:
    """One line: the exception type, its message and the innermost program frame."""
    if isinstance(exc, SystemExit):
        return f"SystemExit: the program called sys.exit({exc.code!r})"
    message = " ".join(str(exc).split()) or repr(exc)
    if len(message) > 400:
        message = message[:397] + "..."
    where = ""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        relative = locator.relative(frame.filename)
        if relative is not None:
            where = f" ({relative}:{frame.lineno})"
            break
    hint = ""
    if isinstance(exc, ImportError):
        hint = "; the program runs with infraaudit's Python environment: install its packages there"
    return f"{type(exc).__name__}: {message}{where}{hint}"


def run_program(root: Path, program: Path, project: str, stack: str) -> dict[str, Any]:
    mocks = _Mocks()
    monitor = _Recorder(mocks)
    mocks.monitor = monitor
    locator = _Locator(root)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=True, monitor=monitor)
    # set_mocks makes a root stack and finishes it; run_in_stack makes its own (as the language
    # host does), which keeps `pulumi.run(...)` entry points working.
    pulumi_settings.set_root_resource(None)  # type: ignore[arg-type]
    _unknown_secrets(loop)

    def program_main() -> None:
        pulumi.runtime.register_stack_transformation(locator)
        runpy.run_path(str(program), run_name="__main__")

    try:
        loop.run_until_complete(pulumi.runtime.run_in_stack(program_main))
    except BaseException as exc:  # noqa: BLE001 - the program's failure is the result
        return {"ok": False, "error": _error_line(exc, locator)}
    finally:
        loop.close()
    resources = []
    for urn, entry in monitor.registered.items():
        if not entry["custom"] or entry["type"].startswith("pulumi:providers:"):
            continue
        order, file, line = locator.where.get(urn, (len(locator.where), None, None))
        resources.append({**entry, "order": order, "source_file": file, "source_line": line})
    resources.sort(key=lambda r: (r["order"], r["urn"]))
    return {"ok": True, "resources": resources, "providers": monitor.providers, "invokes": sorted(set(mocks.invokes))}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="infraaudit-pulumi-program-runner")
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--program", type=Path, required=True)
    parser.add_argument("--project", required=True)
    parser.add_argument("--stack", required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    root = args.root.resolve()
    program = args.program.resolve()
    for path in dict.fromkeys([root, program.parent]):  # the program's folder first, as `python __main__.py`
        sys.path.insert(0, str(path))
    result = run_program(root, program, args.project, args.stack)
    args.out.write_text(json.dumps(result, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
