"""The engine against a real OPA server: lifecycle, fail-closed errors, custom and remote policies."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from infraaudit.audit.config import Settings
from infraaudit.audit.engine import LocalOpaServer, OpaEndpoint, PolicyEngine, PolicyLibrary
from infraaudit.audit.errors import EngineError, PolicyError
from infraaudit.audit.models import Finding, Inventory
from infraaudit_testing import gpu_resource, process_alive

DATA: dict[str, Any] = {"config": Settings().policy_data(), "catalog": {"snapshot_date": "test", "offers": {}}}

CUSTOM_RULE = """# METADATA
# title: GPU boxes need a runbook tag
# description: Every GPU resource names its runbook.
# custom:
#   id: ACME-001
#   severity: low
#   category: governance
#   sources: [scan, preview]
#   remediation: Add a runbook tag.
package infraaudit.acme.runbook

deny contains finding if {
	some r in input.resources
	not r.tags.runbook
	finding := {
		"resource_uid": r.uid,
		"message": sprintf("%s has no runbook tag", [r.uid]),
		"evidence": {},
		"recommendation": "tag it",
		"estimated_monthly_savings_usd": 0,
	}
}
"""


def custom_dir(tmp_path: Path, text: str, name: str = "rule.rego") -> Path:
    folder = tmp_path / "custom"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text)
    return folder


def evaluate(opa_path: Path, inventory: Inventory, policy_dirs: Sequence[Path] = (), **kwargs: Any) -> list[Finding]:
    library = PolicyLibrary(opa_path, policy_dirs)
    with LocalOpaServer(opa_path, library.load_paths, DATA) as server:
        assert server.port is not None
        endpoint = OpaEndpoint("127.0.0.1", server.port, timeout_s=kwargs.pop("timeout_s", 60))
        return PolicyEngine(endpoint, library.policies, **kwargs).evaluate(inventory)


def test_builtin_library_metadata_is_complete(opa_path: Path) -> None:
    policies = PolicyLibrary(opa_path).policies
    ids = {p.id for p in policies}
    assert {"IA-GPU-001", "IA-GPU-005", "IA-RES-001", "IA-GOV-001", "IA-SEC-003"} <= ids
    assert all(p.package.startswith("infraaudit.") for p in policies)


def test_custom_policy_findings_carry_its_metadata(opa_path: Path, tmp_path: Path) -> None:
    inventory = Inventory(
        resources=[gpu_resource(), gpu_resource(uid="aws:111122223333:us-east-1:i-2", tags={"runbook": "x"})]
    )
    findings = [
        f for f in evaluate(opa_path, inventory, [custom_dir(tmp_path, CUSTOM_RULE)]) if f.rule_id == "ACME-001"
    ]
    assert [(f.resource_uid, f.severity.value, f.title) for f in findings] == [
        ("aws:111122223333:us-east-1:i-0abc", "low", "GPU boxes need a runbook tag")
    ]


def test_chunked_evaluation_equals_one_shot(opa_path: Path, tmp_path: Path) -> None:
    resources = [gpu_resource(uid=f"aws:111122223333:us-east-1:i-{n}") for n in range(25)]
    inventory = Inventory(resources=resources)
    folder = custom_dir(tmp_path, CUSTOM_RULE)
    one = evaluate(opa_path, inventory, [folder], chunk_size=1000)
    many = evaluate(opa_path, inventory, [folder], chunk_size=4, workers=3)
    assert sorted(f.model_dump_json() for f in one) == sorted(f.model_dump_json() for f in many)
    assert len([f for f in one if f.rule_id == "ACME-001"]) == 25


def test_syntax_error_in_custom_policy_names_file_and_line(opa_path: Path, tmp_path: Path) -> None:
    folder = custom_dir(tmp_path, "package infraaudit.acme.broken\n\ndeny contains x if {\n  x := \n}\n")
    with pytest.raises(EngineError, match=r"^policy error: \S+/rule.rego:5: rego_parse_error: unexpected } token$"):
        evaluate(opa_path, Inventory(), [folder])


def test_compile_error_fails_at_startup_with_location(opa_path: Path, tmp_path: Path) -> None:
    folder = custom_dir(
        tmp_path, "package infraaudit.acme.broken\n\ndeny contains x if {\n  x := undefined_function(1)\n}\n"
    )
    with pytest.raises(EngineError, match=r"rule.rego:4"):
        evaluate(opa_path, Inventory(), [folder])


def test_runtime_error_fails_closed(opa_path: Path, tmp_path: Path) -> None:
    rule = CUSTOM_RULE.replace(
        '"estimated_monthly_savings_usd": 0', '"estimated_monthly_savings_usd": to_number(r.region)'
    )
    with pytest.raises(EngineError, match=r"rule.rego:\d+: to_number"):
        evaluate(opa_path, Inventory(resources=[gpu_resource()]), [custom_dir(tmp_path, rule)])


def test_malformed_finding_fails_closed(opa_path: Path, tmp_path: Path) -> None:
    rule = CUSTOM_RULE.replace('"resource_uid": r.uid,', "")
    with pytest.raises(EngineError, match="ACME-001 .* malformed finding: resource_uid"):
        evaluate(opa_path, Inventory(resources=[gpu_resource()]), [custom_dir(tmp_path, rule)])


def test_rule_without_metadata_fails_closed(opa_path: Path, tmp_path: Path) -> None:
    rule = CUSTOM_RULE.split("package", 1)[1]
    with pytest.raises(EngineError, match="infraaudit.acme.runbook produced findings but has no METADATA"):
        evaluate(opa_path, Inventory(resources=[gpu_resource()]), [custom_dir(tmp_path, "package" + rule)])


def test_custom_package_outside_the_namespace_is_rejected(opa_path: Path, tmp_path: Path) -> None:
    rule = CUSTOM_RULE.replace("package infraaudit.acme.runbook", "package acme.runbook")
    with pytest.raises(PolicyError, match="must live under 'infraaudit.<category>.<name>'"):
        _ = PolicyLibrary(opa_path, [custom_dir(tmp_path, rule)]).policies


def test_invalid_metadata_is_rejected(opa_path: Path, tmp_path: Path) -> None:
    rule = CUSTOM_RULE.replace("severity: low", "severity: urgent")
    with pytest.raises(PolicyError, match=r"rule.rego:\d+: METADATA severity"):
        _ = PolicyLibrary(opa_path, [custom_dir(tmp_path, rule)]).policies


def test_duplicate_rule_id_is_rejected(opa_path: Path, tmp_path: Path) -> None:
    rule = CUSTOM_RULE.replace("ACME-001", "IA-GPU-001")
    with pytest.raises(PolicyError, match="rule id IA-GPU-001 is already used"):
        _ = PolicyLibrary(opa_path, [custom_dir(tmp_path, rule)]).policies


def test_slow_policy_times_out_and_fails_closed(opa_path: Path, tmp_path: Path) -> None:
    rule = CUSTOM_RULE.replace(
        "not r.tags.runbook",
        "count([n | some i in numbers.range(1, 4000); some j in numbers.range(1, 4000); n := i * j; n == 0]) == 0",
    )
    with pytest.raises(EngineError, match="timed out"):
        evaluate(opa_path, Inventory(resources=[gpu_resource()]), [custom_dir(tmp_path, rule)], timeout_s=1)


def test_server_is_stopped_on_exceptions(opa_path: Path) -> None:
    library = PolicyLibrary(opa_path)
    with pytest.raises(RuntimeError), LocalOpaServer(opa_path, library.load_paths, DATA) as server:
        pid = server.pid
        raise RuntimeError("boom")
    assert pid is not None and not process_alive(pid)


def test_remote_opa_serving_the_bundle(opa_path: Path, tmp_path: Path) -> None:
    library = PolicyLibrary(opa_path, [custom_dir(tmp_path, CUSTOM_RULE)])
    bundle = tmp_path / "bundle.tar.gz"
    revision = library.write_bundle(bundle, DATA)
    with _remote_opa(opa_path, bundle) as port:
        endpoint = OpaEndpoint.from_url(f"http://127.0.0.1:{port}")
        endpoint.check_revision(revision)
        findings = PolicyEngine(endpoint, library.policies).evaluate(Inventory(resources=[gpu_resource()]))
        assert "ACME-001" in {f.rule_id for f in findings}
        with pytest.raises(EngineError, match=f"serves bundle revision.*{revision}.*expected infraaudit-"):
            endpoint.check_revision(library.revision({**DATA, "config": {}}))


def test_unreachable_remote_opa_fails_closed() -> None:
    with pytest.raises(EngineError, match="cannot reach OPA"):
        OpaEndpoint.from_url("http://127.0.0.1:9", timeout_s=2).check_revision("x")


@pytest.mark.parametrize("url", ["ftp://x", "localhost:8181", "http://host:8181/v1/data"])
def test_bad_opa_url(url: str) -> None:
    with pytest.raises(EngineError, match="--opa-url"):
        OpaEndpoint.from_url(url)


class _remote_opa:  # noqa: N801 - used as a context manager like a function
    def __init__(self, opa_path: Path, bundle: Path) -> None:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.command = [str(opa_path), "run", "--server", "--skip-version-check", "--addr",
                        f"127.0.0.1:{self.port}", "--bundle", str(bundle)]  # fmt: skip

    def __enter__(self) -> int:
        self.process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        import urllib.request

        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health?bundles", timeout=1) as answer:
                    if answer.status == 200:
                        return self.port
            except OSError:
                time.sleep(0.1)
        raise AssertionError("remote OPA did not start")

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
