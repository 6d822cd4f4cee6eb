"""`kiosk lockers` from outside, as staff and scripts use it (issue 15, fault 6): deposit, pickup,
list, recover and their exit statuses, against lock boards on a pty and the reference backend."""

from __future__ import annotations

import fcntl
import json
import os

import pytest

from intake.server import run_in_thread
from tests.kiosk.lockers.cli_site import CliSite
from tests.support import wait_for


@pytest.fixture
def server(tmp_path):
    handle = run_in_thread(tmp_path / "intake")
    yield handle
    handle.stop()


@pytest.fixture
def site(request, tmp_path, server):
    s = CliSite(tmp_path / "site", getattr(request, "param", "kerong-cu"), server.url, server.data_dir)
    s.add_cases("CASE-1", "CASE-2", "CASE-3")
    yield s
    s.close()


def as_json(proc) -> dict:
    assert proc.stdout.strip(), proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("site", ["kerong-cu", "bcc-8a"], indirect=True)
def test_deposit_pickup_and_the_backend_hears_each_once(site):
    out = site.run("deposit", "--case", "CASE-1", "--size", "S", "--json")
    assert out.returncode == 0, out.stderr
    got = as_json(out)
    assert got["compartment"] == 1 and got["code"] == "******"  # masked without --reveal
    shown = site.run("deposit", "--case", "case-2", "--size", "M", "--json", "--reveal")
    assert shown.returncode == 0, shown.stderr
    second = as_json(shown)
    assert second["compartment"] == 5 and len(second["code"]) == 6 and second["code"].isdigit()
    assert second["code"] not in shown.stderr  # never in a log line
    assert site.unlocks() == 2

    site.person.mode = "take"
    picked = site.run("pickup", "--code", "-", "--json", input=second["code"] + "\n")
    assert picked.returncode == 0, picked.stderr
    assert as_json(picked)["compartment"] == 5
    again = site.run("pickup", "--code", second["code"], "--json")
    assert again.returncode == 1 and as_json(again)["status"] == "wrong_code"  # spent
    assert site.unlocks() == 3  # the refusal sent no unlock

    types = [t for _, t, _ in site.backend_events()]
    assert sorted(types) == ["locker.deposit", "locker.deposit", "locker.pickup"]
    assert site.ledger("SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL AND class = 'business'") == [(0,)]


@pytest.mark.parametrize("site", ["kerong-cu", "bcc-8a"], indirect=True)
def test_list_names_every_compartment_and_no_personal_data(site):
    assert site.run("deposit", "--case", "CASE-1", "--size", "S").returncode == 0
    out = site.run("list", "--json")
    assert out.returncode == 0, out.stderr
    rows = as_json(out)["compartments"]
    assert [r["compartment"] for r in rows] == list(range(1, 9))
    assert {r["compartment"]: r["state"] for r in rows}[1] == "occupied"
    assert {r["state"] for r in rows[1:]} == {"empty"}
    assert "CASE-1" not in out.stdout and "CASE-1" not in out.stderr
    text = site.run("list")
    assert text.returncode == 0 and "A/1" in text.stdout and "occupied" in text.stdout


def test_refusals_exit_non_zero_and_unlock_nothing(site):
    assert site.run("deposit", "--case", "NO-SUCH-CASE", "--size", "S").returncode == 1  # unknown to the backend
    assert site.run("pickup", "--code", "123456").returncode == 1
    assert site.run("pickup", "--id-number", "11010519491231002X").returncode == 1
    assert site.run("recover", "3").returncode == 1  # nothing in it
    assert site.run("recover", "99").returncode == 2  # no such compartment
    for case in ("CASE-1", "CASE-2"):
        site.person.mode = "put"
        assert site.run("deposit", "--case", case, "--size", "L").returncode == 1  # no L compartment
    assert site.unlocks() == 0


def test_recover_takes_a_deposit_back(site):
    assert site.run("deposit", "--case", "CASE-1", "--size", "M").returncode == 0
    site.person.mode = "take"
    out = site.run("recover", "5", "--json")
    assert out.returncode == 0, out.stderr
    assert as_json(out)["status"] == "ok"
    assert {r["compartment"]: r["state"] for r in as_json(site.run("list", "--json"))["compartments"]}[5] == "empty"
    assert [t for _, t, _ in site.backend_events()] == ["locker.deposit", "locker.recovery"]


def test_pickup_by_id_number(site):
    number = "11010519491231002X"
    assert site.run("deposit", "--case", "CASE-1", "--size", "S", "--recipient-id", "-", input=number).returncode == 0
    site.person.mode = "take"
    out = site.run("pickup", "--id-number", "-", "--json", input=number.lower())
    assert out.returncode == 0, out.stderr
    assert number not in out.stdout + out.stderr


def test_a_held_port_exits_4_naming_it(site):
    fd = os.open(site.pty.path, os.O_RDWR | os.O_NOCTTY)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as pyserial's exclusive=True: a running kiosk
    try:
        out = site.run("list")
        assert out.returncode == 4
        assert site.pty.path in out.stderr
    finally:
        os.close(fd)
    assert site.run("list").returncode == 0


def test_a_second_call_while_one_runs_exits_4(site):
    site.person.paused = True  # nobody shuts the door: the deposit waits
    first = site.start("deposit", "--case", "CASE-1", "--size", "S")
    try:
        assert wait_for(lambda: site.unlocks() == 1, timeout=20)
        out = site.run("list")
        assert out.returncode == 4 and "another `kiosk lockers` call" in out.stderr
    finally:
        site.person.paused = False
    assert first.wait(30) == 0
    assert site.unlocks() == 1


def test_a_busy_database_exits_4(site):
    assert site.run("list").returncode == 0
    import sqlite3

    db = sqlite3.connect(site.data / "kiosk.sqlite3", isolation_level=None)
    db.execute("BEGIN EXCLUSIVE")
    try:
        out = site.run("list")
        assert out.returncode == 4 and "database" in out.stderr
    finally:
        db.execute("ROLLBACK")
        db.close()


def test_a_site_without_reachable_boards(site):
    site.sim.set_board_offline(min(site.sim.boards))
    site.sim.set_board_offline(max(site.sim.boards))
    out = site.run("list")
    assert out.returncode == 3 and "locker0" in out.stderr
