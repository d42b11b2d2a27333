"""audit.report imports only audit.models, audit.errors, the standard library and rich."""

from __future__ import annotations

import ast
import sys
from importlib.resources import files

ALLOWED_THIRD_PARTY = {"rich"}
ALLOWED_PARENT = {"models", "errors"}


def _modules() -> dict[str, ast.Module]:
    package = files("infraaudit.audit.report")
    return {
        entry.name: ast.parse(entry.read_text(encoding="utf-8"))
        for entry in package.iterdir()
        if entry.name.endswith(".py")
    }


def test_sources_found() -> None:
    assert {"__init__.py", "table.py", "sarif.py", "markdown.py", "csv_report.py", "json_report.py"} <= set(_modules())


def test_imports_respect_the_layers() -> None:
    bad: list[str] = []
    for name, tree in _modules().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                tops = [alias.name.split(".")[0] for alias in node.names]
                bad += [f"{name}: import {t}" for t in tops if t not in sys.stdlib_module_names | ALLOWED_THIRD_PARTY]
            elif isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if node.level == 0:
                    top = module.split(".")[0]
                    if top not in sys.stdlib_module_names | ALLOWED_THIRD_PARTY | {"__future__"}:
                        bad.append(f"{name}: from {module}")
                elif node.level == 2 and module.split(".")[0] not in ALLOWED_PARENT:
                    bad.append(f"{name}: from ..{module}")
                elif node.level > 2:
                    bad.append(f"{name}: from {'.' * node.level}{module}")
    assert not bad, bad


def test_renderers_never_print_or_exit() -> None:
    for name, tree in _modules().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in {"print", "exit", "quit", "open", "input"}, (name, node.func.id)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "sys":
                raise AssertionError(f"{name} uses sys.{node.attr}")
