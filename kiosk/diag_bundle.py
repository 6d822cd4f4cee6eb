"""`kiosk diag bundle --out FILE.zip`: the redacted diagnostics bundle (kiosk/diagnostics/bundle.py).

Health results are from an internal check of every configured device (no physical effect).
Exit codes: 0 written, 1 invalid config.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bundle", help="write a diagnostics zip: config without secrets, devices, statistics, health, events, logs")
    p.add_argument("--out", type=Path, required=True, metavar="FILE.zip")
    p.add_argument("--config", help="site config TOML (default: the bundled simulated hall)")
    p.add_argument("--data-dir", type=Path, help="state directory (default: $STATE_DIRECTORY or ~/.local/share/kiosk)")
    p.add_argument("--log-file", type=Path, help="take recent log lines from this file (default: journalctl -u kiosk)")
    p.add_argument("--no-health", action="store_true", help="do not open the devices (e.g. while the kiosk runs)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from devicecfg import load_config_or_report
    from drivers.device import HealthLevel
    from kiosk.composition import software_version
    from kiosk.diagnostics.bundle import build_bundle, recent_log_lines
    from kiosk.diagnostics.health import check_devices, configured_devices
    from kiosk.paths import data_dir

    config = load_config_or_report(args.config)
    if config is None:
        return 1
    devices, unbuilt = configured_devices(config)
    health = None if args.no_health else check_devices(devices, HealthLevel.INTERNAL, unbuilt)
    bundle = build_bundle(args.out, config, data_dir(args.data_dir, config.kiosk.data_dir), devices=devices,
                          health=health, log_lines=recent_log_lines(args.log_file), software_version=software_version())
    for e in bundle.entries:
        print(f"{e.name:<16} {e.size:>8} B")
    print(f"written: {bundle.path}")
    return 0
