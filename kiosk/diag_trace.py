"""`kiosk diag trace DEVICE`: open one configured device, poll it as the supervisor does, and
print its bytes each way, decoded and masked, for N seconds.

Exit codes: 0 traced, 1 invalid config, 2 unknown device, 4 the device could not be opened,
6 the device has no byte stream (a camera).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

EXIT_OK, EXIT_CONFIG, EXIT_USAGE, EXIT_DEVICE, EXIT_NOT_TRACEABLE = 0, 1, 2, 4, 6


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("trace", help="live byte trace of one configured device, decoded, personal data masked")
    p.add_argument("device_id", metavar="DEVICE_ID", help="a device id of the site config (e.g. printer, idcard, locker0)")
    p.add_argument("--seconds", type=float, default=10.0, help="how long to trace (default 10)")
    p.add_argument("--config", help="site config TOML (default: the bundled simulated hall)")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from devicecfg import load_config_or_report
    from drivers.errors import TransportError
    from kiosk.diagnostics.health import configured_devices
    from kiosk.diagnostics.trace import NotTraceable, format_record, record_dict, tracing

    config = load_config_or_report(args.config)
    if config is None:
        return EXIT_CONFIG
    devices, _ = configured_devices(config)
    device = next((d for d in devices if d.device_id == args.device_id), None)
    if device is None:
        print(f"no device {args.device_id!r} in the config; known: {', '.join(d.device_id for d in devices)}", file=sys.stderr)
        return EXIT_USAGE
    printed = 0

    def flush(trace) -> None:
        nonlocal printed
        records = trace.records()
        for r in records[printed:]:
            print(json.dumps(record_dict(r), ensure_ascii=False) if args.json else format_record(r), flush=True)
        printed = len(records)

    try:
        with tracing(device) as trace:
            try:
                device.open()
                deadline = time.monotonic() + args.seconds
                while time.monotonic() < deadline:
                    flush(trace)
                    time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))
                    device.poll()
            except TransportError as e:
                flush(trace)
                print(f"{e} (is the device connected and powered?)", file=sys.stderr)
                return EXIT_DEVICE
            finally:
                device.close()
            flush(trace)
    except NotTraceable as e:
        print(e, file=sys.stderr)
        return EXIT_NOT_TRACEABLE
    return EXIT_OK
