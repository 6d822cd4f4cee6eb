"""Backend link benchmark (issue 7). Not a test: prints figures, asserts nothing.

1. Recording: durable outbox events per second (``Outbox.record_now``: one transaction each, WAL,
   synchronous=FULL) as a ratio to plain SQLite inserts of rows of the same size with the same
   durability settings, in the same process. Target ≥ 0.5.
2. Delivery after an outage: N events recorded while the reference server is down, then the
   server comes up: events per second until the outbox is empty, as a ratio to the recording rate.
3. Upload: a 20 MB material through the resumable, signed, chunked upload (8 MiB chunks, each
   appended and fsynced by the server, SHA-256 verified as the last chunk lands; the material
   opened from its sealed file first) as a ratio to one plain signed HTTP PUT of the same bytes, opened from the
   same sealed file, to the same server (written and fsynced in one go). Target ≥ 0.8.

Run: .venv/bin/python bench/backend_link.py [--events 3000] [--upload-mb 20] [--rounds 9]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sqlite3
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
from fastapi import Request

from intake.contract import EventClass
from intake.server import provision, run_in_thread
from intake.server import auth
from intake.signing import new_secret, sign
from kiosk.backend.client import BackendClient
from kiosk.backend.outbox import Outbox
from kiosk.backend.sender import Backoff, Sender
from kiosk.materials import MaterialKind, Materials, PageImage, material_key
from kiosk.store import Store

KIOSK = "bench-01"
PAYLOAD = {"device": "printer", "changes": {"paper": "near_end", "cover": "closed"}, "n": 0}


def plain_inserts(path: Path, n: int) -> float:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT UNIQUE, type TEXT, class TEXT, "
               "created_at REAL, payload TEXT, size INTEGER)")
    row = ("x" * 32, "device.status", "telemetry", 0.0, str(PAYLOAD), 300)
    t0 = time.perf_counter()
    for i in range(n):
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO t (key, type, class, created_at, payload, size) VALUES (?, ?, ?, ?, ?, ?)",
                   (f"{i:032d}",) + row[1:])
        db.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    db.close()
    return n / elapsed


def outbox_records(store: Store, n: int) -> float:
    outbox = Outbox(store)
    t0 = time.perf_counter()
    for i in range(n):
        outbox.record_now("device.status", EventClass.TELEMETRY, {**PAYLOAD, "n": i})
    return n / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=3000)
    ap.add_argument("--upload-mb", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=9, help="uploads and plain PUTs, interleaved")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        plain = plain_inserts(root / "plain.sqlite3", args.events)
        store = Store(root / "kiosk.sqlite3")
        recording = outbox_records(store, args.events)
        print(f"recording: outbox {recording:,.0f} events/s, plain SQLite inserts {plain:,.0f} rows/s "
              f"(same WAL + synchronous=FULL, one transaction each): {recording / plain:.2f} × plain (target ≥ 0.5)")

        # delivery after an outage: the events above were recorded with the server down
        secret = new_secret()
        provision(root / "server", KIOSK, secret)
        handle = run_in_thread(root / "server")
        client = BackendClient(handle.url, KIOSK, secret, timeout=30)
        sender = Sender(Outbox(store), client, batch=500, backoff=Backoff(base=0.05, cap=0.5))
        t0 = time.perf_counter()
        while sender.deliver_once():
            pass
        delivery = args.events / (time.perf_counter() - t0)
        print(f"delivery after an outage: {delivery:,.0f} events/s in batches of 500, "
              f"{delivery / recording:.2f} × the recording rate")

        # upload: resumable chunked vs one plain PUT of the same bytes to the same server; real
        # materials (sealed at rest, so the upload also pays for opening them), noise pages so
        # that JPEG cannot shrink them below the size asked for
        materials = Materials(store, root / "kiosk", key=material_key(secret))
        side = int((args.upload_mb * 1e6 / 0.76) ** 0.5)  # a q85 noise JPEG holds ≈ 0.76 bytes per pixel
        made = [materials.save(MaterialKind.OTHER, [PageImage(
            np.random.default_rng(i).integers(0, 256, (side, side, 3), dtype=np.uint8), 200)]) for i in range(args.rounds)]
        target = root / "server" / "plain-put"

        async def plain_put(request: Request) -> dict:
            body = await request.body()
            with open(target, "wb") as f:
                f.write(body)
                f.flush()
                os.fsync(f.fileno())
            return {"size": len(body)}

        # one PUT of the whole material, under the same signature check as every API call (the
        # bench lifts the 8 MiB request cap for it): the same work from the sealed file to the
        # server's disk, minus what resumability adds (chunks, their fsyncs, start and complete)
        auth.MAX_BODY = 64 * 1024 * 1024
        handle.app.add_api_route("/api/v1/bench/put", plain_put, methods=["PUT"])
        http = httpx.Client(base_url=handle.url, timeout=60)

        def one_put(material) -> float:
            t = time.perf_counter()
            data = materials.pdf_bytes(material)
            headers = sign("PUT", "/api/v1/bench/put", data, KIOSK, secret)
            http.put("/api/v1/bench/put", content=data, headers=headers).raise_for_status()
            return time.perf_counter() - t

        handle.app.add_api_route("/bench/put", plain_put, methods=["PUT"])  # outside the API: unsigned

        def bare_put(material) -> float:  # bytes already in memory, no signature: the wire alone
            data = materials.pdf_bytes(material)
            t = time.perf_counter()
            http.put("/bench/put", content=data).raise_for_status()
            return time.perf_counter() - t

        def one_upload(material) -> float:
            t = time.perf_counter()
            assert Sender(Outbox(store), client, materials).upload(material).complete
            return time.perf_counter() - t

        puts, bare, uploads = [], [], []
        for round_ in range(args.rounds):  # interleaved, so all three see the same machine load
            material = made[round_]  # each its own content: a second upload of the same would be a dedupe
            puts.append(one_put(material))
            bare.append(bare_put(material))
            uploads.append(one_upload(material))
        ratios = sorted(p / u for p, u in zip(puts, uploads))
        mb = len(materials.pdf_bytes(made[0])) / 1e6
        print(f"upload of a {mb:.1f} MB material over {args.rounds} rounds: resumable chunked "
              f"{mb / statistics.median(uploads):,.0f} MB/s, one plain signed PUT {mb / statistics.median(puts):,.0f} MB/s "
              f"(medians): {statistics.median(ratios):.2f} × the plain PUT's throughput, median of the rounds' "
              f"ratios (range {ratios[0]:.2f}–{ratios[-1]:.2f}; target ≥ 0.8)")
        print(f"  (an unsigned PUT of bytes already in memory: {mb / statistics.median(bare):,.0f} MB/s; the difference "
              f"is opening the sealed file and the SHA-256 of signing, which both paths pay)")
        http.close()
        client.close()
        handle.stop()
        store.close()


if __name__ == "__main__":
    main()
