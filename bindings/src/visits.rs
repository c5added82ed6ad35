//! Visits records and calls as the apps see them: templates, visits, needs, referrals,
//! follow-ups, the due list and the ledger.

use doorstep_core::registry as reg;
use doorstep_core::visits as vis;

use crate::{call, Doorstep, Result, Tag};

/// Who a visit, need or follow-up is for: a resident (their household is implied) or a
/// whole household.
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct Subject {
    #[uniffi(default = None)]
    pub household_id: Option<String>,
    #[uniffi(default = None)]
    pub resident_id: Option<String>,
}

/// One answer; the question's kind says which.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum AnswerValue {
    Bool {
        value: bool,
    },
    Choice {
        option: String,
    },
    Choices {
        options: Vec<String>,
    },
    Number {
        value: f64,
    },
    Text {
        value: String,
    },
    /// `YYYY-MM-DD`.
    Date {
        value: String,
    },
    /// The reference of a stored photo attachment.
    Photo {
        reference: String,
    },
}

/// A question's answer.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct AnswerEntry {
    pub question_id: String,
    pub value: AnswerValue,
}

/// A label in both languages.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Label {
    pub zh_cn: String,
    pub en: String,
}

/// An option of a choice question.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ChoiceOption {
    pub id: String,
    pub label: Label,
}

/// What a question asks for.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum QuestionKind {
    YesNo,
    SingleChoice {
        options: Vec<ChoiceOption>,
    },
    MultiChoice {
        options: Vec<ChoiceOption>,
    },
    Number {
        min: Option<f64>,
        max: Option<f64>,
        integer: bool,
        unit: Option<Label>,
    },
    Text {
        max_length: u32,
    },
    Date,
    Photo,
}

/// A checklist question. Whether it shows is decided by core (see `VisitState.visible`).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Question {
    pub id: String,
    pub label: Label,
    pub kind: QuestionKind,
    pub required: bool,
}

/// A checklist template.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Template {
    pub id: String,
    pub version: u32,
    pub title: Label,
    /// Tags it is meant for; empty means any household.
    pub applies_to: Vec<Tag>,
    pub priority: i32,
    pub builtin: bool,
    pub questions: Vec<Question>,
    /// The template's JSON, as stored and synced.
    pub body: String,
}

/// A visible question and its answer so far.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct QuestionView {
    pub question: Question,
    pub answer: Option<AnswerValue>,
}

/// Why an answer (or a missing one) is not acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum AnswerProblem {
    Missing,
    WrongType,
    OutOfRange,
    TooLong,
    UnknownOption,
    Malformed,
    Hidden,
    UnknownQuestion,
}

/// A problem with one question.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct AnswerIssue {
    pub question_id: String,
    pub problem: AnswerProblem,
    pub message: String,
}

/// A visit being filled in.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct VisitState {
    pub visit_id: String,
    pub household_id: String,
    pub resident_id: Option<String>,
    pub template_id: String,
    pub template_version: u32,
    pub started_at_ms: i64,
    pub visible: Vec<QuestionView>,
    /// Required questions still unanswered.
    pub issues: Vec<AnswerIssue>,
}

/// How a visit ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum VisitOutcome {
    Met,
    NobodyHome,
    Refused,
    Moved,
    NeedsFollowUp,
}

/// How to finish a visit.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct FinishVisit {
    pub outcome: VisitOutcome,
    #[uniffi(default = None)]
    pub note: Option<String>,
    /// When to come back; needs-follow-up without one comes back the next day.
    #[uniffi(default = None)]
    pub follow_up_at_ms: Option<i64>,
    #[uniffi(default = None)]
    pub follow_up_note: Option<String>,
}

/// A whole visit recorded at once (a paper form typed in later).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct RecordVisit {
    pub subject: Subject,
    #[uniffi(default = None)]
    pub template_id: Option<String>,
    pub answers: Vec<AnswerEntry>,
    pub finish: FinishVisit,
    #[uniffi(default = None)]
    pub visited_at_ms: Option<i64>,
}

/// A correction of a finished visit: its full new answers and outcome.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct VisitCorrection {
    pub answers: Vec<AnswerEntry>,
    pub outcome: VisitOutcome,
    #[uniffi(default = None)]
    pub note: Option<String>,
}

/// A finished visit (a fact).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Visit {
    pub id: String,
    pub household_id: String,
    pub resident_id: Option<String>,
    pub area_id: String,
    pub template_id: String,
    pub template_version: u32,
    pub answers: Vec<AnswerEntry>,
    pub outcome: VisitOutcome,
    pub note: Option<String>,
    pub started_at_ms: i64,
    pub finished_at_ms: i64,
    pub worker: String,
    pub supersedes: Option<String>,
    pub corrected_at_ms: Option<i64>,
    pub superseded_by: Option<String>,
}

/// Kind of need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum NeedCategory {
    FoodStaples,
    CookingOil,
    Vegetables,
    DailyNecessities,
    Medicine,
    UrgentMedical,
    Treatment,
    Psychological,
    NoCaregiver,
    Shelter,
    ReliefApplication,
    Other,
}

/// How soon a need must be met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Urgency {
    Low,
    Normal,
    High,
    Critical,
}

/// Where a need stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum NeedStatus {
    Open,
    InProgress,
    Resolved,
    Referred,
    CannotResolve,
}

/// A need raised by hand.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct NewNeed {
    pub subject: Subject,
    pub category: NeedCategory,
    pub urgency: Urgency,
    #[uniffi(default = None)]
    pub details: Option<String>,
    #[uniffi(default = None)]
    pub drug: Option<String>,
    #[uniffi(default = None)]
    pub days_left: Option<u32>,
    #[uniffi(default = None)]
    pub visit_id: Option<String>,
}

/// A need and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Need {
    pub id: String,
    pub household_id: String,
    pub resident_id: Option<String>,
    pub area_id: String,
    pub category: NeedCategory,
    pub urgency: Urgency,
    pub details: Option<String>,
    pub drug: Option<String>,
    pub runs_out_at_ms: Option<i64>,
    pub status: NeedStatus,
    pub visit_id: Option<String>,
    pub raised_at_ms: i64,
    pub raised_by: String,
    pub status_at_ms: i64,
}

/// One status change of a need.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct NeedUpdate {
    pub id: String,
    pub need_id: String,
    /// `None` for the change that raised the need.
    pub from_status: Option<NeedStatus>,
    pub to_status: NeedStatus,
    pub note: Option<String>,
    pub at_ms: i64,
    pub by_user: String,
}

/// Who a need is referred to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ReferralTarget {
    Station,
    Hospital,
    PsychologicalSupport,
    CivilAffairs,
    SuppliesTeam,
}

/// Where a referral stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ReferralStatus {
    Sent,
    Accepted,
    Done,
    Declined,
}

/// A referral to make.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct NewReferral {
    pub target: ReferralTarget,
    #[uniffi(default = None)]
    pub target_id: Option<String>,
    #[uniffi(default = None)]
    pub target_name: Option<String>,
    #[uniffi(default = None)]
    pub note: Option<String>,
}

/// A need passed on.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Referral {
    pub id: String,
    pub need_id: String,
    pub household_id: String,
    pub resident_id: Option<String>,
    pub area_id: String,
    pub category: NeedCategory,
    pub target: ReferralTarget,
    pub target_id: Option<String>,
    pub target_name: Option<String>,
    pub note: Option<String>,
    pub status: ReferralStatus,
    pub created_at_ms: i64,
    pub created_by: String,
    pub status_at_ms: i64,
}

/// One status change of a referral.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ReferralUpdate {
    pub id: String,
    pub referral_id: String,
    pub from_status: Option<ReferralStatus>,
    pub to_status: ReferralStatus,
    pub note: Option<String>,
    pub at_ms: i64,
    pub by_user: String,
}

/// Which referrals to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct ReferralQuery {
    #[uniffi(default = None)]
    pub target: Option<ReferralTarget>,
    #[uniffi(default = None)]
    pub target_id: Option<String>,
    #[uniffi(default = None)]
    pub status: Option<ReferralStatus>,
    #[uniffi(default = None)]
    pub area_id: Option<String>,
}

/// A visit to plan.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct NewFollowUp {
    pub subject: Subject,
    pub due_at_ms: i64,
    #[uniffi(default = None)]
    pub note: Option<String>,
    #[uniffi(default = None)]
    pub visit_id: Option<String>,
    #[uniffi(default = None)]
    pub need_id: Option<String>,
}

/// A planned visit.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FollowUp {
    pub id: String,
    pub household_id: String,
    pub resident_id: Option<String>,
    pub due_at_ms: i64,
    pub note: Option<String>,
    pub visit_id: Option<String>,
    pub need_id: Option<String>,
    pub created_at_ms: i64,
    pub cancelled: bool,
    pub done: bool,
}

/// What finishing or correcting a visit produced.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct FinishedVisit {
    pub visit: Visit,
    pub needs: Vec<Need>,
    pub follow_up: Option<FollowUp>,
}

/// How often residents with a tag are visited.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct VisitFrequency {
    pub tag: Tag,
    pub every_ms: Option<i64>,
}

/// Which part of the due list an entry is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum DueTier {
    Life,
    Vulnerable,
    Overdue,
    NeverVisited,
}

/// Why an entry is on the due list.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum DueReason {
    LifeNeed {
        need_id: String,
        category: NeedCategory,
        urgency: Urgency,
        runs_out_at_ms: Option<i64>,
    },
    OpenNeeds {
        count: u32,
        top_urgency: Urgency,
    },
    NeverVisited {
        attempts: u32,
    },
    VisitOverdue {
        due_at_ms: i64,
        overdue_ms: i64,
        every_ms: i64,
    },
    FollowUpOverdue {
        due_at_ms: i64,
        overdue_ms: i64,
    },
}

/// Which due list to build.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DueQuery {
    pub area_ids: Vec<String>,
    #[uniffi(default = 50)]
    pub limit: u32,
}

/// Who to visit next, and why.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DueEntry {
    pub rank: u32,
    pub tier: DueTier,
    pub household_id: String,
    pub resident_id: Option<String>,
    pub resident_name: Option<String>,
    pub address: String,
    pub tags: Vec<Tag>,
    pub last_contact_at_ms: Option<i64>,
    pub reasons: Vec<DueReason>,
}

/// A count of visits with one outcome.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OutcomeCount {
    pub outcome: VisitOutcome,
    pub count: u64,
}

/// A count of residents with one tag.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TagCount {
    pub tag: Tag,
    pub count: u64,
}

/// A count of needs of one category.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CategoryCount {
    pub category: NeedCategory,
    pub count: u64,
}

/// A count of referral moves to one status.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ReferralStatusCount {
    pub status: ReferralStatus,
    pub count: u64,
}

/// One area's day (台账).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Ledger {
    pub area_id: String,
    pub day: String,
    pub utc_offset_minutes: i32,
    pub visits: u64,
    pub visits_by_outcome: Vec<OutcomeCount>,
    pub households_visited: u64,
    pub residents_reached: u64,
    pub residents_reached_by_tag: Vec<TagCount>,
    pub needs_raised: Vec<CategoryCount>,
    pub needs_resolved: Vec<CategoryCount>,
    pub referrals: Vec<ReferralStatusCount>,
}

// Conversions. Enums map one to one; `enum_map!` writes both directions.

macro_rules! enum_map {
    ($ffi:ident, $core:path, [$($v:ident),* $(,)?]) => {
        impl From<$ffi> for $core {
            fn from(x: $ffi) -> Self {
                use $core as C;
                match x { $($ffi::$v => C::$v),* }
            }
        }
        impl From<$core> for $ffi {
            fn from(x: $core) -> Self {
                use $core as C;
                match x { $(C::$v => $ffi::$v),* }
            }
        }
    };
}

enum_map!(
    VisitOutcome,
    vis::VisitOutcome,
    [Met, NobodyHome, Refused, Moved, NeedsFollowUp]
);
enum_map!(
    NeedCategory,
    vis::NeedCategory,
    [
        FoodStaples,
        CookingOil,
        Vegetables,
        DailyNecessities,
        Medicine,
        UrgentMedical,
        Treatment,
        Psychological,
        NoCaregiver,
        Shelter,
        ReliefApplication,
        Other
    ]
);
enum_map!(Urgency, vis::Urgency, [Low, Normal, High, Critical]);
enum_map!(
    NeedStatus,
    vis::NeedStatus,
    [Open, InProgress, Resolved, Referred, CannotResolve]
);
enum_map!(
    ReferralTarget,
    vis::ReferralTarget,
    [
        Station,
        Hospital,
        PsychologicalSupport,
        CivilAffairs,
        SuppliesTeam
    ]
);
enum_map!(
    ReferralStatus,
    vis::ReferralStatus,
    [Sent, Accepted, Done, Declined]
);
enum_map!(
    AnswerProblem,
    vis::AnswerProblem,
    [
        Missing,
        WrongType,
        OutOfRange,
        TooLong,
        UnknownOption,
        Malformed,
        Hidden,
        UnknownQuestion
    ]
);
enum_map!(
    DueTier,
    vis::DueTier,
    [Life, Vulnerable, Overdue, NeverVisited]
);

impl From<Subject> for vis::Subject {
    fn from(s: Subject) -> Self {
        vis::Subject {
            household_id: s.household_id,
            resident_id: s.resident_id,
        }
    }
}

impl From<AnswerValue> for vis::Answer {
    fn from(a: AnswerValue) -> Self {
        match a {
            AnswerValue::Bool { value } => vis::Answer::Bool(value),
            AnswerValue::Choice { option } => vis::Answer::Choice(option),
            AnswerValue::Choices { options } => vis::Answer::Choices(options),
            AnswerValue::Number { value } => vis::Answer::Number(value),
            AnswerValue::Text { value } => vis::Answer::Text(value),
            AnswerValue::Date { value } => vis::Answer::Date(value),
            AnswerValue::Photo { reference } => vis::Answer::Photo(reference),
        }
    }
}

impl From<vis::Answer> for AnswerValue {
    fn from(a: vis::Answer) -> Self {
        match a {
            vis::Answer::Bool(value) => AnswerValue::Bool { value },
            vis::Answer::Choice(option) => AnswerValue::Choice { option },
            vis::Answer::Choices(options) => AnswerValue::Choices { options },
            vis::Answer::Number(value) => AnswerValue::Number { value },
            vis::Answer::Text(value) => AnswerValue::Text { value },
            vis::Answer::Date(value) => AnswerValue::Date { value },
            vis::Answer::Photo(reference) => AnswerValue::Photo { reference },
        }
    }
}

fn answers_in(answers: Vec<AnswerEntry>) -> Vec<(String, vis::Answer)> {
    answers
        .into_iter()
        .map(|a| (a.question_id, a.value.into()))
        .collect()
}

fn answers_out(answers: Vec<(String, vis::Answer)>) -> Vec<AnswerEntry> {
    answers
        .into_iter()
        .map(|(question_id, value)| AnswerEntry {
            question_id,
            value: value.into(),
        })
        .collect()
}

impl From<vis::Label> for Label {
    fn from(l: vis::Label) -> Self {
        Label {
            zh_cn: l.zh_cn,
            en: l.en,
        }
    }
}

fn options_out(options: Vec<vis::ChoiceOption>) -> Vec<ChoiceOption> {
    options
        .into_iter()
        .map(|o| ChoiceOption {
            id: o.id,
            label: o.label.into(),
        })
        .collect()
}

impl From<vis::QuestionKind> for QuestionKind {
    fn from(k: vis::QuestionKind) -> Self {
        match k {
            vis::QuestionKind::YesNo => QuestionKind::YesNo,
            vis::QuestionKind::SingleChoice { options } => QuestionKind::SingleChoice {
                options: options_out(options),
            },
            vis::QuestionKind::MultiChoice { options } => QuestionKind::MultiChoice {
                options: options_out(options),
            },
            vis::QuestionKind::Number {
                min,
                max,
                integer,
                unit,
            } => QuestionKind::Number {
                min,
                max,
                integer,
                unit: unit.map(Into::into),
            },
            vis::QuestionKind::Text { max_length } => QuestionKind::Text { max_length },
            vis::QuestionKind::Date => QuestionKind::Date,
            vis::QuestionKind::Photo => QuestionKind::Photo,
        }
    }
}

impl From<vis::Question> for Question {
    fn from(q: vis::Question) -> Self {
        Question {
            id: q.id,
            label: q.label.into(),
            kind: q.kind.into(),
            required: q.required,
        }
    }
}

impl From<vis::Template> for Template {
    fn from(t: vis::Template) -> Self {
        Template {
            id: t.id,
            version: t.version,
            title: t.title.into(),
            applies_to: t
                .applies_to
                .iter()
                .filter_map(|code| reg::Tag::parse(code).ok())
                .map(Into::into)
                .collect(),
            priority: t.priority,
            builtin: t.builtin,
            questions: t.questions.into_iter().map(Into::into).collect(),
            body: t.body,
        }
    }
}

impl From<vis::VisitState> for VisitState {
    fn from(s: vis::VisitState) -> Self {
        VisitState {
            visit_id: s.visit_id,
            household_id: s.household_id,
            resident_id: s.resident_id,
            template_id: s.template_id,
            template_version: s.template_version,
            started_at_ms: s.started_at_ms,
            visible: s
                .visible
                .into_iter()
                .map(|v| QuestionView {
                    question: v.question.into(),
                    answer: v.answer.map(Into::into),
                })
                .collect(),
            issues: s
                .issues
                .into_iter()
                .map(|i| AnswerIssue {
                    question_id: i.question_id,
                    problem: i.problem.into(),
                    message: i.message,
                })
                .collect(),
        }
    }
}

impl From<FinishVisit> for vis::FinishVisit {
    fn from(f: FinishVisit) -> Self {
        vis::FinishVisit {
            outcome: f.outcome.into(),
            note: f.note,
            follow_up_at_ms: f.follow_up_at_ms,
            follow_up_note: f.follow_up_note,
        }
    }
}

impl From<vis::Visit> for Visit {
    fn from(v: vis::Visit) -> Self {
        Visit {
            id: v.id,
            household_id: v.household_id,
            resident_id: v.resident_id,
            area_id: v.area_id,
            template_id: v.template_id,
            template_version: v.template_version,
            answers: answers_out(v.answers),
            outcome: v.outcome.into(),
            note: v.note,
            started_at_ms: v.started_at_ms,
            finished_at_ms: v.finished_at_ms,
            worker: v.worker,
            supersedes: v.supersedes,
            corrected_at_ms: v.corrected_at_ms,
            superseded_by: v.superseded_by,
        }
    }
}

impl From<vis::Need> for Need {
    fn from(n: vis::Need) -> Self {
        Need {
            id: n.id,
            household_id: n.household_id,
            resident_id: n.resident_id,
            area_id: n.area_id,
            category: n.category.into(),
            urgency: n.urgency.into(),
            details: n.details,
            drug: n.drug,
            runs_out_at_ms: n.runs_out_at_ms,
            status: n.status.into(),
            visit_id: n.visit_id,
            raised_at_ms: n.raised_at_ms,
            raised_by: n.raised_by,
            status_at_ms: n.status_at_ms,
        }
    }
}

impl From<vis::NeedUpdate> for NeedUpdate {
    fn from(u: vis::NeedUpdate) -> Self {
        NeedUpdate {
            id: u.id,
            need_id: u.need_id,
            from_status: u.from.map(Into::into),
            to_status: u.to.into(),
            note: u.note,
            at_ms: u.at_ms,
            by_user: u.by,
        }
    }
}

impl From<vis::Referral> for Referral {
    fn from(r: vis::Referral) -> Self {
        Referral {
            id: r.id,
            need_id: r.need_id,
            household_id: r.household_id,
            resident_id: r.resident_id,
            area_id: r.area_id,
            category: r.category.into(),
            target: r.target.into(),
            target_id: r.target_id,
            target_name: r.target_name,
            note: r.note,
            status: r.status.into(),
            created_at_ms: r.created_at_ms,
            created_by: r.created_by,
            status_at_ms: r.status_at_ms,
        }
    }
}

impl From<vis::ReferralUpdate> for ReferralUpdate {
    fn from(u: vis::ReferralUpdate) -> Self {
        ReferralUpdate {
            id: u.id,
            referral_id: u.referral_id,
            from_status: u.from.map(Into::into),
            to_status: u.to.into(),
            note: u.note,
            at_ms: u.at_ms,
            by_user: u.by,
        }
    }
}

impl From<vis::FollowUp> for FollowUp {
    fn from(f: vis::FollowUp) -> Self {
        FollowUp {
            id: f.id,
            household_id: f.household_id,
            resident_id: f.resident_id,
            due_at_ms: f.due_at_ms,
            note: f.note,
            visit_id: f.visit_id,
            need_id: f.need_id,
            created_at_ms: f.created_at_ms,
            cancelled: f.cancelled,
            done: f.done,
        }
    }
}

impl From<vis::FinishedVisit> for FinishedVisit {
    fn from(f: vis::FinishedVisit) -> Self {
        FinishedVisit {
            visit: f.visit.into(),
            needs: f.needs.into_iter().map(Into::into).collect(),
            follow_up: f.follow_up.map(Into::into),
        }
    }
}

impl From<vis::DueReason> for DueReason {
    fn from(r: vis::DueReason) -> Self {
        match r {
            vis::DueReason::LifeNeed {
                need_id,
                category,
                urgency,
                runs_out_at_ms,
            } => DueReason::LifeNeed {
                need_id,
                category: category.into(),
                urgency: urgency.into(),
                runs_out_at_ms,
            },
            vis::DueReason::OpenNeeds { count, top_urgency } => DueReason::OpenNeeds {
                count,
                top_urgency: top_urgency.into(),
            },
            vis::DueReason::NeverVisited { attempts } => DueReason::NeverVisited { attempts },
            vis::DueReason::VisitOverdue {
                due_at_ms,
                overdue_ms,
                every_ms,
            } => DueReason::VisitOverdue {
                due_at_ms,
                overdue_ms,
                every_ms,
            },
            vis::DueReason::FollowUpOverdue {
                due_at_ms,
                overdue_ms,
            } => DueReason::FollowUpOverdue {
                due_at_ms,
                overdue_ms,
            },
        }
    }
}

impl From<vis::DueEntry> for DueEntry {
    fn from(e: vis::DueEntry) -> Self {
        DueEntry {
            rank: e.rank,
            tier: e.tier.into(),
            household_id: e.household_id,
            resident_id: e.resident_id,
            resident_name: e.resident_name,
            address: e.address,
            tags: e.tags.into_iter().map(Into::into).collect(),
            last_contact_at_ms: e.last_contact_at_ms,
            reasons: e.reasons.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<vis::Ledger> for Ledger {
    fn from(l: vis::Ledger) -> Self {
        Ledger {
            area_id: l.area_id,
            day: l.day,
            utc_offset_minutes: l.utc_offset_minutes,
            visits: l.visits,
            visits_by_outcome: l
                .visits_by_outcome
                .into_iter()
                .map(|c| OutcomeCount {
                    outcome: c.key.into(),
                    count: c.count,
                })
                .collect(),
            households_visited: l.households_visited,
            residents_reached: l.residents_reached,
            residents_reached_by_tag: l
                .residents_reached_by_tag
                .into_iter()
                .map(|c| TagCount {
                    tag: c.key.into(),
                    count: c.count,
                })
                .collect(),
            needs_raised: categories_out(l.needs_raised),
            needs_resolved: categories_out(l.needs_resolved),
            referrals: l
                .referrals
                .into_iter()
                .map(|c| ReferralStatusCount {
                    status: c.key.into(),
                    count: c.count,
                })
                .collect(),
        }
    }
}

fn categories_out(counts: Vec<vis::Count<vis::NeedCategory>>) -> Vec<CategoryCount> {
    counts
        .into_iter()
        .map(|c| CategoryCount {
            category: c.key.into(),
            count: c.count,
        })
        .collect()
}

/// A tag from the apps, checking a custom tag's name.
fn tag_in(t: Tag) -> doorstep_core::Result<reg::Tag> {
    match t {
        Tag::Custom { name } => reg::Tag::custom(&name),
        other => Ok(other.into()),
    }
}

fn list<T, U: From<T>>(v: Vec<T>) -> Vec<U> {
    v.into_iter().map(Into::into).collect()
}

#[uniffi::export]
impl Doorstep {
    /// Adds a checklist template version (its JSON), as a station admin pushes it.
    pub fn add_template(&self, json: String) -> Result<Template> {
        call(|| self.core().add_template(&json)).map(Into::into)
    }

    /// The newest version of every template, built-in and added.
    pub fn templates(&self) -> Result<Vec<Template>> {
        call(|| self.core().templates()).map(list)
    }

    /// A template by id, at a version or (with `None`) its newest.
    pub fn get_template(&self, id: String, version: Option<u32>) -> Result<Template> {
        call(|| self.core().template(&id, version)).map(Into::into)
    }

    /// The templates that fit a resident or household, best first.
    pub fn templates_for(&self, subject: Subject) -> Result<Vec<Template>> {
        call(|| self.core().templates_for(&subject.into())).map(list)
    }

    /// Starts a visit with a template (or the best fit) and returns what to show.
    pub fn start_visit(&self, subject: Subject, template_id: Option<String>) -> Result<VisitState> {
        call(|| {
            self.core().start_visit(&vis::NewVisit {
                subject: subject.into(),
                template_id,
            })
        })
        .map(Into::into)
    }

    /// Answers one question (or with `None` clears it) and returns what to show now.
    pub fn answer(
        &self,
        visit_id: String,
        question_id: String,
        value: Option<AnswerValue>,
    ) -> Result<VisitState> {
        call(|| {
            self.core()
                .answer(&visit_id, &question_id, value.map(Into::into))
        })
        .map(Into::into)
    }

    /// Answers several questions at once, all or nothing.
    pub fn answer_all(&self, visit_id: String, answers: Vec<AnswerEntry>) -> Result<VisitState> {
        call(|| {
            let answers: Vec<(String, Option<vis::Answer>)> = answers
                .into_iter()
                .map(|a| (a.question_id, Some(a.value.into())))
                .collect();
            self.core().answer_all(&visit_id, &answers)
        })
        .map(Into::into)
    }

    /// A visit being filled in.
    pub fn visit_state(&self, visit_id: String) -> Result<VisitState> {
        call(|| self.core().visit_state(&visit_id)).map(Into::into)
    }

    /// Visits being filled in on this phone, to resume after a restart.
    pub fn visit_drafts(&self) -> Result<Vec<VisitState>> {
        call(|| self.core().visit_drafts()).map(list)
    }

    /// Throws away a visit being filled in.
    pub fn discard_visit(&self, visit_id: String) -> Result<()> {
        call(|| self.core().discard_visit(&visit_id))
    }

    /// Finishes a visit with its outcome; raises the mapped needs and the follow-up.
    pub fn finish_visit(&self, visit_id: String, finish: FinishVisit) -> Result<FinishedVisit> {
        call(|| self.core().finish_visit(&visit_id, &finish.into())).map(Into::into)
    }

    /// Records a whole visit at once.
    pub fn record_visit(&self, input: RecordVisit) -> Result<FinishedVisit> {
        call(|| {
            self.core().record_visit(&vis::RecordVisit {
                visit: vis::NewVisit {
                    subject: input.subject.into(),
                    template_id: input.template_id,
                },
                answers: answers_in(input.answers),
                finish: input.finish.into(),
                visited_at_ms: input.visited_at_ms,
            })
        })
        .map(Into::into)
    }

    /// Corrects a finished visit; the correction supersedes it and both stay in history.
    pub fn correct_visit(
        &self,
        visit_id: String,
        correction: VisitCorrection,
    ) -> Result<FinishedVisit> {
        call(|| {
            self.core().correct_visit(
                &visit_id,
                &vis::VisitCorrection {
                    answers: answers_in(correction.answers),
                    outcome: correction.outcome.into(),
                    note: correction.note,
                },
            )
        })
        .map(Into::into)
    }

    /// A finished visit by id.
    pub fn get_visit(&self, id: String) -> Result<Visit> {
        call(|| self.core().visit(&id)).map(Into::into)
    }

    /// Every finished visit of a resident or household, corrections included.
    pub fn visit_history(&self, subject: Subject) -> Result<Vec<Visit>> {
        call(|| self.core().visit_history(&subject.into())).map(list)
    }

    /// Raises a need by hand.
    pub fn raise_need(&self, input: NewNeed) -> Result<Need> {
        call(|| {
            self.core().raise_need(&vis::NewNeed {
                subject: input.subject.into(),
                category: input.category.into(),
                urgency: input.urgency.into(),
                details: input.details,
                drug: input.drug,
                days_left: input.days_left,
                visit_id: input.visit_id,
            })
        })
        .map(Into::into)
    }

    /// Moves a need one step; a skipped step is a `Conflict`.
    pub fn set_need_status(
        &self,
        need_id: String,
        status: NeedStatus,
        note: Option<String>,
    ) -> Result<Need> {
        call(|| {
            self.core()
                .set_need_status(&need_id, status.into(), note.as_deref())
        })
        .map(Into::into)
    }

    /// A need by id.
    pub fn get_need(&self, id: String) -> Result<Need> {
        call(|| self.core().need(&id)).map(Into::into)
    }

    /// The needs of a resident or household, newest first.
    pub fn needs_of(&self, subject: Subject) -> Result<Vec<Need>> {
        call(|| self.core().needs_of(&subject.into())).map(list)
    }

    /// Open and in-progress needs of an area and below, most urgent first.
    pub fn open_needs(&self, area_id: String) -> Result<Vec<Need>> {
        call(|| self.core().open_needs(&area_id)).map(list)
    }

    /// A need's status changes, oldest first.
    pub fn need_history(&self, need_id: String) -> Result<Vec<NeedUpdate>> {
        call(|| self.core().need_history(&need_id)).map(list)
    }

    /// Refers a need to another station or service.
    pub fn refer_need(&self, need_id: String, input: NewReferral) -> Result<Referral> {
        call(|| {
            self.core().refer_need(
                &need_id,
                &vis::NewReferral {
                    target: input.target.into(),
                    target_id: input.target_id,
                    target_name: input.target_name,
                    note: input.note,
                },
            )
        })
        .map(Into::into)
    }

    /// Moves a referral one step; a skipped step is a `Conflict`.
    pub fn set_referral_status(
        &self,
        referral_id: String,
        status: ReferralStatus,
        note: Option<String>,
    ) -> Result<Referral> {
        call(|| {
            self.core()
                .set_referral_status(&referral_id, status.into(), note.as_deref())
        })
        .map(Into::into)
    }

    /// A referral by id.
    pub fn get_referral(&self, id: String) -> Result<Referral> {
        call(|| self.core().referral(&id)).map(Into::into)
    }

    /// Referrals by target, status and area.
    pub fn referrals(&self, query: ReferralQuery) -> Result<Vec<Referral>> {
        call(|| {
            self.core().referrals(&vis::ReferralQuery {
                target: query.target.map(Into::into),
                target_id: query.target_id,
                status: query.status.map(Into::into),
                area_id: query.area_id,
            })
        })
        .map(list)
    }

    /// A referral's status changes, oldest first.
    pub fn referral_history(&self, referral_id: String) -> Result<Vec<ReferralUpdate>> {
        call(|| self.core().referral_history(&referral_id)).map(list)
    }

    /// Plans a visit for a resident or household.
    pub fn schedule_follow_up(&self, input: NewFollowUp) -> Result<FollowUp> {
        call(|| {
            self.core().schedule_follow_up(&vis::NewFollowUp {
                subject: input.subject.into(),
                due_at_ms: input.due_at_ms,
                note: input.note,
                visit_id: input.visit_id,
                need_id: input.need_id,
            })
        })
        .map(Into::into)
    }

    /// Cancels a planned visit.
    pub fn cancel_follow_up(&self, id: String) -> Result<FollowUp> {
        call(|| self.core().cancel_follow_up(&id)).map(Into::into)
    }

    /// The follow-ups of a resident or household, by due time.
    pub fn follow_ups(&self, subject: Subject) -> Result<Vec<FollowUp>> {
        call(|| self.core().follow_ups(&subject.into())).map(list)
    }

    /// Sets how often residents with a tag are visited (`None`: no regular visits).
    pub fn set_visit_frequency(&self, tag: Tag, every_ms: Option<i64>) -> Result<()> {
        call(|| self.core().set_visit_frequency(&tag_in(tag)?, every_ms))
    }

    /// The visit frequency of every tag that has one.
    pub fn visit_frequencies(&self) -> Result<Vec<VisitFrequency>> {
        call(|| self.core().visit_frequencies()).map(|v| {
            v.into_iter()
                .map(|f| VisitFrequency {
                    tag: f.tag.into(),
                    every_ms: f.every_ms,
                })
                .collect()
        })
    }

    /// Who to visit next in the worker's areas, ranked, each with why.
    pub fn due_list(&self, query: DueQuery) -> Result<Vec<DueEntry>> {
        call(|| {
            self.core().due_list(&vis::DueQuery {
                area_ids: query.area_ids,
                limit: query.limit,
            })
        })
        .map(list)
    }

    /// One area's day; `day` is YYYY-MM-DD at `utc_offset_minutes` (China: 480).
    pub fn ledger(&self, area_id: String, day: String, utc_offset_minutes: i32) -> Result<Ledger> {
        call(|| self.core().ledger(&area_id, &day, utc_offset_minutes)).map(Into::into)
    }
}
