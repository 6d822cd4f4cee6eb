import sqlite3

import pytest

from kiosk.store import Store, StoreError

STEPS = (
    "CREATE TABLE a (x INTEGER);",
    "CREATE TABLE b (y TEXT NOT NULL); INSERT INTO b VALUES ('z;still one statement');",
)


def test_migrations_run_once_in_order(tmp_path):
    path = tmp_path / "k.sqlite3"
    s = Store(path, STEPS[:1])
    assert s.schema_version == 1
    s.close()
    s = Store(path, STEPS)  # an upgrade applies only the new step
    assert s.schema_version == 2
    assert s.query("SELECT y FROM b") == [("z;still one statement",)]
    s.close()
    s = Store(path, STEPS)  # idempotent
    assert s.query("SELECT count(*) FROM b") == [(1,)]
    s.close()


def test_wal_mode_and_default_schema(tmp_path):
    s = Store(tmp_path / "k.sqlite3")
    assert s.query("PRAGMA journal_mode") == [("wal",)]
    assert {"device_statistics", "audit"} <= {r[0] for r in s.query("SELECT name FROM sqlite_master")}
    s.close()


def test_newer_database_is_refused(tmp_path):
    Store(tmp_path / "k.sqlite3", STEPS).close()
    with pytest.raises(StoreError, match="newer than this software"):
        Store(tmp_path / "k.sqlite3", STEPS[:1])


def test_failed_migration_leaves_the_old_schema(tmp_path):
    Store(tmp_path / "k.sqlite3", STEPS[:1]).close()
    with pytest.raises(sqlite3.OperationalError):
        Store(tmp_path / "k.sqlite3", (STEPS[0], "CREATE TABLE c (x); CREATE TABLE c (x);"))
    s = Store(tmp_path / "k.sqlite3", STEPS[:1])
    assert s.schema_version == 1
    assert "c" not in {r[0] for r in s.query("SELECT name FROM sqlite_master")}


def test_transaction_rolls_back_on_error(tmp_path):
    s = Store(tmp_path / "k.sqlite3")
    with pytest.raises(RuntimeError):
        with s.transaction() as db:
            db.execute("INSERT INTO audit (ts, actor, action) VALUES (1, 'tech', 'enter')")
            raise RuntimeError("power cut")
    assert s.query("SELECT count(*) FROM audit") == [(0,)]
    s.audit("tech", "enter")
    assert s.query("SELECT actor, action FROM audit") == [("tech", "enter")]


def test_statistics_upsert(tmp_path):
    s = Store(tmp_path / "k.sqlite3")
    s.save_statistics("printer", {"tickets": 3, "cuts": 3})
    s.save_statistics("printer", {"tickets": 5})
    assert s.load_statistics("printer") == {"tickets": 5, "cuts": 3}
    assert s.load_statistics("locker0") == {}
