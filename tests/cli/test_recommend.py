"""`infraaudit recommend` end to end: the example inputs, output formats, stack config, and errors."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from infraaudit.audit.models import Layout
from infraaudit_testing import EXAMPLES

WORKLOADS = EXAMPLES / "recommend" / "workloads.yaml"
ONPREM = EXAMPLES / "recommend" / "onprem.yaml"
BASE = ("recommend", "--workloads", str(WORKLOADS), "--onprem", str(ONPREM))


def test_example_table_and_layout_file(run_cli: Callable, tmp_path: Path) -> None:
    result = run_cli(*BASE, "-o", str(tmp_path / "layout.yaml"))
    assert result.code == 0, result.err
    for name in ("chat-llama-70b", "embeddings", "claims-13b", "eu-finetune-13b"):
        assert name in result.out
    assert "solver: HiGHS" in result.out and "optimal" in result.out
    layout = Layout.model_validate(yaml.safe_load((tmp_path / "layout.yaml").read_text()))
    placed = {p.workload: p for p in layout.placements}
    assert len(placed) == 7
    # restricted data stays on-prem, eu-personal in the EU, realtime off spot
    assert placed["claims-13b"].site is not None
    assert placed["chat-llama-70b"].region.startswith(("eu-", "europe-"))
    assert placed["chat-llama-70b"].capacity.value != "spot"
    assert layout.totals.monthly_cost_usd == pytest.approx(sum(p.monthly_cost_usd for p in layout.placements))
    assert layout.baselines.all_on_demand_usd is not None
    assert layout.totals.monthly_cost_usd <= layout.baselines.all_on_demand_usd
    assert "layout written to" in result.err


def test_json_and_markdown(run_cli: Callable) -> None:
    as_json = run_cli(*BASE, "--format", "json")
    assert as_json.code == 0
    layout = Layout.model_validate(json.loads(as_json.out))
    markdown = run_cli(*BASE, "--format", "markdown")
    assert markdown.out.startswith("## infraaudit recommended layout")
    assert markdown.out.count("\n| ") == len(layout.placements) + 2  # header, rule, rows


def test_write_stack_config(run_cli: Callable, tmp_path: Path) -> None:
    result = run_cli(
        *BASE, "--write-stack-config", "org/proj/prod", "--stack-dir", str(tmp_path), "--gcp-project", "ml-prod"
    )
    assert result.code == 0, result.err
    config = yaml.safe_load((tmp_path / "Pulumi.prod.yaml").read_text())["config"]
    assert config["gcp:project"] == "ml-prod"
    layout = Layout.model_validate(config["infraaudit:layout"])
    assert {p.workload for p in layout.placements} >= {"chat-llama-70b", "claims-13b"}


def test_write_stack_config_keeps_the_rest_of_an_existing_stack(run_cli: Callable, tmp_path: Path) -> None:
    stack = tmp_path / "Pulumi.prod.yaml"
    stack.write_text(
        "encryptionsalt: v1:abc\n"
        "config:\n"
        "  aws:region: eu-west-1\n"
        "  infraaudit:amis: {eu-west-1: ami-0123}\n"
        "  infraaudit:token: {secure: v1:xyz}\n"
        "  infraaudit:layout: {stale: true}\n"
    )
    assert run_cli(*BASE, "--write-stack-config", "prod", "--stack-dir", str(tmp_path)).code == 0
    document = yaml.safe_load(stack.read_text())
    assert document["encryptionsalt"] == "v1:abc"
    config = document["config"]
    assert config["aws:region"] == "eu-west-1" and config["infraaudit:amis"] == {"eu-west-1": "ami-0123"}
    assert config["infraaudit:token"] == {"secure": "v1:xyz"}
    Layout.model_validate(config["infraaudit:layout"])
    stack.write_text("config: [1, 2]\n")
    result = run_cli(*BASE, "--write-stack-config", "prod", "--stack-dir", str(tmp_path))
    assert result.code == 3 and "`config` is not a mapping" in result.err


def test_from_scan_inventory(run_cli: Callable) -> None:
    result = run_cli("recommend", "--from-scan", str(EXAMPLES / "inventory.json"), "--onprem", str(ONPREM),
                     "--format", "json")  # fmt: skip
    assert result.code == 0, result.err
    layout = Layout.model_validate(json.loads(result.out))
    assert layout.totals.current_monthly_cost_usd is not None
    assert layout.totals.monthly_saving_usd is not None and layout.totals.monthly_saving_usd > 0
    assert all(p.source_uid for p in layout.placements)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("workloads: [{name: a}]\n", "workloads.0.kind: Field required"),
        ("workloads: []\nsurprise: 1\n", "surprise: unknown key"),
        ("version: 2\n", "unsupported version 2"),
        (
            "workloads: [{name: a, kind: inference, gpu: {count: 1}, demand: {replicas: 1}, "
            "data_classification: secret}]\n",
            "'secret' is not a residency class",
        ),
        (
            "workloads: [{name: a, kind: inference, gpu: {count: 1}, demand: {replicas: 1, gpu_hours_per_month: 5}, "
            "data_classification: public}]\n",
            "give either gpu_hours_per_month, or replicas",
        ),
        ("workloads: [\n", "workloads.yaml:2:1"),
        ("workloads: []\n", "nothing to place"),
    ],
)
def test_bad_workloads_file_is_one_line_exit_3(run_cli: Callable, tmp_path: Path, document: str, message: str) -> None:
    path = tmp_path / "workloads.yaml"
    path.write_text(document)
    result = run_cli("recommend", "--workloads", str(path))
    assert result.code == 3
    assert result.out == ""
    assert len(result.err.strip().splitlines()) == 1 and message in result.err, result.err


def test_infeasible_names_constraint_and_workload(run_cli: Callable, tmp_path: Path) -> None:
    path = tmp_path / "workloads.yaml"
    path.write_text(
        "workloads:\n"
        "  - {name: vault, kind: inference, gpu: {memory_gib: 20}, demand: {replicas: 1},"
        " data_classification: restricted}\n"
    )
    result = run_cli("recommend", "--workloads", str(path))
    assert result.code == 3
    assert "no layout satisfies every constraint: workload vault: no location allowed for restricted" in result.err
    assert "give --onprem sites" in result.err


def test_usage_errors_exit_2(run_cli: Callable, tmp_path: Path) -> None:
    assert run_cli("recommend").code == 2
    assert run_cli(*BASE, "--write-stack-config", "bad name!").code == 2
    assert run_cli(*BASE, "--format", "sarif").code == 2


def test_a_scan_report_is_refused_with_a_hint(run_cli: Callable, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"schema_version": "1", "tool_version": "x", "generated_at": "2026-01-01T00:00:00Z",
                                  "findings": []}))  # fmt: skip
    result = run_cli("recommend", "--from-scan", str(report))
    assert result.code == 3
    assert "is a scan report (findings), not an inventory" in result.err and "--save-inventory" in result.err


def test_stdout_is_only_the_report() -> None:
    """HiGHS prints a banner from C++ on construction; the JSON on stdout must still parse."""
    done = subprocess.run(
        [sys.executable, "-m", "infraaudit.cli.main", *BASE, "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    Layout.model_validate(json.loads(done.stdout))
    assert "HiGHS" not in done.stderr


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("version: 3\nsites: []\n", "unsupported version 3"),
        ("sites: [{name: a, region: eu-x, pools: []}]\n", "sites.0.pools: List should have at least 1 item"),
        (
            "sites:\n" + "  - {name: a, region: eu-x, pools: [{accelerator: L4, count: 1, memory_gib: 24,"
            " cost_per_gpu_hour: 1}]}\n" * 2,
            "site names must be unique: a",
        ),
    ],
)
def test_bad_onprem_file_is_one_line_exit_3(run_cli: Callable, tmp_path: Path, document: str, message: str) -> None:
    path = tmp_path / "onprem.yaml"
    path.write_text(document)
    result = run_cli("recommend", "--workloads", str(WORKLOADS), "--onprem", str(path))
    assert result.code == 3 and len(result.err.strip().splitlines()) == 1 and message in result.err, result.err
