-- Doorstep schema: the due list's change triggers (0002) test '*' and the row's own id
-- with two lookups by key. They had tested `id IN (NEW.id, '*')`, for which SQLite builds
-- and drops a temporary B-tree on every row written: a seventh of a 100,000-resident
-- import. Same rule as before: nothing is noted once '*' is there, and a conflict clause
-- is still avoided, as the statement that fires a trigger would override it.

DROP TRIGGER visit_stale_resident_insert;
DROP TRIGGER visit_stale_resident_update;
DROP TRIGGER visit_stale_household_insert;
DROP TRIGGER visit_stale_household_update;
DROP TRIGGER visit_stale_visit_insert;
DROP TRIGGER visit_stale_need_insert;
DROP TRIGGER visit_stale_need_update;
DROP TRIGGER visit_stale_follow_up_insert;
DROP TRIGGER visit_stale_follow_up_update;
DROP TRIGGER visit_stale_frequency_insert;
DROP TRIGGER visit_stale_frequency_update;

CREATE TRIGGER visit_stale_resident_insert AFTER INSERT ON resident
WHEN NOT EXISTS (SELECT 1 FROM visit_stale WHERE id = '*') BEGIN
    INSERT INTO visit_stale(id) SELECT NEW.id WHERE NOT EXISTS
        (SELECT 1 FROM visit_stale WHERE id = NEW.id);
END;
CREATE TRIGGER visit_stale_resident_update AFTER UPDATE ON resident
WHEN NOT EXISTS (SELECT 1 FROM visit_stale WHERE id = '*') BEGIN
    INSERT INTO visit_stale(id) SELECT NEW.id WHERE NOT EXISTS
        (SELECT 1 FROM visit_stale WHERE id = NEW.id);
END;
CREATE TRIGGER visit_stale_household_insert AFTER INSERT ON household
WHEN NOT EXISTS (SELECT 1 FROM visit_stale WHERE id = '*') BEGIN
    INSERT INTO visit_stale(id) SELECT NEW.id WHERE NOT EXISTS
        (SELECT 1 FROM visit_stale WHERE id = NEW.id);
END;
CREATE TRIGGER visit_stale_household_update AFTER UPDATE ON household
WHEN NOT EXISTS (SELECT 1 FROM visit_stale WHERE id = '*') BEGIN
    INSERT INTO visit_stale(id) SELECT NEW.id WHERE NOT EXISTS
        (SELECT 1 FROM visit_stale WHERE id = NEW.id);
END;
CREATE TRIGGER visit_stale_visit_insert AFTER INSERT ON visit
WHEN NOT EXISTS (SELECT 1 FROM visit_stale WHERE id = '*') BEGIN
    INSERT INTO visit_stale(id) SELECT NEW.household_id WHERE NEW.household_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM visit_stale WHERE id = NEW.household_id);
    INSERT INTO visit_stale(id) SELECT NEW.resident_id WHERE NEW.resident_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM visit_stale WHERE id = NEW.resident_id);
END;
CREATE TRIGGER visit_stale_need_insert AFTER INSERT ON need
WHEN NOT EXISTS (SELECT 1 FROM visit_stale WHERE id = '*') BEGIN
    INSERT INTO visit_stale(id) SELECT NEW.household_id WHERE NEW.household_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM visit_stale WHERE id = NEW.household_id);
    INSERT INTO visit_stale(id) SELECT NEW.resident_id WHERE NEW.resident_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM visit_stale WHERE id = NEW.resident_id);
END;
CREATE TRIGGER visit_stale_need_update AFTER UPDATE ON need
WHEN NOT EXISTS (SELECT 1 FROM visit_stale WHERE id = '*') BEGIN
    INSERT INTO visit_stale(id) SELECT NEW.household_id WHERE NEW.household_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM visit_stale WHERE id = NEW.household_id);
    INSERT INTO visit_stale(id) SELECT NEW.resident_id WHERE NEW.resident_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM visit_stale WHERE id = NEW.resident_id);
END;
CREATE TRIGGER visit_stale_follow_up_insert AFTER INSERT ON follow_up
WHEN NOT EXISTS (SELECT 1 FROM visit_stale WHERE id = '*') BEGIN
    INSERT INTO visit_stale(id) SELECT NEW.household_id WHERE NEW.household_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM visit_stale WHERE id = NEW.household_id);
    INSERT INTO visit_stale(id) SELECT NEW.resident_id WHERE NEW.resident_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM visit_stale WHERE id = NEW.resident_id);
END;
CREATE TRIGGER visit_stale_follow_up_update AFTER UPDATE ON follow_up
WHEN NOT EXISTS (SELECT 1 FROM visit_stale WHERE id = '*') BEGIN
    INSERT INTO visit_stale(id) SELECT NEW.household_id WHERE NEW.household_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM visit_stale WHERE id = NEW.household_id);
    INSERT INTO visit_stale(id) SELECT NEW.resident_id WHERE NEW.resident_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM visit_stale WHERE id = NEW.resident_id);
END;
CREATE TRIGGER visit_stale_frequency_insert AFTER INSERT ON visit_frequency
WHEN NOT EXISTS (SELECT 1 FROM visit_stale WHERE id = '*') BEGIN
    INSERT INTO visit_stale(id) VALUES ('*');
END;
CREATE TRIGGER visit_stale_frequency_update AFTER UPDATE ON visit_frequency
WHEN NOT EXISTS (SELECT 1 FROM visit_stale WHERE id = '*') BEGIN
    INSERT INTO visit_stale(id) VALUES ('*');
END;
