"""A site for `kiosk lockers` run as a subprocess, as staff and scripts run it: lock boards
(the device-side simulator, in this process) on a pty, the reference intake server on loopback,
a config naming both, and whoever stands at the cabinet."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from drivers.locker.types import Door
from drivers.sim.locker import LockerBusSimulator
from drivers.sim.serve import PtyServer
from intake.server import provision
from intake.server.db import DB_NAME

KIOSK = str(Path(sys.executable).with_name("kiosk"))
ROOT = Path(__file__).resolve().parents[3]

# protocol -> (model, first board address, item sensors)
MODELS = {"kerong-cu": ("kerong-cu16", 0, True), "bcc-8a": ("bcc-8a80", 1, False)}


def site_config(kiosk_id: str, port: str, protocol: str, url: str, credentials: Path, locks: int) -> str:
    model, first, sensor = MODELS[protocol]
    return f"""
[kiosk]
id = "{kiosk_id}"
hall_name = "测试大厅"

[backend]
url = "{url}"
credentials = "{credentials}"
timeout_s = 15

[[service_groups]]
id = "general"
name = "综合窗口"
services = [{{ code = "intake", name = "综合受理", prefix = "A" }}]

[[devices]]
id = "locker0"
kind = "locker"
model = "{model}"
port = "{port}"

[[cabinets]]
id = "A"

[[cabinets.boards]]
device = "locker0"
address = {first}
locks = {locks}
first_compartment = 1
size = "S"
item_sensor = {"true" if sensor else "false"}

[[cabinets.boards]]
device = "locker0"
address = {first + 1}
locks = {locks}
first_compartment = {locks + 1}
size = "M"
item_sensor = {"true" if sensor else "false"}
"""


class Person:
    """Whoever stands at the cabinet: a door open for `react` seconds gets the envelope put in
    (mode "put": a deposit) or taken out (mode "take": a pickup or recovery), then shut. Keeps
    its own record of which compartment holds an envelope, sensors or not."""

    def __init__(self, sim: LockerBusSimulator, react: float = 0.3) -> None:
        self.sim, self.react = sim, react
        self.mode = "put"
        self.case = ""  # the case being deposited, for the record below
        self.inside: dict[tuple[int, int], str] = {}  # (board, lock) -> case of the envelope in it
        self.paused = False
        self._seen: dict[tuple[int, int], float] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(0.02):
            if not self.paused:
                self.act(time.monotonic())

    def act(self, now: float | None = None) -> None:
        """Act on every door open at least `react` seconds (now=None: every open door at once)."""
        with self._lock:
            for board in self.sim.boards:
                for lock in range(1, self.sim.locks_per_board + 1):
                    key = (board, lock)
                    if self.sim.door(board, lock) is not Door.OPEN:
                        self._seen.pop(key, None)
                        continue
                    if now is not None and now - self._seen.setdefault(key, now) < self.react:
                        continue
                    if self.mode == "put":
                        self.sim.put_item(board, lock)
                        self.inside[key] = self.case
                    else:
                        self.sim.take_item(board, lock)
                        self.inside.pop(key, None)
                    self.sim.close_door(board, lock)
                    self._seen.pop(key, None)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)


@dataclass
class CliSite:
    root: Path
    protocol: str
    url: str
    server_data: Path
    kiosk_id: str = "k-cli"
    locks: int = 4
    sim: LockerBusSimulator = field(init=False)
    pty: PtyServer = field(init=False)
    person: Person = field(init=False)

    def __post_init__(self) -> None:
        _, first, _ = MODELS[self.protocol]
        self.sim = LockerBusSimulator({"protocol": self.protocol, "boards": "2", "locks": str(self.locks),
                                       "first": str(first), "reply_ms": "2", "open_delay_ms": "0"})
        self.pty = PtyServer(self.sim)
        self.person = Person(self.sim)
        self.data = self.root / "data"
        self.data.mkdir(parents=True, exist_ok=True)
        credentials = self.root / "backend.secret"
        credentials.write_text(provision(self.server_data, self.kiosk_id) + "\n")
        self.config = self.root / "site.toml"
        self.config.write_text(site_config(self.kiosk_id, self.pty.path, self.protocol, self.url, credentials,
                                           self.locks))

    def argv(self, *args: str) -> list[str]:
        return [KIOSK, "lockers", *args, "--config", str(self.config), "--data-dir", str(self.data)]

    def run(self, *args: str, input: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(self.argv(*args), input=input, capture_output=True, text=True, timeout=timeout,
                              cwd=ROOT)

    def start(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(self.argv(*args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, cwd=ROOT)

    def unlocks(self) -> int:
        """Unlock pulses the boards have had, all locks."""
        return sum(len(self.sim.unlocks(b, n)) for b in self.sim.boards for n in range(1, self.locks + 1))

    def board_lock(self, compartment: int) -> tuple[int, int]:
        first = min(self.sim.boards)
        return first + (compartment - 1) // self.locks, (compartment - 1) % self.locks + 1

    def add_cases(self, *cases: str) -> None:
        db = sqlite3.connect(self.server_data / DB_NAME, timeout=10)
        with db:
            db.executemany("INSERT OR IGNORE INTO cases (case_number, recipient_hash, status, updated_at) "
                           "VALUES (?, NULL, 'pending', 0)", [(c,) for c in cases])
        db.close()

    def backend_events(self, type_prefix: str = "locker.") -> list[tuple[str, str, str]]:
        """(key, type, payload JSON) of this kiosk's events the backend holds."""
        db = sqlite3.connect(self.server_data / DB_NAME, timeout=10)
        try:
            return db.execute("SELECT key, type, payload FROM events WHERE kiosk_id = ? AND type LIKE ? ORDER BY seq",
                              (self.kiosk_id, type_prefix + "%")).fetchall()
        finally:
            db.close()

    def ledger(self, sql: str, params: tuple = ()) -> list[tuple]:
        db = sqlite3.connect(self.data / "kiosk.sqlite3", timeout=10)
        try:
            return db.execute(sql, params).fetchall()
        finally:
            db.close()

    def close(self) -> None:
        self.person.stop()
        self.pty.close()
