-- Station server schema 1 (SQLite): enrolment, devices, the op store and its area index.

CREATE TABLE enrolment (
    code_hash    TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL,
    role         TEXT NOT NULL,
    areas        TEXT NOT NULL,
    expires_at   INTEGER NOT NULL,
    token_ttl_ms INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    used_at      INTEGER,
    used_by      TEXT
);

CREATE TABLE device (
    device_id        TEXT PRIMARY KEY,
    user_id          TEXT NOT NULL,
    role             TEXT NOT NULL,
    areas            TEXT NOT NULL,
    token_hash       TEXT NOT NULL UNIQUE,
    token_expires_at INTEGER NOT NULL,
    enrolled_at      INTEGER NOT NULL,
    revoked_at       INTEGER
);

-- Every accepted op, once, in the order the server stored it (seq: the pull cursor).
-- area is the area path the op was placed in when it was checked ('' for station-wide).
CREATE TABLE op (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    op_id       TEXT NOT NULL UNIQUE,
    hlc         INTEGER NOT NULL,
    device      TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    entity      TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    action      TEXT NOT NULL,
    fields      TEXT NOT NULL,
    area        TEXT NOT NULL,
    received_at INTEGER NOT NULL
);
CREATE INDEX op_entity ON op(entity, entity_id);

-- Where each row lives, so an op naming only a parent (a resident's household) is placed.
CREATE TABLE entity_area (
    entity    TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    area      TEXT NOT NULL,
    PRIMARY KEY (entity, entity_id)
) WITHOUT ROWID;
