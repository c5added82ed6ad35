//! Station figures and ledger tables: read-only summaries over the registry, visits,
//! check-ins and deliveries for the station dashboard and its exports. Codes, not sentences: the
//! dashboard puts the words on them.

use std::collections::BTreeSet;

use rusqlite::{params, Connection};

use doorstep_core::error::{Error, Result};

const DAY_MS: i64 = 86_400_000;

/// A count for one code (a tag, a category, an outcome).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeCount {
    pub code: String,
    pub count: u64,
}

/// Open needs of one category and urgency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedCount {
    pub category: String,
    pub urgency: String,
    pub count: u64,
}

/// Check-ins at one site in one local hour of the day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteHour {
    pub site: String,
    pub hour: u32,
    pub count: u64,
}

/// Check-ins at one site and lane on a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaneCount {
    pub site: String,
    pub lane: String,
    pub count: u64,
}

/// The station's day at a glance, for one area (and below) or the whole station.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overview {
    /// Local day, `YYYY-MM-DD`.
    pub day: String,
    pub residents: u64,
    pub residents_by_tag: Vec<CodeCount>,
    pub visits_today: u64,
    /// The last seven local days, today included.
    pub visits_week: u64,
    /// Open and in-progress needs.
    pub open_needs: Vec<NeedCount>,
    /// Referrals sent or accepted, not done or declined.
    pub referrals_open: u64,
    /// Today's admitted scans (priority included), station-wide.
    pub check_ins_by_hour: Vec<SiteHour>,
}

/// The local day and its start (ms since epoch) of an instant.
pub fn day_bounds(at_ms: i64, utc_offset_minutes: i32) -> (String, i64) {
    let off = utc_offset_minutes as i64 * 60_000;
    let start = (at_ms + off).div_euclid(DAY_MS) * DAY_MS - off;
    (
        doorstep_core::checkin::local_day(at_ms, utc_offset_minutes),
        start,
    )
}

/// The ids of areas at `area_id` and below, as a JSON array for `json_each`; `None`
/// means every area.
pub fn areas_under(conn: &Connection, area_id: Option<&str>) -> Result<Option<String>> {
    let Some(area_id) = area_id else {
        return Ok(None);
    };
    let path: Option<String> = conn
        .query_row(
            "SELECT path FROM area WHERE id = ?1 AND _deleted = 0",
            [area_id],
            |r| r.get(0),
        )
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(e),
        })?;
    let path = path.ok_or_else(|| Error::not_found("area", area_id))?;
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM area WHERE _deleted = 0
         AND (path = ?1 OR (path >= ?1 || '/' AND path < ?1 || '0'))",
    )?;
    let ids: BTreeSet<String> = stmt
        .query_map([&path], |r| r.get::<_, String>(0))?
        .collect::<std::result::Result<_, _>>()?;
    Ok(Some(
        serde_json::to_string(&ids).expect("strings serialise"),
    ))
}

/// `AND <col> IN (the areas)` when scoped; the areas JSON is bound as parameter `idx`
/// either way, so every query binds the same values.
fn area_clause(areas: &Option<String>, col: &str, idx: u8) -> String {
    match areas {
        Some(_) => format!(" AND {col} IN (SELECT value FROM json_each(?{idx}))"),
        None => format!(" AND ?{idx} IS NULL"),
    }
}

/// The overview of the station, or of `area_id` and below.
pub fn overview(
    conn: &Connection,
    area_id: Option<&str>,
    now_ms: i64,
    utc_offset_minutes: i32,
) -> Result<Overview> {
    let areas = areas_under(conn, area_id)?;
    let (day, today) = day_bounds(now_ms, utc_offset_minutes);
    let week = today - 6 * DAY_MS;
    // By tag combination first (a few hundred), then by tag here: one pass over a
    // covering index instead of expanding every resident's JSON in SQL.
    let sql = match areas {
        None => "SELECT tags, count(*) FROM resident WHERE _deleted = 0 AND ?1 IS NULL
                 GROUP BY tags"
            .to_string(),
        // CROSS JOIN keeps households the outer loop whatever the statistics say: an
        // area's households, then each one's residents from a covering index. (With the
        // order left to the planner, the bench's street of 50,000 residents took 2 s.)
        Some(_) => "SELECT r.tags, count(*) FROM household h CROSS JOIN resident r
                      ON r.household_id = h.id
                    WHERE h.area_id IN (SELECT value FROM json_each(?1))
                      AND h._deleted = 0 AND r._deleted = 0
                    GROUP BY r.tags"
            .to_string(),
    };
    let mut stmt = conn.prepare_cached(&sql)?;
    let combos = stmt
        .query_map(params![areas], |r| {
            Ok((r.get::<_, Option<String>>(0)?, r.get::<_, i64>(1)? as u64))
        })?
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let mut residents = 0u64;
    let mut by_tag: std::collections::BTreeMap<String, u64> = Default::default();
    for (tags, n) in combos {
        residents += n;
        for t in tags
            .as_deref()
            .map(doorstep_core::registry::store::decode_tags)
            .unwrap_or_default()
        {
            *by_tag.entry(t.code()).or_default() += n;
        }
    }
    let mut residents_by_tag: Vec<CodeCount> = by_tag
        .into_iter()
        .map(|(code, count)| CodeCount { code, count })
        .collect();
    residents_by_tag.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.code.cmp(&b.code)));
    let va = area_clause(&areas, "area_id", 3);
    let va1 = area_clause(&areas, "area_id", 1);
    let visits_between = |from: i64| -> Result<u64> {
        Ok(conn.query_row(
            &format!(
                "SELECT count(*) FROM visit WHERE _deleted = 0 AND supersedes IS NULL
                 AND finished_at >= ?1 AND finished_at < ?2{va}"
            ),
            params![from, today + DAY_MS, areas],
            |r| r.get::<_, i64>(0).map(|n| n as u64),
        )?)
    };
    let visits_today = visits_between(today)?;
    let visits_week = visits_between(week)?;
    // From the counts the station's triggers keep (see `prepare_station`): a few rows
    // per area, where the needs themselves are a row each.
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT category, urgency, sum(n) FROM station_needs_open
         WHERE 1{va}
         GROUP BY category, urgency HAVING sum(n) > 0 ORDER BY category, urgency",
        va = va1
    ))?;
    let open_needs = stmt
        .query_map(params![areas], |r| {
            Ok(NeedCount {
                category: r.get(0)?,
                urgency: r.get(1)?,
                count: r.get::<_, i64>(2)? as u64,
            })
        })?
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let referrals_open: u64 = conn.query_row(
        &format!(
            "SELECT count(*) FROM referral WHERE _deleted = 0
             AND status IN ('sent', 'accepted'){va1}"
        ),
        params![areas],
        |r| r.get::<_, i64>(0).map(|n| n as u64),
    )?;
    // Counted by minute, so the hour of any whole-minute offset is exact.
    let mut stmt = conn.prepare_cached(
        "SELECT site, ((minute * 60000 + ?2) % 86400000) / 3600000 AS hour, sum(n)
         FROM station_check_ins_by_minute WHERE day = ?1
         GROUP BY site, hour HAVING sum(n) > 0 ORDER BY site, hour",
    )?;
    let check_ins_by_hour = stmt
        .query_map(params![day, utc_offset_minutes as i64 * 60_000], |r| {
            Ok(SiteHour {
                site: r.get(0)?,
                hour: r.get(1)?,
                count: r.get::<_, i64>(2)? as u64,
            })
        })?
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(Overview {
        day,
        residents,
        residents_by_tag,
        visits_today,
        visits_week,
        open_needs,
        referrals_open,
        check_ins_by_hour,
    })
}

/// Makes the indexes the station's figures read by, and the counts they read instead of
/// rows (open needs by area, category and urgency; admitted check-ins by day, site and
/// minute), kept by triggers in the same transaction as every write, local or synced, so
/// they are always exact. Only the station's store needs them (phones never ask for these
/// figures), so they are made there at open rather than in a migration every phone would
/// run. The counts are built from the rows when missing or incomplete.
pub fn prepare_station(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "CREATE INDEX IF NOT EXISTS station_resident_tags ON resident(_deleted, tags);
         CREATE INDEX IF NOT EXISTS station_household_area ON household(area_id, _deleted);
         CREATE INDEX IF NOT EXISTS station_resident_household
             ON resident(household_id, _deleted, tags);
         CREATE INDEX IF NOT EXISTS station_visit_finished
             ON visit(finished_at, area_id, supersedes, _deleted);
         CREATE INDEX IF NOT EXISTS station_referral_open
             ON referral(status, area_id, _deleted);
         DROP INDEX IF EXISTS station_need_open;
         CREATE INDEX IF NOT EXISTS station_check_in_day
             ON check_in(day, outcome, site, at, lane, _deleted);",
    )?;
    let tx = doorstep_core::store::immediate(conn)?;
    let in_place: i64 = tx.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'
         AND name IN (SELECT value FROM json_each(?1))",
        [serde_json::to_string(&STATION_TRIGGERS).expect("strings serialise")],
        |r| r.get(0),
    )?;
    if in_place != STATION_TRIGGERS.len() as i64
        || doorstep_core::store::meta_get(&tx, "station_counts")?.as_deref()
            != Some(STATION_COUNTS_VERSION)
    {
        tx.execute_batch(STATION_COUNTS)?;
        doorstep_core::store::meta_set(&tx, "station_counts", STATION_COUNTS_VERSION)?;
    }
    tx.commit()?;
    Ok(())
}

/// Bumped whenever `STATION_COUNTS` changes, so stores made before rebuild their counts.
const STATION_COUNTS_VERSION: &str = "1";

/// The triggers `STATION_COUNTS` makes: with one missing (a table made anew by a
/// migration loses its triggers) the counts are rebuilt.
const STATION_TRIGGERS: [&str; 6] = [
    "station_need_insert",
    "station_need_update",
    "station_need_delete",
    "station_check_in_insert",
    "station_check_in_update",
    "station_check_in_delete",
];

/// The station's counts and their triggers, made afresh and filled from the rows.
/// Absent keys are stored as '' (a primary key cannot hold NULL): a need without an area
/// counts for the station but for no area, as when counted row by row.
const STATION_COUNTS: &str = "
    DROP TRIGGER IF EXISTS station_need_insert;
    DROP TRIGGER IF EXISTS station_need_update;
    DROP TRIGGER IF EXISTS station_need_delete;
    DROP TRIGGER IF EXISTS station_check_in_insert;
    DROP TRIGGER IF EXISTS station_check_in_update;
    DROP TRIGGER IF EXISTS station_check_in_delete;
    DROP TABLE IF EXISTS station_needs_open;
    DROP TABLE IF EXISTS station_check_ins_by_minute;
    CREATE TABLE station_needs_open (
        area_id  TEXT NOT NULL,
        category TEXT NOT NULL,
        urgency  TEXT NOT NULL,
        n        INTEGER NOT NULL,
        PRIMARY KEY (area_id, category, urgency)
    ) WITHOUT ROWID;
    INSERT INTO station_needs_open(area_id, category, urgency, n)
        SELECT coalesce(area_id, ''), coalesce(category, ''), coalesce(urgency, ''), count(*)
        FROM need WHERE _deleted = 0 AND status IN ('open', 'in_progress')
        GROUP BY 1, 2, 3;
    CREATE TRIGGER station_need_insert AFTER INSERT ON need
    WHEN NEW._deleted = 0 AND NEW.status IN ('open', 'in_progress') BEGIN
        INSERT INTO station_needs_open(area_id, category, urgency, n)
        VALUES (coalesce(NEW.area_id, ''), coalesce(NEW.category, ''),
                coalesce(NEW.urgency, ''), 1)
        ON CONFLICT DO UPDATE SET n = n + 1;
    END;
    CREATE TRIGGER station_need_update
    AFTER UPDATE OF area_id, category, urgency, status, _deleted ON need BEGIN
        UPDATE station_needs_open SET n = n - 1
        WHERE OLD._deleted = 0 AND OLD.status IN ('open', 'in_progress')
          AND area_id = coalesce(OLD.area_id, '') AND category = coalesce(OLD.category, '')
          AND urgency = coalesce(OLD.urgency, '');
        INSERT INTO station_needs_open(area_id, category, urgency, n)
        SELECT coalesce(NEW.area_id, ''), coalesce(NEW.category, ''),
               coalesce(NEW.urgency, ''), 1
        WHERE NEW._deleted = 0 AND NEW.status IN ('open', 'in_progress')
        ON CONFLICT DO UPDATE SET n = n + 1;
    END;
    CREATE TRIGGER station_need_delete AFTER DELETE ON need
    WHEN OLD._deleted = 0 AND OLD.status IN ('open', 'in_progress') BEGIN
        UPDATE station_needs_open SET n = n - 1
        WHERE area_id = coalesce(OLD.area_id, '') AND category = coalesce(OLD.category, '')
          AND urgency = coalesce(OLD.urgency, '');
    END;
    CREATE TABLE station_check_ins_by_minute (
        day    TEXT NOT NULL,
        site   TEXT NOT NULL,
        minute INTEGER NOT NULL,
        n      INTEGER NOT NULL,
        PRIMARY KEY (day, site, minute)
    ) WITHOUT ROWID;
    INSERT INTO station_check_ins_by_minute(day, site, minute, n)
        SELECT day, site, at / 60000, count(*) FROM check_in
        WHERE _deleted = 0 AND outcome IN ('admitted', 'priority')
        GROUP BY 1, 2, 3;
    CREATE TRIGGER station_check_in_insert AFTER INSERT ON check_in
    WHEN NEW._deleted = 0 AND NEW.outcome IN ('admitted', 'priority') BEGIN
        INSERT INTO station_check_ins_by_minute(day, site, minute, n)
        VALUES (NEW.day, NEW.site, NEW.at / 60000, 1)
        ON CONFLICT DO UPDATE SET n = n + 1;
    END;
    CREATE TRIGGER station_check_in_update
    AFTER UPDATE OF day, site, at, outcome, _deleted ON check_in BEGIN
        UPDATE station_check_ins_by_minute SET n = n - 1
        WHERE OLD._deleted = 0 AND OLD.outcome IN ('admitted', 'priority')
          AND day = OLD.day AND site = OLD.site AND minute = OLD.at / 60000;
        INSERT INTO station_check_ins_by_minute(day, site, minute, n)
        SELECT NEW.day, NEW.site, NEW.at / 60000, 1
        WHERE NEW._deleted = 0 AND NEW.outcome IN ('admitted', 'priority')
        ON CONFLICT DO UPDATE SET n = n + 1;
    END;
    CREATE TRIGGER station_check_in_delete AFTER DELETE ON check_in
    WHEN OLD._deleted = 0 AND OLD.outcome IN ('admitted', 'priority') BEGIN
        UPDATE station_check_ins_by_minute SET n = n - 1
        WHERE day = OLD.day AND site = OLD.site AND minute = OLD.at / 60000;
    END;
";

/// Scans on a day per site and lane (every outcome counted under its lane).
pub fn lane_counts(conn: &Connection, day: &str) -> Result<Vec<LaneCount>> {
    let mut stmt = conn.prepare_cached(
        "SELECT site, coalesce(lane, 'home'), count(*) FROM check_in
         WHERE _deleted = 0 AND day = ?1 AND outcome IN ('admitted', 'priority')
         GROUP BY site, lane ORDER BY site, lane",
    )?;
    let rows = stmt
        .query_map([day], |r| {
            Ok(LaneCount {
                site: r.get(0)?,
                lane: r.get(1)?,
                count: r.get::<_, i64>(2)? as u64,
            })
        })?
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Ids of sealed tubes still waiting for a lab result, oldest first.
pub fn tubes_awaiting(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM tube WHERE _deleted = 0 AND status = 'sealed'
         AND (result IS NULL OR result = 'pending') ORDER BY sealed_at, id",
    )?;
    let rows = stmt
        .query_map([], |r| r.get(0))?
        .collect::<std::result::Result<Vec<String>, _>>()?;
    Ok(rows)
}

/// Ids of tubes that came back positive, newest result first.
pub fn tubes_positive(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM tube WHERE _deleted = 0 AND result = 'positive'
         ORDER BY result_at DESC, id",
    )?;
    let rows = stmt
        .query_map([], |r| r.get(0))?
        .collect::<std::result::Result<Vec<String>, _>>()?;
    Ok(rows)
}

/// Failed deliveries with one reason: today and in the last seven days, today included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReasonCount {
    pub reason: String,
    pub today: u64,
    pub week: u64,
}

/// The deliveries at a glance, for one area (and below) or the whole station. Stock
/// belongs to the station, not to an area, so it is always the station's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveriesOverview {
    /// Local day, `YYYY-MM-DD`.
    pub day: String,
    /// Packages by their status now, in the order a package moves.
    pub packages_by_status: Vec<CodeCount>,
    /// Requests not yet delivered, by how long they have waited until now.
    pub requests_open: doorstep_core::deliveries::OpenAge,
    pub failures: Vec<ReasonCount>,
    /// Packages handed to households today, fully or in part.
    pub deliveries_today: u64,
    /// Items handed to households today, and in the last seven days, summed per item.
    pub delivered_today: Vec<doorstep_core::deliveries::ItemLine>,
    pub delivered_week: Vec<doorstep_core::deliveries::ItemLine>,
    /// Per item: received, issued and returned today, and the balance at the day's end.
    pub stock: Vec<doorstep_core::deliveries::StockDay>,
}

/// Requests of the station, or of `area_id` and below, not yet delivered at `now_ms`,
/// by how long they have waited.
pub fn requests_open(
    conn: &Connection,
    area_id: Option<&str>,
    now_ms: i64,
) -> Result<doorstep_core::deliveries::OpenAge> {
    let areas = areas_under(conn, area_id)?;
    requests_open_in(conn, &areas, now_ms)
}

fn requests_open_in(
    conn: &Connection,
    areas: &Option<String>,
    now_ms: i64,
) -> Result<doorstep_core::deliveries::OpenAge> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT created_at FROM delivery_request
         WHERE _deleted = 0 AND status != 'delivered' AND created_at <= ?1{}",
        area_clause(areas, "area_id", 2)
    ))?;
    let mut age = doorstep_core::deliveries::OpenAge::default();
    for created in stmt.query_map(params![now_ms, areas], |r| r.get::<_, i64>(0))? {
        age.add(now_ms - created?);
    }
    Ok(age)
}

/// Packages by status, failures by reason, items delivered, open requests and the
/// station's stock, for the station or `area_id` and below, on the local day of `now_ms`.
pub fn deliveries(
    conn: &Connection,
    area_id: Option<&str>,
    now_ms: i64,
    utc_offset_minutes: i32,
) -> Result<DeliveriesOverview> {
    use doorstep_core::deliveries::{store as dstore, PackageStatus};
    let areas = areas_under(conn, area_id)?;
    let (day, today) = day_bounds(now_ms, utc_offset_minutes);
    let week = today - 6 * DAY_MS;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT status, count(*) FROM delivery_package WHERE _deleted = 0{}
         GROUP BY status",
        area_clause(&areas, "area_id", 1)
    ))?;
    let counts = stmt
        .query_map(params![areas], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
        })?
        .collect::<std::result::Result<std::collections::HashMap<_, _>, _>>()?;
    let packages_by_status = PackageStatus::ALL
        .iter()
        .map(|s| CodeCount {
            code: s.code().to_string(),
            count: counts.get(s.code()).copied().unwrap_or(0),
        })
        .collect();
    let handoffs = |statuses: &str| {
        format!(
            "SELECT h.at, h.items, coalesce(h.reason, '') FROM handoff h
             JOIN delivery_package p ON p.id = h.package_id
             WHERE h._deleted = 0 AND h.status IN ({statuses})
               AND h.at >= ?1 AND h.at < ?2{}",
            area_clause(&areas, "p.area_id", 3)
        )
    };
    let end = today + DAY_MS;
    let mut failures: std::collections::BTreeMap<String, (u64, u64)> = Default::default();
    let mut stmt = conn.prepare_cached(&handoffs("'failed'"))?;
    for row in stmt.query_map(params![week, end, areas], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(2)?))
    })? {
        let (at, reason) = row?;
        let c = failures.entry(reason).or_default();
        c.1 += 1;
        if at >= today {
            c.0 += 1;
        }
    }
    let mut deliveries_today = 0;
    let mut today_lines = Vec::new();
    let mut week_lines = Vec::new();
    let mut stmt = conn.prepare_cached(&handoffs("'delivered', 'partly_delivered'"))?;
    for row in stmt.query_map(params![week, end, areas], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?))
    })? {
        let (at, items) = row?;
        let lines = dstore::lines(items);
        if at >= today {
            deliveries_today += 1;
            today_lines.extend(lines.iter().cloned());
        }
        week_lines.extend(lines);
    }
    Ok(DeliveriesOverview {
        day,
        packages_by_status,
        requests_open: requests_open_in(conn, &areas, now_ms)?,
        failures: failures
            .into_iter()
            .map(|(reason, (today, week))| ReasonCount {
                reason,
                today,
                week,
            })
            .collect(),
        deliveries_today,
        delivered_today: doorstep_core::deliveries::sum_lines(&today_lines),
        delivered_week: doorstep_core::deliveries::sum_lines(&week_lines),
        stock: dstore::stock_day(conn, today, end)?,
    })
}

/// What a ledger table holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedgerKind {
    Visits,
    Needs,
    Referrals,
    CheckIns,
    /// Every handoff of a package: packed, out, delivered, failed, returned.
    Deliveries,
}

impl LedgerKind {
    /// Every kind.
    pub const ALL: [LedgerKind; 5] = [
        LedgerKind::Visits,
        LedgerKind::Needs,
        LedgerKind::Referrals,
        LedgerKind::CheckIns,
        LedgerKind::Deliveries,
    ];

    /// The kind's code, as in URLs and file names.
    pub fn code(self) -> &'static str {
        match self {
            LedgerKind::Visits => "visits",
            LedgerKind::Needs => "needs",
            LedgerKind::Referrals => "referrals",
            LedgerKind::CheckIns => "checkins",
            LedgerKind::Deliveries => "deliveries",
        }
    }

    /// Parses a code.
    pub fn parse(code: &str) -> Option<LedgerKind> {
        LedgerKind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// Every kind's code, for messages: `visits, needs, ...`.
    pub fn codes() -> String {
        LedgerKind::ALL.map(LedgerKind::code).join(", ")
    }
}

/// A ledger table: column codes, and rows of text cells. `person` lists the columns
/// that name a person (name, phone), which a pseudonymised export replaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerTable {
    pub columns: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
    /// Indices of the name column and the phone column.
    pub name_col: Option<usize>,
    pub phone_col: Option<usize>,
}

/// The rows of one kind for an area (and below, or the whole station) between two
/// instants, oldest first. Check-ins carry no area and are station-wide.
pub fn ledger_table(
    conn: &Connection,
    kind: LedgerKind,
    area_id: Option<&str>,
    from_ms: i64,
    until_ms: i64,
) -> Result<LedgerTable> {
    if until_ms < from_ms {
        return Err(Error::invalid(format!(
            "the range ends ({until_ms}) before it starts ({from_ms})"
        )));
    }
    let areas = areas_under(conn, area_id)?;
    let person = "LEFT JOIN resident r ON r.id = x.resident_id
                  LEFT JOIN household h ON h.id = x.household_id
                  LEFT JOIN area a ON a.id = x.area_id";
    let (sql, columns, name_col, phone_col): (String, Vec<&'static str>, _, _) = match kind {
        LedgerKind::Visits => (
            format!(
                "SELECT x.id, x.finished_at, a.path, h.address, coalesce(h.unit, ''),
                        coalesce(r.name, ''), coalesce(r.phone, h.phone, ''), x.template_id,
                        x.outcome, coalesce(x.note, ''), x.worker
                 FROM visit x {person}
                 WHERE x._deleted = 0 AND x.finished_at >= ?1 AND x.finished_at < ?2{}
                 ORDER BY x.finished_at, x.id",
                area_clause(&areas, "x.area_id", 3)
            ),
            vec![
                "id", "at", "area", "address", "unit", "name", "phone", "template", "outcome",
                "note", "worker",
            ],
            Some(5),
            Some(6),
        ),
        LedgerKind::Needs => (
            format!(
                "SELECT x.id, x.raised_at, a.path, h.address, coalesce(h.unit, ''),
                        coalesce(r.name, ''), coalesce(r.phone, h.phone, ''), x.category,
                        x.urgency, x.status, coalesce(x.details, ''), coalesce(x.drug, ''),
                        x.raised_by
                 FROM need x {person}
                 WHERE x._deleted = 0 AND x.raised_at >= ?1 AND x.raised_at < ?2{}
                 ORDER BY x.raised_at, x.id",
                area_clause(&areas, "x.area_id", 3)
            ),
            vec![
                "id",
                "at",
                "area",
                "address",
                "unit",
                "name",
                "phone",
                "category",
                "urgency",
                "status",
                "details",
                "drug",
                "raised_by",
            ],
            Some(5),
            Some(6),
        ),
        LedgerKind::Referrals => (
            format!(
                "SELECT x.id, x.created_at, a.path, h.address, coalesce(h.unit, ''),
                        coalesce(r.name, ''), coalesce(r.phone, h.phone, ''), x.category,
                        x.target, coalesce(x.target_name, ''), x.status,
                        coalesce(x.note, ''), x.created_by
                 FROM referral x {person}
                 WHERE x._deleted = 0 AND x.created_at >= ?1 AND x.created_at < ?2{}
                 ORDER BY x.created_at, x.id",
                area_clause(&areas, "x.area_id", 3)
            ),
            vec![
                "id",
                "at",
                "area",
                "address",
                "unit",
                "name",
                "phone",
                "category",
                "target",
                "target_name",
                "status",
                "note",
                "created_by",
            ],
            Some(5),
            Some(6),
        ),
        LedgerKind::CheckIns => (
            // A pass names its resident only by reference; the station knows whom.
            "SELECT x.id, x.at, x.site, coalesce(x.lane, 'home'), x.outcome,
                    coalesce(x.queue_no, ''), coalesce(r.name, ''), coalesce(r.phone, ''),
                    coalesce(x.tube_id, '')
             FROM check_in x
             LEFT JOIN pass_subject ps ON ps.id = x.resident_ref
             LEFT JOIN resident r ON r.id = ps.resident_id
             WHERE x._deleted = 0 AND x.at >= ?1 AND x.at < ?2 AND ?3 IS NULL
             ORDER BY x.at, x.id"
                .to_string(),
            vec![
                "id", "at", "site", "lane", "outcome", "queue_no", "name", "phone", "tube",
            ],
            Some(6),
            Some(7),
        ),
        LedgerKind::Deliveries => (
            // A package's household is the delivery's; the name is the resident whose
            // need the request serves, when it serves one.
            format!(
                "SELECT x.id, x.at, a.path, p.address, coalesce(p.unit, ''),
                        coalesce(r.name, ''), coalesce(r.phone, h.phone, ''), x.status,
                        x.items, coalesce(x.proof_kind, ''), coalesce(x.reason, ''),
                        x.from_party, x.to_party, x.package_id, p.request_id
                 FROM handoff x
                 JOIN delivery_package p ON p.id = x.package_id
                 LEFT JOIN delivery_request q ON q.id = p.request_id
                 LEFT JOIN need n ON n.id = q.need_id
                 LEFT JOIN resident r ON r.id = n.resident_id
                 LEFT JOIN household h ON h.id = p.household_id
                 LEFT JOIN area a ON a.id = p.area_id
                 WHERE x._deleted = 0 AND x.at >= ?1 AND x.at < ?2{}
                 ORDER BY x.at, x.seq, x.id",
                area_clause(&areas, "p.area_id", 3)
            ),
            vec![
                "id", "at", "area", "address", "unit", "name", "phone", "status", "items", "proof",
                "reason", "from", "to", "package", "request",
            ],
            Some(5),
            Some(6),
        ),
    };
    // Check-ins are station-wide: the area filter does not apply to them.
    let bound_areas = if kind == LedgerKind::CheckIns {
        None
    } else {
        areas
    };
    let mut stmt = conn.prepare(&sql)?;
    let n = columns.len();
    let rows = stmt
        .query_map(params![from_ms, until_ms, bound_areas], |r| {
            let mut row = Vec::with_capacity(n);
            for i in 0..n {
                let v: rusqlite::types::Value = r.get(i)?;
                row.push(match v {
                    rusqlite::types::Value::Null => String::new(),
                    rusqlite::types::Value::Integer(i) => i.to_string(),
                    rusqlite::types::Value::Real(f) => f.to_string(),
                    rusqlite::types::Value::Text(t) => t,
                    rusqlite::types::Value::Blob(_) => String::new(),
                });
            }
            Ok(row)
        })?
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(LedgerTable {
        columns,
        rows,
        name_col,
        phone_col,
    })
}

/// The id of the building called `name` in an area or below it, if there is one.
pub fn building_id(conn: &Connection, area_id: &str, name: &str) -> Result<Option<String>> {
    let areas = areas_under(conn, Some(area_id))?;
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM building WHERE name = ?2 AND _deleted = 0
         AND area_id IN (SELECT value FROM json_each(?1)) ORDER BY id LIMIT 1",
    )?;
    let mut rows = stmt.query(params![areas, name.trim()])?;
    Ok(match rows.next()? {
        Some(r) => Some(r.get(0)?),
        None => None,
    })
}

/// Live residents with their household and tags, by id, `limit` after `after`: a way to
/// walk the registry in pages.
pub fn residents_page(
    conn: &Connection,
    after: &str,
    limit: u32,
) -> Result<Vec<(String, String, Vec<doorstep_core::registry::Tag>)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, household_id, tags FROM resident WHERE _deleted = 0 AND id > ?1
         ORDER BY id LIMIT ?2",
    )?;
    let rows = stmt
        .query_map(params![after, limit], |r| {
            let tags: Option<String> = r.get(2)?;
            Ok((
                r.get(0)?,
                r.get(1)?,
                tags.as_deref()
                    .map(doorstep_core::registry::store::decode_tags)
                    .unwrap_or_default(),
            ))
        })?
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// A device whose ops reached this store from elsewhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceSeen {
    pub device: String,
    pub user: String,
    pub ops: u64,
    /// When its newest op was written, by its clock.
    pub last_at_ms: i64,
}

/// Every other device and user whose ops this store holds, most recent first.
pub fn devices_seen(conn: &Connection) -> Result<Vec<DeviceSeen>> {
    let mut stmt = conn.prepare_cached(
        "SELECT device, user, count(*), max(hlc) FROM op_log WHERE local = 0
         GROUP BY device, user ORDER BY max(hlc) DESC",
    )?;
    let rows = stmt
        .query_map([], |r| {
            Ok(DeviceSeen {
                device: r.get(0)?,
                user: r.get(1)?,
                ops: r.get::<_, i64>(2)? as u64,
                last_at_ms: doorstep_core::log::Hlc::from_i64(r.get(3)?).wall_ms(),
            })
        })?
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use doorstep_core::registry::{Area, NewHousehold, NewResident, Sex};
    use doorstep_core::visits::{NeedCategory, NeedStatus, NewNeed, Subject, Urgency};
    use doorstep_core::{Clock, Doorstep, ManualClock};

    /// 2026-11-23 08:00 UTC, 16:00 in China.
    const NOW: i64 = 1_795_420_800_000;
    const HOUR: i64 = 3_600_000;
    const OFFSET: i32 = 480;

    fn open(dir: &tempfile::TempDir, name: &str, clock: &Arc<ManualClock>) -> Doorstep {
        Doorstep::open_with_clock(dir.path().join(name), &[5; 32], clock.clone()).unwrap()
    }

    /// Open needs and today's check-ins by hour counted row by row, as the overview did
    /// before it kept counts.
    fn counted(
        conn: &Connection,
        area_id: Option<&str>,
        now: i64,
        offset: i32,
    ) -> (Vec<NeedCount>, Vec<SiteHour>) {
        let areas = areas_under(conn, area_id).unwrap();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT category, urgency, count(*) FROM need
                 WHERE _deleted = 0 AND status IN ('open', 'in_progress'){}
                 GROUP BY category, urgency ORDER BY category, urgency",
                area_clause(&areas, "area_id", 1)
            ))
            .unwrap();
        let needs = stmt
            .query_map(params![areas], |r| {
                Ok(NeedCount {
                    category: r.get(0)?,
                    urgency: r.get(1)?,
                    count: r.get::<_, i64>(2)? as u64,
                })
            })
            .unwrap()
            .collect::<std::result::Result<Vec<_>, _>>()
            .unwrap();
        let (day, _) = day_bounds(now, offset);
        let mut stmt = conn
            .prepare(
                "SELECT site, ((at + ?2) % 86400000) / 3600000 AS hour, count(*) FROM check_in
                 WHERE _deleted = 0 AND day = ?1 AND outcome IN ('admitted', 'priority')
                 GROUP BY site, hour ORDER BY site, hour",
            )
            .unwrap();
        let hours = stmt
            .query_map(params![day, offset as i64 * 60_000], |r| {
                Ok(SiteHour {
                    site: r.get(0)?,
                    hour: r.get(1)?,
                    count: r.get::<_, i64>(2)? as u64,
                })
            })
            .unwrap()
            .collect::<std::result::Result<Vec<_>, _>>()
            .unwrap();
        (needs, hours)
    }

    /// The overview's counts equal those counted row by row, for the station, each area
    /// and another offset (whose hours split differently).
    fn assert_exact(d: &Doorstep, areas: &[&Area], now: i64) {
        d.read(|c| {
            let mut scopes: Vec<Option<&str>> = vec![None];
            scopes.extend(areas.iter().map(|a| Some(a.id.as_str())));
            for scope in scopes {
                for offset in [OFFSET, 330] {
                    let o = overview(c, scope, now, offset)?;
                    let (needs, hours) = counted(c, scope, now, offset);
                    assert_eq!(o.open_needs, needs, "needs of {scope:?}");
                    assert_eq!(o.check_ins_by_hour, hours, "check-ins, offset {offset}");
                }
            }
            Ok(())
        })
        .unwrap();
    }

    /// Households and residents in two grids, a need for each resident (some moved on),
    /// passes, and scans at two sites over a few hours, duplicates among them.
    fn fill(d: &Doorstep, clock: &ManualClock, grids: &[&Area], round: usize) {
        let mut passes = Vec::new();
        let mut needs = Vec::new();
        for (g, grid) in grids.iter().enumerate() {
            for i in 0..6 {
                let h = d
                    .create_household(&NewHousehold {
                        area_id: grid.id.clone(),
                        address: format!("{round}-{g}-{i}号"),
                        ..Default::default()
                    })
                    .unwrap();
                let r = d
                    .create_resident(&NewResident {
                        household_id: h.id.clone(),
                        name: format!("居民{round}{g}{i}"),
                        sex: Sex::Female,
                        birth_year: Some(1950),
                        ..Default::default()
                    })
                    .unwrap();
                let need = d
                    .raise_need(&NewNeed {
                        subject: Subject {
                            household_id: None,
                            resident_id: Some(r.id.clone()),
                        },
                        category: [NeedCategory::FoodStaples, NeedCategory::Medicine][i % 2],
                        urgency: [Urgency::Normal, Urgency::High, Urgency::Critical][i % 3],
                        details: None,
                        drug: None,
                        days_left: None,
                        visit_id: None,
                    })
                    .unwrap();
                needs.push(need.id);
                passes.push(
                    d.issue_pass(&r.id, NOW - 48 * HOUR, NOW + 48 * HOUR)
                        .unwrap(),
                );
            }
        }
        for (i, id) in needs.iter().enumerate() {
            if i % 3 > 0 {
                d.set_need_status(id, NeedStatus::InProgress, None).unwrap();
            }
            if i % 3 == 2 {
                d.set_need_status(id, NeedStatus::Resolved, None).unwrap();
            }
        }
        for (i, p) in passes.iter().enumerate() {
            clock.advance(17 * 60_000);
            let site = ["丽岛核酸点", "紫阳核酸点"][i % 2];
            d.scan(&p.text, site, "1").unwrap();
            if i % 4 == 0 {
                // The same pass again at the same site: a duplicate, not counted.
                d.scan(&p.text, site, "2").unwrap();
            }
        }
    }

    #[test]
    fn counts_stay_exact_under_local_writes_and_raw_changes() {
        let dir = tempfile::tempdir().unwrap();
        // 05:00 in China: the scans run past 06:00 and 07:00.
        let clock = Arc::new(ManualClock::new(NOW - 11 * HOUR));
        let d = open(&dir, "station.db", &clock);
        d.new_signing_key().unwrap();
        let g1 = d.ensure_area("武昌区/中南路街道/丽岛社区/第1网格").unwrap();
        let g2 = d.ensure_area("武昌区/中南路街道/紫阳社区/第1网格").unwrap();
        let street = d.ensure_area("武昌区/中南路街道").unwrap();
        let areas = [&g1, &g2, &street];
        // Rows from before the counts existed are counted when they are made.
        fill(&d, &clock, &[&g1, &g2], 0);
        d.with_writer(prepare_station).unwrap();
        assert_exact(&d, &areas, clock.now_ms());
        let o = d
            .read(|c| overview(c, None, clock.now_ms(), OFFSET))
            .unwrap();
        assert!(o.open_needs.iter().map(|n| n.count).sum::<u64>() > 0);
        assert!(o.check_ins_by_hour.len() > 2, "{:?}", o.check_ins_by_hour);
        // Then every write keeps them.
        fill(&d, &clock, &[&g1, &g2], 1);
        assert_exact(&d, &areas, clock.now_ms());
        // Changes no write path makes today still count: a need moved to another area,
        // a need and a check-in tombstoned, a check-in's outcome changed, rows deleted.
        d.with_writer(|c| {
            c.execute_batch(&format!(
                "UPDATE need SET area_id = '{}' WHERE rowid IN
                     (SELECT rowid FROM need WHERE status = 'open' LIMIT 2);
                 UPDATE need SET _deleted = 1 WHERE rowid IN
                     (SELECT rowid FROM need WHERE status = 'in_progress' LIMIT 1);
                 UPDATE need SET urgency = 'low' WHERE rowid IN
                     (SELECT rowid FROM need WHERE status = 'open' LIMIT 1 OFFSET 3);
                 DELETE FROM need WHERE rowid IN
                     (SELECT rowid FROM need WHERE status = 'open' LIMIT 1 OFFSET 4);
                 UPDATE check_in SET _deleted = 1 WHERE id IN
                     (SELECT id FROM check_in WHERE outcome = 'admitted' LIMIT 2);
                 UPDATE check_in SET outcome = 'revoked' WHERE id IN
                     (SELECT id FROM check_in WHERE outcome = 'admitted' AND _deleted = 0 LIMIT 1);
                 UPDATE check_in SET at = at + 3600000 WHERE id IN
                     (SELECT id FROM check_in WHERE outcome = 'admitted' AND _deleted = 0 LIMIT 1);
                 DELETE FROM check_in WHERE id IN
                     (SELECT id FROM check_in WHERE outcome = 'admitted' AND _deleted = 0 LIMIT 1);",
                g2.id
            ))?;
            Ok(())
        })
        .unwrap();
        assert_exact(&d, &areas, clock.now_ms());
        // Opening again keeps the counts as they are.
        d.with_writer(prepare_station).unwrap();
        assert_exact(&d, &areas, clock.now_ms());
    }

    #[test]
    fn counts_follow_ops_applied_from_other_devices() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(NOW - 11 * HOUR));
        let phone = open(&dir, "phone.db", &clock);
        let station = open(&dir, "station.db", &clock);
        station.with_writer(prepare_station).unwrap();
        phone.new_signing_key().unwrap();
        let g1 = phone
            .ensure_area("武昌区/中南路街道/丽岛社区/第1网格")
            .unwrap();
        let g2 = phone
            .ensure_area("武昌区/中南路街道/紫阳社区/第1网格")
            .unwrap();
        let mut sent = 0;
        for round in 0..2 {
            fill(&phone, &clock, &[&g1, &g2], round);
            let ops = phone.pending_ops(100_000).unwrap();
            station.apply_remote(&ops[sent..]).unwrap();
            // Applying a batch twice changes nothing.
            station.apply_remote(&ops[sent..]).unwrap();
            sent = ops.len();
            assert_exact(&station, &[&g1, &g2], clock.now_ms());
            let phone_view = phone.read(|c| Ok(counted(c, None, clock.now_ms(), OFFSET)));
            let station_view = station.read(|c| overview(c, None, clock.now_ms(), OFFSET));
            let (needs, hours) = phone_view.unwrap();
            let o = station_view.unwrap();
            assert_eq!((o.open_needs, o.check_ins_by_hour), (needs, hours));
        }
    }

    #[test]
    fn counts_are_rebuilt_when_a_trigger_is_missing() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(NOW - 11 * HOUR));
        let d = open(&dir, "station.db", &clock);
        d.new_signing_key().unwrap();
        let g1 = d.ensure_area("武昌区/中南路街道/丽岛社区/第1网格").unwrap();
        d.with_writer(prepare_station).unwrap();
        // As if a migration had made the check-in table anew: its triggers are gone and
        // the scans after it were not counted.
        d.with_writer(|c| Ok(c.execute_batch("DROP TRIGGER station_check_in_insert")?))
            .unwrap();
        fill(&d, &clock, &[&g1], 0);
        let stale = d
            .read(|c| overview(c, None, clock.now_ms(), OFFSET))
            .unwrap();
        assert!(stale.check_ins_by_hour.is_empty());
        d.with_writer(prepare_station).unwrap();
        assert_exact(&d, &[&g1], clock.now_ms());
        let o = d
            .read(|c| overview(c, None, clock.now_ms(), OFFSET))
            .unwrap();
        assert!(!o.check_ins_by_hour.is_empty());
    }
}
