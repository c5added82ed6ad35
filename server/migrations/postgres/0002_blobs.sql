-- Station server schema 2 (PostgreSQL): blobs (handoff photos and signatures) by SHA-256.

CREATE TABLE blob (
    hash        TEXT PRIMARY KEY,
    mime        TEXT NOT NULL,
    size        BIGINT NOT NULL,
    bytes       BYTEA NOT NULL,
    uploaded_by TEXT NOT NULL,
    stored_at   BIGINT NOT NULL
);

-- Uploads under way, one per device and blob; their bytes are parts in order.
CREATE TABLE blob_upload (
    hash       TEXT NOT NULL,
    device     TEXT NOT NULL,
    total      BIGINT NOT NULL,
    mime       TEXT NOT NULL,
    received   BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    PRIMARY KEY (hash, device)
);

CREATE TABLE blob_part (
    hash   TEXT NOT NULL,
    device TEXT NOT NULL,
    start  BIGINT NOT NULL,
    bytes  BYTEA NOT NULL,
    PRIMARY KEY (hash, device, start)
);

-- Which stored op names which blob: a blob may be fetched by whoever may pull the op.
CREATE TABLE blob_ref (
    hash TEXT NOT NULL,
    seq  BIGINT NOT NULL,
    PRIMARY KEY (hash, seq)
);
