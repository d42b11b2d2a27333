from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infraaudit.audit.collect.inventory_file import STDIN, load_inventory
from infraaudit.audit.errors import InputError
from infraaudit_testing import EXAMPLES


def test_example_inventory_loads() -> None:
    inventory = load_inventory(EXAMPLES / "inventory.json")
    assert len(inventory.resources) >= 8


def test_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    data = (EXAMPLES / "inventory.json").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert load_inventory(STDIN) == load_inventory(EXAMPLES / "inventory.json")


def test_empty_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    with pytest.raises(InputError, match="inventory on stdin is empty"):
        load_inventory(STDIN)


def test_directory_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a directory"):
        load_inventory(tmp_path)


def test_schema_error_names_the_key(tmp_path: Path) -> None:
    path = tmp_path / "inv.json"
    path.write_text('{"resources": [{"uid": "aws:1:us-east-1:i-1", "provider": "aws", "account": "1", '
                    '"region": "us-east-1", "instance_type": "g5.xlarge", "market": "preemptible"}]}')  # fmt: skip
    with pytest.raises(InputError, match=r"resources\.0\.market: Input should be 'on_demand'"):
        load_inventory(path)


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode)))
def test_arbitrary_input_is_an_input_error_or_an_inventory(
    tmp_path_factory: pytest.TempPathFactory, blob: bytes
) -> None:
    path = tmp_path_factory.mktemp("inv") / "inventory.json"
    path.write_bytes(blob)
    try:
        load_inventory(path)
    except InputError as exc:
        assert "\n" not in str(exc)


@settings(max_examples=60, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
        max_leaves=20,
    )
)
def test_arbitrary_json_documents_never_crash(tmp_path_factory: pytest.TempPathFactory, document: object) -> None:
    import json

    path = tmp_path_factory.mktemp("inv") / "inventory.json"
    path.write_text(json.dumps({"resources": [document]}))
    try:
        load_inventory(path)
    except InputError as exc:
        assert "\n" not in str(exc)
