-- Station server schema 2 (SQLite): blobs (handoff photos and signatures) by SHA-256.

CREATE TABLE blob (
    hash        TEXT PRIMARY KEY,
    mime        TEXT NOT NULL,
    size        INTEGER NOT NULL,
    bytes       BLOB NOT NULL,
    uploaded_by TEXT NOT NULL,
    stored_at   INTEGER NOT NULL
);

-- Uploads under way, one per device and blob; their bytes are parts in order.
CREATE TABLE blob_upload (
    hash       TEXT NOT NULL,
    device     TEXT NOT NULL,
    total      INTEGER NOT NULL,
    mime       TEXT NOT NULL,
    received   INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    PRIMARY KEY (hash, device)
) WITHOUT ROWID;

CREATE TABLE blob_part (
    hash   TEXT NOT NULL,
    device TEXT NOT NULL,
    start  INTEGER NOT NULL,
    bytes  BLOB NOT NULL,
    PRIMARY KEY (hash, device, start)
);

-- Which stored op names which blob: a blob may be fetched by whoever may pull the op.
CREATE TABLE blob_ref (
    hash TEXT NOT NULL,
    seq  INTEGER NOT NULL,
    PRIMARY KEY (hash, seq)
) WITHOUT ROWID;
