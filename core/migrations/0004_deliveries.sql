-- Doorstep schema 4: deliveries. Requests and packages are registers (their current
-- state); handoffs, stock movements and PIN attempts are facts (see 0001 for
-- _hlc/_dev/_deleted). Item lists are JSON arrays of {item, name, dose, quantity}.

CREATE TABLE delivery_request (
    id           TEXT PRIMARY KEY,
    household_id TEXT,
    area_id      TEXT,
    source       TEXT,
    need_id      TEXT,
    referral_id  TEXT,
    caller       TEXT,
    items        TEXT,
    urgency      TEXT,
    notes        TEXT,
    -- The delivery PIN, only as SHA-256 of a random salt and the PIN (hex).
    pin_salt     TEXT,
    pin_hash     TEXT,
    status       TEXT,
    created_at   INTEGER,
    created_by   TEXT,
    status_at    INTEGER,
    _hlc         INTEGER NOT NULL DEFAULT 0,
    _dev         TEXT NOT NULL DEFAULT '',
    _deleted     INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX delivery_request_area ON delivery_request(area_id, status);
CREATE INDEX delivery_request_household ON delivery_request(household_id);
CREATE INDEX delivery_request_need ON delivery_request(need_id);

-- A package keeps what the runner's list shows (building, unit, address), so the list
-- is one read; head_hash and steps are the end of its handoff chain.
CREATE TABLE delivery_package (
    id           TEXT PRIMARY KEY,
    request_id   TEXT,
    household_id TEXT,
    area_id      TEXT,
    building_id  TEXT,
    building     TEXT,
    unit         TEXT,
    address      TEXT,
    urgency      TEXT,
    medicine     INTEGER,
    items        TEXT,
    delivered    TEXT,
    status       TEXT,
    runner       TEXT,
    reason       TEXT,
    head_hash    TEXT,
    steps        INTEGER,
    created_at   INTEGER,
    status_at    INTEGER,
    _hlc         INTEGER NOT NULL DEFAULT 0,
    _dev         TEXT NOT NULL DEFAULT '',
    _deleted     INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX delivery_package_runner ON delivery_package(runner, status);
CREATE INDEX delivery_package_request ON delivery_package(request_id);

-- Every move of a package. hash is SHA-256 over prev_hash and the step's content, so
-- the steps of a package form a chain.
CREATE TABLE handoff (
    id         TEXT PRIMARY KEY,
    package_id TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    status     TEXT NOT NULL,
    from_party TEXT,
    to_party   TEXT,
    at         INTEGER NOT NULL,
    place      TEXT,
    items      TEXT,
    proof_kind TEXT,
    proof      TEXT,
    reason     TEXT,
    note       TEXT,
    prev_hash  TEXT,
    hash       TEXT,
    _hlc       INTEGER NOT NULL DEFAULT 0,
    _dev       TEXT NOT NULL DEFAULT '',
    _deleted   INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX handoff_package ON handoff(package_id, seq);
CREATE INDEX handoff_day ON handoff(at);

-- Stock in (quantity > 0: donation, purchase, return) and out (quantity < 0: issue)
-- at the station, per item key (the item code, or medicine/name/dose).
CREATE TABLE stock_move (
    id         TEXT PRIMARY KEY,
    item_key   TEXT NOT NULL,
    item       TEXT,
    name       TEXT,
    dose       TEXT,
    quantity   INTEGER NOT NULL,
    kind       TEXT,
    package_id TEXT,
    source     TEXT,
    note       TEXT,
    at         INTEGER NOT NULL,
    by_user    TEXT,
    _hlc       INTEGER NOT NULL DEFAULT 0,
    _dev       TEXT NOT NULL DEFAULT '',
    _deleted   INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX stock_move_item ON stock_move(item_key, at);
CREATE INDEX stock_move_day ON stock_move(at);

-- Each try of a delivery PIN, so the limit on wrong ones holds across restarts.
CREATE TABLE pin_attempt (
    id         TEXT PRIMARY KEY,
    request_id TEXT NOT NULL,
    package_id TEXT,
    ok         INTEGER NOT NULL,
    at         INTEGER NOT NULL,
    _hlc       INTEGER NOT NULL DEFAULT 0,
    _dev       TEXT NOT NULL DEFAULT '',
    _deleted   INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX pin_attempt_request ON pin_attempt(request_id);

-- Local, derived: each item's balance, kept by a trigger so local and synced movements
-- both count and a balance is one read.
CREATE TABLE stock_balance (
    item_key TEXT PRIMARY KEY,
    item     TEXT NOT NULL,
    name     TEXT,
    dose     TEXT,
    balance  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TRIGGER stock_balance_move AFTER INSERT ON stock_move BEGIN
    INSERT INTO stock_balance(item_key, item, name, dose, balance)
        SELECT NEW.item_key, NEW.item, NEW.name, NEW.dose, 0
        WHERE NOT EXISTS (SELECT 1 FROM stock_balance WHERE item_key = NEW.item_key);
    UPDATE stock_balance SET balance = balance + NEW.quantity WHERE item_key = NEW.item_key;
END;

-- Local: content-addressed attachments (handoff photos, signatures), keyed by the
-- SHA-256 of their bytes (hex). Sync uploads those with uploaded_at null.
CREATE TABLE blob (
    hash        TEXT PRIMARY KEY,
    mime        TEXT NOT NULL,
    size        INTEGER NOT NULL,
    bytes       BLOB NOT NULL,
    created_at  INTEGER NOT NULL,
    uploaded_at INTEGER
) WITHOUT ROWID;
CREATE INDEX blob_pending ON blob(created_at) WHERE uploaded_at IS NULL;
