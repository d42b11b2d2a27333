"""Reading `infraaudit.yaml`: --config, else ./infraaudit.yaml, else the defaults."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from ..errors import ConfigError
from .settings import Settings

DEFAULT_CONFIG_NAME = "infraaudit.yaml"


def find_config(explicit: Path | None, cwd: Path) -> Path | None:
    if explicit is not None:
        return explicit
    candidate = cwd / DEFAULT_CONFIG_NAME
    return candidate if candidate.is_file() else None


def load_settings(path: Path | None) -> Settings:
    """Validated settings; every problem is one ConfigError naming the file, key and problem."""
    if path is None:
        return Settings()
    document = load_yaml_mapping(path, what="config file", error=ConfigError)
    try:
        return Settings.model_validate(document)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {describe_validation_error(exc)}") from exc


def load_yaml_mapping(path: Path, *, what: str, error: type[Exception]) -> dict[str, object]:
    """The top-level mapping of a YAML file, or one `error` naming the file (and line for syntax errors)."""
    text = read_text_file(path, what=what, error=error)
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise error(f"{path}{where}: {problem}") from exc
    if not isinstance(document, dict):
        raise error(f"{path}: expected a mapping at the top level, got {type(document).__name__}")
    return document


def describe_validation_error(exc: ValidationError, limit: int = 3) -> str:
    """'key.path: problem' for the first few errors, on one line."""
    parts = []
    for error in exc.errors()[:limit]:
        key = ".".join(str(p) for p in error["loc"]) or "(top level)"
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        parts.append(f"{key}: {message}")
    more = len(exc.errors()) - limit
    if more > 0:
        parts.append(f"and {more} more error(s)")
    return "; ".join(parts)


def read_text_file(path: Path, *, what: str, error: type[Exception]) -> str:
    """UTF-8 text of a non-empty regular file, or one clear error."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise error(f"{what} {path} does not exist") from exc
    except IsADirectoryError as exc:
        raise error(f"{what} {path} is a directory") from exc
    except OSError as exc:
        raise error(f"cannot read {what} {path}: {exc.strerror}") from exc
    return decode_text(raw, label=f"{what} {path}", error=error)


def decode_text(raw: bytes, *, label: str, error: type[Exception]) -> str:
    """UTF-8 text (a BOM is allowed) that is not blank, or one clear error naming `label`."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"{label} is not UTF-8 text (byte {exc.start})") from exc
    if not text.strip():
        raise error(f"{label} is empty")
    return text
