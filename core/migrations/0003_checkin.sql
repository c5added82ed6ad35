-- Doorstep schema 3: check-in. The trust list and tubes are registers; issued passes,
-- pass subjects, revocations, check-ins and tube members are facts (see 0001 for
-- _hlc/_dev/_deleted). Signing keys are local to the phone and never replicated: a
-- secret key must not leave the device that made it. (Queue counters live in `meta`.)

-- Local only: this station's Ed25519 secret keys, in the encrypted store.
CREATE TABLE signing_key (
    key_id     TEXT PRIMARY KEY,
    secret     BLOB NOT NULL,
    public     BLOB NOT NULL,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;

-- The trust list: public keys whose passes are accepted while valid_from <= now and
-- (retired_at is null or now < retired_at). id is the key id (8 hex digits).
CREATE TABLE trusted_key (
    id         TEXT PRIMARY KEY,
    public_key TEXT,
    valid_from INTEGER,
    retired_at INTEGER,
    _hlc       INTEGER NOT NULL DEFAULT 0,
    _dev       TEXT NOT NULL DEFAULT '',
    _deleted   INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- The random reference a resident's passes carry instead of their id (id = ref, hex).
CREATE TABLE pass_subject (
    id          TEXT PRIMARY KEY,
    resident_id TEXT NOT NULL,
    at          INTEGER NOT NULL,
    _hlc        INTEGER NOT NULL DEFAULT 0,
    _dev        TEXT NOT NULL DEFAULT '',
    _deleted    INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX pass_subject_resident ON pass_subject(resident_id);

-- Passes issued (id = pass id, hex), with their text for reprinting.
CREATE TABLE pass (
    id           TEXT PRIMARY KEY,
    key_id       TEXT,
    resident_ref TEXT,
    valid_from   INTEGER,
    valid_until  INTEGER,
    flags        INTEGER,
    text         TEXT,
    issued_at    INTEGER,
    _hlc         INTEGER NOT NULL DEFAULT 0,
    _dev         TEXT NOT NULL DEFAULT '',
    _deleted     INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX pass_resident_ref ON pass(resident_ref);

-- Revoked passes (id = pass id, hex): a second revocation of one pass changes nothing.
CREATE TABLE pass_revocation (
    id       TEXT PRIMARY KEY,
    reason   TEXT,
    at       INTEGER,
    _hlc     INTEGER NOT NULL DEFAULT 0,
    _dev     TEXT NOT NULL DEFAULT '',
    _deleted INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- Every scan, admitted or not: the audit trail. `day` is the site's local day; the key
-- leads with (site, day, resident_ref) so the duplicate rule's lookup needs no second
-- index: a scan writes one b-tree, not two. resident_ref is '' when the text was no pass.
-- The scanning phone is the row's _dev.
CREATE TABLE check_in (
    id           TEXT NOT NULL,
    site         TEXT NOT NULL,
    day          TEXT NOT NULL,
    lane         TEXT,
    household_id TEXT,
    outcome      TEXT NOT NULL,
    queue_no     TEXT,
    pass_id      TEXT,
    resident_ref TEXT NOT NULL DEFAULT '',
    key_id       TEXT,
    flags        INTEGER,
    ref_at       INTEGER,
    detail       TEXT,
    tube_id      TEXT,
    at           INTEGER NOT NULL,
    _hlc         INTEGER NOT NULL DEFAULT 0,
    _dev         TEXT NOT NULL DEFAULT '',
    _deleted     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (site, day, resident_ref, id)
) WITHOUT ROWID;

-- Pooled sample tubes (混管); id derives from the printed code.
CREATE TABLE tube (
    id        TEXT PRIMARY KEY,
    code      TEXT,
    site      TEXT,
    capacity  INTEGER,
    status    TEXT,
    result    TEXT,
    opened_at INTEGER,
    sealed_at INTEGER,
    result_at INTEGER,
    _hlc      INTEGER NOT NULL DEFAULT 0,
    _dev      TEXT NOT NULL DEFAULT '',
    _deleted  INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- Residents sampled into a tube (id derives from tube and resident reference).
CREATE TABLE tube_member (
    id           TEXT PRIMARY KEY,
    tube_id      TEXT NOT NULL,
    resident_ref TEXT NOT NULL,
    check_in_id  TEXT,
    site         TEXT,
    day          TEXT,
    at           INTEGER,
    _hlc         INTEGER NOT NULL DEFAULT 0,
    _dev         TEXT NOT NULL DEFAULT '',
    _deleted     INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX tube_member_tube ON tube_member(tube_id);
CREATE INDEX tube_member_ref ON tube_member(resident_ref);
