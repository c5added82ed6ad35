-- Doorstep schema: the phone's side of sync. Numbered 0005: 0004 belongs to deliveries.
-- The device token sits here, inside the encrypted store, like everything else.

CREATE TABLE sync_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- Why the server refused an op (op_log.rejected holds the reason); the op stays.
ALTER TABLE op_log ADD COLUMN rejected_code TEXT;
CREATE INDEX op_log_rejected ON op_log(seq) WHERE rejected IS NOT NULL;


-- Edits that met another edit of the same field and lost under last-writer-wins: kept
-- for a person to review.
CREATE TABLE sync_conflict (
    id          INTEGER PRIMARY KEY,
    entity      TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    field       TEXT NOT NULL,
    kept        TEXT NOT NULL,
    kept_hlc    INTEGER NOT NULL,
    kept_device TEXT NOT NULL,
    lost        TEXT NOT NULL,
    lost_hlc    INTEGER NOT NULL,
    lost_device TEXT NOT NULL,
    found_at    INTEGER NOT NULL,
    reviewed    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sync_conflict_open ON sync_conflict(id) WHERE reviewed = 0;
