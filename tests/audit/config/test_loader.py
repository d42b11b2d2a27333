from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infraaudit.audit.config import Settings, find_config, load_settings
from infraaudit.audit.errors import ConfigError
from infraaudit_testing import EXAMPLES


def write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "infraaudit.yaml"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def test_no_config_means_defaults() -> None:
    assert load_settings(None) == Settings()


def test_explicit_config_wins_over_the_working_directory(tmp_path: Path) -> None:
    (tmp_path / "infraaudit.yaml").write_text("lookback_days: 7\n")
    assert find_config(None, tmp_path) == tmp_path / "infraaudit.yaml"
    assert find_config(Path("other.yaml"), tmp_path) == Path("other.yaml")
    assert find_config(None, tmp_path / "nowhere") is None


def test_overrides_are_applied(tmp_path: Path) -> None:
    loaded = load_settings(write(tmp_path, "idle:\n  p95_below_percent: 3\ntagging:\n  required: [owner]\n"))
    assert loaded.idle.p95_below_percent == 3
    assert loaded.idle.max_below_percent == 15  # untouched keys keep defaults
    assert loaded.tagging.required == ["owner"]


def test_example_config_is_valid() -> None:
    load_settings(EXAMPLES / "infraaudit.yaml")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "idle:\n  p95_below_percent: 120\n",
            r"infraaudit.yaml: idle.p95_below_percent: Input should be less than or equal to 100",
        ),
        ("idle:\n  p95_below: 3\n", r"idle.p95_below: unknown key"),
        ("lookback_days: [1\n", r"infraaudit.yaml:2:1: expected ',' or ']'"),
        ("- a\n- b\n", r"expected a mapping at the top level, got list"),
        ("", r"is empty"),
        ("   \n", r"is empty"),
        ("version: 2\n", r"unsupported config version 2"),
        (
            "waivers:\n  - rule: not-an-id\n    resource: '*'\n    reason: x\n",
            r"waivers.0.rule: String should match pattern",
        ),
        (
            "waivers:\n  - rule: IA-GPU-001\n    resource: '*'\n    reason: x\n    expires: tomorrow\n",
            r"waivers.0.expires",
        ),
    ],
)
def test_bad_config_is_one_clear_error(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected):
        load_settings(write(tmp_path, text))


def test_non_utf8_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is not UTF-8 text"):
        load_settings(write(tmp_path, b"idle: \xff\xfe\n"))


def test_missing_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "absent.yaml")


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_escape_as_anything_but_config_error(
    tmp_path_factory: pytest.TempPathFactory, blob: bytes
) -> None:
    path = tmp_path_factory.mktemp("cfg") / "infraaudit.yaml"
    path.write_bytes(blob)
    try:
        load_settings(path)
    except ConfigError as exc:
        assert "\n" not in str(exc)
