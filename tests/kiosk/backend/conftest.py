"""A kiosk's backend link against the real reference intake server (no fake in between)."""

from __future__ import annotations

import socket
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from intake.server import provision, run_in_thread
from intake.server.db import DB_NAME
from intake.signing import new_secret
from kiosk.backend.client import BackendClient
from kiosk.backend.outbox import Outbox
from kiosk.backend.sender import Backoff, Sender
from kiosk.materials import MaterialKind, Materials, PageImage, material_key
from kiosk.store import Store

KIOSK = "k-test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """The reference server on a fixed port and data dir, stopped and started at will (an outage)."""

    def __init__(self, data: Path, port: int, secret: str) -> None:
        self.data, self.port, self.handle = data, port, None
        provision(data, KIOSK, secret)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.handle = run_in_thread(self.data, port=self.port)

    def stop(self) -> None:
        if self.handle is not None:
            self.handle.stop()
            self.handle = None

    def query(self, sql: str, params=()) -> list[tuple]:
        db = sqlite3.connect(self.data / DB_NAME)
        try:
            return db.execute(sql, params).fetchall()
        finally:
            db.close()


@dataclass
class Kiosk:
    store: Store
    outbox: Outbox
    materials: Materials
    client: BackendClient
    sender: Sender


@pytest.fixture
def secret() -> str:
    return new_secret()


@pytest.fixture
def server(tmp_path, secret):
    s = Server(tmp_path / "server", free_port(), secret)
    yield s
    s.stop()


def make_kiosk(path: Path, url: str, secret: str, **sender_kw) -> Kiosk:
    store = Store(path / "kiosk.sqlite3")
    outbox = Outbox(store)
    materials = Materials(store, path, key=material_key(secret), outbox=outbox)
    client = BackendClient(url, KIOSK, secret, timeout=5)
    sender = Sender(outbox, client, materials, backoff=Backoff(base=0.05, cap=0.5), **sender_kw)
    return Kiosk(store, outbox, materials, client, sender)


@pytest.fixture
def kiosk(tmp_path, server, secret):
    k = make_kiosk(tmp_path / "kiosk", server.url, secret)
    yield k
    k.sender.stop()
    k.client.close()
    k.store.close()


def noise_page(seed: int, height: int = 560, width: int = 400) -> PageImage:
    """A page that JPEG cannot squeeze much (noise): realistic upload sizes from small images."""
    rng = np.random.default_rng(seed)
    return PageImage(rng.integers(0, 256, (height, width, 3), dtype=np.uint8), 200)


def save_material(k: Kiosk, seed: int, **kw):
    return k.materials.save(MaterialKind.FORM, [noise_page(seed, **kw)])
