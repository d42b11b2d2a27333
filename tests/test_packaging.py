"""The wheel installs under the single `infraaudit.*` namespace and works from a clean venv."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from infraaudit_testing import EXAMPLES, REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(REPO)],
        check=True,
        capture_output=True,
    )
    [built] = out.glob("infraaudit-*.whl")
    return built


def test_wheel_contents_live_under_one_namespace(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert tops == {"infraaudit"}
    assert "infraaudit/__init__.py" not in names  # a namespace: nothing squats it
    for required in (
        "infraaudit/audit/models/resource.py",
        "infraaudit/cli/main.py",
        "infraaudit/stacks/__init__.py",
        "infraaudit/policies/infraaudit/gpu/idle.rego",
        "infraaudit/policies/engine/entrypoint.rego",
        "infraaudit/policies/schemas/input.json",
        "infraaudit/audit/catalog/data/gpu_catalog.json",
    ):
        assert required in names, required
    # every source package made it in (a find_packages loop per root)
    for folder in ("audit", "cli", "stacks"):
        for init in (REPO / folder).rglob("__init__.py"):
            assert f"infraaudit/{init.relative_to(REPO).as_posix()}" in names


def test_clean_venv_install_runs_a_scan(wheel: Path, tmp_path: Path, opa_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(wheel)], check=True)
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    installed = {p.name for p in Path(site).iterdir()}
    assert not installed & {"audit", "cli", "stacks", "policies"}
    env = {**os.environ, "INFRAAUDIT_OPA": str(opa_path)}
    cli = env_dir / "bin" / "infraaudit"
    version = subprocess.run([str(cli), "--version"], check=True, capture_output=True, text=True, env=env, cwd=tmp_path)
    assert "0.1.0" in version.stdout
    scan = subprocess.run(
        [str(cli), "scan", "--inventory", str(EXAMPLES / "inventory.json"), "--format", "json"],
        capture_output=True, text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert scan.returncode == 0, scan.stderr
    assert '"rule_id": "IA-GPU-001"' in scan.stdout
