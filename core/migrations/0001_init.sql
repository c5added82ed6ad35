-- Doorstep schema 1: the store's own tables, the change log and the registry.
-- Replicated tables carry _hlc/_dev (the clock of the op that created the row, which
-- every field shares until an op sets it alone: see field_clock) and _deleted (tombstone).
-- They have no foreign keys between each other: remote ops may arrive in any order.
-- Registers are WITHOUT ROWID: their key is the text id, so one B-tree holds each row.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE op_log (
    seq       INTEGER PRIMARY KEY,
    op_id     TEXT NOT NULL,
    hlc       INTEGER NOT NULL,
    device    TEXT NOT NULL,
    user      TEXT NOT NULL,
    entity    TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    action    TEXT NOT NULL,
    fields    TEXT NOT NULL,
    local     INTEGER NOT NULL,
    acked     INTEGER NOT NULL DEFAULT 0,
    rejected  TEXT
);
-- Only ops from other devices are looked up by id (to drop one that comes twice); this
-- device's ids are fresh by construction. Its pending ops are found by seq from a
-- watermark (meta 'log.settled'), so a local write adds no index entry at all: every
-- entry is a page to encrypt and write at each commit.
CREATE UNIQUE INDEX op_log_remote_id ON op_log(op_id) WHERE local = 0;

CREATE TABLE field_clock (
    entity TEXT NOT NULL,
    id     TEXT NOT NULL,
    field  TEXT NOT NULL,
    hlc    INTEGER NOT NULL,
    device TEXT NOT NULL,
    PRIMARY KEY (entity, id, field)
) WITHOUT ROWID;

CREATE TABLE area (
    id        TEXT PRIMARY KEY,
    parent_id TEXT,
    name      TEXT,
    level     TEXT,
    path      TEXT,
    _hlc      INTEGER NOT NULL DEFAULT 0,
    _dev      TEXT NOT NULL DEFAULT '',
    _deleted  INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX area_path ON area(path);

CREATE TABLE building (
    id       TEXT PRIMARY KEY,
    area_id  TEXT,
    name     TEXT,
    _hlc     INTEGER NOT NULL DEFAULT 0,
    _dev     TEXT NOT NULL DEFAULT '',
    _deleted INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX building_area ON building(area_id);

CREATE TABLE household (
    id          TEXT PRIMARY KEY,
    area_id     TEXT,
    building_id TEXT,
    address     TEXT,
    unit        TEXT,
    phone       TEXT,
    _hlc        INTEGER NOT NULL DEFAULT 0,
    _dev        TEXT NOT NULL DEFAULT '',
    _deleted    INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX household_area ON household(area_id);
CREATE INDEX household_building ON household(building_id);

CREATE TABLE resident (
    id           TEXT PRIMARY KEY,
    household_id TEXT,
    name         TEXT,
    sex          TEXT,
    birth_year   INTEGER,
    phone        TEXT,
    tags         TEXT,
    notes        TEXT,
    _hlc         INTEGER NOT NULL DEFAULT 0,
    _dev         TEXT NOT NULL DEFAULT '',
    _deleted     INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX resident_household ON resident(household_id);

CREATE TABLE resident_move (
    id             TEXT PRIMARY KEY,
    resident_id    TEXT NOT NULL,
    from_household TEXT,
    to_household   TEXT NOT NULL,
    at             INTEGER NOT NULL,
    _hlc           INTEGER NOT NULL DEFAULT 0,
    _dev           TEXT NOT NULL DEFAULT '',
    _deleted       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX resident_move_resident ON resident_move(resident_id);
