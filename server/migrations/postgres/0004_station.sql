-- Station server schema 4 (PostgreSQL): what the station keeps beside the sync data, so
-- every node on this database shares it: dashboard admins and their sessions, settings
-- (the pseudonym secret), and the station's pass-signing keys.

CREATE TABLE station_admin (
    name       TEXT PRIMARY KEY,
    hash       TEXT NOT NULL,
    areas      TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE station_session (
    token_hash TEXT PRIMARY KEY,
    admin      TEXT NOT NULL REFERENCES station_admin(name) ON DELETE CASCADE,
    csrf       TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX station_session_expires ON station_session(expires_at);
CREATE TABLE station_setting (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE station_key (
    key_id TEXT PRIMARY KEY,
    secret BYTEA NOT NULL
);
