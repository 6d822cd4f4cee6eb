"""Schema migrations, in order. Never edit a released step: append a new one.
PRAGMA user_version records how many steps a database has had."""

MIGRATIONS: tuple[str, ...] = (
    # 1: device statistics (persisted counters) and the audit trail
    """
    CREATE TABLE device_statistics (
        device_id TEXT NOT NULL,
        counter   TEXT NOT NULL,
        value     INTEGER NOT NULL,
        PRIMARY KEY (device_id, counter)
    );
    CREATE TABLE audit (
        id     INTEGER PRIMARY KEY AUTOINCREMENT,
        ts     REAL NOT NULL,
        actor  TEXT NOT NULL,
        action TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    );
    """,
)
