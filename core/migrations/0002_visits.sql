-- Doorstep schema 2: visits. Templates, finished visits and every status change of a
-- need or a referral are facts; a need's, a referral's and a follow-up's current state
-- and the visit frequency per tag are registers (see 0001 for _hlc/_dev/_deleted).
-- The rest is local to the phone: drafts of visits being filled in, and the due list's
-- per-resident state, derived from the replicated tables and rebuilt at will.

CREATE TABLE visit_template (
    id          TEXT PRIMARY KEY,
    template_id TEXT,
    version     INTEGER,
    body        TEXT,
    added_at    INTEGER,
    _hlc        INTEGER NOT NULL DEFAULT 0,
    _dev        TEXT NOT NULL DEFAULT '',
    _deleted    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX visit_template_version ON visit_template(template_id, version);

CREATE TABLE visit (
    id               TEXT PRIMARY KEY,
    household_id     TEXT,
    resident_id      TEXT,
    area_id          TEXT,
    template_id      TEXT,
    template_version INTEGER,
    answers          TEXT,
    outcome          TEXT,
    note             TEXT,
    started_at       INTEGER,
    finished_at      INTEGER,
    worker           TEXT,
    supersedes       TEXT,
    corrected_at     INTEGER,
    _hlc             INTEGER NOT NULL DEFAULT 0,
    _dev             TEXT NOT NULL DEFAULT '',
    _deleted         INTEGER NOT NULL DEFAULT 0
);
-- Covering, so the due list's state and the ledger never read the answers.
CREATE INDEX visit_resident ON visit(resident_id, finished_at, outcome, id);
CREATE INDEX visit_household ON visit(household_id, finished_at, outcome, id);
CREATE INDEX visit_area_day ON visit(area_id, finished_at, outcome, household_id, resident_id, id);
CREATE INDEX visit_supersedes ON visit(supersedes) WHERE supersedes IS NOT NULL;

CREATE TABLE need (
    id           TEXT PRIMARY KEY,
    household_id TEXT,
    resident_id  TEXT,
    area_id      TEXT,
    category     TEXT,
    urgency      TEXT,
    details      TEXT,
    drug         TEXT,
    runs_out_at  INTEGER,
    status       TEXT,
    visit_id     TEXT,
    raised_at    INTEGER,
    raised_by    TEXT,
    status_at    INTEGER,
    _hlc         INTEGER NOT NULL DEFAULT 0,
    _dev         TEXT NOT NULL DEFAULT '',
    _deleted     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX need_resident ON need(resident_id);
CREATE INDEX need_household ON need(household_id);
CREATE INDEX need_status_area ON need(status, area_id);
CREATE INDEX need_area_day ON need(area_id, raised_at, category);

-- Local, derived by the triggers below: the open needs that put a life at risk now
-- (life 1: urgent medical care, or anything critical) or will once their medicine runs
-- low (life 2), clustered in the due list's order (most urgent, urgent medical care
-- before anything as urgent, earliest deadline), so its first tier is one ordered walk.
CREATE TABLE need_life (
    rank         INTEGER NOT NULL,
    deadline     INTEGER NOT NULL,
    need_id      TEXT NOT NULL,
    life         INTEGER NOT NULL,
    runs_out_at  INTEGER,
    area_id      TEXT,
    resident_id  TEXT,
    household_id TEXT,
    PRIMARY KEY (rank DESC, deadline, need_id)
) WITHOUT ROWID;
CREATE INDEX need_life_need ON need_life(need_id);
CREATE TRIGGER need_life_insert AFTER INSERT ON need BEGIN
    DELETE FROM need_life WHERE need_id = NEW.id;
    INSERT INTO need_life(rank, deadline, need_id, life, runs_out_at, area_id, resident_id,
                          household_id)
    SELECT 2 * CASE NEW.urgency WHEN 'critical' THEN 3 WHEN 'high' THEN 2
                                WHEN 'normal' THEN 1 ELSE 0 END
             + (NEW.category = 'urgent_medical'),
           coalesce(CASE WHEN NEW.category = 'medicine' THEN NEW.runs_out_at END,
                    NEW.raised_at, 0),
           NEW.id,
           CASE WHEN NEW.category = 'urgent_medical' OR NEW.urgency = 'critical' THEN 1
                ELSE 2 END,
           NEW.runs_out_at, NEW.area_id, NEW.resident_id, NEW.household_id
    WHERE NEW.status IN ('open', 'in_progress') AND NEW._deleted = 0
      AND (NEW.category = 'urgent_medical' OR NEW.urgency = 'critical'
           OR (NEW.category = 'medicine' AND NEW.runs_out_at IS NOT NULL));
END;
CREATE TRIGGER need_life_update AFTER UPDATE ON need BEGIN
    DELETE FROM need_life WHERE need_id = NEW.id;
    INSERT INTO need_life(rank, deadline, need_id, life, runs_out_at, area_id, resident_id,
                          household_id)
    SELECT 2 * CASE NEW.urgency WHEN 'critical' THEN 3 WHEN 'high' THEN 2
                                WHEN 'normal' THEN 1 ELSE 0 END
             + (NEW.category = 'urgent_medical'),
           coalesce(CASE WHEN NEW.category = 'medicine' THEN NEW.runs_out_at END,
                    NEW.raised_at, 0),
           NEW.id,
           CASE WHEN NEW.category = 'urgent_medical' OR NEW.urgency = 'critical' THEN 1
                ELSE 2 END,
           NEW.runs_out_at, NEW.area_id, NEW.resident_id, NEW.household_id
    WHERE NEW.status IN ('open', 'in_progress') AND NEW._deleted = 0
      AND (NEW.category = 'urgent_medical' OR NEW.urgency = 'critical'
           OR (NEW.category = 'medicine' AND NEW.runs_out_at IS NOT NULL));
END;

CREATE TABLE need_update (
    id          TEXT PRIMARY KEY,
    need_id     TEXT NOT NULL,
    from_status TEXT,
    to_status   TEXT NOT NULL,
    note        TEXT,
    at          INTEGER NOT NULL,
    by_user     TEXT,
    _hlc        INTEGER NOT NULL DEFAULT 0,
    _dev        TEXT NOT NULL DEFAULT '',
    _deleted    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX need_update_need ON need_update(need_id);
CREATE INDEX need_update_day ON need_update(to_status, at, need_id);

CREATE TABLE referral (
    id           TEXT PRIMARY KEY,
    need_id      TEXT,
    household_id TEXT,
    resident_id  TEXT,
    area_id      TEXT,
    category     TEXT,
    target       TEXT,
    target_id    TEXT,
    target_name  TEXT,
    note         TEXT,
    status       TEXT,
    created_at   INTEGER,
    created_by   TEXT,
    status_at    INTEGER,
    _hlc         INTEGER NOT NULL DEFAULT 0,
    _dev         TEXT NOT NULL DEFAULT '',
    _deleted     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX referral_need ON referral(need_id);
CREATE INDEX referral_target ON referral(target, status);

CREATE TABLE referral_update (
    id          TEXT PRIMARY KEY,
    referral_id TEXT NOT NULL,
    from_status TEXT,
    to_status   TEXT NOT NULL,
    note        TEXT,
    at          INTEGER NOT NULL,
    by_user     TEXT,
    _hlc        INTEGER NOT NULL DEFAULT 0,
    _dev        TEXT NOT NULL DEFAULT '',
    _deleted    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX referral_update_referral ON referral_update(referral_id);
CREATE INDEX referral_update_day ON referral_update(at, to_status, referral_id);

CREATE TABLE follow_up (
    id           TEXT PRIMARY KEY,
    household_id TEXT,
    resident_id  TEXT,
    due_at       INTEGER,
    note         TEXT,
    visit_id     TEXT,
    need_id      TEXT,
    created_at   INTEGER,
    cancelled    INTEGER,
    _hlc         INTEGER NOT NULL DEFAULT 0,
    _dev         TEXT NOT NULL DEFAULT '',
    _deleted     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX follow_up_resident ON follow_up(resident_id);
CREATE INDEX follow_up_household ON follow_up(household_id);

-- A station's visit frequency for a tag (id: the tag code); every_ms 0 means no regular
-- visits. Tags without a row here use visit_frequency_default.
CREATE TABLE visit_frequency (
    id       TEXT PRIMARY KEY,
    every_ms INTEGER,
    _hlc     INTEGER NOT NULL DEFAULT 0,
    _dev     TEXT NOT NULL DEFAULT '',
    _deleted INTEGER NOT NULL DEFAULT 0
);

-- Local: Doorstep's defaults, the same on every phone, so not replicated.
CREATE TABLE visit_frequency_default (
    id       TEXT PRIMARY KEY,
    every_ms INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO visit_frequency_default(id, every_ms) VALUES
    ('elderly_alone',      2 * 86400000),
    ('disability',         2 * 86400000),
    ('child_in_hardship',  3 * 86400000),
    ('stranded',           3 * 86400000),
    ('pregnant',           7 * 86400000),
    ('chronic_illness',    7 * 86400000),
    ('frontline_family',   7 * 86400000),
    ('low_income',         7 * 86400000);

-- Local: a visit being filled in. Kept in the encrypted store so an app killed in a
-- basement loses nothing; it becomes a replicated fact when finished.
CREATE TABLE visit_draft (
    id               TEXT PRIMARY KEY,
    household_id     TEXT NOT NULL,
    resident_id      TEXT,
    area_id          TEXT NOT NULL,
    template_id      TEXT NOT NULL,
    template_version INTEGER NOT NULL,
    answers          TEXT NOT NULL,
    started_at       INTEGER NOT NULL,
    worker           TEXT NOT NULL
);

-- Local, derived: one row per resident and per household with what the due list ranks
-- on. Rebuilt from the replicated tables for the ids in visit_stale, which triggers fill
-- on every change that matters, local or synced ('*' rebuilds everything). The triggers
-- test before inserting instead of using a conflict clause: the policy of the statement
-- that fires a trigger (the change log's upserts) overrides the trigger's own. Once '*'
-- is there, nothing more is noted: a first import of 100,000 residents costs nothing.
--
-- place is the area path and the address joined by char(1), so it orders by area then
-- address and everything in an area is one range of it. Each tier of the due list has
-- a partial index in the order it ranks, so a list of 50 reads about 50 entries. A rowid
-- table on purpose: SQLite then tests an index entry's place before loading its row.
CREATE TABLE visit_subject (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    household_id    TEXT NOT NULL,
    place           TEXT NOT NULL,
    -- What the list shows, so an entry is one read: the resident's name and tags, the
    -- household's address.
    name            TEXT,
    tags            TEXT,
    address         TEXT NOT NULL,
    vulnerable      INTEGER NOT NULL,
    every_ms        INTEGER,
    attempts        INTEGER NOT NULL,
    last_attempt_at INTEGER,
    last_contact_at INTEGER,
    follow_up_at    INTEGER,
    open_needs      INTEGER NOT NULL,
    top_urgency     INTEGER NOT NULL,
    due_at          INTEGER
);
CREATE INDEX visit_subject_household ON visit_subject(household_id);
CREATE INDEX visit_subject_needs
    ON visit_subject(top_urgency DESC, last_contact_at IS NOT NULL, due_at, place)
    WHERE vulnerable = 1 AND open_needs > 0;
CREATE INDEX visit_subject_unreached ON visit_subject(place)
    WHERE vulnerable = 1 AND last_contact_at IS NULL;
CREATE INDEX visit_subject_overdue ON visit_subject(due_at, place)
    WHERE vulnerable = 1 AND open_needs = 0 AND last_contact_at IS NOT NULL;
CREATE INDEX visit_subject_other_due ON visit_subject(due_at, place) WHERE vulnerable = 0;
CREATE INDEX visit_subject_unvisited ON visit_subject(place)
    WHERE kind = 'household' AND last_contact_at IS NULL;

CREATE TABLE visit_stale (id TEXT PRIMARY KEY) WITHOUT ROWID;
INSERT INTO visit_stale(id) VALUES ('*');

CREATE TRIGGER visit_stale_resident_insert AFTER INSERT ON resident BEGIN
    INSERT INTO visit_stale(id) SELECT NEW.id
        WHERE NOT EXISTS (SELECT 1 FROM visit_stale WHERE id IN (NEW.id, '*'));
END;
CREATE TRIGGER visit_stale_resident_update AFTER UPDATE ON resident BEGIN
    INSERT INTO visit_stale(id) SELECT NEW.id
        WHERE NOT EXISTS (SELECT 1 FROM visit_stale WHERE id IN (NEW.id, '*'));
END;
CREATE TRIGGER visit_stale_household_insert AFTER INSERT ON household BEGIN
    INSERT INTO visit_stale(id) SELECT NEW.id
        WHERE NOT EXISTS (SELECT 1 FROM visit_stale WHERE id IN (NEW.id, '*'));
END;
CREATE TRIGGER visit_stale_household_update AFTER UPDATE ON household BEGIN
    INSERT INTO visit_stale(id) SELECT NEW.id
        WHERE NOT EXISTS (SELECT 1 FROM visit_stale WHERE id IN (NEW.id, '*'));
END;
CREATE TRIGGER visit_stale_visit_insert AFTER INSERT ON visit BEGIN
    INSERT INTO visit_stale(id) SELECT NEW.household_id WHERE NEW.household_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM visit_stale WHERE id IN (NEW.household_id, '*'));
    INSERT INTO visit_stale(id) SELECT NEW.resident_id WHERE NEW.resident_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM visit_stale WHERE id IN (NEW.resident_id, '*'));
END;
CREATE TRIGGER visit_stale_need_insert AFTER INSERT ON need BEGIN
    INSERT INTO visit_stale(id) SELECT NEW.household_id WHERE NEW.household_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM visit_stale WHERE id IN (NEW.household_id, '*'));
    INSERT INTO visit_stale(id) SELECT NEW.resident_id WHERE NEW.resident_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM visit_stale WHERE id IN (NEW.resident_id, '*'));
END;
CREATE TRIGGER visit_stale_need_update AFTER UPDATE ON need BEGIN
    INSERT INTO visit_stale(id) SELECT NEW.household_id WHERE NEW.household_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM visit_stale WHERE id IN (NEW.household_id, '*'));
    INSERT INTO visit_stale(id) SELECT NEW.resident_id WHERE NEW.resident_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM visit_stale WHERE id IN (NEW.resident_id, '*'));
END;
CREATE TRIGGER visit_stale_follow_up_insert AFTER INSERT ON follow_up BEGIN
    INSERT INTO visit_stale(id) SELECT NEW.household_id WHERE NEW.household_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM visit_stale WHERE id IN (NEW.household_id, '*'));
    INSERT INTO visit_stale(id) SELECT NEW.resident_id WHERE NEW.resident_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM visit_stale WHERE id IN (NEW.resident_id, '*'));
END;
CREATE TRIGGER visit_stale_follow_up_update AFTER UPDATE ON follow_up BEGIN
    INSERT INTO visit_stale(id) SELECT NEW.household_id WHERE NEW.household_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM visit_stale WHERE id IN (NEW.household_id, '*'));
    INSERT INTO visit_stale(id) SELECT NEW.resident_id WHERE NEW.resident_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM visit_stale WHERE id IN (NEW.resident_id, '*'));
END;
CREATE TRIGGER visit_stale_frequency_insert AFTER INSERT ON visit_frequency BEGIN
    INSERT INTO visit_stale(id) SELECT '*'
        WHERE NOT EXISTS (SELECT 1 FROM visit_stale WHERE id = '*');
END;
CREATE TRIGGER visit_stale_frequency_update AFTER UPDATE ON visit_frequency BEGIN
    INSERT INTO visit_stale(id) SELECT '*'
        WHERE NOT EXISTS (SELECT 1 FROM visit_stale WHERE id = '*');
END;
