"""`kiosk diag health`: every configured device's health check, one line (or one JSON object).

Exit codes: 0 every device ok, 3 at least one device has a problem (each is printed with its
action hint), 1 the config is invalid.
"""

from __future__ import annotations

import argparse
import json

EXIT_OK, EXIT_CONFIG, EXIT_PROBLEM = 0, 1, 3


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("health", help="health check of every configured device (exit 3 if any has a problem)")
    p.add_argument("--level", choices=["internal", "external"], default="internal",
                   help="internal: no physical effect (default); external: acts (prints a 测试 ticket)")
    p.add_argument("--config", help="site config TOML (default: the bundled simulated hall)")
    p.add_argument("--json", action="store_true", help="one JSON object (see README)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from devicecfg import load_config_or_report
    from drivers.device import HealthLevel
    from kiosk.diagnostics.health import check_devices, configured_devices, report_dict

    config = load_config_or_report(args.config)
    if config is None:
        return EXIT_CONFIG
    devices, unbuilt = configured_devices(config)
    report = check_devices(devices, HealthLevel(args.level), unbuilt)
    if args.json:
        print(json.dumps(report_dict(report), ensure_ascii=False))
    else:
        for d in report.devices:
            mark = {"ok": "OK ", "problem": "ERR", "not_supported": "-- "}[d.outcome.value]
            print(f"{mark} {d.device_id:<10} {d.kind.value:<8} {d.model:<14} {d.state.value:<15} {d.text}")
            if d.problem is not None:
                print(f"    {d.problem.hint.value}: {d.problem.text} / {d.problem.text_en}")
    return EXIT_OK if report.ok else EXIT_PROBLEM
