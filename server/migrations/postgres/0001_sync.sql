-- Station server schema 1 (PostgreSQL): enrolment, devices, the op store and its area index.

CREATE TABLE enrolment (
    code_hash    TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL,
    role         TEXT NOT NULL,
    areas        TEXT NOT NULL,
    expires_at   BIGINT NOT NULL,
    token_ttl_ms BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    used_at      BIGINT,
    used_by      TEXT
);

CREATE TABLE device (
    device_id        TEXT PRIMARY KEY,
    user_id          TEXT NOT NULL,
    role             TEXT NOT NULL,
    areas            TEXT NOT NULL,
    token_hash       TEXT NOT NULL UNIQUE,
    token_expires_at BIGINT NOT NULL,
    enrolled_at      BIGINT NOT NULL,
    revoked_at       BIGINT
);

-- seq is taken while the push transaction holds the ingest lock (see postgres.rs), so
-- sequences become visible in order and a pull cursor never skips one.
CREATE TABLE op (
    seq         BIGSERIAL PRIMARY KEY,
    op_id       TEXT NOT NULL UNIQUE,
    hlc         BIGINT NOT NULL,
    device      TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    entity      TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    action      TEXT NOT NULL,
    fields      TEXT NOT NULL,
    area        TEXT NOT NULL,
    received_at BIGINT NOT NULL
);
CREATE INDEX op_entity ON op(entity, entity_id);

CREATE TABLE entity_area (
    entity    TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    area      TEXT NOT NULL,
    PRIMARY KEY (entity, entity_id)
);
