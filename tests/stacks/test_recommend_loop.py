"""The whole loop with nothing written by hand: `infraaudit recommend --write-stack-config` → the
stack program → `infraaudit check --pulumi-program` → no finding of medium severity or above.

Two workload sets: the README's example (on-prem, spot, committed, realtime EU serving, restricted
data) and 40 workloads drawn by the benchmark's generator (every kind, residency class, demand form,
quotas and a budget), each recommended against the shipped catalog and the example sites.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

import pytest
import yaml
from infraaudit_cli_runner import run_main

from infraaudit.audit.models import Layout, Report
from infraaudit.stacks.naming import running_instances
from infraaudit_testing import EXAMPLES, REPO

SEVERE = {"medium", "high", "critical"}


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_recommend", REPO / "bench" / "recommend.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _workloads(name: str, directory: Path) -> Path:
    if name == "example":
        return EXAMPLES / "recommend" / "workloads.yaml"
    path = directory / "workloads.yaml"
    path.write_text(yaml.safe_dump(_bench().workloads_document(40, seed=11)), encoding="utf-8")
    return path


@pytest.fixture(scope="module", params=["example", "generated"])
def loop(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Layout, Report]:
    project = tmp_path_factory.mktemp(f"loop-{request.param}")
    (project / "stacks").mkdir()
    shutil.copy(REPO / "Pulumi.yaml", project / "Pulumi.yaml")
    shutil.copy(REPO / "stacks" / "__main__.py", project / "stacks" / "__main__.py")
    workloads = _workloads(request.param, project)
    code, _, err = run_main(
        [
            "recommend", "--workloads", str(workloads), "--onprem", str(EXAMPLES / "recommend" / "onprem.yaml"),
            "--write-stack-config", "test", "--stack-dir", str(project), "--gcp-project", "ml-prod",
            "--format", "json",
        ]
    )  # fmt: skip
    assert code == 0, err
    config = yaml.safe_load((project / "Pulumi.test.yaml").read_text(encoding="utf-8"))["config"]
    layout = Layout.model_validate(config["infraaudit:layout"])
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(project)
        code, out, err = run_main(
            ["check", "--pulumi-program", str(project), "--stack", "test", "--fail-on", "medium", "--format", "json"]
        )
    report = Report.model_validate_json(out)
    assert code == 0, (err, [(f.rule_id, f.resource_uid, f.message) for f in report.findings])
    return layout, report


def test_no_finding_of_medium_or_above(loop: tuple[Layout, Report]) -> None:
    layout, report = loop
    assert layout.cloud_placements(), "the loop must provision something"
    severe = [(f.rule_id, f.resource_uid) for f in report.findings if f.severity.value in SEVERE]
    assert severe == []


def test_every_cloud_placement_is_planned_with_its_running_size(loop: tuple[Layout, Report]) -> None:
    layout, report = loop
    assert report.cost_change is not None
    groups = {
        line.address: line
        for line in report.cost_change.lines
        if line.type.endswith(("autoscaling/group:Group", "RegionInstanceGroupManager"))
    }
    for placement in layout.cloud_placements():
        [line] = [g for address, g in groups.items() if placement.workload in address]
        assert line.instance_type_after == placement.instance_type
        assert line.instances_after == running_instances(placement)
