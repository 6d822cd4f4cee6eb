"""Crash consistency, proven from outside (issue 15, item 9): `kiosk lockers` is killed with
SIGKILL at random points during 100 deposits and pickups against lock boards on a pty (Kerong
CU with item sensors, 8A/80 without), restarted, and the site checked:

* no compartment unlocked twice for one operation: each call does at most one operation, so the
  boards (the device-side simulator, counting unlock frames) must see at most one unlock per call,
  and none for a refusal or a call that only restarts;
* no deposit lost or duplicated: an envelope put into a compartment belongs to a live deposit of
  its case there (the one exception the contract allows: a release journaled and killed before
  its frame, counted as done); a case never has two live deposits, though staff retry a deposit
  whose call died;
* the database passes PRAGMA integrity_check after every kill;
* every business event reached the reference backend exactly once: one locker.deposit per
  deposit that got a code, one locker.pickup / locker.recovery per release, and the backend holds
  exactly the outbox's keys.

Lanes (a site each: boards, data dir, kiosk id on the one backend) run in parallel to keep the
wall time down; the seed is printed, and LOCKER_CRASH_SEED replays a run.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field


from intake.server import run_in_thread
from tests.kiosk.lockers.cli_site import CliSite

OPERATIONS = 100
LANES = [("kerong-cu", "a"), ("bcc-8a", "a"), ("kerong-cu", "b"), ("bcc-8a", "b")]
KILL_SHARE = 0.45  # of the calls, killed at a random moment from start-up to delivery
KILL_WINDOW_S = (0.2, 2.6)


@dataclass
class Lane:
    site: CliSite
    rng: random.Random
    codes: dict[str, tuple[str, int]] = field(default_factory=dict)  # case -> (code, compartment), known live
    uncertain: set[str] = field(default_factory=set)  # cases whose last call was killed
    retry: str | None = None  # a case whose deposit call died: staff try it again
    cases: int = 0
    kills: int = 0
    calls: int = 0

    def new_case(self) -> str:
        self.cases += 1
        case = f"{self.site.kiosk_id.upper()}-{self.cases:04d}"
        self.site.add_cases(case)
        return case

    def call(self, *args: str, mode: str, case: str = "", kill: bool = True) -> tuple[int | None, dict, int]:
        """One `kiosk lockers` call, maybe killed; then whoever is at an open door finishes.
        Returns (exit status or None if killed, its JSON, unlock frames the boards saw)."""
        site = self.site
        site.person.mode, site.person.case = mode, case
        before = site.unlocks()
        proc = site.start(*args, "--json")
        self.calls += 1
        killed = False
        if kill and self.rng.random() < KILL_SHARE:
            try:
                proc.wait(self.rng.uniform(*KILL_WINDOW_S))
            except subprocess.TimeoutExpired:
                proc.kill()  # SIGKILL: no finally, no close, no commit
                killed = True
        out, err = proc.communicate(timeout=120)
        if killed:
            time.sleep(0.3)  # a frame written just before the kill reaches the boards, also on a busy machine
        site.person.act()  # the staff member or citizen at an open door finishes by hand
        unlocks = site.unlocks() - before
        assert unlocks <= 1, f"{site.kiosk_id}: {args}: {unlocks} unlock frames for one call"
        if killed:
            self.kills += 1
            assert site.ledger("PRAGMA integrity_check") == [("ok",)]
            return None, {}, unlocks
        assert proc.returncode in (0, 1), f"{site.kiosk_id}: {args} exit {proc.returncode}: {err}"
        return proc.returncode, json.loads(out), unlocks

    def deposits_of(self, case: str) -> list[tuple[int, str, int, int]]:
        """(id, state, number, has code) of the case's deposits."""
        return self.site.ledger("SELECT id, state, number, code_hash IS NOT NULL FROM locker_deposits "
                                "WHERE case_number = ? ORDER BY id", (case,))

    def settle(self) -> None:
        """After a call that ran to its end (so its reconcile did too): learn what the killed
        calls before it left behind."""
        for case in list(self.uncertain):
            live = [d for d in self.deposits_of(case) if d[1] == "active"]
            if not live:
                self.codes.pop(case, None)  # cancelled, or released by the reconcile
            elif case not in self.codes:
                self.retry = self.retry or case
        self.uncertain.clear()

    def step(self) -> None:
        known = sorted(set(self.codes) - self.uncertain)  # a code maybe spent is not tried: no lockout
        if self.retry is not None:
            case, self.retry = self.retry, None
            self.deposit(case)
        elif known and (len(self.codes) >= 6 or self.rng.random() < 0.45):
            self.pickup(self.rng.choice(known))
        else:
            self.deposit(self.new_case())

    def deposit(self, case: str) -> None:
        size = self.rng.choice("SM")
        status, out, unlocks = self.call("deposit", "--case", case, "--size", size, "--reveal", mode="put", case=case)
        if status is None:
            self.uncertain.add(case)
            return
        self.settle()
        if status == 0:
            assert unlocks == 1 and out["code"].isdigit()
            self.codes[case] = (out["code"], out["compartment"])
        else:  # refused: the cabinet is full, or the case is already in (kept after a kill)
            assert unlocks == 0, out
            live = [d for d in self.deposits_of(case) if d[1] == "active"]
            if live:
                self.recover(live[0][2], case)

    def pickup(self, case: str) -> None:
        code, _ = self.codes[case]
        status, out, unlocks = self.call("pickup", "--code", code, mode="take")
        if status is None:
            self.uncertain.add(case)
            return
        self.settle()
        assert status == 0 and unlocks == 1, out
        del self.codes[case]

    def recover(self, number: int, case: str) -> None:
        status, out, unlocks = self.call("recover", str(number), mode="take", kill=False)
        assert status == 0 and unlocks == 1, out
        self.codes.pop(case, None)

    def run(self, operations: int) -> None:
        for _ in range(operations):
            self.step()
        status, _, unlocks = self.call("list", mode="take", kill=False)  # restart: reconcile, deliver
        assert status == 0 and unlocks == 0
        self.settle()
        for (number,) in self.site.ledger("SELECT number FROM locker_deposits WHERE state = 'active' "
                                          "AND case_number NOT IN (%s)" % ",".join("?" * len(self.codes)),
                                          tuple(self.codes)):
            self.recover(number, "")  # kept without a code known to anyone: staff take it back


def check(lane: Lane) -> None:
    site = lane.site
    assert site.ledger("PRAGMA integrity_check") == [("ok",)]
    assert site.ledger("SELECT COUNT(*) FROM locker_operations WHERE step NOT IN ('done', 'failed')") == [(0,)]
    assert site.ledger("SELECT state FROM locker_compartments WHERE state IN ('reserved', 'releasing')") == []
    # no deposit duplicated: one live deposit per case and per compartment at most
    live = site.ledger("SELECT case_number, number FROM locker_deposits WHERE state = 'active'")
    assert len({c for c, _ in live}) == len(live) and len({n for _, n in live}) == len(live)
    spent = {c for c, in site.ledger("SELECT case_number FROM locker_deposits WHERE state IN ('picked_up', 'recovered')")}
    assert not spent & {c for c, _ in live}
    # no deposit lost: every envelope in a compartment is a live deposit of its case there
    for (board, lock), case in site.person.inside.items():
        number = (board - min(site.sim.boards)) * site.locks + lock
        if (case, number) in live:
            continue
        journaled_only = site.ledger(  # released by the reconcile after a kill before its frame
            "SELECT COUNT(*) FROM locker_operations o JOIN locker_deposits d ON d.id = o.deposit_id "
            "WHERE d.case_number = ? AND o.kind != 'deposit' AND o.detail LIKE 'reconciled at unlocking%'", (case,))
        assert journaled_only != [(0,)], f"{site.kiosk_id}: the envelope of {case} in {number} has no deposit"
    # every business event delivered, each exactly once
    outbox = site.ledger("SELECT key, type, payload FROM outbox WHERE class = 'business'")
    assert site.ledger("SELECT COUNT(*) FROM outbox WHERE class = 'business' AND delivered_at IS NULL") == [(0,)]
    held = site.backend_events("")
    assert sorted(k for k, _, _ in held) == sorted(k for k, _, _ in outbox)
    per_deposit = Counter((t, json.loads(p)["deposit_id"]) for _, t, p in held
                          if t in ("locker.deposit", "locker.pickup", "locker.recovery"))
    assert set(per_deposit.values()) <= {1}, per_deposit
    expected = Counter()
    for i, state, _, coded in site.ledger("SELECT id, state, number, code_hash IS NOT NULL FROM locker_deposits"):
        if coded:
            expected[("locker.deposit", i)] = 1
        if state in ("picked_up", "recovered"):
            expected[("locker.pickup" if state == "picked_up" else "locker.recovery", i)] = 1
    assert per_deposit == expected


def test_sigkill_at_random_points_of_100_deposits_and_pickups(tmp_path):
    seed = int(os.environ.get("LOCKER_CRASH_SEED") or random.randrange(2**32))
    print(f"LOCKER_CRASH_SEED={seed}")
    server = run_in_thread(tmp_path / "intake")
    lanes = [Lane(CliSite(tmp_path / f"{protocol}-{name}", protocol, server.url, server.data_dir,
                          kiosk_id=f"k-{protocol[:2]}-{name}"), random.Random(f"{seed}-{protocol}-{name}"))
             for protocol, name in LANES]
    errors: list[BaseException] = []

    def drive(lane: Lane) -> None:
        try:
            lane.run(OPERATIONS // len(lanes))
        except BaseException as e:  # noqa: BLE001 - reported below, with the lane's name
            errors.append(e)

    started = time.monotonic()
    threads = [threading.Thread(target=drive, args=(lane,)) for lane in lanes]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        for lane in lanes:
            check(lane)
        print(f"{sum(x.calls for x in lanes)} calls, {sum(x.kills for x in lanes)} killed, "
              f"{time.monotonic() - started:.0f} s")
        assert sum(x.kills for x in lanes) > 0
    finally:
        for lane in lanes:
            lane.site.close()
        server.stop()
