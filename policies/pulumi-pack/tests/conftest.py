"""Fixtures for the policy pack's tests; they run in .venv-pack (`make test-pack`), never in .venv.

The pack module is imported from its folder (as `python -m pulumi.policy` runs it); `__main__.py`
is never imported: constructing `PolicyPack` starts the gRPC server and blocks.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

PACK_DIR = Path(__file__).resolve().parents[1]
for folder in (PACK_DIR, PACK_DIR / "tests"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import infraaudit_pack  # noqa: E402
from pulumi_policy import ResourceValidationPolicy  # noqa: E402


@pytest.fixture(scope="session")
def evaluator() -> Iterator[infraaudit_pack.Evaluator]:
    """One pack state for the session (as in a real run), with the stack config left empty."""
    shared = infraaudit_pack.Evaluator(config={})
    yield shared
    shared.close()


@pytest.fixture(scope="session")
def policies(evaluator: infraaudit_pack.Evaluator) -> list[ResourceValidationPolicy]:
    return infraaudit_pack.build_policies(evaluator)
