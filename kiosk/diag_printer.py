"""`kiosk diag printer`: status and a confirmed test ticket, on any ESC/POS printer.

Exit codes: 0 done, 4 no answer / port problem (the message names the port), 5 the printer
answered but the test ticket was not printed (the reason is printed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

from drivers.errors import TransportError
from drivers.printer.layout import Ticket, render
from drivers.printer.printer import PrintJob

EXIT_OK, EXIT_DEVICE, EXIT_NOT_PRINTED = 0, 4, 5


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("printer", help="ESC/POS ticket printer: status, confirmed test ticket")
    p.add_argument("--port", help="port URL, e.g. tcp://192.0.2.10:9100, /dev/kiosk/printer, usb://0416:5011 (default: the config's printer)")
    p.add_argument("--profile", help="printer model profile (default: the config's, else generic-80mm)")
    p.add_argument("--config", help="site config to take the port and profile from")
    p.add_argument("action", choices=["status", "test-ticket"])
    p.add_argument("--json", action="store_true", help="one JSON object")
    p.set_defaults(handler=run)


def _printer(args: argparse.Namespace):
    from kiosk.composition import build_printer_for_port

    port, profile, hall = args.port, args.profile, "自助终端打印测试"
    if port is None or profile is None:
        from devicecfg import load_config
        from drivers.device import DeviceKind

        config = load_config(args.config)
        hall = config.kiosk.hall_name
        cfg = next(d for d in config.devices if d.kind is DeviceKind.PRINTER)
        port, profile = port or cfg.port, profile or (cfg.model if args.port is None else "generic-80mm")
    return build_printer_for_port(port, profile), hall


def run(args: argparse.Namespace) -> int:
    from devicecfg.profiles import UnknownProfile, profile_names

    try:
        printer, hall = _printer(args)
    except UnknownProfile:
        print(f"unknown printer profile {args.profile!r}; known: {', '.join(profile_names('printer'))}", file=sys.stderr)
        return 2
    try:
        printer.open()
        if args.action == "status":
            s = printer.status
            fields = {"state": printer.state.value, "paper": s.paper.value, "cover": s.cover.value, "cutter": s.cutter.value}
            if args.json:
                print(json.dumps(fields))
            else:
                for key, value in fields.items():
                    print(f"{key:<7} {value}")
                if not s.ready:
                    print(f"not ready: {s.reason()[1]} ({s.reason()[0]})")
            return EXIT_OK
        ticket = Ticket(hall, "打印机测试", "T000", 0, dt.datetime.now(), qr_url="https://example.invalid/test", test=True)
        result = printer.print(PrintJob(render(ticket.blocks(), printer.printer_model), test=True))
        out = {"printed": result.printed, "outcome": result.outcome.value, "reason": result.reason_en, "seconds": round(result.seconds, 3)}
        if args.json:
            print(json.dumps(out))
        elif result.printed:
            print(f"test ticket printed and confirmed in {result.seconds:.2f} s")
        if not result.printed:
            print(f"{printer.port}: test ticket NOT printed: {result.reason_en} ({result.reason})", file=sys.stderr)
            return EXIT_NOT_PRINTED
        return EXIT_OK
    except TransportError as e:
        print(f"{e} (is the printer on, connected, and speaking ESC/POS?)", file=sys.stderr)
        return EXIT_DEVICE
    finally:
        printer.close()
