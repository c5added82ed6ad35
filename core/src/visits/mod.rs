//! Visits: the social worker's day. Checklist templates fitted to the person by their
//! tags, visits answered question by question, needs raised from the answers or by hand,
//! referrals to other stations and services, follow-ups, the ranked due list and the
//! daily ledger.
//!
//! Finished visits and every status change of a need or referral are facts, so two
//! phones never overwrite each other's record of what happened; a need's, a referral's
//! and a follow-up's current state are registers. A visit being filled in is a local
//! draft until it is finished.

mod model;
pub mod store;
pub mod template;
#[cfg(test)]
mod tests;
pub mod triage;

pub use model::*;
pub use template::{
    ChoiceOption, Comparison, Condition, Label, NeedRule, Question, QuestionKind, RaisedNeed,
    Template,
};

use std::collections::BTreeSet;

use rusqlite::Connection;

use crate::clock::{new_id, stable_id};
use crate::error::{Error, Result};
use crate::fields;
use crate::log::{EntityDef, EntityKind, Writer};
use crate::registry::{self, Household, Resident, Tag};
use template::Answers;

/// Template versions added at run time (the shipped ones are built in).
pub static TEMPLATE: EntityDef = EntityDef {
    name: "visit_template",
    table: "visit_template",
    kind: EntityKind::Fact,
    fields: &["template_id", "version", "body", "added_at"],
};

/// Finished visits, and corrections superseding them.
pub static VISIT: EntityDef = EntityDef {
    name: "visit",
    table: "visit",
    kind: EntityKind::Fact,
    fields: &[
        "household_id",
        "resident_id",
        "area_id",
        "template_id",
        "template_version",
        "answers",
        "outcome",
        "note",
        "started_at",
        "finished_at",
        "worker",
        "supersedes",
        "corrected_at",
    ],
};

/// Needs' current state.
pub static NEED: EntityDef = EntityDef {
    name: "need",
    table: "need",
    kind: EntityKind::Register,
    fields: &[
        "household_id",
        "resident_id",
        "area_id",
        "category",
        "urgency",
        "details",
        "drug",
        "runs_out_at",
        "status",
        "visit_id",
        "raised_at",
        "raised_by",
        "status_at",
    ],
};

/// Each status change of a need, with who, when and a note.
pub static NEED_UPDATE: EntityDef = EntityDef {
    name: "need_update",
    table: "need_update",
    kind: EntityKind::Fact,
    fields: &[
        "need_id",
        "from_status",
        "to_status",
        "note",
        "at",
        "by_user",
    ],
};

/// Referrals' current state.
pub static REFERRAL: EntityDef = EntityDef {
    name: "referral",
    table: "referral",
    kind: EntityKind::Register,
    fields: &[
        "need_id",
        "household_id",
        "resident_id",
        "area_id",
        "category",
        "target",
        "target_id",
        "target_name",
        "note",
        "status",
        "created_at",
        "created_by",
        "status_at",
    ],
};

/// Each status change of a referral, seen by both ends once synced.
pub static REFERRAL_UPDATE: EntityDef = EntityDef {
    name: "referral_update",
    table: "referral_update",
    kind: EntityKind::Fact,
    fields: &[
        "referral_id",
        "from_status",
        "to_status",
        "note",
        "at",
        "by_user",
    ],
};

/// Planned visits.
pub static FOLLOW_UP: EntityDef = EntityDef {
    name: "follow_up",
    table: "follow_up",
    kind: EntityKind::Register,
    fields: &[
        "household_id",
        "resident_id",
        "due_at",
        "note",
        "visit_id",
        "need_id",
        "created_at",
        "cancelled",
    ],
};

/// How often a station visits residents with a tag (the id is the tag's code; 0 means no
/// regular visits). Tags without one use Doorstep's defaults.
pub static VISIT_FREQUENCY: EntityDef = EntityDef {
    name: "visit_frequency",
    table: "visit_frequency",
    kind: EntityKind::Register,
    fields: &["every_ms"],
};

/// The visits module's entity definitions, for the schema.
pub const DEFS: &[&EntityDef] = &[
    &TEMPLATE,
    &VISIT,
    &NEED,
    &NEED_UPDATE,
    &REFERRAL,
    &REFERRAL_UPDATE,
    &FOLLOW_UP,
    &VISIT_FREQUENCY,
];

const DAY_MS: i64 = 86_400_000;
const MAX_NOTE: usize = 1000;
const MAX_DETAILS: usize = 500;
const MAX_DRUG: usize = 100;
const MAX_TARGET_NAME: usize = 100;
const MAX_DAYS_LEFT: u32 = 365;
/// How far ahead a follow-up may be planned.
const MAX_FOLLOW_UP_AHEAD_MS: i64 = 366 * DAY_MS;
/// How far back a visit may be recorded (paper forms from a week without signal).
const MAX_RECORD_BACK_MS: i64 = 90 * DAY_MS;

// Templates.

/// A template by id, at `version` or its newest version. Built-in templates come first
/// for their versions; stored ones are checked as they are read.
pub fn template(conn: &Connection, id: &str, version: Option<u32>) -> Result<Template> {
    let builtin = template::builtins()?.iter().find(|t| t.id == id);
    let stored = store::latest_stored_version(conn, id)?;
    let version = match version {
        Some(v) => v,
        None => match (builtin.map(|t| t.version), stored) {
            (Some(b), Some(s)) => b.max(s),
            (b, s) => b.or(s).ok_or_else(|| Error::not_found("template", id))?,
        },
    };
    if let Some(t) = builtin.filter(|t| t.version == version) {
        return Ok(t.clone());
    }
    let body = store::stored_template(conn, id, version)?
        .ok_or_else(|| Error::not_found("template", format!("{id}@{version}")))?;
    template::parse(&body)
}

/// The newest version of every template, built-in and added, by id. A stored template
/// that no longer parses is left out (the error shows when it is asked for by id).
pub fn templates(conn: &Connection) -> Result<Vec<Template>> {
    let mut out: Vec<Template> = template::builtins()?.to_vec();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for (id, version, body) in store::stored_templates(conn)? {
        if !seen.insert(id.clone()) {
            continue;
        }
        let Ok(t) = template::parse(&body) else {
            continue;
        };
        if t.id != id || t.version != version {
            continue;
        }
        match out.iter_mut().find(|b| b.id == t.id) {
            Some(b) if b.version < t.version => *b = t,
            Some(_) => {}
            None => out.push(t),
        }
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

/// Adds a template version pushed by a station admin. The same id and version again with
/// the same content is a no-op; with other content, or an older version, a `Conflict`.
pub fn add_template(w: &mut Writer, json: &str) -> Result<Template> {
    let t = template::parse(json)?;
    if let Some(b) = template::builtins()?.iter().find(|b| b.id == t.id) {
        if t.version <= b.version {
            return Err(Error::Conflict(format!(
                "template {} version {} is built in; a station's version must be above {}",
                t.id, t.version, b.version
            )));
        }
    }
    if let Some(body) = store::stored_template(w.conn(), &t.id, t.version)? {
        let same = serde_json::from_str::<serde_json::Value>(&body).ok()
            == serde_json::from_str::<serde_json::Value>(json).ok();
        if same {
            return Ok(t);
        }
        return Err(Error::Conflict(format!(
            "template {} version {} already exists with other content; add version {}",
            t.id,
            t.version,
            t.version + 1
        )));
    }
    if let Some(latest) = store::latest_stored_version(w.conn(), &t.id)? {
        if t.version < latest {
            return Err(Error::Conflict(format!(
                "template {} is at version {latest}; version {} is older",
                t.id, t.version
            )));
        }
    }
    let now = w.now_ms();
    w.fact(
        &TEMPLATE,
        &stable_id("visit_template", &format!("{}@{}", t.id, t.version)),
        fields! {
            "template_id" => t.id, "version" => t.version, "body" => json, "added_at" => now,
        },
    )?;
    Ok(t)
}

/// The templates that fit a resident or household, best first: those meant for their
/// tags by priority, then the general ones.
pub fn templates_for(conn: &Connection, subject: &Subject) -> Result<Vec<Template>> {
    let (_, _, tags) = resolve(conn, subject)?;
    let mut fitting: Vec<Template> = templates(conn)?
        .into_iter()
        .filter(|t| t.fits(&tags))
        .collect();
    fitting.sort_by(|a, b| {
        (a.applies_to.is_empty(), -a.priority, &a.id).cmp(&(
            b.applies_to.is_empty(),
            -b.priority,
            &b.id,
        ))
    });
    Ok(fitting)
}

/// The household, the resident (if any) and the tag codes conditions see: the resident's,
/// or for a household everyone's in it.
fn resolve(
    conn: &Connection,
    subject: &Subject,
) -> Result<(Household, Option<Resident>, Vec<String>)> {
    match (&subject.resident_id, &subject.household_id) {
        (Some(rid), hid) => {
            let r = registry::store::resident_or_404(conn, rid)?;
            if let Some(h) = hid.as_deref().filter(|h| *h != r.household_id) {
                return Err(Error::invalid(format!(
                    "resident {rid} lives in household {}, not {h}",
                    r.household_id
                )));
            }
            let h = registry::store::household_or_404(conn, &r.household_id)?;
            let tags = r.tags.iter().map(Tag::code).collect();
            Ok((h, Some(r), tags))
        }
        (None, Some(hid)) => {
            let h = registry::store::household_or_404(conn, hid)?;
            let mut tags: Vec<String> = registry::store::residents_of(conn, hid)?
                .iter()
                .flat_map(|r| r.tags.iter().map(Tag::code))
                .collect();
            tags.sort();
            tags.dedup();
            Ok((h, None, tags))
        }
        (None, None) => Err(Error::invalid(
            "a visit, need or follow-up needs a resident_id or a household_id",
        )),
    }
}

/// Tags as conditions see them for a stored subject; a resident deleted since the visit
/// began has none.
fn tags_of(
    conn: &Connection,
    household_id: &str,
    resident_id: Option<&str>,
) -> Result<Vec<String>> {
    let subject = Subject {
        household_id: Some(household_id.to_string()),
        resident_id: resident_id.map(str::to_string),
    };
    match resolve(conn, &subject) {
        Ok((_, _, tags)) => Ok(tags),
        Err(Error::NotFound { .. }) | Err(Error::Invalid(_)) => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

// Visits.

/// Starts a visit: picks the template (the one asked for, or the best fit) and keeps a
/// local draft that answers fill in.
pub fn start_visit(w: &mut Writer, input: &NewVisit) -> Result<VisitState> {
    let (household, resident, _) = resolve(w.conn(), &input.subject)?;
    let t = match &input.template_id {
        Some(id) => template(w.conn(), id, None)?,
        None => templates_for(w.conn(), &input.subject)?
            .into_iter()
            .next()
            .ok_or_else(|| Error::not_found("template", "for this resident"))?,
    };
    let draft = store::Draft {
        id: new_id(),
        household_id: household.id.clone(),
        resident_id: resident.map(|r| r.id),
        area_id: household.area_id.clone(),
        template_id: t.id.clone(),
        template_version: t.version,
        answers: Vec::new(),
        started_at: w.now_ms(),
        worker: w.user().to_string(),
    };
    store::save_draft(w.conn(), &draft)?;
    state(w.conn(), &draft, &t)
}

/// The draft of a visit being filled in; a finished visit is a `Conflict`.
fn draft_or_err(conn: &Connection, visit_id: &str) -> Result<store::Draft> {
    if let Some(d) = store::draft(conn, visit_id)? {
        return Ok(d);
    }
    if let Some(v) = store::visit(conn, visit_id)? {
        return Err(Error::Conflict(format!(
            "visit {visit_id} was finished as {} and takes no more answers; correct it instead",
            v.outcome.code()
        )));
    }
    Err(Error::not_found("visit", visit_id))
}

/// Answers (or, with `None`, clears) questions of a visit being filled in. All or
/// nothing: an answer of the wrong kind, out of range, too long or to a hidden question
/// refuses the call and keeps the answers given before. Answers to questions that become
/// hidden are dropped.
pub fn answer(
    w: &mut Writer,
    visit_id: &str,
    answers: &[(String, Option<Answer>)],
) -> Result<VisitState> {
    let mut draft = draft_or_err(w.conn(), visit_id)?;
    let t = template(w.conn(), &draft.template_id, Some(draft.template_version))?;
    let tags = tags_of(w.conn(), &draft.household_id, draft.resident_id.as_deref())?;
    let mut current: Answers = draft.answers.iter().cloned().collect();
    for (qid, value) in answers {
        let q = t.question(qid).ok_or_else(|| {
            Error::invalid(format!(
                "template {}@{} has no question {qid:?}",
                t.id, t.version
            ))
        })?;
        match value {
            None => {
                current.remove(qid);
            }
            Some(a) => {
                let a = template::check_answer(q, a).map_err(|i| Error::invalid(i.message))?;
                // Empty text is no answer.
                if matches!(&a, Answer::Text { value: s } if s.is_empty()) {
                    current.remove(qid);
                } else {
                    current.insert(qid.clone(), a);
                }
            }
        }
    }
    let visible = t.visibility(&current, &tags);
    for (qid, value) in answers {
        let shown = t
            .questions
            .iter()
            .zip(&visible)
            .any(|(q, v)| q.id == *qid && *v);
        if value.is_some() && !shown {
            return Err(Error::invalid(format!(
                "question {qid:?} is hidden by its show_if given the answers so far, so it takes no answer"
            )));
        }
    }
    let kept = t.visible_answers(&current, &tags);
    draft.answers = ordered(&t, kept);
    store::save_draft(w.conn(), &draft)?;
    state(w.conn(), &draft, &t)
}

/// Answers in template order.
fn ordered(t: &Template, answers: Answers) -> Vec<(String, Answer)> {
    let mut out: Vec<(String, Answer)> = answers.into_iter().collect();
    out.sort_by_key(|(q, _)| {
        t.questions
            .iter()
            .position(|x| x.id == *q)
            .unwrap_or(usize::MAX)
    });
    out
}

fn state(conn: &Connection, d: &store::Draft, t: &Template) -> Result<VisitState> {
    let tags = tags_of(conn, &d.household_id, d.resident_id.as_deref())?;
    let answers: Answers = d.answers.iter().cloned().collect();
    let visible = t.visibility(&answers, &tags);
    Ok(VisitState {
        visit_id: d.id.clone(),
        household_id: d.household_id.clone(),
        resident_id: d.resident_id.clone(),
        template_id: t.id.clone(),
        template_version: t.version,
        started_at_ms: d.started_at,
        visible: t
            .questions
            .iter()
            .zip(visible)
            .filter(|(_, v)| *v)
            .map(|(q, _)| QuestionView {
                question: q.clone(),
                answer: answers.get(&q.id).cloned(),
            })
            .collect(),
        issues: t.check(&answers, &tags, true),
    })
}

/// A visit being filled in: visible questions, answers and what is missing.
pub fn visit_state(conn: &Connection, visit_id: &str) -> Result<VisitState> {
    let d = draft_or_err(conn, visit_id)?;
    let t = template(conn, &d.template_id, Some(d.template_version))?;
    state(conn, &d, &t)
}

/// Every visit being filled in on this phone, oldest first, to resume after a restart.
pub fn drafts(conn: &Connection) -> Result<Vec<VisitState>> {
    store::drafts(conn)?
        .iter()
        .map(|d| {
            let t = template(conn, &d.template_id, Some(d.template_version))?;
            state(conn, d, &t)
        })
        .collect()
}

/// Throws away a visit being filled in (started by mistake).
pub fn discard_visit(w: &mut Writer, visit_id: &str) -> Result<()> {
    draft_or_err(w.conn(), visit_id)?;
    store::delete_draft(w.conn(), visit_id)
}

/// Finishes a visit with its outcome: records it as a fact, raises the needs the
/// template maps its answers to, and schedules the follow-up.
pub fn finish_visit(w: &mut Writer, visit_id: &str, finish: &FinishVisit) -> Result<FinishedVisit> {
    let d = draft_or_err(w.conn(), visit_id)?;
    let t = template(w.conn(), &d.template_id, Some(d.template_version))?;
    let now = w.now_ms();
    let out = record(
        w,
        Recorded {
            id: d.id.clone(),
            household_id: d.household_id.clone(),
            resident_id: d.resident_id.clone(),
            area_id: d.area_id.clone(),
            started_at: d.started_at,
            finished_at: now,
            supersedes: None,
        },
        &t,
        d.answers.iter().cloned().collect(),
        finish,
        None,
    )?;
    store::delete_draft(w.conn(), visit_id)?;
    Ok(out)
}

/// Records a whole visit at once (a paper form typed in later, an import).
pub fn record_visit(w: &mut Writer, input: &RecordVisit) -> Result<FinishedVisit> {
    let (household, resident, _) = resolve(w.conn(), &input.visit.subject)?;
    let t = match &input.visit.template_id {
        Some(id) => template(w.conn(), id, None)?,
        None => templates_for(w.conn(), &input.visit.subject)?
            .into_iter()
            .next()
            .ok_or_else(|| Error::not_found("template", "for this resident"))?,
    };
    let now = w.now_ms();
    let at = input.visited_at_ms.unwrap_or(now);
    if at > now {
        return Err(Error::invalid(format!(
            "visited_at {at} is in the future (now is {now})"
        )));
    }
    if at < now - MAX_RECORD_BACK_MS {
        return Err(Error::invalid(format!(
            "visited_at {at} is more than 90 days ago"
        )));
    }
    let mut answers = Answers::new();
    for AnswerEntry {
        question_id: q,
        value: a,
    } in &input.answers
    {
        if answers.insert(q.clone(), a.clone()).is_some() {
            return Err(Error::invalid(format!("question {q:?} is answered twice")));
        }
    }
    record(
        w,
        Recorded {
            id: new_id(),
            household_id: household.id.clone(),
            resident_id: resident.map(|r| r.id),
            area_id: household.area_id,
            started_at: at,
            finished_at: at,
            supersedes: None,
        },
        &t,
        answers,
        &input.finish,
        None,
    )
}

/// Corrects a finished visit: a new visit fact that supersedes it, with the same time
/// and template version. Both stay in the history. Needs are raised only for what the
/// corrected answers show and the original did not.
pub fn correct_visit(
    w: &mut Writer,
    visit_id: &str,
    correction: &VisitCorrection,
) -> Result<FinishedVisit> {
    let original = match store::visit(w.conn(), visit_id)? {
        Some(v) => v,
        None if store::draft(w.conn(), visit_id)?.is_some() => {
            return Err(Error::Conflict(format!(
                "visit {visit_id} is not finished yet; answer it instead of correcting it"
            )))
        }
        None => return Err(Error::not_found("visit", visit_id)),
    };
    if let Some(by) = &original.superseded_by {
        return Err(Error::Conflict(format!(
            "visit {visit_id} was already corrected by {by}; correct that one"
        )));
    }
    let t = template(
        w.conn(),
        &original.template_id,
        Some(original.template_version),
    )?;
    let mut answers = Answers::new();
    for AnswerEntry {
        question_id: q,
        value: a,
    } in &correction.answers
    {
        if answers.insert(q.clone(), a.clone()).is_some() {
            return Err(Error::invalid(format!("question {q:?} is answered twice")));
        }
    }
    let tags = tags_of(
        w.conn(),
        &original.household_id,
        original.resident_id.as_deref(),
    )?;
    let before: Answers = original
        .answers
        .iter()
        .map(|e| (e.question_id.clone(), e.value.clone()))
        .collect();
    let already: Vec<NeedCategory> = if original.outcome.is_checklist() {
        t.raised_needs(&before, &tags)
            .into_iter()
            .map(|n| n.category)
            .collect()
    } else {
        Vec::new()
    };
    let finish = FinishVisit {
        outcome: correction.outcome,
        note: correction.note.clone(),
        follow_up_at_ms: None,
        follow_up_note: None,
    };
    record(
        w,
        Recorded {
            id: new_id(),
            household_id: original.household_id.clone(),
            resident_id: original.resident_id.clone(),
            area_id: original.area_id.clone(),
            started_at: original.started_at_ms,
            finished_at: original.finished_at_ms,
            supersedes: Some(original.id.clone()),
        },
        &t,
        answers,
        &finish,
        Some(&already),
    )
}

/// Where and when a visit being recorded happened.
struct Recorded {
    id: String,
    household_id: String,
    resident_id: Option<String>,
    area_id: String,
    started_at: i64,
    finished_at: i64,
    supersedes: Option<String>,
}

fn record(
    w: &mut Writer,
    v: Recorded,
    t: &Template,
    answers: Answers,
    finish: &FinishVisit,
    skip_categories: Option<&[NeedCategory]>,
) -> Result<FinishedVisit> {
    let conn = w.conn();
    let tags = tags_of(conn, &v.household_id, v.resident_id.as_deref())?;
    let note = optional_text("note", finish.note.as_deref(), MAX_NOTE)?;
    let follow_up_note =
        optional_text("follow_up_note", finish.follow_up_note.as_deref(), MAX_NOTE)?;
    let mut normalised = Answers::new();
    for (q, a) in &answers {
        match t
            .question(q)
            .map(|question| template::check_answer(question, a))
        {
            Some(Ok(Answer::Text { value: s })) if s.is_empty() => {}
            Some(Ok(a)) => {
                normalised.insert(q.clone(), a);
            }
            // Unknown questions and bad values are reported below with the rest.
            _ => {
                normalised.insert(q.clone(), a.clone());
            }
        }
    }
    let complete = finish.outcome == VisitOutcome::Met;
    let issues = t.check(&normalised, &tags, complete);
    if !issues.is_empty() {
        let list: Vec<String> = issues
            .iter()
            .map(|i| format!("{} ({})", i.message, i.problem.code()))
            .collect();
        return Err(Error::invalid(format!(
            "visit cannot be finished as {}: {}",
            finish.outcome.code(),
            list.join("; ")
        )));
    }
    let follow_up_at = match (finish.follow_up_at_ms, finish.outcome) {
        (Some(at), _) => Some(at),
        (None, VisitOutcome::NeedsFollowUp) => Some(v.finished_at + DAY_MS),
        (None, _) => None,
    };
    if let Some(at) = follow_up_at {
        check_follow_up_time(at, v.finished_at, w.now_ms())?;
    }
    let answers = ordered(t, normalised);
    let now = w.now_ms();
    let worker = w.user().to_string();
    w.fact(
        &VISIT,
        &v.id,
        fields! {
            "household_id" => v.household_id, "resident_id" => v.resident_id,
            "area_id" => v.area_id, "template_id" => t.id, "template_version" => t.version,
            "answers" => store::encode_answers(&answers), "outcome" => finish.outcome.code(),
            "note" => note, "started_at" => v.started_at, "finished_at" => v.finished_at,
            "worker" => worker, "supersedes" => v.supersedes,
            "corrected_at" => v.supersedes.as_ref().map(|_| now),
        },
    )?;
    let mut needs = Vec::new();
    if finish.outcome.is_checklist() {
        let kept: Answers = answers.iter().cloned().collect();
        for raised in t.raised_needs(&kept, &tags) {
            if skip_categories.is_some_and(|skip| skip.contains(&raised.category)) {
                continue;
            }
            needs.push(raise_from_visit(w, &v, raised)?);
        }
    }
    let follow_up = match follow_up_at {
        Some(at) => Some(put_follow_up(
            w,
            &v.household_id,
            v.resident_id.as_deref(),
            at,
            follow_up_note,
            Some(&v.id),
            None,
        )?),
        None => None,
    };
    let visit = store::visit_or_404(w.conn(), &v.id)?;
    Ok(FinishedVisit {
        visit,
        needs,
        follow_up,
    })
}

/// A need the mapping raised. If the same kind of need is still active for the person, it
/// is brought up to date (more urgent, fresher medicine count) instead of repeated.
fn raise_from_visit(w: &mut Writer, v: &Recorded, raised: RaisedNeed) -> Result<Need> {
    let runs_out_at = raised.days_left.map(|d| v.finished_at + d as i64 * DAY_MS);
    if let Some(existing) = store::active_need(
        w.conn(),
        &v.household_id,
        v.resident_id.as_deref(),
        raised.category,
    )? {
        let mut f = crate::log::Fields::new();
        if raised.urgency > existing.urgency {
            f.insert("urgency".into(), raised.urgency.code().into());
        }
        if runs_out_at.is_some() && runs_out_at != existing.runs_out_at_ms {
            f.insert("runs_out_at".into(), runs_out_at.into());
        }
        if raised.drug.is_some() && raised.drug != existing.drug {
            f.insert("drug".into(), raised.drug.clone().into());
        }
        if raised.details.is_some() && raised.details != existing.details {
            f.insert("details".into(), raised.details.clone().into());
        }
        if !f.is_empty() {
            f.insert("visit_id".into(), v.id.clone().into());
            w.put(&NEED, &existing.id, f)?;
        }
        return store::need_or_404(w.conn(), &existing.id);
    }
    put_need(
        w,
        NeedRecord {
            household_id: v.household_id.clone(),
            resident_id: v.resident_id.clone(),
            area_id: v.area_id.clone(),
            category: raised.category,
            urgency: raised.urgency,
            details: raised
                .details
                .map(|d| d.chars().take(MAX_DETAILS).collect()),
            drug: raised.drug.map(|d| d.chars().take(MAX_DRUG).collect()),
            runs_out_at,
            visit_id: Some(v.id.clone()),
            // Found at the visit, even when the visit is typed in later.
            raised_at: v.finished_at,
        },
    )
}

/// A finished visit by id, with `superseded_by` set when a correction replaced it.
pub fn visit(conn: &Connection, id: &str) -> Result<Visit> {
    store::visit_or_404(conn, id)
}

/// Every finished visit of a resident, or of a household and its residents, in the order
/// they happened; corrections appear next to what they correct.
pub fn visit_history(conn: &Connection, subject: &Subject) -> Result<Vec<Visit>> {
    let (h, r, _) = resolve(conn, subject)?;
    store::visit_history(conn, Some(&h.id), r.as_ref().map(|r| r.id.as_str()))
}

// Needs.

struct NeedRecord {
    household_id: String,
    resident_id: Option<String>,
    area_id: String,
    category: NeedCategory,
    urgency: Urgency,
    details: Option<String>,
    drug: Option<String>,
    runs_out_at: Option<i64>,
    visit_id: Option<String>,
    raised_at: i64,
}

fn put_need(w: &mut Writer, n: NeedRecord) -> Result<Need> {
    let id = new_id();
    let by = w.user().to_string();
    w.put(
        &NEED,
        &id,
        fields! {
            "household_id" => n.household_id, "resident_id" => n.resident_id,
            "area_id" => n.area_id, "category" => n.category.code(),
            "urgency" => n.urgency.code(), "details" => n.details, "drug" => n.drug,
            "runs_out_at" => n.runs_out_at, "status" => NeedStatus::Open.code(),
            "visit_id" => n.visit_id, "raised_at" => n.raised_at, "raised_by" => by,
            "status_at" => n.raised_at,
        },
    )?;
    status_fact(w, &id, None, NeedStatus::Open, None, n.raised_at)?;
    store::need_or_404(w.conn(), &id)
}

fn status_fact(
    w: &mut Writer,
    need_id: &str,
    from: Option<NeedStatus>,
    to: NeedStatus,
    note: Option<&str>,
    now: i64,
) -> Result<()> {
    let by = w.user().to_string();
    w.fact(
        &NEED_UPDATE,
        &new_id(),
        fields! {
            "need_id" => need_id, "from_status" => from.map(|s| s.code()),
            "to_status" => to.code(), "note" => note, "at" => now, "by_user" => by,
        },
    )
}

/// Raises a need by hand.
pub fn raise_need(w: &mut Writer, input: &NewNeed) -> Result<Need> {
    let (household, resident, _) = resolve(w.conn(), &input.subject)?;
    let details = optional_text("details", input.details.as_deref(), MAX_DETAILS)?;
    let drug = optional_text("drug", input.drug.as_deref(), MAX_DRUG)?;
    if input.category != NeedCategory::Medicine && (drug.is_some() || input.days_left.is_some()) {
        return Err(Error::invalid(format!(
            "drug and days_left belong to a medicine need, not {}",
            input.category.code()
        )));
    }
    if let Some(d) = input.days_left.filter(|d| *d > MAX_DAYS_LEFT) {
        return Err(Error::invalid(format!(
            "days_left {d} is more than {MAX_DAYS_LEFT}"
        )));
    }
    if let Some(v) = &input.visit_id {
        if store::visit(w.conn(), v)?.is_none() && store::draft(w.conn(), v)?.is_none() {
            return Err(Error::not_found("visit", v));
        }
    }
    let now = w.now_ms();
    put_need(
        w,
        NeedRecord {
            household_id: household.id,
            resident_id: resident.map(|r| r.id),
            area_id: household.area_id,
            category: input.category,
            urgency: input.urgency,
            details,
            drug,
            runs_out_at: input.days_left.map(|d| now + d as i64 * DAY_MS),
            visit_id: input.visit_id.clone(),
            raised_at: now,
        },
    )
}

/// Moves a need one step: open → in progress → resolved / cannot resolve (referred is
/// reached through `refer_need`). A skipped step is a `Conflict`.
pub fn set_need_status(
    w: &mut Writer,
    need_id: &str,
    to: NeedStatus,
    note: Option<&str>,
) -> Result<Need> {
    let need = store::need_or_404(w.conn(), need_id)?;
    let note = optional_text("note", note, MAX_NOTE)?;
    if to == NeedStatus::Referred {
        return Err(Error::invalid(
            "a need becomes referred by referring it (refer_need), which says to whom",
        ));
    }
    move_need(w, &need, to, note.as_deref())
}

fn move_need(w: &mut Writer, need: &Need, to: NeedStatus, note: Option<&str>) -> Result<Need> {
    if !need.status.can_become(to) {
        let next: Vec<&str> = NeedStatus::ALL
            .into_iter()
            .filter(|s| need.status.can_become(*s))
            .map(|s| s.code())
            .collect();
        return Err(Error::Conflict(format!(
            "need {} is {}; it can become {}, not {}",
            need.id,
            need.status.code(),
            if next.is_empty() {
                "nothing else".to_string()
            } else {
                next.join(" or ")
            },
            to.code()
        )));
    }
    let now = w.now_ms();
    w.put(
        &NEED,
        &need.id,
        fields! { "status" => to.code(), "status_at" => now },
    )?;
    status_fact(w, &need.id, Some(need.status), to, note, now)?;
    store::need_or_404(w.conn(), &need.id)
}

/// A need by id.
pub fn need(conn: &Connection, id: &str) -> Result<Need> {
    store::need_or_404(conn, id)
}

/// The needs of a resident, or those of a household as a whole, newest first.
pub fn needs_of(conn: &Connection, subject: &Subject) -> Result<Vec<Need>> {
    let (h, r, _) = resolve(conn, subject)?;
    store::needs_of(conn, &h.id, r.as_ref().map(|r| r.id.as_str()))
}

/// Open and in-progress needs of an area and everything below it, most urgent first.
pub fn open_needs(conn: &Connection, area_id: &str) -> Result<Vec<Need>> {
    let areas = store::area_ids_under(conn, &[area_id.to_string()])?;
    store::needs_in(conn, &areas, &[NeedStatus::Open, NeedStatus::InProgress])
}

/// A need's status changes, oldest first, from the one that raised it.
pub fn need_history(conn: &Connection, need_id: &str) -> Result<Vec<NeedUpdate>> {
    store::need_or_404(conn, need_id)?;
    store::need_history(conn, need_id)
}

// Referrals.

/// Refers a need to another station or service. An open need is first taken in progress
/// (both steps are in its history); the need becomes referred.
pub fn refer_need(w: &mut Writer, need_id: &str, input: &NewReferral) -> Result<Referral> {
    let mut need = store::need_or_404(w.conn(), need_id)?;
    let note = optional_text("note", input.note.as_deref(), MAX_NOTE)?;
    let target_name = optional_text("target_name", input.target_name.as_deref(), MAX_TARGET_NAME)?;
    let target_id = optional_text("target_id", input.target_id.as_deref(), MAX_TARGET_NAME)?;
    if matches!(
        input.target,
        ReferralTarget::Station | ReferralTarget::Hospital
    ) && target_name.is_none()
        && target_id.is_none()
    {
        return Err(Error::invalid(format!(
            "a referral to a {} needs its target_name or target_id",
            input.target.code()
        )));
    }
    if !need.status.is_open() {
        return Err(Error::Conflict(format!(
            "need {need_id} is {}; only an open or in-progress need can be referred",
            need.status.code()
        )));
    }
    if need.status == NeedStatus::Open {
        need = move_need(w, &need, NeedStatus::InProgress, Some("taken up to refer"))?;
    }
    let id = new_id();
    let now = w.now_ms();
    let by = w.user().to_string();
    w.put(
        &REFERRAL,
        &id,
        fields! {
            "need_id" => need.id, "household_id" => need.household_id,
            "resident_id" => need.resident_id, "area_id" => need.area_id,
            "category" => need.category.code(), "target" => input.target.code(),
            "target_id" => target_id, "target_name" => target_name, "note" => note,
            "status" => ReferralStatus::Sent.code(), "created_at" => now, "created_by" => by,
            "status_at" => now,
        },
    )?;
    referral_fact(w, &id, None, ReferralStatus::Sent, note.as_deref())?;
    let to = target_name
        .clone()
        .unwrap_or_else(|| input.target.code().to_string());
    move_need(
        w,
        &need,
        NeedStatus::Referred,
        Some(&format!("referred to {to}")),
    )?;
    store::referral_or_404(w.conn(), &id)
}

fn referral_fact(
    w: &mut Writer,
    referral_id: &str,
    from: Option<ReferralStatus>,
    to: ReferralStatus,
    note: Option<&str>,
) -> Result<()> {
    let now = w.now_ms();
    let by = w.user().to_string();
    w.fact(
        &REFERRAL_UPDATE,
        &new_id(),
        fields! {
            "referral_id" => referral_id, "from_status" => from.map(|s| s.code()),
            "to_status" => to.code(), "note" => note, "at" => now, "by_user" => by,
        },
    )
}

/// Moves a referral one step: sent → accepted → done, or declined. Done resolves the
/// need; declined hands it back to the station (in progress). A skipped step is a
/// `Conflict`.
pub fn set_referral_status(
    w: &mut Writer,
    referral_id: &str,
    to: ReferralStatus,
    note: Option<&str>,
) -> Result<Referral> {
    let r = store::referral_or_404(w.conn(), referral_id)?;
    let note = optional_text("note", note, MAX_NOTE)?;
    if !r.status.can_become(to) {
        let next: Vec<&str> = ReferralStatus::ALL
            .into_iter()
            .filter(|s| r.status.can_become(*s))
            .map(|s| s.code())
            .collect();
        return Err(Error::Conflict(format!(
            "referral {referral_id} is {}; it can become {}, not {}",
            r.status.code(),
            if next.is_empty() {
                "nothing else".to_string()
            } else {
                next.join(" or ")
            },
            to.code()
        )));
    }
    let now = w.now_ms();
    w.put(
        &REFERRAL,
        referral_id,
        fields! { "status" => to.code(), "status_at" => now },
    )?;
    referral_fact(w, referral_id, Some(r.status), to, note.as_deref())?;
    // The need follows only if nothing else moved it meanwhile.
    if let Some(need) = store::need(w.conn(), &r.need_id)? {
        if need.status == NeedStatus::Referred {
            let others_active = store::referrals_of_need(w.conn(), &need.id)?
                .iter()
                .any(|o| o.id != r.id && o.status.is_active());
            match to {
                ReferralStatus::Done => {
                    move_need(w, &need, NeedStatus::Resolved, Some("referral done"))?;
                }
                ReferralStatus::Declined if !others_active => {
                    move_need(w, &need, NeedStatus::InProgress, Some("referral declined"))?;
                }
                _ => {}
            }
        }
    }
    store::referral_or_404(w.conn(), referral_id)
}

/// A referral by id.
pub fn referral(conn: &Connection, id: &str) -> Result<Referral> {
    store::referral_or_404(conn, id)
}

/// Referrals by target, status and area. The supplies team's open referrals are what
/// "Deliveries" turns into delivery requests.
pub fn referrals(conn: &Connection, q: &ReferralQuery) -> Result<Vec<Referral>> {
    let areas = match &q.area_id {
        Some(a) => Some(store::area_ids_under(conn, std::slice::from_ref(a))?),
        None => None,
    };
    store::referrals(conn, q, areas.as_deref())
}

/// A referral's status changes, oldest first.
pub fn referral_history(conn: &Connection, referral_id: &str) -> Result<Vec<ReferralUpdate>> {
    store::referral_or_404(conn, referral_id)?;
    store::referral_history(conn, referral_id)
}

// Follow-ups.

fn check_follow_up_time(at: i64, earliest: i64, now: i64) -> Result<()> {
    if at < earliest {
        return Err(Error::invalid(format!(
            "follow-up time {at} is in the past (now is {now})"
        )));
    }
    if at > now + MAX_FOLLOW_UP_AHEAD_MS {
        return Err(Error::invalid(format!(
            "follow-up time {at} is more than a year ahead"
        )));
    }
    Ok(())
}

fn put_follow_up(
    w: &mut Writer,
    household_id: &str,
    resident_id: Option<&str>,
    at: i64,
    note: Option<String>,
    visit_id: Option<&str>,
    need_id: Option<&str>,
) -> Result<FollowUp> {
    let id = new_id();
    let now = w.now_ms();
    w.put(
        &FOLLOW_UP,
        &id,
        fields! {
            "household_id" => household_id, "resident_id" => resident_id, "due_at" => at,
            "note" => note, "visit_id" => visit_id, "need_id" => need_id,
            "created_at" => now, "cancelled" => false,
        },
    )?;
    store::follow_up(w.conn(), &id)?.ok_or_else(|| Error::not_found("follow_up", &id))
}

/// Plans a visit for a resident or household, for a visit or a need.
pub fn schedule_follow_up(w: &mut Writer, input: &NewFollowUp) -> Result<FollowUp> {
    let (h, r, _) = resolve(w.conn(), &input.subject)?;
    let note = optional_text("note", input.note.as_deref(), MAX_NOTE)?;
    let now = w.now_ms();
    check_follow_up_time(input.due_at_ms, now - DAY_MS, now)?;
    if let Some(v) = &input.visit_id {
        store::visit_or_404(w.conn(), v)?;
    }
    if let Some(n) = &input.need_id {
        store::need_or_404(w.conn(), n)?;
    }
    put_follow_up(
        w,
        &h.id,
        r.as_ref().map(|r| r.id.as_str()),
        input.due_at_ms,
        note,
        input.visit_id.as_deref(),
        input.need_id.as_deref(),
    )
}

/// Cancels a planned visit.
pub fn cancel_follow_up(w: &mut Writer, id: &str) -> Result<FollowUp> {
    let f = store::follow_up(w.conn(), id)?.ok_or_else(|| Error::not_found("follow_up", id))?;
    if !f.cancelled {
        w.put(&FOLLOW_UP, id, fields! { "cancelled" => true })?;
    }
    store::follow_up(w.conn(), id)?.ok_or_else(|| Error::not_found("follow_up", id))
}

/// The follow-ups of a resident, or of a household as a whole, by due time.
pub fn follow_ups(conn: &Connection, subject: &Subject) -> Result<Vec<FollowUp>> {
    let (h, r, _) = resolve(conn, subject)?;
    store::follow_ups_of(conn, &h.id, r.as_ref().map(|r| r.id.as_str()))
}

// Frequencies.

/// Sets how often residents with `tag` are visited (`None`: no regular visits). A
/// resident with several tags is visited as often as the most frequent asks.
pub fn set_visit_frequency(w: &mut Writer, tag: &Tag, every_ms: Option<i64>) -> Result<()> {
    const HOUR_MS: i64 = 3_600_000;
    let tag = tag.checked()?;
    if let Some(ms) = every_ms.filter(|ms| !(HOUR_MS..=366 * DAY_MS).contains(ms)) {
        return Err(Error::invalid(format!(
            "every_ms {ms} is not between one hour and a year"
        )));
    }
    // 0 says "no regular visits" and still overrides the default.
    w.put(
        &VISIT_FREQUENCY,
        &tag.code(),
        fields! { "every_ms" => every_ms.unwrap_or(0) },
    )
}

/// The visit frequency of every tag that has one.
pub fn visit_frequencies(conn: &Connection) -> Result<Vec<VisitFrequency>> {
    Ok(store::frequencies(conn)?
        .into_iter()
        .filter(|(_, ms)| ms.is_some())
        .filter_map(|(code, every_ms)| {
            Tag::parse(&code)
                .ok()
                .map(|tag| VisitFrequency { tag, every_ms })
        })
        .collect())
}

// The ledger.

/// One area's day (and everything below the area): visits, households visited,
/// residents reached by tag, needs raised and resolved by category, referral moves by
/// status. `day` is `YYYY-MM-DD` in the local time `utc_offset_minutes` from UTC
/// (China: 480).
pub fn ledger(
    conn: &Connection,
    area_id: &str,
    day: &str,
    utc_offset_minutes: i32,
) -> Result<Ledger> {
    if !(-14 * 60..=14 * 60).contains(&utc_offset_minutes) {
        return Err(Error::invalid(format!(
            "utc_offset_minutes {utc_offset_minutes} is not between -840 and 840"
        )));
    }
    let date = chrono::NaiveDate::parse_from_str(day.trim(), "%Y-%m-%d")
        .map_err(|_| Error::invalid(format!("day {day:?} is not a date \"YYYY-MM-DD\"")))?;
    let start = date
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists every day")
        .and_utc()
        .timestamp_millis()
        - utc_offset_minutes as i64 * 60_000;
    let end = start + DAY_MS;
    let areas = store::area_ids_under(conn, &[area_id.to_string()])?;
    let by_outcome = store::ledger_visits(conn, &areas, start, end)?;
    let (households_visited, residents_reached) = store::ledger_reach(conn, &areas, start, end)?;
    Ok(Ledger {
        area_id: area_id.to_string(),
        day: date.format("%Y-%m-%d").to_string(),
        utc_offset_minutes,
        visits: by_outcome.iter().map(|(_, c)| c).sum(),
        visits_by_outcome: counts(by_outcome, &VisitOutcome::from_code, |outcome, count| {
            OutcomeCount { outcome, count }
        }),
        households_visited,
        residents_reached,
        residents_reached_by_tag: store::ledger_reached_by_tag(conn, &areas, start, end)?
            .into_iter()
            .map(|(tag, count)| TagCount { tag, count })
            .collect(),
        needs_raised: counts(
            store::ledger_needs_raised(conn, &areas, start, end)?,
            &NeedCategory::from_code,
            category_count,
        ),
        needs_resolved: counts(
            store::ledger_needs_resolved(conn, &areas, start, end)?,
            &NeedCategory::from_code,
            category_count,
        ),
        referrals: counts(
            store::ledger_referrals(conn, &areas, start, end)?,
            &ReferralStatus::from_code,
            |status, count| ReferralStatusCount { status, count },
        ),
    })
}

/// Stored (code, count) rows as counts of known keys.
fn counts<K, C>(
    rows: Vec<(String, u64)>,
    parse: &dyn Fn(&str) -> Option<K>,
    count_of: impl Fn(K, u64) -> C,
) -> Vec<C> {
    rows.into_iter()
        .filter_map(|(code, count)| parse(&code).map(|key| count_of(key, count)))
        .collect()
}

fn category_count(category: NeedCategory, count: u64) -> CategoryCount {
    CategoryCount { category, count }
}

fn optional_text(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>> {
    match value {
        None => Ok(None),
        Some(v) => {
            let v = registry::check_text(field, v, max, false)?;
            Ok((!v.is_empty()).then_some(v))
        }
    }
}
