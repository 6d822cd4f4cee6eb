"""`kiosk intake-server`: run the reference window intake backend, provision a kiosk on it, or
print its OpenAPI document (the checked-in ``intake/openapi.json`` is this output)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "intake-server",
        help="the reference window intake backend (窗口受理后台) the kiosk talks to",
        description="Serve the reference intake backend over a data directory (SQLite and material files). "
                    "--provision and --openapi do their one thing and exit.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8700, help="port (default: 8700; 0 = any free port)")
    p.add_argument("--data", type=Path, metavar="DIR", help="data directory (created if missing)")
    p.add_argument("--config", type=Path, metavar="SITE.toml",
                   help="site config whose service catalogue is served (default: the bundled simulated hall)")
    p.add_argument("--day-starts-at", metavar="HH:MM",
                   help="local time at which ticket numbers restart (default: the site config's, else 04:00)")
    p.add_argument("--staff-token", help="password of the /staff page (default: a random one, printed)")
    p.add_argument("--provision", metavar="KIOSK_ID",
                   help="register this kiosk (or replace its secret), print its secret and exit")
    p.add_argument("--openapi", action="store_true", help="print the OpenAPI document (JSON) and exit")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from devicecfg import load_config_or_report
    from intake.server import openapi_document, provision, serve

    if args.openapi:
        sys.stdout.write(openapi_document())
        return 0
    if args.data is None:
        print("kiosk intake-server: --data DIR is required", file=sys.stderr)
        return 2
    if args.provision:
        try:
            secret = provision(args.data, args.provision)
        except ValueError as e:
            print(f"kiosk intake-server: {e}", file=sys.stderr)
            return 2
        print(secret)  # for the kiosk's [backend] credentials file; shown once, never logged
        return 0
    catalogue = load_config_or_report(args.config)
    if catalogue is None:
        return 1

    # The kiosks number offline tickets by the same day boundary: take the site's by default.
    day_starts_at = args.day_starts_at or getattr(catalogue.kiosk, "day_starts_at", "04:00")

    def ready(url: str, app: Any) -> None:
        print(f"intake server: {url}/api/v1  (OpenAPI: {url}/docs)")
        print(f"staff page:    {url}/staff  (token: {app.state.intake.staff_token})", flush=True)

    try:
        serve(args.host, args.port, args.data, on_ready=ready, catalogue=catalogue,
              day_starts_at=day_starts_at, staff_token=args.staff_token)
    except ValueError as e:  # a bad --day-starts-at
        print(f"kiosk intake-server: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # uvicorn re-raises the Ctrl-C it shut down on: a normal stop here
        pass
    return 0
