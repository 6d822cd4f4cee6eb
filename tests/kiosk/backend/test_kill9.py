"""kill -9 of the kiosk process at random points while it records and delivers, many times over:
nothing recorded is lost, nothing is duplicated at the server, order holds."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.kiosk.backend.conftest import KIOSK

ROOT = Path(__file__).resolve().parents[3]
ROUNDS = 12


def _child(directory, url, secret, mode):
    return subprocess.Popen([sys.executable, "-m", "tests.kiosk.backend.crash_child", str(directory), url, secret, mode],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def test_kill_9_at_random_points_loses_and_duplicates_nothing(tmp_path, server, secret):
    server.start()
    directory = tmp_path / "kiosk"
    rng = random.Random(20261122)
    committed: set[int] = set()
    for _ in range(ROUNDS):
        child = _child(directory, server.url, secret, "record")
        printed: list[int] = []
        reader = threading.Thread(target=lambda: printed.extend(int(line) for line in child.stdout), daemon=True)
        reader.start()
        time.sleep(rng.uniform(0.4, 1.5))  # somewhere in recording, a batch, an upload or a commit
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        reader.join(5)
        committed.update(printed)
    assert len(committed) > ROUNDS * 5  # the children did get work done between the kills

    drain = _child(directory, server.url, secret, "drain")
    assert drain.wait(120) == 0

    import sqlite3

    db = sqlite3.connect(directory / "kiosk.sqlite3")
    recorded = [json.loads(p)["n"] for (p,) in db.execute("SELECT payload FROM outbox WHERE type = 'test.event' ORDER BY seq")]
    materials = db.execute("SELECT id, sha256, state FROM materials").fetchall()
    db.close()
    print(f"{len(recorded)} events and {len(materials)} materials recorded over {ROUNDS} kills")
    assert recorded == list(range(len(recorded)))  # numbered without gaps or repeats across restarts
    assert committed <= set(recorded)  # every event a child saw committed is still there

    rows = server.query("SELECT type, seq, payload FROM events WHERE kiosk_id = ? ORDER BY id", (KIOSK,))
    at_server = [json.loads(p)["n"] for t, _, p in rows if t == "test.event"]
    assert at_server == recorded  # all delivered, in order, exactly once
    seqs = [s for _, s, _ in rows]
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))
    held = dict(server.query("SELECT sha256, complete FROM materials"))
    assert all(state == "uploaded" and held.get(sha) == 1 for _, sha, state in materials)
