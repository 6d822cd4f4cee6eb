"""Signing clients for the intake tests: an httpx auth and a requests auth (for schemathesis).

Both sign what actually goes on the wire: the final body bytes and the path with its query
exactly as encoded in the request line.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Generator

import httpx
import requests

from intake import signing


class HttpxSigner(httpx.Auth):
    requires_request_body = True

    def __init__(self, kiosk_id: str, secret: str, clock: Callable[[], float] = time.time) -> None:
        self.kiosk_id = kiosk_id
        self.secret = secret
        self.clock = clock

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        path = request.url.raw_path.decode("ascii")  # path and query, as in the request line
        request.headers.update(signing.sign(request.method, path, request.content, self.kiosk_id, self.secret,
                                            now=self.clock()))
        yield request


class RequestsSigner(requests.auth.AuthBase):
    def __init__(self, kiosk_id: str, secret: str) -> None:
        self.kiosk_id = kiosk_id
        self.secret = secret

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        body = r.body or b""
        if isinstance(body, str):
            # What http.client would send for a str body differs by encoding: send these bytes.
            body = body.encode("utf-8")
            r.body = body
            r.headers["Content-Length"] = str(len(body))
        assert isinstance(body, bytes), "streamed bodies cannot be signed"
        for name in list(r.headers):
            if name.lower() in signing.HEADERS:
                del r.headers[name]  # values schemathesis generated for the security schemes
        r.headers.update(signing.sign(r.method or "GET", r.path_url, body, self.kiosk_id, self.secret))
        return r


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
