"""Request signing on the server side: every /api/v1 operation but the health check.

A pure ASGI middleware rather than a FastAPI dependency, because FastAPI parses a JSON body
(and answers 422 for a malformed one) before any dependency runs: an unsigned caller must get
401 and learn nothing else. The middleware reads the whole body (capped), verifies the signature
over those exact bytes and the path exactly as sent (``raw_path`` plus the query string, which is
what the client signed, before any percent-decoding), records the nonce, and hands the same bytes
on to the application. The verified kiosk id travels in the ASGI scope to :func:`signed_kiosk`.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers

from intake import signing
from intake.contract import API
from intake.server.business_day import Clock
from intake.server.db import Database
from intake.server.kiosks import secret_for
from intake.server.problems import problem_response

log = logging.getLogger(__name__)

HEALTH_PATH = f"{API}/health"
MAX_BODY = 8 * 1024 * 1024  # the largest material chunk; JSON messages are far smaller
SCOPE_KEY = "intake.kiosk_id"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# OpenAPI: the five headers as five apiKey schemes, all required together (one security
# requirement object naming all five means AND; FastAPI's own Security() would list them as
# alternatives).
SECURITY_SCHEMES: dict[str, dict[str, str]] = {
    "KioskId": {"type": "apiKey", "in": "header", "name": "X-Kiosk-Id",
                "description": "the kiosk's registered id (`kiosk intake-server --provision ID`)"},
    "Timestamp": {"type": "apiKey", "in": "header", "name": "X-Timestamp",
                  "description": f"Unix seconds; refused when more than {signing.MAX_SKEW} s from the server's clock"},
    "Nonce": {"type": "apiKey", "in": "header", "name": "X-Nonce",
              "description": "32 lowercase hex digits, fresh per request; a reused nonce is refused (replay)"},
    "ContentSha256": {"type": "apiKey", "in": "header", "name": "X-Content-SHA256",
                      "description": "hex SHA-256 of the exact body bytes (of the empty string when there is none)"},
    "Signature": {"type": "apiKey", "in": "header", "name": "Authorization",
                  "description": (
                      f"`{signing.SCHEME} <hex HMAC-SHA256(secret, string_to_sign)>` with string_to_sign = "
                      f"'{signing.SCHEME}\\nMETHOD\\nPATH[?QUERY]\\nKIOSK_ID\\nTIMESTAMP\\nNONCE\\nCONTENT_SHA256' "
                      "(intake/signing.py); the path and query exactly as sent")},
}
SECURITY_REQUIREMENT: list[dict[str, list[str]]] = [{name: [] for name in SECURITY_SCHEMES}]


def needs_signature(path: str) -> bool:
    return (path == API or path.startswith(API + "/")) and path != HEALTH_PATH


def signed_path(scope: Scope) -> str:
    """The path and query as the client sent (and signed) them."""
    raw = scope.get("raw_path")
    path = raw.decode("latin-1") if raw else scope["path"]
    query = scope.get("query_string", b"")
    return f"{path}?{query.decode('latin-1')}" if query else path


class Verifier:
    """Checks a signature against the kiosks table and spends its nonce."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def check(self, method: str, path: str, body: bytes, headers: Headers) -> signing.Signed:
        now = self.clock()
        signed = signing.verify(method, path, body, headers, lambda k: secret_for(self.db, k), now=now)
        with self.db.transaction() as c:
            c.execute("DELETE FROM nonces WHERE signed_at < ?", (int(now) - signing.MAX_SKEW,))
            try:
                c.execute("INSERT INTO nonces (kiosk_id, nonce, signed_at) VALUES (?, ?, ?)",
                          (signed.kiosk_id, signed.nonce, signed.timestamp))
            except sqlite3.IntegrityError:
                raise signing.SignatureError("nonce already used (replayed request)") from None
        return signed


class SignatureMiddleware:
    def __init__(self, app: ASGIApp, verifier: Verifier) -> None:
        self.app = app
        self.verifier = verifier

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not needs_signature(scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        declared = headers.get("content-length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > MAX_BODY:
            await _refuse(scope, receive, send, 413, "body too large", f"at most {MAX_BODY} bytes")
            return
        body = await _read_body(receive)
        if body is None:
            await _refuse(scope, receive, send, 413, "body too large", f"at most {MAX_BODY} bytes")
            return
        try:
            signed = await run_in_threadpool(self.verifier.check, scope["method"], signed_path(scope), body, headers)
        except signing.SignatureError as e:
            # Path and claimed kiosk only: never a header value that could be a secret's MAC.
            log.warning("request refused: %s", e, extra={"path": scope["path"], "claimed_kiosk": headers.get("x-kiosk-id")})
            await _refuse(scope, receive, send, 401, "request not authenticated", str(e),
                          {"WWW-Authenticate": signing.SCHEME})
            return
        scope[SCOPE_KEY] = signed.kiosk_id
        await self.app(scope, _replay(body, receive), send)


async def _read_body(receive: Receive) -> bytes | None:
    """The whole body, or None past MAX_BODY (a chunked body declares no length)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break  # disconnected: what arrived is all there is; the response goes nowhere
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # then whatever follows (a disconnect)

    return replay


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, title: str, detail: str,
                  headers: dict[str, str] | None = None) -> None:
    await problem_response(status, title, detail, headers)(scope, receive, send)


def signed_kiosk(request: Request) -> str:
    """Dependency: the kiosk the middleware verified (it refuses unsigned requests before this)."""
    kiosk_id = request.scope.get(SCOPE_KEY)
    if not kiosk_id:  # only if a route were mounted outside the signed prefix by mistake
        raise RuntimeError("signed_kiosk used on a route the signature middleware does not cover")
    return str(kiosk_id)
