"""Kiosk configuration: the typed schema, device model profiles and example sites."""

from devicecfg.loader import (
    DEFAULT_CONFIG,
    SITES_DIR,
    ConfigError,
    ConfigProblem,
    check_config,
    check_text,
    load_config,
    load_config_or_report,
)
from devicecfg.profiles import UnknownProfile, profile_for, profile_names
from devicecfg.schema import KioskConfig

__all__ = [
    "DEFAULT_CONFIG",
    "SITES_DIR",
    "ConfigError",
    "ConfigProblem",
    "KioskConfig",
    "load_config_or_report",
    "UnknownProfile",
    "check_config",
    "check_text",
    "load_config",
    "profile_for",
    "profile_names",
]
