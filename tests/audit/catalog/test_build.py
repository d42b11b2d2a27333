"""scripts/build_catalog.py: deterministic, faithful to the source CSVs, and the shipped file is its output."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import pytest

from infraaudit.audit.catalog import Catalog
from infraaudit.audit.models import Provider

MAX_SNAPSHOT_BYTES = 1_000_000


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _num(text: str) -> float | None:
    return float(text) if text else None


def test_build_is_deterministic(tmp_path, source_dir, build):
    first, second = tmp_path / "a" / "gpu_catalog.json", tmp_path / "b" / "gpu_catalog.json"
    for output in (first, second):
        result = build("--source", source_dir, "--output", output)
        assert result.returncode == 0, result.stderr
    assert first.read_bytes() == second.read_bytes()
    assert first.stat().st_size < MAX_SNAPSHOT_BYTES


def test_shipped_snapshot_equals_a_fresh_build(tmp_path, source_dir, build):
    output = tmp_path / "gpu_catalog.json"
    result = build("--source", source_dir, "--output", output)
    assert result.returncode == 0, result.stderr
    shipped = files("infraaudit.audit.catalog").joinpath("data", "gpu_catalog.json").read_bytes()
    assert shipped == output.read_bytes(), "shipped snapshot is stale: run `python scripts/build_catalog.py`"


def test_shipped_snapshot_is_compact():
    shipped = files("infraaudit.audit.catalog").joinpath("data", "gpu_catalog.json").read_bytes()
    assert len(shipped) < MAX_SNAPSHOT_BYTES


def test_date_option_sets_the_snapshot_date_only(tmp_path, source_dir, build):
    output = tmp_path / "gpu_catalog.json"
    assert build("--source", source_dir, "--output", output, "--date", "2027-01-31").returncode == 0
    catalog = Catalog.load(output)
    assert catalog.snapshot_date.isoformat() == "2027-01-31"
    assert catalog.source.retrieved.isoformat() == "2026-11-22"  # when the upstream files were read


def test_bad_date_is_one_line_error(tmp_path, source_dir, build):
    result = build("--source", source_dir, "--output", tmp_path / "x.json", "--date", "22/11/2026")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "--date" in result.stderr
    assert not (tmp_path / "x.json").exists()


def test_missing_input_is_one_line_error(tmp_path, source_dir, build):
    partial = tmp_path / "src"
    partial.mkdir()
    for name in ("aws_gpu_prices.csv", "gcp_gpu_prices.csv", "SOURCE.md"):
        shutil.copy(source_dir / name, partial / name)
    result = build("--source", partial, "--output", tmp_path / "x.json")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "gcp_accelerator_prices.csv" in result.stderr


def test_inconsistent_hardware_across_regions_is_rejected(tmp_path, source_dir, build):
    broken = tmp_path / "src"
    shutil.copytree(source_dir, broken)
    aws = broken / "aws_gpu_prices.csv"
    aws.chmod(0o644)
    text = aws.read_text(encoding="utf-8")
    row = "p4d.24xlarge,A100,8,320,{vcpus},1152,us-west-2"
    aws.write_text(text.replace(row.format(vcpus=96), row.format(vcpus=48)))
    result = build("--source", broken, "--output", tmp_path / "x.json")
    assert result.returncode == 1 and "p4d.24xlarge hardware differs" in result.stderr


def test_script_needs_only_the_standard_library(tmp_path, source_dir):
    # -I -S: no site-packages and no user paths, so neither pydantic nor infraaudit can be imported
    output = tmp_path / "gpu_catalog.json"
    result = subprocess.run(
        [sys.executable, "-I", "-S", str(Path(__file__).resolve().parents[3] / "scripts" / "build_catalog.py"),
         "--source", str(source_dir), "--output", str(output)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert output.is_file()


def test_attribution_matches_source_md(catalog, source_dir):
    text = (source_dir / "SOURCE.md").read_text(encoding="utf-8")
    source = catalog.source
    assert source.license == "Apache-2.0"
    assert "skypilot-org/skypilot-catalog" in source.repository
    commits = dict(re.findall(r"`(catalogs/[^`]+\.csv)`\W+commit `([0-9a-f]{40})`", text))
    assert {f.path: f.commit for f in source.files} == commits
    assert commits["catalogs/v7/aws/vms.csv"] == "001367d22a0033fac286a8c71aeac7109e431bcb"
    assert set(source.inputs) == {"aws_gpu_prices.csv", "gcp_gpu_prices.csv", "gcp_accelerator_prices.csv"}


def test_every_aws_row_is_in_the_catalog(catalog, source_dir):
    rows = _csv(source_dir / "aws_gpu_prices.csv")
    assert len(rows) == 743
    for row in rows:
        offer = catalog.lookup("aws", row["instance_type"], row["region"])
        assert offer is not None, row
        assert offer.on_demand == _num(row["on_demand_usd_per_hour"])
        assert offer.spot == _num(row["spot_usd_per_hour_median"])  # median column, not min
        assert offer.accelerator == (row["accelerator"] or None)
        assert offer.accelerator_count == (int(row["accelerator_count"]) if row["accelerator_count"] else None)
        assert offer.gpu_memory_gib == _num(row["gpu_memory_gib_total"])
        if offer.gpu_memory_gib is not None:
            assert offer.accelerator_memory_gib == round(offer.gpu_memory_gib / offer.accelerator_count, 2)
        else:
            assert offer.accelerator_memory_gib is None
        assert offer.vcpus == int(row["vcpus"])
        assert offer.memory_gib == float(row["memory_gib"])
    assert sum(len(catalog.offers_for("aws", t)) for t in catalog.instance_types("aws")) == 743


def test_every_gcp_row_is_in_the_catalog(catalog, source_dir):
    rows = _csv(source_dir / "gcp_gpu_prices.csv")
    assert len(rows) == 318
    for row in rows:
        offer = catalog.lookup("gcp", row["machine_type"], row["region"])
        assert offer is not None, row
        assert offer.on_demand == _num(row["total_on_demand_usd_per_hour"])  # host + GPUs
        assert offer.spot == _num(row["total_spot_usd_per_hour"])
        assert offer.accelerator == row["accelerator"]
        assert offer.accelerator_count == int(row["accelerator_count"])
        assert offer.gpu_memory_gib == offer.accelerator_memory_gib * offer.accelerator_count
    assert sum(len(catalog.offers_for("gcp", t)) for t in catalog.instance_types("gcp")) == 318


def test_attached_gpu_prices_are_gpus_only(catalog, source_dir):
    rows = _csv(source_dir / "gcp_accelerator_prices.csv")
    gpus = [row for row in rows if row["kind"] == "gpu"]
    assert len(gpus) == 372
    for row in gpus:
        price = catalog.accelerator_price("gcp", row["accelerator"], int(row["accelerator_count"]), row["region"])
        assert price is not None, row
        assert (price.on_demand, price.spot) == (_num(row["on_demand_usd_per_hour"]), _num(row["spot_usd_per_hour"]))
    tpu = next(row for row in rows if row["kind"] == "tpu")
    assert catalog.accelerator_price("gcp", tpu["accelerator"], int(tpu["accelerator_count"]), tpu["region"]) is None
    snapshot = json.loads(files("infraaudit.audit.catalog").joinpath("data", "gpu_catalog.json").read_text())
    assert not any(name.startswith("tpu") for name in snapshot["accelerators"]["gcp"])


def test_missing_source_values_stay_null(catalog):
    p5e = catalog.lookup("aws", "p5e.48xlarge", "us-east-2")
    assert p5e is not None and p5e.on_demand is None and p5e.spot == 15.4279
    trn2 = catalog.lookup("aws", "trn2.48xlarge", "us-east-2")
    assert trn2 is not None
    assert (trn2.accelerator, trn2.accelerator_count, trn2.gpu_memory_gib) == (None, None, None)
    assert trn2.on_demand == 85.964 and trn2.spot is None
    f1 = catalog.spec(Provider.AWS, "f1.2xlarge")
    assert f1 is not None and f1.accelerators[0].memory_gib is None
    ultra = catalog.lookup("gcp", "a3-ultragpu-8g", "us-east5")
    assert ultra is not None and ultra.spot is None and ultra.on_demand is not None


@pytest.mark.parametrize(
    ("model", "gib"),
    [("A100", 40), ("A100-80GB", 80), ("H100", 80), ("H100-MEGA", 80), ("H200", 141), ("L4", 24), ("T4", 16),
     ("V100", 16), ("P100", 16), ("P4", 8), ("B200", 180)],
)  # fmt: skip
def test_gcp_published_gpu_memory(catalog, model, gib):
    assert catalog.accelerator_memory_gib("gcp", model) == gib
