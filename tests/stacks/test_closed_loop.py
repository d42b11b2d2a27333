"""The closed loop: a layout → the stack program → `infraaudit check --pulumi-program` → no finding.

Each layout becomes a Pulumi project in a temporary folder (the repository's Pulumi.yaml and
stacks/__main__.py, which imports the installed `infraaudit.stacks`) with `Pulumi.test.yaml`
holding the layout as `infraaudit recommend --write-stack-config test` writes it. The real check
pipeline then runs the program under the SDK's mocks in a subprocess and evaluates the plan with
the real OPA policies and the shipped catalog:

- the gate: `infraaudit check --pulumi-program DIR... --stack test --fail-on medium --format json`
  exits 0 with no finding of medium severity or above;
- the planned GPU groups have the placement's instance count, type and market, and the security
  facts the policies read (templates count 0);
- the cost change of each group is instances x 730 h x the catalog's price at its market (spot
  price for spot capacity, on-demand otherwise), and the total is their sum;
- a negative control: a public IP and a residency violation fail the same gate.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from infraaudit_cli_runner import run_main

from infraaudit.audit.catalog import Catalog
from infraaudit.audit.check import plan_inventory
from infraaudit.audit.config import Settings
from infraaudit.audit.models import HOURS_PER_MONTH, Capacity, Layout, Market, Placement, Report, Resource
from infraaudit.audit.preview.pulumi_program import load_pulumi_program
from infraaudit_testing import REPO

GCP_PROJECT = "ml-prod"
SEVERE = {"medium", "high", "critical"}

NAMES = ["aws-spot", "aws-on-demand", "gcp-spot", "gcp-n1", "mixed", "on-prem"]
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def layouts(
    placement: Callable[..., Placement], layout: Callable[..., Layout], on_prem_placement: Callable[..., Placement]
) -> dict[str, Layout]:
    """Layouts with real catalog types and regions; "negative" is the control that must fail."""
    p, on_prem = placement, on_prem_placement
    found = {
        "aws-spot": layout(
            p("lp-aws-l4", "aws", "us-east-1", "spot", instance_type="g6.xlarge", instances=3,
              alternative_instance_types=["g6.2xlarge"]),
            p("lp-aws-a100", "aws", "us-east-1", "spot", instance_type="p4d.24xlarge", accelerator="A100",
              gpus_per_instance=8, gpu_memory_gib_per_instance=320.0, instances=1),
        ),
        "aws-on-demand": layout(
            p("lp-aws-serve", "aws", "eu-west-1", "on_demand", kind="inference", instance_type="g5.xlarge",
              accelerator="A10G", data_classification="eu-personal"),
            p("lp-aws-reserved", "aws", "us-east-1", "committed", instance_type="p4d.24xlarge", accelerator="A100",
              gpus_per_instance=8, gpu_memory_gib_per_instance=320.0, interruptible=False),
        ),
        "gcp-spot": layout(
            p("lp-gcp-l4", "gcp", "europe-west4", "spot", instance_type="g2-standard-8",
              data_classification="eu-personal"),
            p("lp-gcp-a100", "gcp", "europe-west4", "spot", instance_type="a2-highgpu-1g", accelerator="A100",
              gpu_memory_gib_per_instance=40.0, instances=1),
        ),
        "gcp-n1": layout(
            p("lp-gcp-t4", "gcp", "europe-west4", "on_demand", kind="inference", instance_type="n1-standard-8",
              accelerator="T4", gpu_memory_gib_per_instance=16.0, instances=2),
        ),
        "mixed": layout(
            p("lp-mix-aws", "aws", "us-east-1", "spot", kind="batch", instance_type="g6.xlarge"),
            p("lp-mix-gcp", "gcp", "us-central1", "on_demand", kind="inference", instance_type="g2-standard-4",
              instances=3),
            on_prem("lp-mix-lab"),
        ),
        "on-prem": layout(on_prem("lp-onprem-a"), on_prem("lp-onprem-b", site="ams2", accelerator="H100")),
        "negative": layout(
            p("lp-bad-public", "aws", "us-east-1", "on_demand", kind="inference", instance_type="g6.xlarge",
              public_ip=True),
            p("lp-bad-residency", "gcp", "us-central1", "spot", instance_type="g2-standard-4",
              data_classification="eu-personal"),
        ),
    }  # fmt: skip
    assert list(found)[:-1] == NAMES
    return found


def write_project(directory: Path, layout: Layout) -> Path:
    """A copy of the repository's Pulumi project with a stack config for stack `test`."""
    (directory / "stacks").mkdir(parents=True)
    shutil.copy(REPO / "Pulumi.yaml", directory / "Pulumi.yaml")
    shutil.copy(REPO / "stacks" / "__main__.py", directory / "stacks" / "__main__.py")
    config = {"infraaudit:layout": layout.model_dump(mode="json"), "gcp:project": GCP_PROJECT}
    (directory / "Pulumi.test.yaml").write_text(yaml.safe_dump({"config": config}), encoding="utf-8")
    return directory


@pytest.fixture(scope="module")
def projects(layouts: dict[str, Layout], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("layouts")
    return {name: write_project(root / name, layout) for name, layout in layouts.items()}


def _check(*directories: Path, cwd: Path) -> tuple[int, Report, str]:
    argv = ["check"]
    for directory in directories:
        argv += ["--pulumi-program", str(directory)]
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(cwd)  # no stray ./infraaudit.yaml: the default settings
        code, out, err = run_main([*argv, "--stack", "test", "--fail-on", "medium", "--format", "json"])
    return code, Report.model_validate_json(out), err


@pytest.fixture(scope="module")
def gate(projects: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Report, str]:
    """One check over every layout's program, as CI checks several programs at once."""
    return _check(*(projects[name] for name in NAMES), cwd=tmp_path_factory.mktemp("cwd"))


@pytest.fixture(scope="module")
def planned(projects: dict[str, Path]) -> Iterator[dict[str, list[Resource]]]:
    """The Resources the check evaluates, per layout (the programs run side by side)."""
    with ThreadPoolExecutor(max_workers=3) as pool:
        runs = pool.map(lambda n: load_pulumi_program(projects[n], stack="test"), NAMES)
        plans = dict(zip(NAMES, runs, strict=True))
    catalog = Catalog.load()
    yield {name: catalog.enrich_all(plan_inventory([plan], Settings(), generated_at=NOW).resources)
           for name, plan in plans.items()}  # fmt: skip


def _market(placement: Placement) -> Market:
    return Market.SPOT if placement.capacity is Capacity.SPOT else Market.ON_DEMAND


def _group_suffix(placement: Placement) -> str:
    return f"Group/{placement.workload}-asg" if placement.provider.value == "aws" else (
        f"RegionInstanceGroupManager/{placement.workload}-mig"
    )  # fmt: skip


def _expected_monthly(catalog: Catalog, placement: Placement) -> float | None:
    assert placement.instance_type is not None
    offer = catalog.lookup(placement.provider, placement.instance_type, placement.region)
    if offer is None:
        return None
    price = offer.spot if placement.capacity is Capacity.SPOT else offer.on_demand
    return None if price is None else round(price * HOURS_PER_MONTH * placement.instances, 2)


def test_every_layout_passes_the_gate(gate: tuple[int, Report, str]) -> None:
    code, report, err = gate
    severe = [(f.rule_id, f.resource_uid, f.message) for f in report.findings if f.severity.value in SEVERE]
    assert severe == []
    assert code == 0, err
    assert f"check: {len(NAMES)} input(s)" in err


@pytest.mark.parametrize("name", [n for n in NAMES if n != "on-prem"])
def test_groups_have_the_placements_count_type_and_market(
    name: str, layouts: dict[str, Layout], planned: dict[str, list[Resource]]
) -> None:
    resources = planned[name]
    cloud = layouts[name].cloud_placements()
    groups = [r for r in resources if r.count]
    assert len(groups) == len(cloud)  # one group each; templates and IAM count 0 or are not GPU kinds
    for placement in cloud:
        [group] = [r for r in resources if r.uid.endswith(_group_suffix(placement))]
        assert (group.count, group.instance_type, group.market, group.region) == (
            placement.instances,
            placement.instance_type,
            _market(placement),
            placement.region,
        )
        assert group.unknown == []
        assert group.gpu_count == placement.gpus_per_instance, group.accelerators
        assert group.security.public_ip is False and group.security.boot_disk_encrypted is True
        if placement.provider.value == "aws":
            assert group.security.imdsv2_required is True
        else:
            assert group.security.shielded_vm is True
        tags = group.tags
        assert tags["data-classification"] == placement.data_classification
        assert (tags["owner"], tags["team"], tags["cost-center"]) == ("ml-platform", "llm", "cc-42")
        flag = "infraaudit.io/interruptible" if placement.provider.value == "aws" else "infraaudit_io_interruptible"
        opt_out = "infraaudit.io/spot-opt-out" if placement.provider.value == "aws" else "infraaudit_io_spot-opt-out"
        assert tags.get(flag if placement.interruptible else opt_out) == "true"
    templates = [r for r in resources if r.count == 0]
    assert len(templates) == len(cloud)
    assert all(t.security.public_ip is False and t.security.boot_disk_encrypted is True for t in templates)


def test_on_prem_only_plans_no_gpu_resources(planned: dict[str, list[Resource]]) -> None:
    assert planned["on-prem"] == []


def test_cost_change_is_instances_x_730_x_the_catalog_price(
    gate: tuple[int, Report, str], layouts: dict[str, Layout]
) -> None:
    _, report, _ = gate
    catalog = Catalog.load()
    cost = report.cost_change
    assert cost is not None
    lines = {line.address.rsplit("::", 1)[1]: line for line in cost.lines}
    expected_total = 0.0
    unpriced = 0
    for name in NAMES:
        for placement in layouts[name].cloud_placements():
            kind = "asg" if placement.provider.value == "aws" else "mig"
            line = lines[f"{placement.workload}-{kind}"]
            template = lines[f"{placement.workload}-{'lt' if kind == 'asg' else 'template'}"]
            assert (template.instances_after, template.monthly_after_usd) == (0, 0.0)
            assert (line.instances_after, line.instance_type_after) == (placement.instances, placement.instance_type)
            expected = _expected_monthly(catalog, placement)
            if expected is None:  # an n1 host: the catalog prices attached GPUs, not the host
                assert placement.instance_type is not None and placement.instance_type.startswith("n1-")
                assert line.monthly_after_usd is None and "n1 host price not in catalog" in (line.note or "")
                unpriced += 1
                continue
            assert line.monthly_after_usd == pytest.approx(expected, abs=0.01), placement.workload
            expected_total += expected
    assert cost.unpriced == unpriced == 1
    assert cost.monthly_before_usd == 0.0
    assert cost.monthly_after_usd == pytest.approx(expected_total, abs=0.05)
    # spot is what the layouts chose: the on-demand price of the same groups would be far higher
    spot = layouts["aws-spot"].placements[0]
    offer = catalog.lookup("aws", "g6.xlarge", "us-east-1")
    assert offer is not None and offer.spot is not None and offer.on_demand is not None
    assert lines[f"{spot.workload}-asg"].monthly_after_usd == pytest.approx(offer.spot * 730 * 3, abs=0.01)


def test_the_loop_can_fail(projects: dict[str, Path], tmp_path: Path) -> None:
    """Negative control: the same gate fails a layout with a public IP and data outside its region."""
    code, report, err = _check(projects["negative"], cwd=tmp_path)
    assert code == 1, err
    found = {(f.rule_id, f.severity.value, f.resource_uid.rsplit(":", 1)[1]) for f in report.findings}
    assert found == {
        ("IA-SEC-001", "high", "LaunchTemplate/lp-bad-public-lt"),
        ("IA-SEC-001", "high", "Group/lp-bad-public-asg"),
        ("IA-RES-001", "critical", "InstanceTemplate/lp-bad-residency-template"),
        ("IA-RES-001", "critical", "RegionInstanceGroupManager/lp-bad-residency-mig"),
    }
