"""Configuration: the validated `infraaudit.yaml` and its waivers."""

from .loader import (
    DEFAULT_CONFIG_NAME,
    decode_text,
    describe_validation_error,
    find_config,
    load_settings,
    load_yaml_mapping,
    read_text_file,
)
from .settings import Settings, Waiver
from .waivers import apply_waivers, check_waiver_rules, expired_waivers

__all__ = [
    "DEFAULT_CONFIG_NAME",
    "Settings",
    "Waiver",
    "apply_waivers",
    "decode_text",
    "check_waiver_rules",
    "describe_validation_error",
    "expired_waivers",
    "find_config",
    "load_settings",
    "load_yaml_mapping",
    "read_text_file",
]
