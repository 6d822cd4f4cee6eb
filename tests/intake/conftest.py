"""Real intake servers on loopback ports (uvicorn in a thread), and signing clients."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from intake.server import ServerHandle, provision, run_in_thread
from tests.intake.support import HttpxSigner

KIOSK_ID = "k-0101"
OTHER_KIOSK = "k-0102"
STAFF_TOKEN = "staff-token-for-tests"


class FakeClock:
    """The server's (and the signer's) now, moved by the test."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start.timestamp()

    def __call__(self) -> float:
        return self.now

    def set(self, moment: dt.datetime) -> None:
        self.now = moment.timestamp()  # naive: local time, as the server's business days are


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[Callable[..., ServerHandle]]:
    handles: list[ServerHandle] = []

    def make(**kwargs: Any) -> ServerHandle:
        kwargs.setdefault("staff_token", STAFF_TOKEN)
        handle = run_in_thread(tmp_path / f"intake{len(handles)}", **kwargs)
        handles.append(handle)
        return handle

    yield make
    for handle in handles:
        handle.stop()


@pytest.fixture
def server(make_server: Callable[..., ServerHandle]) -> ServerHandle:
    return make_server()


@pytest.fixture
def secret(server: ServerHandle) -> str:
    return provision(server.data_dir, KIOSK_ID)


def signed_client(server: ServerHandle, kiosk_id: str = KIOSK_ID, secret: str | None = None,
                  clock: Callable[[], float] | None = None) -> httpx.Client:
    secret = secret or provision(server.data_dir, kiosk_id)
    auth = HttpxSigner(kiosk_id, secret, clock) if clock else HttpxSigner(kiosk_id, secret)
    return httpx.Client(base_url=server.url, auth=auth, timeout=10)


@pytest.fixture
def client(server: ServerHandle, secret: str) -> Iterator[httpx.Client]:
    with signed_client(server, KIOSK_ID, secret) as c:
        yield c
