"""Malformed inputs fail closed on one line: fixtures with random leaves replaced by values of the
wrong shape never raise anything but InfraauditError (the CLI's exit 3), never a traceback."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from infraaudit.audit.catalog import Catalog
from infraaudit.audit.errors import InfraauditError
from infraaudit.audit.preview import Plan, cost_change, plan_resources, read_pulumi_preview, read_terraform_plan
from infraaudit_testing import REPO

FIXTURES = REPO / "tests" / "fixtures" / "preview"
WRONG_SHAPES: list[Any] = [None, 5, -3, 3.5, True, "x", [], {}, [None], [{}], {"a": None},
                           "04da6b54-80e4-46f7-96ec-b56ff0331ba9"]  # fmt: skip


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    if path:
        yield path


@pytest.mark.parametrize(
    ("name", "reader"),
    [
        ("pulumi-preview.json", read_pulumi_preview),
        ("pulumi-preview-gcp.json", read_pulumi_preview),
        ("terraform-plan.json", read_terraform_plan),
        ("terraform-unknowns.json", read_terraform_plan),
    ],
)
def test_wrong_shapes_fail_closed(name: str, reader: Callable[[Path], Plan], tmp_path: Path) -> None:
    base = json.loads((FIXTURES / name).read_text())
    paths = list(_leaves(base))
    rng = random.Random(name)
    catalog = Catalog.load()
    rejected = 0
    for attempt in range(60):
        document = copy.deepcopy(base)
        for _ in range(3):
            path = rng.choice(paths)
            target = document
            try:
                for key in path[:-1]:
                    target = target[key]
                target[path[-1]] = rng.choice(WRONG_SHAPES)
            except (KeyError, IndexError, TypeError):
                pass  # an earlier replacement removed this path
        mutated = tmp_path / f"{attempt}.json"
        mutated.write_text(json.dumps(document))
        try:
            plan = reader(mutated)
            plan_resources(plan)
            cost_change([plan], catalog)
        except InfraauditError as exc:
            assert "\n" not in str(exc) and str(mutated) in str(exc)
            rejected += 1
    assert rejected > 0  # the mutations do reach the error paths
