"""No orphan OPA: Ctrl-C, SIGTERM and even SIGKILL of infraaudit stop the server it started."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from infraaudit.audit.models import Inventory
from infraaudit_testing import gpu_resource, process_alive

SLOW_RULE = """# METADATA
# title: Slow
# description: Keeps OPA busy so the test can interrupt a scan mid-evaluation.
# custom:
#   id: TEST-SLOW-001
#   severity: info
#   category: governance
#   sources: [scan]
#   remediation: none
package infraaudit.test.slow

deny contains finding if {
	some r in input.resources
	count([n | some i in numbers.range(1, 4000); some j in numbers.range(1, 4000); n := i * j; n == 0]) == 0
	finding := {"resource_uid": r.uid, "message": "slow"}
}
"""


def _opa_children(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    pids = [int(p) for p in children.read_text().split()] if children.exists() else []
    return [p for p in pids if "opa" in Path(f"/proc/{p}/cmdline").read_bytes().decode(errors="replace")]


@pytest.fixture
def slow_scan(tmp_path: Path, opa_path: Path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "slow.rego").write_text(SLOW_RULE)
    inventory = tmp_path / "inventory.json"
    inventory.write_text(Inventory(resources=[gpu_resource()]).model_dump_json())
    env = {**os.environ, "INFRAAUDIT_OPA": str(opa_path)}
    command = [sys.executable, "-c", "from infraaudit.cli.main import main; main()",
               "scan", "--inventory", str(inventory), "--policy-dir", str(rules)]  # fmt: skip

    def start() -> tuple[subprocess.Popen[bytes], int]:
        process = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            children = _opa_children(process.pid)
            if children:
                time.sleep(1.0)  # let the query start
                return process, children[0]
            time.sleep(0.05)
        process.kill()
        raise AssertionError("OPA server never started")

    return start


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 128 + signal.SIGTERM)])
def test_interrupt_stops_opa(slow_scan, signum: int, code: int) -> None:
    process, opa_pid = slow_scan()
    process.send_signal(signum)
    _, err = process.communicate(timeout=30)
    assert process.returncode == code, err
    assert b"Traceback" not in err
    assert not process_alive(opa_pid)


def test_sigkill_of_infraaudit_still_stops_opa(slow_scan) -> None:
    process, opa_pid = slow_scan()
    process.kill()
    process.wait(timeout=10)
    deadline = time.monotonic() + 10
    while process_alive(opa_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not process_alive(opa_pid)
