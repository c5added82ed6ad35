-- Doorstep schema: blobs on their way down from the server. A download interrupted part
-- way keeps the parts it has here, inside the encrypted store, and resumes after them.

CREATE TABLE blob_download (
    hash       TEXT NOT NULL,
    start      INTEGER NOT NULL,
    mime       TEXT NOT NULL,
    bytes      BLOB NOT NULL,
    fetched_at INTEGER NOT NULL,
    PRIMARY KEY (hash, start)
) WITHOUT ROWID;
