"""The benchmarks' child-process scripts import what still exists (they are strings, so neither
ruff nor mypy sees them; a moved module broke bench/aws_scan.py once)."""

from __future__ import annotations

import ast

import pytest

from infraaudit_testing import REPO


@pytest.mark.parametrize("bench", ["aws_scan.py", "gcp_scan.py"])
def test_child_script_imports_resolve(bench: str) -> None:
    tree = ast.parse((REPO / "bench" / bench).read_text(encoding="utf-8"))
    children = [
        node.value.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "COLLECT_CHILD" for t in node.targets)
        and isinstance(node.value, ast.Constant)
    ]
    assert children, f"{bench} has no COLLECT_CHILD script"
    imports = [n for n in ast.parse(children[0]).body if isinstance(n, ast.Import | ast.ImportFrom)]
    assert imports
    exec(compile(ast.Module(body=imports, type_ignores=[]), bench, "exec"), {})  # noqa: S102
