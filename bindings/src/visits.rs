//! Visits calls: templates, visits, needs, referrals, follow-ups, the due list and the
//! ledger.

use doorstep_core::registry::Tag;
use doorstep_core::visits::*;

use crate::{call, Doorstep, Result};

#[uniffi::export]
impl Doorstep {
    /// Adds a checklist template version (its JSON), as a station admin pushes it. A
    /// write.
    pub fn add_template(&self, json: String) -> Result<Template> {
        call(|| self.core().add_template(&json))
    }

    /// The newest version of every template, built-in and added. A read.
    pub fn templates(&self) -> Result<Vec<Template>> {
        call(|| self.core().templates())
    }

    /// A template by id, at a version or (with `None`) its newest. A read.
    pub fn get_template(&self, id: String, version: Option<u32>) -> Result<Template> {
        call(|| self.core().template(&id, version))
    }

    /// The templates that fit a resident or household, best first. A read.
    pub fn templates_for(&self, subject: Subject) -> Result<Vec<Template>> {
        call(|| self.core().templates_for(&subject))
    }

    /// Starts a visit with a template (or the best fit) and returns what to show. A
    /// write.
    pub fn start_visit(&self, subject: Subject, template_id: Option<String>) -> Result<VisitState> {
        call(|| {
            self.core().start_visit(&NewVisit {
                subject,
                template_id,
            })
        })
    }

    /// Answers one question (or with `None` clears it) and returns what to show now. A
    /// write.
    pub fn answer(
        &self,
        visit_id: String,
        question_id: String,
        value: Option<Answer>,
    ) -> Result<VisitState> {
        call(|| self.core().answer(&visit_id, &question_id, value))
    }

    /// Answers several questions at once, all or nothing. A write.
    pub fn answer_all(&self, visit_id: String, answers: Vec<AnswerEntry>) -> Result<VisitState> {
        let answers: Vec<(String, Option<Answer>)> = answers
            .into_iter()
            .map(|a| (a.question_id, Some(a.value)))
            .collect();
        call(|| self.core().answer_all(&visit_id, &answers))
    }

    /// A visit being filled in. A read.
    pub fn visit_state(&self, visit_id: String) -> Result<VisitState> {
        call(|| self.core().visit_state(&visit_id))
    }

    /// Visits being filled in on this phone, to resume after a restart. A read.
    pub fn visit_drafts(&self) -> Result<Vec<VisitState>> {
        call(|| self.core().visit_drafts())
    }

    /// Throws away a visit being filled in. A write.
    pub fn discard_visit(&self, visit_id: String) -> Result<()> {
        call(|| self.core().discard_visit(&visit_id))
    }

    /// Finishes a visit with its outcome; raises the mapped needs and the follow-up. A
    /// write.
    pub fn finish_visit(&self, visit_id: String, finish: FinishVisit) -> Result<FinishedVisit> {
        call(|| self.core().finish_visit(&visit_id, &finish))
    }

    /// Records a whole visit at once. A write.
    pub fn record_visit(&self, input: RecordVisit) -> Result<FinishedVisit> {
        call(|| self.core().record_visit(&input))
    }

    /// Corrects a finished visit; the correction supersedes it and both stay in history.
    /// A write.
    pub fn correct_visit(
        &self,
        visit_id: String,
        correction: VisitCorrection,
    ) -> Result<FinishedVisit> {
        call(|| self.core().correct_visit(&visit_id, &correction))
    }

    /// A finished visit by id. A read.
    pub fn get_visit(&self, id: String) -> Result<Visit> {
        call(|| self.core().visit(&id))
    }

    /// Every finished visit of a resident or household, corrections included. A read.
    pub fn visit_history(&self, subject: Subject) -> Result<Vec<Visit>> {
        call(|| self.core().visit_history(&subject))
    }

    /// Raises a need by hand. A write.
    pub fn raise_need(&self, input: NewNeed) -> Result<Need> {
        call(|| self.core().raise_need(&input))
    }

    /// Moves a need one step; a skipped step is a `Conflict`. A write.
    pub fn set_need_status(
        &self,
        need_id: String,
        status: NeedStatus,
        note: Option<String>,
    ) -> Result<Need> {
        call(|| {
            self.core()
                .set_need_status(&need_id, status, note.as_deref())
        })
    }

    /// A need by id. A read.
    pub fn get_need(&self, id: String) -> Result<Need> {
        call(|| self.core().need(&id))
    }

    /// The needs of a resident or household, newest first. A read.
    pub fn needs_of(&self, subject: Subject) -> Result<Vec<Need>> {
        call(|| self.core().needs_of(&subject))
    }

    /// Open and in-progress needs of an area and below, most urgent first. A read.
    pub fn open_needs(&self, area_id: String) -> Result<Vec<Need>> {
        call(|| self.core().open_needs(&area_id))
    }

    /// A need's status changes, oldest first. A read.
    pub fn need_history(&self, need_id: String) -> Result<Vec<NeedUpdate>> {
        call(|| self.core().need_history(&need_id))
    }

    /// Refers a need to another station or service. A write.
    pub fn refer_need(&self, need_id: String, input: NewReferral) -> Result<Referral> {
        call(|| self.core().refer_need(&need_id, &input))
    }

    /// Moves a referral one step; a skipped step is a `Conflict`. A write.
    pub fn set_referral_status(
        &self,
        referral_id: String,
        status: ReferralStatus,
        note: Option<String>,
    ) -> Result<Referral> {
        call(|| {
            self.core()
                .set_referral_status(&referral_id, status, note.as_deref())
        })
    }

    /// A referral by id. A read.
    pub fn get_referral(&self, id: String) -> Result<Referral> {
        call(|| self.core().referral(&id))
    }

    /// Referrals by target, status and area. A read.
    pub fn referrals(&self, query: ReferralQuery) -> Result<Vec<Referral>> {
        call(|| self.core().referrals(&query))
    }

    /// A referral's status changes, oldest first. A read.
    pub fn referral_history(&self, referral_id: String) -> Result<Vec<ReferralUpdate>> {
        call(|| self.core().referral_history(&referral_id))
    }

    /// Plans a visit for a resident or household. A write.
    pub fn schedule_follow_up(&self, input: NewFollowUp) -> Result<FollowUp> {
        call(|| self.core().schedule_follow_up(&input))
    }

    /// Cancels a planned visit. A write.
    pub fn cancel_follow_up(&self, id: String) -> Result<FollowUp> {
        call(|| self.core().cancel_follow_up(&id))
    }

    /// The follow-ups of a resident or household, by due time. A read.
    pub fn follow_ups(&self, subject: Subject) -> Result<Vec<FollowUp>> {
        call(|| self.core().follow_ups(&subject))
    }

    /// Sets how often residents with a tag are visited (`None`: no regular visits). A
    /// write.
    pub fn set_visit_frequency(&self, tag: Tag, every_ms: Option<i64>) -> Result<()> {
        call(|| self.core().set_visit_frequency(&tag, every_ms))
    }

    /// The visit frequency of every tag that has one. A read.
    pub fn visit_frequencies(&self) -> Result<Vec<VisitFrequency>> {
        call(|| self.core().visit_frequencies())
    }

    /// Who to visit next in the worker's areas, ranked, each with why. A read; tens of
    /// milliseconds for a grid of a few thousand residents.
    pub fn due_list(&self, query: DueQuery) -> Result<Vec<DueEntry>> {
        call(|| self.core().due_list(&query))
    }

    /// One area's day; `day` is YYYY-MM-DD at `utc_offset_minutes` (China: 480). A read.
    pub fn ledger(&self, area_id: String, day: String, utc_offset_minutes: i32) -> Result<Ledger> {
        call(|| self.core().ledger(&area_id, &day, utc_offset_minutes))
    }
}
