"""The layer rules of ARCHITECTURE.md, checked on the source: who may import whom.

1. models, errors, gcpause, version, summary: stdlib + pydantic (+ each other)
2. config, catalog: layer 1
3. collect, preview, engine, report, recommend: layers 1-2, never each other
   scan, check: the pipelines, may orchestrate layer 3 (check runs the scan pipeline on a plan)
4. stacks: pulumi + the models only    5. cli: anything; nothing imports cli
The Pulumi SDKs: stacks/ and audit/preview/_program_runner.py (run in a subprocess by
`--pulumi-program`) only; nothing else in audit/ or cli/ imports them.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from infraaudit_testing import REPO

BASE = {"models", "errors", "gcpause", "version", "summary"}
LAYER_2 = {"config", "catalog"}
LAYER_3 = {"collect", "preview", "engine", "report", "recommend"}
ALLOWED: dict[str, set[str]] = {
    **{name: BASE for name in BASE},
    **{name: BASE | LAYER_2 for name in LAYER_2},
    **{name: BASE | LAYER_2 for name in LAYER_3},
    "scan": BASE | LAYER_2 | LAYER_3,
    "check": BASE | LAYER_2 | LAYER_3 | {"scan"},
    "__init__": set(),
}
CLOUD_SDKS = {"boto3", "botocore", "google", "grpc"}
PULUMI_SDKS = {"pulumi", "pulumi_aws", "pulumi_gcp"}
PULUMI_RUNNER = REPO / "audit" / "preview" / "_program_runner.py"
LIBRARIES = {"pydantic", "pydantic_core", "yaml", "rich", "requests", "opa_client", "click"}
SOLVER = {"highspy", "numpy"}  # audit/recommend only
THIRD_PARTY = LIBRARIES | CLOUD_SDKS | PULUMI_SDKS | SOLVER


def _audit_part(module: Path) -> str:
    return module.relative_to(REPO / "audit").parts[0].removesuffix(".py")


def _imports(module: Path) -> list[tuple[str, str]]:
    """(kind, target) for every import: ('audit', part) for infraaudit.audit.* / relative, or ('top', name)."""
    package = module.relative_to(REPO).parent.parts  # e.g. ('audit', 'engine')
    found = []
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = list(package[: len(package) - node.level + 1]) + (node.module or "").split(".")
            parts = [p for p in base if p]
            if parts[0] == "audit" and len(parts) > 1:
                found.append(("audit", parts[1]))
            elif parts[0] == "audit" and node.module is None:
                found += [("audit", alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append(("top", node.module or ""))
        elif isinstance(node, ast.Import):
            found += [("top", alias.name) for alias in node.names]
    return found


AUDIT_MODULES = sorted((REPO / "audit").rglob("*.py"))


@pytest.mark.parametrize("module", AUDIT_MODULES, ids=lambda p: str(p.relative_to(REPO)))
def test_audit_modules_respect_the_layers(module: Path) -> None:
    part = _audit_part(module)
    allowed = ALLOWED.get(part)
    assert allowed is not None, f"{part} has no layer: add it to ARCHITECTURE.md and this test"
    for kind, target in _imports(module):
        if kind == "audit":
            assert target == part or target in allowed, f"{module.name}: {part} may not import audit.{target}"
        else:
            top = target.split(".")[0]
            assert top != "infraaudit", f"{module.name}: use relative imports inside audit"
            assert top == "__future__" or top in sys.stdlib_module_names or top in THIRD_PARTY, target
            assert top != "click", f"{module.name}: only the CLI uses click"
            assert top not in CLOUD_SDKS or part == "collect", f"{module.name}: only audit.collect talks to clouds"
            assert top not in PULUMI_SDKS or module == PULUMI_RUNNER, f"{module.name}: only the runner uses pulumi"
            assert top not in SOLVER or part == "recommend", f"{module.name}: only audit.recommend uses the solver"


def test_only_the_program_runner_imports_pulumi() -> None:
    """The CLI and the library stay free of the Pulumi SDK; programs run in the runner's subprocess."""
    assert PULUMI_RUNNER.is_file()
    for root in ("audit", "cli"):
        for module in (REPO / root).rglob("*.py"):
            tops = {target.split(".")[0] for kind, target in _imports(module) if kind == "top"}
            assert not tops & PULUMI_SDKS or module == PULUMI_RUNNER, f"{module} imports {tops & PULUMI_SDKS}"


def test_nothing_imports_the_cli() -> None:
    for root in ("audit", "stacks", "policies"):
        for module in (REPO / root).rglob("*.py"):
            for _, target in _imports(module):
                assert not target.startswith(("infraaudit.cli", "cli")), f"{module} imports the CLI"


def test_only_the_cli_prints_or_exits() -> None:
    for module in AUDIT_MODULES:
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in ("print", "exit"), f"{module.name}:{node.lineno} calls {node.func.id}"
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "sys":
                assert node.attr not in ("exit", "stdout", "stderr"), (
                    f"{module.name}:{node.lineno} uses sys.{node.attr}"
                )


def test_no_file_arithmetic_for_package_data() -> None:
    """Package data (Rego, catalog) is found with importlib.resources, never from __file__."""
    for root in ("audit", "cli"):
        for module in (REPO / root).rglob("*.py"):
            assert "__file__" not in module.read_text(encoding="utf-8"), module
