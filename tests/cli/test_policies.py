from __future__ import annotations

import json
import tarfile
from pathlib import Path

from infraaudit_testing import REPO


def test_list_json_has_every_rule(run_cli, policy_ids: set[str]) -> None:
    result = run_cli("policies", "list", "--format", "json")
    assert result.code == 0
    assert {p["id"] for p in json.loads(result.out)} == policy_ids
    assert len(policy_ids) == 13


def test_list_table(run_cli) -> None:
    result = run_cli("policies", "list")
    assert result.code == 0 and "IA-RES-001" in result.out and "critical" in result.out


def test_checked_in_policy_reference_is_current(run_cli) -> None:
    result = run_cli("policies", "doc")
    assert result.code == 0
    assert result.out == (REPO / "docs" / "policies.md").read_text(), "run: make docs"


def test_policies_test_runs_the_rego_tests(run_cli) -> None:
    result = run_cli("policies", "test")
    assert result.code == 0


def test_policies_test_fails_on_a_failing_custom_test(run_cli, tmp_path: Path) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "x_test.rego").write_text("package infraaudit.acme.x_test\n\ntest_fails if false\n")
    assert run_cli("policies", "test", "--policy-dir", str(folder)).code == 4


def test_bundle(run_cli, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.tar.gz"
    result = run_cli("policies", "bundle", "--output", str(bundle))
    assert result.code == 0 and "revision infraaudit-" in result.err
    names = tarfile.open(bundle).getnames()
    assert ".manifest" in names and "data.json" in names and "infraaudit/gpu/idle.rego" in names
    assert not [n for n in names if n.endswith("_test.rego")]


def test_catalog_show(run_cli) -> None:
    result = run_cli("catalog", "show", "p4d.24xlarge", "--region", "us-east-1")
    assert result.code == 0
    assert "32.7726" in result.out and "8 × A100" in result.out


def test_catalog_show_unknown_type(run_cli) -> None:
    result = run_cli("catalog", "show", "x9.huge")
    assert result.code == 3 and "x9.huge is not in the catalog" in result.err


def test_completion_script(run_cli) -> None:
    result = run_cli("completion", "bash")
    assert result.code == 0 and "_INFRAAUDIT_COMPLETE" in result.out
