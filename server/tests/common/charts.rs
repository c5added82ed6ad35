//! Reading the dashboard's charts back, and the figures they should carry counted
//! straight from the database, row by row, without the server's queries.

use std::collections::BTreeMap;

use rusqlite::{params, Connection};

pub const DAY_MS: i64 = 86_400_000;
const OFFSET_MS: i64 = 480 * 60_000;

/// (data-key, data-series) of a bar or point, and the number its title ends with.
pub type Marks = BTreeMap<(String, String), u64>;

/// The marks of the chart `id` on a page, or `None` when the page has no such chart.
/// Each mark's `<title>` must name a number, which is what a screen reader reads.
pub fn chart(page: &str, id: &str) -> Option<Marks> {
    let at = page.find(&format!("<svg id=\"{id}\""))?;
    let svg = &page[at..at + page[at..].find("</svg>").expect("svg end")];
    assert!(
        svg.contains("viewBox=\"") && svg.contains("width=\"100%\""),
        "{id} scales"
    );
    let mut marks = Marks::new();
    for part in svg.split(" data-key=\"").skip(1) {
        let key = part.split('"').next().unwrap().to_string();
        let series = part
            .split_once("data-series=\"")
            .unwrap()
            .1
            .split('"')
            .next()
            .unwrap()
            .to_string();
        let rest = &part[part.find('>').unwrap() + 1..];
        assert!(
            rest.starts_with("<title>"),
            "a title inside each mark of {id}"
        );
        let title = &rest[7..rest.find("</title>").unwrap()];
        let number = title.rsplit_once(": ").expect("title: number").1;
        let number = number.split(" (").next().unwrap();
        let n: u64 = number
            .parse()
            .unwrap_or_else(|_| panic!("{title:?} in {id} does not end in a number"));
        assert!(
            marks.insert((key.clone(), series.clone()), n).is_none(),
            "{key}/{series} twice in {id}"
        );
    }
    Some(marks)
}

/// The local (China) day of an instant and the start of today.
pub fn day_of(at: i64) -> String {
    doorstep_core::checkin::local_day(at, 480)
}

pub fn today_start(now: i64) -> i64 {
    (now + OFFSET_MS).div_euclid(DAY_MS) * DAY_MS - OFFSET_MS
}

/// `AND <col> IN (areas at `path` and below)`, or nothing for the whole station.
fn scope(col: &str, path: Option<&str>) -> String {
    match path {
        Some(p) => format!(
            " AND {col} IN (SELECT id FROM area WHERE path = '{p}' OR path LIKE '{p}' || '/%')"
        ),
        None => String::new(),
    }
}

fn add(m: &mut Marks, key: impl Into<String>, series: impl Into<String>, n: u64) {
    if n > 0 {
        *m.entry((key.into(), series.into())).or_default() += n;
    }
}

/// Visits per day of the last 14 days and of the week before each, by their days.
pub fn visits(c: &Connection, path: Option<&str>, now: i64) -> Marks {
    let mut stmt = c
        .prepare(&format!(
            "SELECT finished_at FROM visit WHERE _deleted = 0 AND supersedes IS NULL
             AND finished_at IS NOT NULL{}",
            scope("area_id", path)
        ))
        .unwrap();
    let at: Vec<i64> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let today = today_start(now);
    let mut m = Marks::new();
    for i in 0..14 {
        let start = today - (13 - i) * DAY_MS;
        let within = |from: i64| {
            at.iter()
                .filter(|&&t| t >= from && t < from + DAY_MS)
                .count()
        };
        // A line has a point on every day, zeros too.
        m.insert((day_of(start), "visits".into()), within(start) as u64);
        m.insert(
            (day_of(start), "week_before".into()),
            within(start - 7 * DAY_MS) as u64,
        );
    }
    m
}

/// Open needs by category and urgency.
pub fn needs(c: &Connection, path: Option<&str>) -> Marks {
    let mut stmt = c
        .prepare(&format!(
            "SELECT category, urgency FROM need WHERE _deleted = 0
             AND status IN ('open', 'in_progress'){}",
            scope("area_id", path)
        ))
        .unwrap();
    let mut m = Marks::new();
    for row in stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .unwrap()
    {
        let (cat, urg) = row.unwrap();
        add(&mut m, cat, urg, 1);
    }
    m
}

/// Requests not delivered by how long they have waited at `now`.
pub fn requests(c: &Connection, path: Option<&str>, now: i64) -> Marks {
    let mut stmt = c
        .prepare(&format!(
            "SELECT created_at FROM delivery_request WHERE _deleted = 0
             AND status != 'delivered' AND created_at <= ?1{}",
            scope("area_id", path)
        ))
        .unwrap();
    let mut m = Marks::new();
    for created in stmt.query_map([now], |r| r.get::<_, i64>(0)).unwrap() {
        let age = now - created.unwrap();
        let key = if age < DAY_MS {
            "under_1_day"
        } else if age <= 3 * DAY_MS {
            "1_to_3_days"
        } else {
            "over_3_days"
        };
        add(&mut m, key, "requests", 1);
    }
    m
}

/// Today's admitted scans per site and local hour.
pub fn check_ins(c: &Connection, now: i64) -> Marks {
    let mut stmt = c
        .prepare(
            "SELECT site, at FROM check_in WHERE _deleted = 0 AND day = ?1
             AND outcome IN ('admitted', 'priority')",
        )
        .unwrap();
    let mut m = Marks::new();
    for row in stmt
        .query_map([day_of(now)], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })
        .unwrap()
    {
        let (site, at) = row.unwrap();
        let hour = (at + OFFSET_MS).rem_euclid(DAY_MS) / 3_600_000;
        add(&mut m, hour.to_string(), site, 1);
    }
    m
}

/// Today's scans of any outcome per site and lane and ten minutes; and per outcome.
pub fn scans(c: &Connection, now: i64) -> (Marks, Marks) {
    let mut stmt = c
        .prepare(
            "SELECT site, coalesce(lane, ''), at, outcome FROM check_in
             WHERE _deleted = 0 AND day = ?1",
        )
        .unwrap();
    let (mut slots, mut outcomes) = (Marks::new(), Marks::new());
    for row in stmt
        .query_map([day_of(now)], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
            ))
        })
        .unwrap()
    {
        let (site, lane, at, outcome) = row.unwrap();
        let slot = (at + OFFSET_MS).rem_euclid(DAY_MS) / 600_000;
        add(&mut slots, slot.to_string(), format!("{site}/{lane}"), 1);
        add(&mut outcomes, outcome, "scans", 1);
    }
    // Each lane's line has a point in every slot from the day's first scan to its last.
    let span: Vec<u64> = slots.keys().map(|k| k.0.parse().unwrap()).collect();
    if let (Some(&first), Some(&last)) = (span.iter().min(), span.iter().max()) {
        let lanes: std::collections::BTreeSet<String> = slots.keys().map(|k| k.1.clone()).collect();
        for lane in lanes {
            for slot in first..=last {
                slots.entry((slot.to_string(), lane.clone())).or_insert(0);
            }
        }
    }
    (slots, outcomes)
}

/// Packages by state.
pub fn packages(c: &Connection, path: Option<&str>) -> Marks {
    let mut stmt = c
        .prepare(&format!(
            "SELECT status FROM delivery_package WHERE _deleted = 0{}",
            scope("area_id", path)
        ))
        .unwrap();
    let mut m = Marks::new();
    for s in stmt.query_map([], |r| r.get::<_, String>(0)).unwrap() {
        add(&mut m, s.unwrap(), "packages", 1);
    }
    m
}

/// Failed handoffs of the last 14 days by day and reason.
pub fn failures(c: &Connection, path: Option<&str>, now: i64) -> Marks {
    let from = today_start(now) - 13 * DAY_MS;
    let mut stmt = c
        .prepare(&format!(
            "SELECT h.at, coalesce(h.reason, '') FROM handoff h
             JOIN delivery_package p ON p.id = h.package_id
             WHERE h._deleted = 0 AND h.status = 'failed' AND h.at >= ?1 AND h.at < ?2{}",
            scope("p.area_id", path)
        ))
        .unwrap();
    let mut m = Marks::new();
    for row in stmt
        .query_map(params![from, today_start(now) + DAY_MS], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })
        .unwrap()
    {
        let (at, reason) = row.unwrap();
        add(&mut m, day_of(at), reason, 1);
    }
    m
}
