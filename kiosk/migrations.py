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
    # 2: the pickup-locker ledger (kiosk/lockers): compartments, deposits, operations step by step,
    # wrong-code attempts and alarms. Recipient IDs and pickup codes are stored only as keyed hashes.
    """
    CREATE TABLE locker_compartments (
        cabinet    TEXT NOT NULL,
        number     INTEGER NOT NULL,
        device     TEXT NOT NULL,
        board      INTEGER NOT NULL,
        lock       INTEGER NOT NULL,
        size       TEXT NOT NULL,
        has_sensor INTEGER NOT NULL,
        enabled    INTEGER NOT NULL,
        state      TEXT NOT NULL DEFAULT 'empty',
        door       TEXT NOT NULL DEFAULT 'unknown',
        updated_at REAL NOT NULL,
        PRIMARY KEY (cabinet, number)
    );
    CREATE TABLE locker_deposits (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        case_number    TEXT NOT NULL,
        cabinet        TEXT NOT NULL,
        number         INTEGER NOT NULL,
        staff_id       TEXT NOT NULL,
        recipient_hash TEXT,
        code_salt      BLOB,
        code_hash      BLOB,
        state          TEXT NOT NULL,
        created_at     REAL NOT NULL,
        expires_at     REAL NOT NULL,
        closed_at      REAL,
        FOREIGN KEY (cabinet, number) REFERENCES locker_compartments (cabinet, number)
    );
    CREATE INDEX locker_deposits_state ON locker_deposits (state);
    CREATE INDEX locker_deposits_recipient ON locker_deposits (recipient_hash);
    CREATE TABLE locker_operations (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        kind       TEXT NOT NULL,
        deposit_id INTEGER NOT NULL REFERENCES locker_deposits (id),
        cabinet    TEXT NOT NULL,
        number     INTEGER NOT NULL,
        actor      TEXT NOT NULL,
        step       TEXT NOT NULL,
        unlocks    INTEGER NOT NULL DEFAULT 0,
        detail     TEXT NOT NULL DEFAULT '',
        started_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE INDEX locker_operations_step ON locker_operations (step);
    CREATE TABLE locker_attempts (
        id     INTEGER PRIMARY KEY AUTOINCREMENT,
        ts     REAL NOT NULL,
        method TEXT NOT NULL,
        ok     INTEGER NOT NULL
    );
    CREATE TABLE locker_alarms (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        cabinet    TEXT NOT NULL,
        number     INTEGER NOT NULL,
        kind       TEXT NOT NULL,
        detail     TEXT NOT NULL DEFAULT '',
        raised_at  REAL NOT NULL,
        cleared_at REAL
    );
    """,
    # 3: captured materials (kiosk/materials.py): the files live in the data directory until the
    # backend link has uploaded them; the row says what they are and where they are in that life.
    """
    CREATE TABLE materials (
        id           TEXT PRIMARY KEY,
        kind         TEXT NOT NULL,
        verification TEXT NOT NULL,
        state        TEXT NOT NULL,
        sha256       TEXT NOT NULL,
        pages        TEXT NOT NULL,
        created_at   REAL NOT NULL,
        updated_at   REAL NOT NULL
    );
    CREATE INDEX materials_state ON materials (state);
    """,
    # 4: the backend link (kiosk/backend): the outbox of events and materials in delivery order,
    # the ledger of queue tickets, and counters of telemetry shed under a full disk budget.
    """
    CREATE TABLE outbox (
        seq          INTEGER PRIMARY KEY AUTOINCREMENT,
        key          TEXT NOT NULL UNIQUE,
        type         TEXT NOT NULL,
        class        TEXT NOT NULL,
        created_at   REAL NOT NULL,
        payload      TEXT NOT NULL,
        material_id  TEXT,
        size         INTEGER NOT NULL,
        delivered_at REAL,
        attempts     INTEGER NOT NULL DEFAULT 0,
        last_error   TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX outbox_pending ON outbox (delivered_at, seq);
    CREATE TABLE outbox_counters (
        name  TEXT PRIMARY KEY,
        value INTEGER NOT NULL
    );
    CREATE TABLE tickets (
        number       TEXT NOT NULL,
        business_day TEXT NOT NULL,
        service_code TEXT NOT NULL,
        source       TEXT NOT NULL,
        request_key  TEXT NOT NULL UNIQUE,
        waiting      INTEGER NOT NULL,
        issued_at    REAL NOT NULL,
        PRIMARY KEY (business_day, number)
    );
    CREATE TABLE ticket_blocks (
        business_day TEXT NOT NULL,
        prefix       TEXT NOT NULL,
        last         INTEGER NOT NULL,
        PRIMARY KEY (business_day, prefix)
    );
    """,
    # 5: who a ticket is for (keyed hash of the ID number, when a card was read) and whether it
    # was printed: one waiting ticket per person and service, and voided numbers stay visible.
    """
    ALTER TABLE tickets ADD COLUMN id_hash TEXT;
    ALTER TABLE tickets ADD COLUMN printed INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX tickets_person ON tickets (business_day, service_code, id_hash);
    """,
    # 6: 自助申报 submissions: the kiosk's reference number, the matter, the applicant as a keyed
    # hash, the materials it names (ids, names, page counts), and whether the receipt printed.
    """
    CREATE TABLE submissions (
        reference  TEXT PRIMARY KEY,
        matter     TEXT NOT NULL,
        id_hash    TEXT NOT NULL,
        materials  TEXT NOT NULL,
        created_at REAL NOT NULL,
        printed    INTEGER NOT NULL DEFAULT 0
    );
    """,
)
