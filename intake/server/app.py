"""The application factory, and the OpenAPI document it generates (``intake/openapi.json``)."""

from __future__ import annotations

import json
import secrets
import time
from datetime import tzinfo
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from devicecfg import KioskConfig, load_config
from intake.contract import API, EVENT_PAYLOADS
from intake.server import api, problems, staff
from intake.server.auth import SECURITY_REQUIREMENT, SECURITY_SCHEMES, SignatureMiddleware, Verifier, needs_signature
from intake.server.business_day import BusinessDays, Clock, parse_day_start
from intake.server.catalogue import Catalogue
from intake.server.db import open_database
from intake.server.demo import seed_demo
from intake.server.materials import MaterialStore
from intake.server.state import Backend

TITLE = "Window intake backend (窗口受理后台)"
VERSION = "1.1.0"  # of the contract under /api/v1; bump with any change to intake/openapi.json
DESCRIPTION = """\
What a government service hall's self-service kiosk (政务服务自助终端) exchanges with the
hall's window intake backend: inventory, events, heartbeats, queue tickets, appointments,
locker cases and material uploads. Generated from the reference server (intake/server) and the
message types in intake/contract.py; regenerate the checked-in copy with
`kiosk intake-server --openapi > intake/openapi.json`.

Every operation except `GET /api/v1/health` is signed with the kiosk's secret (HMAC-SHA256 over
method, path and query as sent, kiosk id, timestamp, nonce and body digest; intake/signing.py):
all five security headers are required together, and any failure answers 401 with a Problem
saying why. No message carries personal data: people appear only as keyed hashes.
"""


def create_app(data_dir: Path, catalogue: KioskConfig | None = None, day_starts_at: str = "04:00",
               staff_token: str | None = None, *, clock: Clock = time.time, tz: tzinfo | None = None) -> FastAPI:
    """The reference intake server over ``data_dir`` (created, and seeded with demo data, if new).

    ``catalogue``: the site config whose services are numbered (default: the bundled simulated
    hall). ``staff_token``: the staff page's password (default: a random one, in
    ``app.state.intake.staff_token``). ``clock`` and ``tz``: the server's idea of now and of
    local time, injectable for tests of the business-day rollover.
    """
    config = catalogue if catalogue is not None else load_config()
    days = BusinessDays(parse_day_start(day_starts_at), tz)
    directory = Path(data_dir)
    db = open_database(directory)
    try:
        state = Backend(
            db=db,
            catalogue=Catalogue.from_config(config),
            days=days,
            clock=clock,
            materials=MaterialStore(db, directory / "materials"),
            staff_token=staff_token or secrets.token_urlsafe(18),
        )
        if not db.query("SELECT 1 FROM meta WHERE key = 'demo_seeded'"):
            # A new data directory (perhaps with kiosks provisioned already): give it demo data.
            seed_demo(db, config, days, clock())
    except BaseException:
        db.close()
        raise
    return _build(state)


def _build(state: Backend | None) -> FastAPI:
    """The app; ``state`` None gives one that can only describe itself (for the OpenAPI file)."""
    app = FastAPI(title=TITLE, version=VERSION, description=DESCRIPTION)
    problems.install(app)
    app.include_router(api.router)
    app.include_router(staff.router)
    if state is not None:
        app.state.intake = state
        app.add_middleware(SignatureMiddleware, verifier=Verifier(state.db, state.clock))

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
            for path, item in schema["paths"].items():
                if needs_signature(path):
                    for operation in item.values():
                        operation["security"] = SECURITY_REQUIREMENT
            _add_event_payloads(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def _add_event_payloads(schema: dict[str, Any]) -> None:
    """The typed payloads of the events the backend acts on (contract.EVENT_PAYLOADS), as
    schemas, named from postEvents by ``x-event-payloads``: {event type: $ref}."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    refs = {}
    for event_type, model in sorted(EVENT_PAYLOADS.items()):
        components[model.__name__] = model.model_json_schema(ref_template="#/components/schemas/{model}")
        refs[event_type] = {"$ref": f"#/components/schemas/{model.__name__}"}
    post = schema["paths"].get(f"{API}/events", {}).get("post")
    if post is not None:
        post["x-event-payloads"] = refs


def openapi_document() -> str:
    """The contract as checked in: pretty-printed, keys sorted, one trailing newline."""
    return json.dumps(_build(None).openapi(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
