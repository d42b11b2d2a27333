from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from infraaudit.cli.main import main


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path) -> Callable[..., Result]:
    """Run the real entry point in-process; returns exit code, stdout and stderr."""
    monkeypatch.chdir(tmp_path)  # no stray ./infraaudit.yaml

    def run(*args: str) -> Result:
        capsys.readouterr()
        with pytest.raises(SystemExit) as exited:
            main(list(args))
        captured = capsys.readouterr()
        return Result(int(exited.value.code or 0), captured.out, captured.err)

    return run


@pytest.fixture(scope="session")
def policy_ids() -> set[str]:
    from infraaudit.audit.engine import PolicyLibrary, find_opa

    return {p.id for p in PolicyLibrary(find_opa()).policies}
