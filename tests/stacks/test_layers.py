"""stacks/ imports Pulumi, the Layout model and itself only, and reads no config at import time."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from infraaudit_testing import REPO

STACKS = REPO / "stacks"
ALLOWED = {"pulumi", "pulumi_aws", "pulumi_gcp"}
MODULES = sorted(STACKS.rglob("*.py"))


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_stacks_import_pulumi_and_the_models_only(module: Path) -> None:
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            continue  # within infraaudit.stacks
        names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
        names += [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
        for name in names:
            top = name.split(".")[0]
            if top == "infraaudit":
                assert name == "infraaudit.audit.models" or name.startswith("infraaudit.stacks"), name
            else:
                assert top == "__future__" or top in sys.stdlib_module_names or top in ALLOWED, name


@pytest.mark.parametrize("module", [m for m in MODULES if m.name != "__main__.py"], ids=lambda p: p.name)
def test_no_module_level_pulumi_calls(module: Path) -> None:
    """Statements at module level are imports, definitions and constants: no pulumi.Config(), no
    resources, nothing that needs a running program."""
    for node in ast.parse(module.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            calls = [n for n in ast.walk(node) if isinstance(n, ast.Call)]
            names = {ast.unparse(c.func) for c in calls}
            assert not {n for n in names if n.startswith(("pulumi", "aws.", "gcp."))}, (module.name, names)
        elif isinstance(node, ast.Expr):
            assert isinstance(node.value, ast.Constant), f"{module.name}:{node.lineno}: a call at import time"
        else:
            assert isinstance(node, ast.Import | ast.ImportFrom | ast.FunctionDef | ast.ClassDef), (
                f"{module.name}:{node.lineno}"
            )
