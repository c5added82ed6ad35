//! Visit records: answers, visits and their outcomes, needs, referrals, follow-ups, the
//! due list and the daily ledger.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::registry::Tag;

/// One answer to a checklist question. Stored self-describing (`{"number": 3}`), so a
/// visit can be read even where its template has not arrived yet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "StoredAnswer", into = "StoredAnswer")]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum Answer {
    /// A yes/no question.
    Bool { value: bool },
    /// The option id picked for a single-choice question.
    Choice { option: String },
    /// The option ids picked for a multiple-choice question.
    Choices { options: Vec<String> },
    /// A number question.
    Number { value: f64 },
    /// A text question.
    Text { value: String },
    /// A date question, as `YYYY-MM-DD`.
    Date { value: String },
    /// A photo question: the reference of a stored attachment.
    Photo { reference: String },
}

/// An answer as stored and synced since the first version: `{"kind": value}`.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum StoredAnswer {
    Bool(bool),
    Choice(String),
    Choices(Vec<String>),
    Number(f64),
    Text(String),
    Date(String),
    Photo(String),
}

impl From<StoredAnswer> for Answer {
    fn from(a: StoredAnswer) -> Answer {
        match a {
            StoredAnswer::Bool(value) => Answer::Bool { value },
            StoredAnswer::Choice(option) => Answer::Choice { option },
            StoredAnswer::Choices(options) => Answer::Choices { options },
            StoredAnswer::Number(value) => Answer::Number { value },
            StoredAnswer::Text(value) => Answer::Text { value },
            StoredAnswer::Date(value) => Answer::Date { value },
            StoredAnswer::Photo(reference) => Answer::Photo { reference },
        }
    }
}

impl From<Answer> for StoredAnswer {
    fn from(a: Answer) -> StoredAnswer {
        match a {
            Answer::Bool { value } => StoredAnswer::Bool(value),
            Answer::Choice { option } => StoredAnswer::Choice(option),
            Answer::Choices { options } => StoredAnswer::Choices(options),
            Answer::Number { value } => StoredAnswer::Number(value),
            Answer::Text { value } => StoredAnswer::Text(value),
            Answer::Date { value } => StoredAnswer::Date(value),
            Answer::Photo { reference } => StoredAnswer::Photo(reference),
        }
    }
}

impl Answer {
    /// The kind's word, for messages.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Answer::Bool { .. } => "yes/no",
            Answer::Choice { .. } => "choice",
            Answer::Choices { .. } => "choices",
            Answer::Number { .. } => "number",
            Answer::Text { .. } => "text",
            Answer::Date { .. } => "date",
            Answer::Photo { .. } => "photo",
        }
    }
}

/// One question's answer.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct AnswerEntry {
    pub question_id: String,
    pub value: Answer,
}

impl AnswerEntry {
    /// The answer to question `question_id`.
    pub fn new(question_id: &str, value: Answer) -> AnswerEntry {
        AnswerEntry {
            question_id: question_id.to_string(),
            value,
        }
    }
}

/// How a visit ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum VisitOutcome {
    /// Met the resident or household; the checklist is complete.
    Met,
    /// Nobody opened the door: an attempt, not a contact.
    NobodyHome,
    /// The resident refused the visit.
    Refused,
    /// The resident or household no longer lives here.
    Moved,
    /// Met, but something is left to do: a follow-up visit is scheduled.
    NeedsFollowUp,
}

impl VisitOutcome {
    /// Every outcome.
    pub const ALL: [VisitOutcome; 5] = [
        VisitOutcome::Met,
        VisitOutcome::NobodyHome,
        VisitOutcome::Refused,
        VisitOutcome::Moved,
        VisitOutcome::NeedsFollowUp,
    ];

    /// Stored code.
    pub fn code(self) -> &'static str {
        match self {
            VisitOutcome::Met => "met",
            VisitOutcome::NobodyHome => "nobody_home",
            VisitOutcome::Refused => "refused",
            VisitOutcome::Moved => "moved",
            VisitOutcome::NeedsFollowUp => "needs_follow_up",
        }
    }

    /// Parses a stored code.
    pub fn from_code(code: &str) -> Option<VisitOutcome> {
        VisitOutcome::ALL.into_iter().find(|o| o.code() == code)
    }

    /// True when the visit reached someone, so it resets the visit clock. "Nobody home"
    /// is only an attempt: the person still has to be reached.
    pub fn is_contact(self) -> bool {
        !matches!(self, VisitOutcome::NobodyHome)
    }

    /// True when the checklist was gone through with the person, so the template's
    /// required questions and its need mapping apply.
    pub fn is_checklist(self) -> bool {
        matches!(self, VisitOutcome::Met | VisitOutcome::NeedsFollowUp)
    }
}

/// What kind of need a visit found. Codes are stable: apps and the dashboard key their
/// labels on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum NeedCategory {
    /// 米面粮
    FoodStaples,
    /// 食用油
    CookingOil,
    /// 蔬菜
    Vegetables,
    /// 生活用品 (gas, nappies, formula milk...)
    DailyNecessities,
    /// 药品 (with the drug and the days left)
    Medicine,
    /// 紧急就医
    UrgentMedical,
    /// 透析/化疗/产检: treatment that cannot wait for the lockdown to end
    Treatment,
    /// 心理疏导
    Psychological,
    /// 无人照料
    NoCaregiver,
    /// 临时住所/安置
    Shelter,
    /// 救助或补贴申请
    ReliefApplication,
    /// 其他
    Other,
}

impl NeedCategory {
    /// Every category.
    pub const ALL: [NeedCategory; 12] = [
        NeedCategory::FoodStaples,
        NeedCategory::CookingOil,
        NeedCategory::Vegetables,
        NeedCategory::DailyNecessities,
        NeedCategory::Medicine,
        NeedCategory::UrgentMedical,
        NeedCategory::Treatment,
        NeedCategory::Psychological,
        NeedCategory::NoCaregiver,
        NeedCategory::Shelter,
        NeedCategory::ReliefApplication,
        NeedCategory::Other,
    ];

    /// Stored code.
    pub fn code(self) -> &'static str {
        match self {
            NeedCategory::FoodStaples => "food_staples",
            NeedCategory::CookingOil => "cooking_oil",
            NeedCategory::Vegetables => "vegetables",
            NeedCategory::DailyNecessities => "daily_necessities",
            NeedCategory::Medicine => "medicine",
            NeedCategory::UrgentMedical => "urgent_medical",
            NeedCategory::Treatment => "treatment",
            NeedCategory::Psychological => "psychological",
            NeedCategory::NoCaregiver => "no_caregiver",
            NeedCategory::Shelter => "shelter",
            NeedCategory::ReliefApplication => "relief_application",
            NeedCategory::Other => "other",
        }
    }

    /// Parses a stored code.
    pub fn from_code(code: &str) -> Option<NeedCategory> {
        NeedCategory::ALL.into_iter().find(|c| c.code() == code)
    }

    /// Parses a stored code, refusing an unknown one.
    pub fn parse(code: &str) -> Result<NeedCategory> {
        NeedCategory::from_code(code).ok_or_else(|| {
            Error::invalid(format!(
                "need category {code:?} is unknown (one of {})",
                NeedCategory::ALL.map(|c| c.code()).join(", ")
            ))
        })
    }
}

/// How soon a need must be met.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum Urgency {
    /// Can wait for the next regular visit.
    Low,
    /// Within a few days.
    Normal,
    /// Today or tomorrow.
    High,
    /// A life is at risk now.
    Critical,
}

impl Urgency {
    /// Every urgency, least first.
    pub const ALL: [Urgency; 4] = [
        Urgency::Low,
        Urgency::Normal,
        Urgency::High,
        Urgency::Critical,
    ];

    /// Stored code.
    pub fn code(self) -> &'static str {
        match self {
            Urgency::Low => "low",
            Urgency::Normal => "normal",
            Urgency::High => "high",
            Urgency::Critical => "critical",
        }
    }

    /// Parses a stored code.
    pub fn from_code(code: &str) -> Option<Urgency> {
        Urgency::ALL.into_iter().find(|u| u.code() == code)
    }

    /// 0 (low) to 3 (critical), for ranking in SQL.
    pub fn rank(self) -> i64 {
        self as i64
    }

    /// The urgency of a rank; out-of-range ranks clamp.
    pub fn from_rank(rank: i64) -> Urgency {
        Urgency::ALL[rank.clamp(0, 3) as usize]
    }
}

/// Where a need stands. The only moves are open → in progress → resolved / referred /
/// cannot resolve, and from referred back to in progress (the referral was declined) or
/// on to resolved (the referral was done).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum NeedStatus {
    Open,
    InProgress,
    Resolved,
    Referred,
    CannotResolve,
}

impl NeedStatus {
    /// Every status.
    pub const ALL: [NeedStatus; 5] = [
        NeedStatus::Open,
        NeedStatus::InProgress,
        NeedStatus::Resolved,
        NeedStatus::Referred,
        NeedStatus::CannotResolve,
    ];

    /// Stored code.
    pub fn code(self) -> &'static str {
        match self {
            NeedStatus::Open => "open",
            NeedStatus::InProgress => "in_progress",
            NeedStatus::Resolved => "resolved",
            NeedStatus::Referred => "referred",
            NeedStatus::CannotResolve => "cannot_resolve",
        }
    }

    /// Parses a stored code.
    pub fn from_code(code: &str) -> Option<NeedStatus> {
        NeedStatus::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Whether a need may move from `self` to `to` in one step.
    pub fn can_become(self, to: NeedStatus) -> bool {
        use NeedStatus::*;
        matches!(
            (self, to),
            (Open, InProgress)
                // Reopened: what was being done for it fell through (a failed delivery).
                | (InProgress, Open)
                | (InProgress, Resolved)
                | (InProgress, Referred)
                | (InProgress, CannotResolve)
                | (Referred, InProgress)
                | (Referred, Resolved)
        )
    }

    /// Still waiting for someone at this station to act.
    pub fn is_open(self) -> bool {
        matches!(self, NeedStatus::Open | NeedStatus::InProgress)
    }
}

/// Who a need is referred to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum ReferralTarget {
    /// Another social-work station (for example the resident's own street's station).
    Station,
    /// A hospital or community health centre.
    Hospital,
    /// A psychological support line.
    PsychologicalSupport,
    /// The civil affairs office (relief, subsidies, temporary placement).
    CivilAffairs,
    /// The station's supplies team; "Deliveries" turns these into delivery requests.
    SuppliesTeam,
}

impl ReferralTarget {
    /// Every target.
    pub const ALL: [ReferralTarget; 5] = [
        ReferralTarget::Station,
        ReferralTarget::Hospital,
        ReferralTarget::PsychologicalSupport,
        ReferralTarget::CivilAffairs,
        ReferralTarget::SuppliesTeam,
    ];

    /// Stored code.
    pub fn code(self) -> &'static str {
        match self {
            ReferralTarget::Station => "station",
            ReferralTarget::Hospital => "hospital",
            ReferralTarget::PsychologicalSupport => "psychological_support",
            ReferralTarget::CivilAffairs => "civil_affairs",
            ReferralTarget::SuppliesTeam => "supplies_team",
        }
    }

    /// Parses a stored code.
    pub fn from_code(code: &str) -> Option<ReferralTarget> {
        ReferralTarget::ALL.into_iter().find(|t| t.code() == code)
    }
}

/// Where a referral stands: sent → accepted → done, or declined (from sent or accepted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum ReferralStatus {
    Sent,
    Accepted,
    Done,
    Declined,
}

impl ReferralStatus {
    /// Every status.
    pub const ALL: [ReferralStatus; 4] = [
        ReferralStatus::Sent,
        ReferralStatus::Accepted,
        ReferralStatus::Done,
        ReferralStatus::Declined,
    ];

    /// Stored code.
    pub fn code(self) -> &'static str {
        match self {
            ReferralStatus::Sent => "sent",
            ReferralStatus::Accepted => "accepted",
            ReferralStatus::Done => "done",
            ReferralStatus::Declined => "declined",
        }
    }

    /// Parses a stored code.
    pub fn from_code(code: &str) -> Option<ReferralStatus> {
        ReferralStatus::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Whether a referral may move from `self` to `to` in one step.
    pub fn can_become(self, to: ReferralStatus) -> bool {
        use ReferralStatus::*;
        matches!(
            (self, to),
            (Sent, Accepted) | (Sent, Declined) | (Accepted, Done) | (Accepted, Declined)
        )
    }

    /// Sent or accepted: the other end still has it.
    pub fn is_active(self) -> bool {
        matches!(self, ReferralStatus::Sent | ReferralStatus::Accepted)
    }
}

/// Who a visit is for: one resident (with their household) or a whole household.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct Subject {
    /// The household; for a resident, taken from the resident when left empty.
    #[cfg_attr(feature = "ffi", uniffi(default))]
    pub household_id: Option<String>,
    /// The resident, when the visit or need is about one person.
    #[cfg_attr(feature = "ffi", uniffi(default))]
    pub resident_id: Option<String>,
}

impl Subject {
    /// A resident.
    pub fn resident(id: &str) -> Subject {
        Subject {
            household_id: None,
            resident_id: Some(id.to_string()),
        }
    }

    /// A whole household.
    pub fn household(id: &str) -> Subject {
        Subject {
            household_id: Some(id.to_string()),
            resident_id: None,
        }
    }
}

/// What a caller gives to start a visit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct NewVisit {
    /// Who is visited.
    pub subject: Subject,
    /// The template to use; `None` picks the one that fits the resident's tags best.
    #[cfg_attr(feature = "ffi", uniffi(default))]
    pub template_id: Option<String>,
}

/// Why an answer or a missing answer is not acceptable, per question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum AnswerProblem {
    /// A required visible question has no answer.
    Missing,
    /// The answer's kind does not fit the question (text for a number, ...).
    WrongType,
    /// A number below the minimum or above the maximum, or not a whole number when one
    /// is asked for.
    OutOfRange,
    /// Text longer than the question allows.
    TooLong,
    /// A choice that is not one of the question's options.
    UnknownOption,
    /// A date that is not `YYYY-MM-DD`, or an empty photo reference.
    Malformed,
    /// The question is hidden by its `show_if` given the other answers.
    Hidden,
    /// The template has no such question.
    UnknownQuestion,
}

impl AnswerProblem {
    /// Stored and logged code.
    pub fn code(self) -> &'static str {
        match self {
            AnswerProblem::Missing => "missing",
            AnswerProblem::WrongType => "wrong_type",
            AnswerProblem::OutOfRange => "out_of_range",
            AnswerProblem::TooLong => "too_long",
            AnswerProblem::UnknownOption => "unknown_option",
            AnswerProblem::Malformed => "malformed",
            AnswerProblem::Hidden => "hidden",
            AnswerProblem::UnknownQuestion => "unknown_question",
        }
    }
}

/// One problem with one question's answer.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct AnswerIssue {
    pub question_id: String,
    pub problem: AnswerProblem,
    /// For logs and developers, naming the value and the limit.
    pub message: String,
}

/// A visible question with its current answer.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct QuestionView {
    pub question: super::template::Question,
    pub answer: Option<Answer>,
}

/// A visit being filled in: what is visible now and what is still wrong.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct VisitState {
    pub visit_id: String,
    pub household_id: String,
    pub resident_id: Option<String>,
    pub template_id: String,
    pub template_version: u32,
    pub started_at_ms: i64,
    /// The questions to show now, in template order, with their answers.
    pub visible: Vec<QuestionView>,
    /// What would stop the visit finishing as met: missing required answers.
    pub issues: Vec<AnswerIssue>,
}

/// What a caller gives to finish a visit.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct FinishVisit {
    pub outcome: VisitOutcome,
    #[cfg_attr(feature = "ffi", uniffi(default))]
    pub note: Option<String>,
    /// When to come back. `NeedsFollowUp` without one comes back the next day.
    #[cfg_attr(feature = "ffi", uniffi(default))]
    pub follow_up_at_ms: Option<i64>,
    #[cfg_attr(feature = "ffi", uniffi(default))]
    pub follow_up_note: Option<String>,
}

impl FinishVisit {
    /// An outcome with nothing else.
    pub fn outcome(outcome: VisitOutcome) -> FinishVisit {
        FinishVisit {
            outcome,
            note: None,
            follow_up_at_ms: None,
            follow_up_note: None,
        }
    }
}

/// A visit recorded in one go (from a paper form, or an import), without a draft.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct RecordVisit {
    pub visit: NewVisit,
    pub answers: Vec<AnswerEntry>,
    pub finish: FinishVisit,
    /// When the visit happened; `None` is now. Not in the future.
    #[cfg_attr(feature = "ffi", uniffi(default))]
    pub visited_at_ms: Option<i64>,
}

/// A finished visit: a fact. A correction is another visit that `supersedes` it.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct Visit {
    pub id: String,
    pub household_id: String,
    pub resident_id: Option<String>,
    pub area_id: String,
    pub template_id: String,
    pub template_version: u32,
    /// Answers in template order.
    pub answers: Vec<AnswerEntry>,
    pub outcome: VisitOutcome,
    pub note: Option<String>,
    pub started_at_ms: i64,
    pub finished_at_ms: i64,
    /// The user who made the visit (or the correction).
    pub worker: String,
    /// The visit this one corrects.
    pub supersedes: Option<String>,
    /// When the correction was made (`None` for an original visit).
    pub corrected_at_ms: Option<i64>,
    /// The correction that replaced this visit, if any.
    pub superseded_by: Option<String>,
}

/// What finishing (or correcting) a visit produced.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct FinishedVisit {
    pub visit: Visit,
    /// Needs raised from the answers through the template's mapping.
    pub needs: Vec<Need>,
    pub follow_up: Option<FollowUp>,
}

/// What a caller gives to correct a finished visit: the full new answers and outcome.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct VisitCorrection {
    pub answers: Vec<AnswerEntry>,
    pub outcome: VisitOutcome,
    /// Why the visit is corrected, or the visit's note as corrected.
    #[cfg_attr(feature = "ffi", uniffi(default))]
    pub note: Option<String>,
}

/// What a caller gives to raise a need by hand.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct NewNeed {
    pub subject: Subject,
    pub category: NeedCategory,
    pub urgency: Urgency,
    #[cfg_attr(feature = "ffi", uniffi(default))]
    pub details: Option<String>,
    /// The drug, for a medicine need.
    #[cfg_attr(feature = "ffi", uniffi(default))]
    pub drug: Option<String>,
    /// Days of the drug left, for a medicine need.
    #[cfg_attr(feature = "ffi", uniffi(default))]
    pub days_left: Option<u32>,
    /// The visit that found it, if any.
    #[cfg_attr(feature = "ffi", uniffi(default))]
    pub visit_id: Option<String>,
}

/// Something a resident or household needs, and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct Need {
    pub id: String,
    pub household_id: String,
    pub resident_id: Option<String>,
    pub area_id: String,
    pub category: NeedCategory,
    pub urgency: Urgency,
    pub details: Option<String>,
    pub drug: Option<String>,
    /// When the drug runs out (raised time plus the days left).
    pub runs_out_at_ms: Option<i64>,
    pub status: NeedStatus,
    pub visit_id: Option<String>,
    pub raised_at_ms: i64,
    pub raised_by: String,
    pub status_at_ms: i64,
}

/// One status change of a need: a fact.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
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

/// What a caller gives to refer a need.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct NewReferral {
    pub target: ReferralTarget,
    /// The station's or organisation's id, when it has one in Doorstep.
    #[cfg_attr(feature = "ffi", uniffi(default))]
    pub target_id: Option<String>,
    /// Its name ("同德街社工站", "区人民医院"); required for a station or a hospital.
    #[cfg_attr(feature = "ffi", uniffi(default))]
    pub target_name: Option<String>,
    #[cfg_attr(feature = "ffi", uniffi(default))]
    pub note: Option<String>,
}

/// A need passed on to another station or service.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
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

/// One status change of a referral: a fact.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
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
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct ReferralQuery {
    #[cfg_attr(feature = "ffi", uniffi(default))]
    pub target: Option<ReferralTarget>,
    #[cfg_attr(feature = "ffi", uniffi(default))]
    pub target_id: Option<String>,
    #[cfg_attr(feature = "ffi", uniffi(default))]
    pub status: Option<ReferralStatus>,
    /// Only referrals from this area or below it.
    #[cfg_attr(feature = "ffi", uniffi(default))]
    pub area_id: Option<String>,
}

/// What a caller gives to schedule a follow-up visit.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct NewFollowUp {
    pub subject: Subject,
    pub due_at_ms: i64,
    #[cfg_attr(feature = "ffi", uniffi(default))]
    pub note: Option<String>,
    #[cfg_attr(feature = "ffi", uniffi(default))]
    pub visit_id: Option<String>,
    #[cfg_attr(feature = "ffi", uniffi(default))]
    pub need_id: Option<String>,
}

/// A planned visit. It counts as done once a visit reaches the person after it was
/// scheduled.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
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
    /// A visit reached the person after the follow-up was scheduled.
    pub done: bool,
}

/// How often residents with a tag are visited.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct VisitFrequency {
    pub tag: Tag,
    /// `None`: no regular visits for this tag.
    pub every_ms: Option<i64>,
}

/// Which part of the due list an entry is in, most pressing first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum DueTier {
    /// An open urgent-medical need, a medicine running out, or a critical need.
    Life,
    /// A vulnerable resident with open needs, never visited, or overdue.
    Vulnerable,
    /// An overdue follow-up or regular visit.
    Overdue,
    /// A household nobody has reached yet.
    NeverVisited,
}

/// Why an entry is on the due list.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum DueReason {
    /// An open need that puts a life at risk.
    LifeNeed {
        need_id: String,
        category: NeedCategory,
        urgency: Urgency,
        /// For medicine: when it runs out.
        runs_out_at_ms: Option<i64>,
    },
    /// Open needs (open or in progress) of a vulnerable resident.
    OpenNeeds { count: u32, top_urgency: Urgency },
    /// Nobody has reached this person or household yet.
    NeverVisited { attempts: u32 },
    /// The regular visit for the resident's tags is overdue.
    VisitOverdue {
        due_at_ms: i64,
        overdue_ms: i64,
        every_ms: i64,
    },
    /// A scheduled follow-up is overdue.
    FollowUpOverdue { due_at_ms: i64, overdue_ms: i64 },
}

/// Which due list to build.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct DueQuery {
    /// The worker's areas (each with everything below it).
    pub area_ids: Vec<String>,
    /// At most this many entries (1..=500; 0 means 50).
    #[cfg_attr(feature = "ffi", uniffi(default = 50))]
    pub limit: u32,
}

/// One entry of the due list: who to visit and why.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct DueEntry {
    /// 1-based place in the list.
    pub rank: u32,
    pub tier: DueTier,
    pub household_id: String,
    pub resident_id: Option<String>,
    pub resident_name: Option<String>,
    /// The household's address and unit.
    pub address: String,
    pub tags: Vec<Tag>,
    pub last_contact_at_ms: Option<i64>,
    pub reasons: Vec<DueReason>,
}

/// Visits with one outcome on a ledger's day.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct OutcomeCount {
    pub outcome: VisitOutcome,
    pub count: u64,
}

/// Residents with one tag reached on a ledger's day.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct TagCount {
    pub tag: Tag,
    pub count: u64,
}

/// Needs of one category raised or resolved on a ledger's day.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct CategoryCount {
    pub category: NeedCategory,
    pub count: u64,
}

/// Referral moves to one status on a ledger's day.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct ReferralStatusCount {
    pub status: ReferralStatus,
    pub count: u64,
}

/// One area's day (台账): what the station dashboard and exports show.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct Ledger {
    pub area_id: String,
    /// `YYYY-MM-DD` in the offset asked for.
    pub day: String,
    pub utc_offset_minutes: i32,
    /// Visits that day (corrections replace the visit they correct).
    pub visits: u64,
    pub visits_by_outcome: Vec<OutcomeCount>,
    /// Households with at least one visit, reached or not.
    pub households_visited: u64,
    /// Residents reached (met, or met with a follow-up).
    pub residents_reached: u64,
    /// Residents reached, by their tags (a resident counts under each of their tags).
    pub residents_reached_by_tag: Vec<TagCount>,
    pub needs_raised: Vec<CategoryCount>,
    pub needs_resolved: Vec<CategoryCount>,
    /// Referral status changes that day, by the status reached (sent = made that day).
    pub referrals: Vec<ReferralStatusCount>,
}
