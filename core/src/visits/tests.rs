use std::collections::BTreeSet;
use std::sync::Arc;

use super::template::{self, Answers};
use super::*;
use crate::registry::{Area, Household, NewHousehold, NewResident, Resident, Sex, Tag};
use crate::{Doorstep, Error, ManualClock};

const KEY: [u8; 32] = [11; 32];
/// 2026-11-23 08:00 UTC, 16:00 in China.
const NOW: i64 = 1_795_420_800_000;
const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

struct Fixture {
    _dir: tempfile::TempDir,
    d: Doorstep,
    clock: Arc<ManualClock>,
    grid: Area,
}

fn open() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(NOW));
    let d = Doorstep::open_with_clock(dir.path().join("d.db"), &KEY, clock.clone()).unwrap();
    d.set_user("worker-1").unwrap();
    let grid = d.ensure_area("武昌区/中南路街道/丽岛社区/第1网格").unwrap();
    Fixture {
        _dir: dir,
        d,
        clock,
        grid,
    }
}

impl Fixture {
    fn household(&self, address: &str) -> Household {
        self.household_in(&self.grid, address)
    }

    fn household_in(&self, area: &Area, address: &str) -> Household {
        self.d
            .create_household(&NewHousehold {
                area_id: area.id.clone(),
                address: address.into(),
                ..Default::default()
            })
            .unwrap()
    }

    fn resident(&self, h: &Household, name: &str, tags: Vec<Tag>) -> Resident {
        self.d
            .create_resident(&NewResident {
                household_id: h.id.clone(),
                name: name.into(),
                sex: Sex::Female,
                birth_year: Some(1942),
                tags,
                ..Default::default()
            })
            .unwrap()
    }

    /// A resident alone in a new household.
    fn alone(&self, address: &str, name: &str, tags: Vec<Tag>) -> Resident {
        let h = self.household(address);
        self.resident(&h, name, tags)
    }

    fn record(
        &self,
        subject: Subject,
        answers: Vec<AnswerEntry>,
        finish: FinishVisit,
        at: i64,
    ) -> FinishedVisit {
        self.d
            .record_visit(&RecordVisit {
                visit: NewVisit {
                    subject,
                    template_id: None,
                },
                answers,
                finish,
                visited_at_ms: Some(at),
            })
            .unwrap()
    }

    fn need(&self, subject: Subject, category: NeedCategory, urgency: Urgency) -> Need {
        self.d
            .raise_need(&NewNeed {
                subject,
                category,
                urgency,
                details: None,
                drug: None,
                days_left: None,
                visit_id: None,
            })
            .unwrap()
    }

    fn due(&self) -> Vec<DueEntry> {
        self.d
            .due_list(&DueQuery {
                area_ids: vec![self.grid.id.clone()],
                limit: 100,
            })
            .unwrap()
    }
}

fn a(q: &str, v: Answer) -> AnswerEntry {
    AnswerEntry::new(q, v)
}

fn choice(s: &str) -> Answer {
    Answer::Choice { option: s.into() }
}

/// Every required question of the elderly template answered, nothing that raises a need.
fn elderly_fine() -> Vec<AnswerEntry> {
    vec![
        a("seen_safe", Answer::Bool { value: true }),
        a("health", choice("good")),
        a("self_care", choice("independent")),
        a("caregiver", choice("family")),
        a("chronic_meds", Answer::Bool { value: false }),
        a("supplies_ok", Answer::Bool { value: true }),
        a("mood", choice("calm")),
    ]
}

fn with(mut base: Vec<AnswerEntry>, changes: Vec<AnswerEntry>) -> Vec<AnswerEntry> {
    for c in changes {
        match base.iter_mut().find(|e| e.question_id == c.question_id) {
            Some(slot) => slot.value = c.value,
            None => base.push(c),
        }
    }
    base
}

fn some(answers: Vec<AnswerEntry>) -> Vec<(String, Option<Answer>)> {
    answers
        .into_iter()
        .map(|e| (e.question_id, Some(e.value)))
        .collect()
}

fn visible_ids(s: &VisitState) -> Vec<&str> {
    s.visible.iter().map(|q| q.question.id.as_str()).collect()
}

fn template_error(json: &str) -> (String, String) {
    match template::parse(json) {
        Err(Error::Template { path, reason }) => (path, reason),
        other => panic!("expected a template error, got {other:?}"),
    }
}

/// A template with the given questions (and need rules) around them.
fn tpl(questions: &str, needs: &str) -> String {
    format!(
        r#"{{"id": "t", "version": 1, "title": {{"zh-CN": "测试", "en": "Test"}},
            "questions": {questions}, "needs": {needs}}}"#
    )
}

const L: &str = r#"{"zh-CN": "问", "en": "Q"}"#;

#[test]
fn builtin_templates_parse_and_fit_by_tags() {
    let builtins = template::builtins().unwrap();
    let ids: Vec<&str> = builtins.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "elderly_alone",
            "severe_disability",
            "child_in_hardship",
            "stranded_worker",
            "general_household"
        ]
    );
    for t in builtins {
        assert!(t.builtin);
        assert!(t.questions.iter().any(|q| q.required), "{}", t.id);
        assert!(!t.needs.is_empty(), "{}", t.id);
    }
    let f = open();
    let old = f.alone("1号", "王秀英", vec![Tag::ElderlyAlone]);
    let both = f.alone("2号", "李建国", vec![Tag::ElderlyAlone, Tag::Disability]);
    let nobody = f.alone("3号", "张伟", vec![]);
    let first = |r: &Resident| {
        f.d.templates_for(&Subject::resident(&r.id)).unwrap()[0]
            .id
            .clone()
    };
    assert_eq!(first(&old), "elderly_alone");
    assert_eq!(first(&both), "severe_disability", "higher priority wins");
    assert_eq!(first(&nobody), "general_household");
    let fits: Vec<String> =
        f.d.templates_for(&Subject::resident(&both.id))
            .unwrap()
            .into_iter()
            .map(|t| t.id)
            .collect();
    assert_eq!(
        fits,
        ["severe_disability", "elderly_alone", "general_household"]
    );
    assert!(matches!(
        f.d.templates_for(&Subject::resident("nope")),
        Err(Error::NotFound {
            kind: "resident",
            ..
        })
    ));
}

#[test]
fn every_show_if_operator() {
    let opts = r#"[{"id": "a", "label": {"zh-CN": "甲", "en": "A"}},
                   {"id": "b", "label": {"zh-CN": "乙", "en": "B"}},
                   {"id": "c", "label": {"zh-CN": "丙", "en": "C"}}]"#;
    let q = |id: &str, cond: &str| {
        format!(r#"{{"id": "{id}", "kind": "yes_no", "label": {L}, "show_if": {cond}}}"#)
    };
    let questions = [
        format!(r#"{{"id": "yn", "kind": "yes_no", "label": {L}}}"#),
        format!(r#"{{"id": "one", "kind": "single_choice", "label": {L}, "options": {opts}}}"#),
        format!(r#"{{"id": "many", "kind": "multi_choice", "label": {L}, "options": {opts}}}"#),
        format!(r#"{{"id": "n", "kind": "number", "label": {L}}}"#),
        format!(r#"{{"id": "t", "kind": "text", "label": {L}}}"#),
        format!(r#"{{"id": "d", "kind": "date", "label": {L}}}"#),
        q("eq_bool", r#"{"question": "yn", "equals": true}"#),
        q("eq_choice", r#"{"question": "one", "equals": "b"}"#),
        q("includes", r#"{"question": "many", "equals": "a"}"#),
        q("exactly", r#"{"question": "many", "equals": ["c", "a"]}"#),
        q("in_one", r#"{"question": "one", "in": ["a", "c"]}"#),
        q("in_many", r#"{"question": "many", "in": ["b"]}"#),
        q("gt", r#"{"question": "n", "gt": 5}"#),
        q("gte", r#"{"question": "n", "gte": 5}"#),
        q("lt", r#"{"question": "n", "lt": 5}"#),
        q("lte", r#"{"question": "n", "lte": 5}"#),
        q("eq_num", r#"{"question": "n", "equals": 5}"#),
        q("eq_text", r#"{"question": "t", "equals": "x"}"#),
        q("after", r#"{"question": "d", "gt": "2026-11-20"}"#),
        q("before", r#"{"question": "d", "lte": "2026-11-20"}"#),
        q(
            "all",
            r#"{"all": [{"question": "yn", "equals": true}, {"question": "n", "gt": 1}]}"#,
        ),
        q(
            "any",
            r#"{"any": [{"question": "yn", "equals": true}, {"question": "n", "gt": 1}]}"#,
        ),
        q("not", r#"{"not": {"question": "yn", "equals": true}}"#),
        q("tagged", r#"{"tag": "elderly_alone"}"#),
        q("tagged_zh", r#"{"tag": "重度残疾"}"#),
        q(
            "nested",
            r#"{"all": [{"tag": "disability"},
                {"not": {"any": [{"question": "one", "equals": "a"}, {"question": "n", "lt": 0}]}}]}"#,
        ),
        q(
            "after_eq_bool",
            r#"{"question": "eq_bool", "equals": true}"#,
        ),
    ];
    let t = template::parse(&tpl(&format!("[{}]", questions.join(",")), "[]")).unwrap();
    let shown = |answers: Vec<AnswerEntry>, tags: &[&str]| -> BTreeSet<String> {
        let answers: Answers = answers
            .into_iter()
            .map(|e| (e.question_id, e.value))
            .collect();
        let tags: Vec<String> = tags.iter().map(|s| s.to_string()).collect();
        t.questions
            .iter()
            .zip(t.visibility(&answers, &tags))
            .filter(|(q, v)| *v && q.show_if.is_some())
            .map(|(q, _)| q.id.clone())
            .collect()
    };
    let set = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();

    // Nothing answered: only negations and pure tag tests can hold.
    assert_eq!(shown(vec![], &[]), set(&["not"]));
    assert_eq!(
        shown(vec![], &["elderly_alone", "disability"]),
        set(&["not", "tagged", "tagged_zh", "nested"])
    );
    assert_eq!(
        shown(
            vec![
                a("yn", Answer::Bool { value: true }),
                a("one", choice("b")),
                a(
                    "many",
                    Answer::Choices {
                        options: vec!["a".into(), "c".into()]
                    }
                ),
                a("n", Answer::Number { value: 5.0 }),
                a("t", Answer::Text { value: "x".into() }),
                a(
                    "d",
                    Answer::Date {
                        value: "2026-11-21".into()
                    }
                ),
            ],
            &[]
        ),
        set(&[
            "eq_bool",
            "eq_choice",
            "includes",
            "exactly",
            "gte",
            "lte",
            "eq_num",
            "eq_text",
            "after",
            "all",
            "any",
        ])
    );
    assert_eq!(
        shown(
            vec![
                a("yn", Answer::Bool { value: false }),
                a("one", choice("a")),
                a(
                    "many",
                    Answer::Choices {
                        options: vec!["b".into()]
                    }
                ),
                a("n", Answer::Number { value: 7.0 }),
                a("t", Answer::Text { value: "y".into() }),
                a(
                    "d",
                    Answer::Date {
                        value: "2026-11-20".into()
                    }
                ),
            ],
            &["disability"]
        ),
        set(&[
            "in_one",
            "in_many",
            "gt",
            "gte",
            "before",
            "any",
            "not",
            "tagged_zh"
        ]),
        "nested is hidden: one = a"
    );
    assert_eq!(
        shown(
            vec![
                a("n", Answer::Number { value: -1.0 }),
                a(
                    "many",
                    Answer::Choices {
                        options: vec!["a".into()]
                    }
                )
            ],
            &["disability"]
        ),
        set(&["includes", "lt", "lte", "not", "tagged_zh"]),
        "exactly needs both a and c; nested fails on n < 0"
    );
    // A question whose condition looks at a hidden question is hidden too.
    let answers: Answers = [
        a("yn", Answer::Bool { value: false }),
        a("eq_bool", Answer::Bool { value: true }),
    ]
    .into_iter()
    .map(|e| (e.question_id, e.value))
    .collect();
    let vis = t.visibility(&answers, &[]);
    let pos = |id: &str| t.questions.iter().position(|q| q.id == id).unwrap();
    assert!(!vis[pos("eq_bool")]);
    assert!(
        !vis[pos("after_eq_bool")],
        "a hidden answer counts as not given"
    );
}

#[test]
fn malformed_templates_name_the_json_path() {
    let yn = |id: &str| format!(r#"{{"id": "{id}", "kind": "yes_no", "label": {L}}}"#);
    let yn_if = |id: &str, cond: &str| {
        format!(r#"{{"id": "{id}", "kind": "yes_no", "label": {L}, "show_if": {cond}}}"#)
    };
    let opts = r#"[{"id": "x", "label": {"zh-CN": "甲", "en": "A"}}]"#;
    let cases: Vec<(String, &str, &str)> = vec![
        (r#"{"id": "t", "version": 1,"#.into(), "$", "malformed JSON"),
        (
            tpl(
                &format!(r#"[{{"id": "a", "kind": "slider", "label": {L}}}]"#),
                "[]",
            ),
            "$.questions[0].kind",
            "\"slider\" is unknown",
        ),
        (
            tpl(
                &format!(
                    "[{}, {}]",
                    yn_if("a", r#"{"question": "b", "equals": true}"#),
                    yn("b")
                ),
                "[]",
            ),
            "$.questions[0].show_if.question",
            "comes later",
        ),
        (
            tpl(
                &format!(
                    "[{}, {}]",
                    yn("a"),
                    yn_if("b", r#"{"any": [{"question": "zzz", "equals": true}]}"#)
                ),
                "[]",
            ),
            "$.questions[1].show_if.any[0].question",
            "\"zzz\", which does not exist",
        ),
        (
            tpl(
                &format!("[{}]", yn_if("a", r#"{"question": "a", "equals": true}"#)),
                "[]",
            ),
            "$.questions[0].show_if.question",
            "cycle: a → a",
        ),
        (
            tpl(
                &format!(
                    "[{}, {}]",
                    yn_if("a", r#"{"question": "b", "equals": true}"#),
                    yn_if("b", r#"{"all": [{"question": "a", "equals": false}]}"#)
                ),
                "[]",
            ),
            "$.questions[1].show_if.all[0].question",
            "cycle: a → b → a",
        ),
        (
            tpl(&format!("[{}, {}]", yn("a"), yn("a")), "[]"),
            "$.questions[1].id",
            "duplicate question id",
        ),
        (
            tpl(
                &format!(
                    r#"[{{"id": "a", "kind": "single_choice", "label": {L}, "options": [
                        {{"id": "x", "label": {L}}}, {{"id": "x", "label": {L}}}]}}]"#
                ),
                "[]",
            ),
            "$.questions[0].options[1].id",
            "duplicate option",
        ),
        (
            tpl(
                &format!(
                    r#"[{{"id": "a", "kind": "single_choice", "label": {L}, "options": {opts}}}, {}]"#,
                    yn_if("b", r#"{"question": "a", "equals": "y"}"#)
                ),
                "[]",
            ),
            "$.questions[1].show_if.equals",
            "no option \"y\"",
        ),
        (
            tpl(
                &format!(
                    "[{}, {}]",
                    yn("a"),
                    yn_if("b", r#"{"question": "a", "gt": 1}"#)
                ),
                "[]",
            ),
            "$.questions[1].show_if.gt",
            "compares numbers or dates",
        ),
        (
            tpl(
                &format!(
                    "[{}, {}]",
                    yn("a"),
                    yn_if("b", r#"{"question": "a", "like": true}"#)
                ),
                "[]",
            ),
            "$.questions[1].show_if.like",
            "unknown operator",
        ),
        (
            tpl(
                &format!("[{}]", yn("a")),
                r#"[{"when": {"question": "a", "equals": true}, "category": "snacks", "urgency": "high"}]"#,
            ),
            "$.needs[0].category",
            "\"snacks\" is unknown",
        ),
        (
            tpl(
                &format!("[{}]", yn("a")),
                r#"[{"when": {"question": "b", "equals": true}, "category": "other", "urgency": "high"}]"#,
            ),
            "$.needs[0].when.question",
            "does not exist",
        ),
        (
            tpl(
                &format!(r#"[{{"id": "a", "kind": "yes_no", "label": {L}, "requried": true}}]"#),
                "[]",
            ),
            "$.questions[0].requried",
            "unknown field",
        ),
        (
            tpl(
                &format!(r#"[{{"id": "a", "kind": "number", "label": {L}, "min": 5, "max": 1}}]"#),
                "[]",
            ),
            "$.questions[0].max",
            "below min",
        ),
        (
            tpl(
                r#"[{"id": "a", "kind": "yes_no", "label": {"zh-CN": "问"}}]"#,
                "[]",
            ),
            "$.questions[0].label.en",
            "missing",
        ),
        (tpl("[]", "[]"), "$.questions", "at least one question"),
        (
            r#"{"id": "t", "version": 0, "title": {"zh-CN": "a", "en": "a"}, "questions": []}"#
                .into(),
            "$.version",
            "from 1",
        ),
    ];
    for (json, path, reason) in cases {
        let (p, r) = template_error(&json);
        assert_eq!(p, path, "{json}");
        assert!(r.contains(reason), "{p}: {r:?} should say {reason:?}");
    }

    // Through the facade: a typed error and nothing stored.
    let f = open();
    let ops = f.d.pending_op_count().unwrap();
    let err =
        f.d.add_template(&tpl(
            &format!(r#"[{{"id": "a", "kind": "slider", "label": {L}}}]"#),
            "[]",
        ))
        .unwrap_err();
    assert!(
        matches!(&err, Error::Template { path, .. } if path == "$.questions[0].kind"),
        "{err:?}"
    );
    assert!(err
        .to_string()
        .starts_with("template $.questions[0].kind: "));
    assert_eq!(f.d.pending_op_count().unwrap(), ops);
}

#[test]
fn templates_are_versioned_and_a_visit_keeps_its_version() {
    let f = open();
    let r = f.alone("1号", "王秀英", vec![Tag::ElderlyAlone]);
    let v1 = f.d.start_visit(&NewVisit {
        subject: Subject::resident(&r.id),
        template_id: None,
    });
    let v1 = v1.unwrap();
    assert_eq!(
        (v1.template_id.as_str(), v1.template_version),
        ("elderly_alone", 1)
    );

    let v2_json = format!(
        r#"{{"id": "elderly_alone", "version": 2, "title": {{"zh-CN": "独居老人走访（第二版）", "en": "Elderly v2"}},
            "applies_to": ["elderly_alone"], "priority": 40,
            "questions": [{{"id": "heating", "kind": "yes_no", "label": {L}, "required": true}}]}}"#
    );
    let ops = f.d.pending_op_count().unwrap();
    let t = f.d.add_template(&v2_json).unwrap();
    assert_eq!(t.version, 2);
    assert_eq!(f.d.pending_op_count().unwrap(), ops + 1, "one fact");
    f.d.add_template(&v2_json).unwrap();
    assert_eq!(
        f.d.pending_op_count().unwrap(),
        ops + 1,
        "the same version again is a no-op"
    );
    let changed = v2_json.replace("heating", "cooling");
    assert!(matches!(
        f.d.add_template(&changed),
        Err(Error::Conflict(_))
    ));
    let builtin_again = v2_json.replace(r#""version": 2"#, r#""version": 1"#);
    assert!(matches!(
        f.d.add_template(&builtin_again),
        Err(Error::Conflict(m)) if m.contains("built in")
    ));
    assert_eq!(f.d.template("elderly_alone", None).unwrap().version, 2);
    assert_eq!(
        f.d.template("elderly_alone", Some(1))
            .unwrap()
            .questions
            .len(),
        template::builtins().unwrap()[0].questions.len()
    );
    let listed = f.d.templates().unwrap();
    assert_eq!(listed.len(), 5);
    assert_eq!(
        listed
            .iter()
            .find(|t| t.id == "elderly_alone")
            .unwrap()
            .version,
        2
    );

    // The visit started on version 1 keeps it; a new visit gets version 2.
    let s = f.d.answer_all(&v1.visit_id, &some(elderly_fine())).unwrap();
    assert_eq!(s.template_version, 1);
    assert!(s.issues.is_empty(), "{:?}", s.issues);
    let done =
        f.d.finish_visit(&v1.visit_id, &FinishVisit::outcome(VisitOutcome::Met))
            .unwrap();
    assert_eq!(done.visit.template_version, 1);
    let v2 =
        f.d.start_visit(&NewVisit {
            subject: Subject::resident(&r.id),
            template_id: None,
        })
        .unwrap();
    assert_eq!(v2.template_version, 2);
    assert_eq!(visible_ids(&v2), ["heating"]);
    assert!(matches!(
        f.d.start_visit(&NewVisit {
            subject: Subject::resident(&r.id),
            template_id: Some("no_such_template".into()),
        }),
        Err(Error::NotFound {
            kind: "template",
            ..
        })
    ));
}

#[test]
fn visible_questions_follow_the_answers() {
    let f = open();
    let r = f.alone("1号", "王秀英", vec![Tag::ElderlyAlone]);
    let s =
        f.d.start_visit(&NewVisit {
            subject: Subject::resident(&r.id),
            template_id: None,
        })
        .unwrap();
    assert!(!visible_ids(&s).contains(&"drug"));
    assert!(!visible_ids(&s).contains(&"emergency_detail"));
    assert!(s
        .issues
        .iter()
        .any(|i| i.question_id == "seen_safe" && i.problem == AnswerProblem::Missing));

    let s =
        f.d.answer(
            &s.visit_id,
            "chronic_meds",
            Some(Answer::Bool { value: true }),
        )
        .unwrap();
    let ids = visible_ids(&s);
    let pos = |id: &str| ids.iter().position(|x| *x == id).unwrap();
    assert!(pos("chronic_meds") < pos("drug") && pos("drug") < pos("drug_days_left"));
    let s =
        f.d.answer_all(
            &s.visit_id,
            &some(vec![
                a(
                    "drug",
                    Answer::Text {
                        value: "  胰岛素 ".into(),
                    },
                ),
                a("drug_days_left", Answer::Number { value: 2.0 }),
            ]),
        )
        .unwrap();
    let drug = s.visible.iter().find(|q| q.question.id == "drug").unwrap();
    assert_eq!(
        drug.answer,
        Some(Answer::Text {
            value: "胰岛素".into()
        }),
        "trimmed"
    );

    // No more daily medicine: the drug questions hide and their answers go.
    let s =
        f.d.answer(
            &s.visit_id,
            "chronic_meds",
            Some(Answer::Bool { value: false }),
        )
        .unwrap();
    assert!(!visible_ids(&s).contains(&"drug"));
    let s =
        f.d.answer(
            &s.visit_id,
            "chronic_meds",
            Some(Answer::Bool { value: true }),
        )
        .unwrap();
    let drug = s.visible.iter().find(|q| q.question.id == "drug").unwrap();
    assert_eq!(drug.answer, None, "a hidden answer is dropped, not kept");

    // The draft survives a restart.
    let drafts = f.d.visit_drafts().unwrap();
    assert_eq!(drafts.len(), 1);
    assert_eq!(drafts[0], f.d.visit_state(&s.visit_id).unwrap());
    f.d.discard_visit(&s.visit_id).unwrap();
    assert!(f.d.visit_drafts().unwrap().is_empty());
    assert!(matches!(
        f.d.visit_state(&s.visit_id),
        Err(Error::NotFound { kind: "visit", .. })
    ));
}

#[test]
fn bad_answers_are_refused_per_question_and_keep_what_was_there() {
    let f = open();
    let r = f.alone("1号", "王秀英", vec![Tag::ElderlyAlone]);
    let s =
        f.d.start_visit(&NewVisit {
            subject: Subject::resident(&r.id),
            template_id: None,
        })
        .unwrap();
    let id = s.visit_id.clone();
    let before =
        f.d.answer_all(
            &id,
            &some(vec![
                a("seen_safe", Answer::Bool { value: true }),
                a("chronic_meds", Answer::Bool { value: true }),
            ]),
        )
        .unwrap();
    type Case = (Vec<(String, Option<Answer>)>, &'static str);
    let cases: Vec<Case> = vec![
        (
            vec![(
                "health".into(),
                Some(Answer::Text {
                    value: "good".into(),
                }),
            )],
            "takes no text answer",
        ),
        (
            vec![("health".into(), Some(choice("fine")))],
            "no option \"fine\"",
        ),
        (
            vec![(
                "drug_days_left".into(),
                Some(Answer::Number { value: 400.0 }),
            )],
            "above the maximum 365",
        ),
        (
            vec![("drug_days_left".into(), Some(Answer::Number { value: 2.5 }))],
            "not a whole number",
        ),
        (
            vec![(
                "drug".into(),
                Some(Answer::Text {
                    value: "药".repeat(101),
                }),
            )],
            "101 characters, more than the 100",
        ),
        (
            vec![(
                "emergency_detail".into(),
                Some(Answer::Text {
                    value: "胸痛".into(),
                }),
            )],
            "hidden",
        ),
        (
            vec![(
                "favourite_colour".into(),
                Some(Answer::Bool { value: true }),
            )],
            "no question \"favourite_colour\"",
        ),
        (
            vec![(
                "photo".into(),
                Some(Answer::Photo {
                    reference: "  ".into(),
                }),
            )],
            "photo reference",
        ),
        (
            // All or nothing: the good answer is not kept either.
            vec![
                ("mood".into(), Some(choice("calm"))),
                ("health".into(), Some(Answer::Number { value: 1.0 })),
            ],
            "takes no number answer",
        ),
    ];
    for (answers, msg) in cases {
        match f.d.answer_all(&id, &answers) {
            Err(Error::Invalid(m)) => assert!(m.contains(msg), "{m:?} should say {msg:?}"),
            other => panic!("{answers:?}: expected Invalid, got {other:?}"),
        }
        assert_eq!(f.d.visit_state(&id).unwrap(), before, "nothing changed");
    }

    // Issues list what is still missing, per question.
    let missing: Vec<&str> = before
        .issues
        .iter()
        .filter(|i| i.problem == AnswerProblem::Missing)
        .map(|i| i.question_id.as_str())
        .collect();
    assert_eq!(
        missing,
        [
            "health",
            "self_care",
            "caregiver",
            "drug",
            "drug_days_left",
            "supplies_ok",
            "mood"
        ]
    );
    // Finishing as met with required answers missing is refused, and stores nothing.
    let ops = f.d.pending_op_count().unwrap();
    match f
        .d
        .finish_visit(&id, &FinishVisit::outcome(VisitOutcome::Met))
    {
        Err(Error::Invalid(m)) => {
            assert!(
                m.contains("\"drug_days_left\" is required (missing)"),
                "{m}"
            )
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
    assert_eq!(f.d.pending_op_count().unwrap(), ops);
    assert_eq!(f.d.visit_state(&id).unwrap(), before, "the draft is kept");
    // Nobody home needs no answers.
    let done =
        f.d.finish_visit(&id, &FinishVisit::outcome(VisitOutcome::NobodyHome))
            .unwrap();
    assert_eq!(done.visit.outcome, VisitOutcome::NobodyHome);
    assert!(done.needs.is_empty(), "no checklist, no needs");
}

#[test]
fn a_finished_visit_is_a_fact_that_takes_no_more_answers() {
    let f = open();
    let r = f.alone("1号", "王秀英", vec![Tag::ElderlyAlone]);
    let s =
        f.d.start_visit(&NewVisit {
            subject: Subject::resident(&r.id),
            template_id: None,
        })
        .unwrap();
    f.d.answer_all(&s.visit_id, &some(elderly_fine())).unwrap();
    f.clock.advance(20 * 60_000);
    let done =
        f.d.finish_visit(
            &s.visit_id,
            &FinishVisit {
                outcome: VisitOutcome::Met,
                note: Some("精神不错".into()),
                follow_up_at_ms: None,
                follow_up_note: None,
            },
        )
        .unwrap();
    let v = &done.visit;
    assert_eq!(v.id, s.visit_id);
    assert_eq!(
        (v.started_at_ms, v.finished_at_ms),
        (NOW, NOW + 20 * 60_000)
    );
    assert_eq!(v.worker, "worker-1");
    assert_eq!(v.area_id, f.grid.id);
    assert_eq!(v.answers, elderly_fine(), "in template order");
    assert_eq!(v.note.as_deref(), Some("精神不错"));
    assert!(done.needs.is_empty() && done.follow_up.is_none());
    assert_eq!(f.d.visit(&v.id).unwrap(), *v);

    let ops = f.d.pending_op_count().unwrap();
    let again = f.d.answer(&v.id, "mood", Some(choice("worried")));
    assert!(
        matches!(&again, Err(Error::Conflict(m)) if m.contains("finished")),
        "{again:?}"
    );
    assert!(matches!(
        f.d.finish_visit(&v.id, &FinishVisit::outcome(VisitOutcome::Met)),
        Err(Error::Conflict(_))
    ));
    assert!(matches!(
        f.d.answer("no-such-visit", "mood", None),
        Err(Error::NotFound { kind: "visit", .. })
    ));
    assert_eq!(f.d.pending_op_count().unwrap(), ops);
    assert_eq!(f.d.visit(&v.id).unwrap(), *v, "the fact is unchanged");
    assert!(matches!(
        f.d.start_visit(&NewVisit {
            subject: Subject::resident("no-such-resident"),
            template_id: None
        }),
        Err(Error::NotFound {
            kind: "resident",
            ..
        })
    ));
}

#[test]
fn needs_are_raised_from_the_answers_through_the_mapping() {
    let f = open();
    let r = f.alone("1号", "王秀英", vec![Tag::ElderlyAlone]);
    let answers = with(
        elderly_fine(),
        vec![
            a("chronic_meds", Answer::Bool { value: true }),
            a(
                "drug",
                Answer::Text {
                    value: "胰岛素".into(),
                },
            ),
            a("drug_days_left", Answer::Number { value: 1.0 }),
            a("supplies_ok", Answer::Bool { value: false }),
            a(
                "supplies_short",
                Answer::Choices {
                    options: vec!["oil".into(), "staples".into()],
                },
            ),
            a("can_buy_online", Answer::Bool { value: false }),
            a("mood", choice("distressed")),
        ],
    );
    let done = f.record(
        Subject::resident(&r.id),
        answers.clone(),
        FinishVisit::outcome(VisitOutcome::Met),
        NOW,
    );
    let got: Vec<(NeedCategory, Urgency)> =
        done.needs.iter().map(|n| (n.category, n.urgency)).collect();
    assert_eq!(
        got,
        [
            (NeedCategory::Medicine, Urgency::Critical),
            (NeedCategory::FoodStaples, Urgency::High),
            (NeedCategory::CookingOil, Urgency::Normal),
            (NeedCategory::Psychological, Urgency::High),
        ],
        "the first rule for a category wins (critical medicine, not also high)"
    );
    let medicine = &done.needs[0];
    assert_eq!(medicine.drug.as_deref(), Some("胰岛素"));
    assert_eq!(medicine.runs_out_at_ms, Some(NOW + DAY));
    assert_eq!(medicine.visit_id.as_deref(), Some(done.visit.id.as_str()));
    assert_eq!(medicine.status, NeedStatus::Open);
    assert_eq!(medicine.raised_by, "worker-1");
    assert_eq!(
        done.needs[1].details.as_deref(),
        Some("米面粮、食用油"),
        "options in template order, by label"
    );
    let history = f.d.need_history(&medicine.id).unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(
        (history[0].from_status, history[0].to_status),
        (None, NeedStatus::Open)
    );

    // The next visit finds the same shortages: the open needs are updated, not repeated.
    f.clock.advance(DAY);
    let again = f.record(
        Subject::resident(&r.id),
        with(
            answers,
            vec![a("drug_days_left", Answer::Number { value: 0.0 })],
        ),
        FinishVisit::outcome(VisitOutcome::Met),
        NOW + DAY,
    );
    assert_eq!(again.needs.len(), 4);
    assert_eq!(again.needs[0].id, medicine.id);
    assert_eq!(again.needs[0].runs_out_at_ms, Some(NOW + DAY));
    assert_eq!(
        f.d.needs_of(&Subject::resident(&r.id)).unwrap().len(),
        4,
        "still four needs"
    );

    // A household visit sees everyone's tags: the pregnancy question shows.
    let h = f.household("2号");
    f.resident(&h, "单丽", vec![Tag::Pregnant]);
    let s =
        f.d.start_visit(&NewVisit {
            subject: Subject::household(&h.id),
            template_id: None,
        })
        .unwrap();
    assert_eq!(s.template_id, "general_household");
    assert!(visible_ids(&s).contains(&"pregnancy_checkup"));
}

#[test]
fn a_correction_supersedes_the_visit_and_the_history_shows_both() {
    let f = open();
    let r = f.alone("1号", "王秀英", vec![Tag::ElderlyAlone]);
    let first = f.record(
        Subject::resident(&r.id),
        elderly_fine(),
        FinishVisit::outcome(VisitOutcome::Met),
        NOW - HOUR,
    );
    assert!(first.needs.is_empty());
    f.d.set_user("worker-2").unwrap();
    let corrected =
        f.d.correct_visit(
            &first.visit.id,
            &VisitCorrection {
                answers: with(elderly_fine(), vec![a("mood", choice("crisis"))]),
                outcome: VisitOutcome::Met,
                note: Some("记错了情绪状态".into()),
            },
        )
        .unwrap();
    let c = &corrected.visit;
    assert_ne!(c.id, first.visit.id);
    assert_eq!(c.supersedes.as_deref(), Some(first.visit.id.as_str()));
    assert_eq!(
        c.finished_at_ms, first.visit.finished_at_ms,
        "same visit time"
    );
    assert_eq!(c.corrected_at_ms, Some(NOW));
    assert_eq!(c.worker, "worker-2");
    assert_eq!(
        corrected
            .needs
            .iter()
            .map(|n| (n.category, n.urgency))
            .collect::<Vec<_>>(),
        [(NeedCategory::Psychological, Urgency::Critical)]
    );

    let history = f.d.visit_history(&Subject::resident(&r.id)).unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].id, first.visit.id);
    assert_eq!(history[0].superseded_by.as_deref(), Some(c.id.as_str()));
    assert_eq!(history[0].answers, elderly_fine(), "the original is intact");
    assert_eq!(history[1].id, c.id);
    assert_eq!(history[1].superseded_by, None);

    // The superseded visit cannot be corrected again, nor answered.
    assert!(matches!(
        f.d.correct_visit(
            &first.visit.id,
            &VisitCorrection {
                answers: elderly_fine(),
                outcome: VisitOutcome::Met,
                note: None
            }
        ),
        Err(Error::Conflict(m)) if m.contains("already corrected")
    ));
    // A correction is checked like a visit.
    assert!(matches!(
        f.d.correct_visit(
            &c.id,
            &VisitCorrection {
                answers: vec![a("mood", choice("calm"))],
                outcome: VisitOutcome::Met,
                note: None
            }
        ),
        Err(Error::Invalid(m)) if m.contains("required")
    ));
    // The ledger counts the visit once.
    let ledger = f.d.ledger(&f.grid.id, "2026-11-23", 480).unwrap();
    assert_eq!(ledger.visits, 1);
}

#[test]
fn need_status_moves_one_step_at_a_time() {
    let f = open();
    let r = f.alone("1号", "王秀英", vec![Tag::ElderlyAlone]);
    let n = f.need(
        Subject::resident(&r.id),
        NeedCategory::Vegetables,
        Urgency::Normal,
    );
    let ops = f.d.pending_op_count().unwrap();
    assert!(matches!(
        f.d.set_need_status(&n.id, NeedStatus::Resolved, None),
        Err(Error::Conflict(m)) if m.contains("is open; it can become in_progress, not resolved")
    ));
    assert!(matches!(
        f.d.set_need_status(&n.id, NeedStatus::Referred, None),
        Err(Error::Invalid(_))
    ));
    assert_eq!(
        f.d.pending_op_count().unwrap(),
        ops,
        "refusals write nothing"
    );
    f.clock.advance(HOUR);
    let n =
        f.d.set_need_status(&n.id, NeedStatus::InProgress, Some("联系了团购群"))
            .unwrap();
    assert_eq!(
        (n.status, n.status_at_ms),
        (NeedStatus::InProgress, NOW + HOUR)
    );
    f.d.set_user("worker-2").unwrap();
    f.clock.advance(HOUR);
    let n =
        f.d.set_need_status(&n.id, NeedStatus::Resolved, Some("已送菜"))
            .unwrap();
    assert_eq!(n.status, NeedStatus::Resolved);
    assert!(matches!(
        f.d.set_need_status(&n.id, NeedStatus::InProgress, None),
        Err(Error::Conflict(m)) if m.contains("nothing else")
    ));
    let h = f.d.need_history(&n.id).unwrap();
    type Step<'a> = (
        Option<NeedStatus>,
        NeedStatus,
        Option<&'a str>,
        i64,
        &'a str,
    );
    let steps: Vec<Step> = h
        .iter()
        .map(|u| {
            (
                u.from_status,
                u.to_status,
                u.note.as_deref(),
                u.at_ms,
                u.by_user.as_str(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            (None, NeedStatus::Open, None, NOW, "worker-1"),
            (
                Some(NeedStatus::Open),
                NeedStatus::InProgress,
                Some("联系了团购群"),
                NOW + HOUR,
                "worker-1"
            ),
            (
                Some(NeedStatus::InProgress),
                NeedStatus::Resolved,
                Some("已送菜"),
                NOW + 2 * HOUR,
                "worker-2"
            ),
        ]
    );
    // Bad hand-raised needs.
    let bad = f.d.raise_need(&NewNeed {
        subject: Subject::resident(&r.id),
        category: NeedCategory::FoodStaples,
        urgency: Urgency::High,
        details: None,
        drug: Some("阿司匹林".into()),
        days_left: None,
        visit_id: None,
    });
    assert!(matches!(bad, Err(Error::Invalid(m)) if m.contains("medicine need")));
    assert!(matches!(
        f.d.raise_need(&NewNeed {
            subject: Subject::household("nope"),
            category: NeedCategory::Other,
            urgency: Urgency::Low,
            details: None,
            drug: None,
            days_left: None,
            visit_id: None,
        }),
        Err(Error::NotFound {
            kind: "household",
            ..
        })
    ));
}

#[test]
fn referrals_go_sent_accepted_done_or_declined_and_move_the_need() {
    let f = open();
    let r = f.alone("1号", "连姐", vec![Tag::Disability, Tag::LowIncome]);
    let food = f.need(
        Subject::resident(&r.id),
        NeedCategory::FoodStaples,
        Urgency::High,
    );
    assert!(matches!(
        f.d.refer_need(
            &food.id,
            &NewReferral {
                target: ReferralTarget::Station,
                target_id: None,
                target_name: None,
                note: None
            }
        ),
        Err(Error::Invalid(m)) if m.contains("target_name")
    ));
    let referral =
        f.d.refer_need(
            &food.id,
            &NewReferral {
                target: ReferralTarget::Station,
                target_id: None,
                target_name: Some("同德街社工站".into()),
                note: Some("住在同德街，不会网上买菜".into()),
            },
        )
        .unwrap();
    assert_eq!(referral.status, ReferralStatus::Sent);
    assert_eq!(referral.category, NeedCategory::FoodStaples);
    assert_eq!(referral.resident_id.as_deref(), Some(r.id.as_str()));
    let need = f.d.need(&food.id).unwrap();
    assert_eq!(need.status, NeedStatus::Referred);
    let steps: Vec<(Option<NeedStatus>, NeedStatus)> =
        f.d.need_history(&food.id)
            .unwrap()
            .iter()
            .map(|u| (u.from_status, u.to_status))
            .collect();
    assert_eq!(
        steps,
        [
            (None, NeedStatus::Open),
            (Some(NeedStatus::Open), NeedStatus::InProgress),
            (Some(NeedStatus::InProgress), NeedStatus::Referred),
        ],
        "no step skipped in the history"
    );
    assert!(matches!(
        f.d.refer_need(
            &food.id,
            &NewReferral {
                target: ReferralTarget::SuppliesTeam,
                target_id: None,
                target_name: None,
                note: None
            }
        ),
        Err(Error::Conflict(_))
    ));
    assert!(matches!(
        f.d.set_referral_status(&referral.id, ReferralStatus::Done, None),
        Err(Error::Conflict(m)) if m.contains("is sent; it can become accepted or declined, not done")
    ));
    f.d.set_referral_status(&referral.id, ReferralStatus::Accepted, Some("今天送"))
        .unwrap();
    let done =
        f.d.set_referral_status(&referral.id, ReferralStatus::Done, Some("米面油已送到"))
            .unwrap();
    assert_eq!(done.status, ReferralStatus::Done);
    assert_eq!(f.d.need(&food.id).unwrap().status, NeedStatus::Resolved);
    let moves: Vec<(Option<ReferralStatus>, ReferralStatus)> =
        f.d.referral_history(&referral.id)
            .unwrap()
            .iter()
            .map(|u| (u.from_status, u.to_status))
            .collect();
    assert_eq!(
        moves,
        [
            (None, ReferralStatus::Sent),
            (Some(ReferralStatus::Sent), ReferralStatus::Accepted),
            (Some(ReferralStatus::Accepted), ReferralStatus::Done),
        ]
    );

    // Declined: the need comes back to the station.
    let relief = f.need(
        Subject::resident(&r.id),
        NeedCategory::ReliefApplication,
        Urgency::Normal,
    );
    let to_civil =
        f.d.refer_need(
            &relief.id,
            &NewReferral {
                target: ReferralTarget::CivilAffairs,
                target_id: None,
                target_name: None,
                note: None,
            },
        )
        .unwrap();
    f.d.set_referral_status(&to_civil.id, ReferralStatus::Declined, Some("材料不全"))
        .unwrap();
    assert_eq!(f.d.need(&relief.id).unwrap().status, NeedStatus::InProgress);

    // The supplies team's queue, for Deliveries.
    let oil = f.need(
        Subject::resident(&r.id),
        NeedCategory::CookingOil,
        Urgency::Normal,
    );
    let to_supplies =
        f.d.refer_need(
            &oil.id,
            &NewReferral {
                target: ReferralTarget::SuppliesTeam,
                target_id: None,
                target_name: None,
                note: None,
            },
        )
        .unwrap();
    let queue =
        f.d.referrals(&ReferralQuery {
            target: Some(ReferralTarget::SuppliesTeam),
            status: Some(ReferralStatus::Sent),
            area_id: Some(f.grid.id.clone()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(queue, [to_supplies]);
    assert_eq!(f.d.referrals(&ReferralQuery::default()).unwrap().len(), 3);
}

/// One resident or household per rule, each expected at a known place.
#[test]
fn the_due_list_puts_life_first_then_the_vulnerable_then_the_overdue_then_the_unvisited() {
    let f = open();
    let elsewhere =
        f.d.ensure_area("武昌区/中南路街道/丽岛社区/第2网格")
            .unwrap();
    let far = {
        let h = f.household_in(&elsewhere, "远处1号");
        f.resident(&h, "别的网格", vec![Tag::ElderlyAlone])
    };
    f.need(
        Subject::resident(&far.id),
        NeedCategory::UrgentMedical,
        Urgency::Critical,
    );

    // Life: a critical need, urgent medical care, medicine running out.
    let no_carer = f.alone("01号", "无人照料", vec![Tag::Disability]);
    f.need(
        Subject::resident(&no_carer.id),
        NeedCategory::NoCaregiver,
        Urgency::Critical,
    );
    let sick = f.alone("02号", "急症", vec![]);
    f.need(
        Subject::resident(&sick.id),
        NeedCategory::UrgentMedical,
        Urgency::High,
    );
    let insulin = f.alone("03号", "缺药", vec![Tag::ChronicIllness]);
    let medicine = |r: &Resident, days: u32| {
        f.d.raise_need(&NewNeed {
            subject: Subject::resident(&r.id),
            category: NeedCategory::Medicine,
            urgency: Urgency::High,
            details: None,
            drug: Some("胰岛素".into()),
            days_left: Some(days),
            visit_id: None,
        })
        .unwrap()
    };
    medicine(&insulin, 1);
    // Medicine for ten days: not yet a life need, and not vulnerable.
    let enough = f.alone("12号", "药够", vec![]);
    medicine(&enough, 10);

    // Vulnerable: an open need, never visited, overdue (longest first), not yet due.
    let hungry = f.alone("04号", "缺粮", vec![Tag::Disability]);
    f.record(
        Subject::resident(&hungry.id),
        vec![],
        FinishVisit::outcome(VisitOutcome::Refused),
        NOW - HOUR,
    );
    f.need(
        Subject::resident(&hungry.id),
        NeedCategory::FoodStaples,
        Urgency::Normal,
    );
    let never = f.alone("05号", "从未走访", vec![Tag::ElderlyAlone]);
    let late3 = f.alone("06号", "逾期三天", vec![Tag::ElderlyAlone]);
    let late1 = f.alone("07号", "逾期一天", vec![Tag::ElderlyAlone]);
    let fine = f.alone("08号", "刚走访", vec![Tag::ElderlyAlone]);
    for (r, at) in [
        (&late3, NOW - 5 * DAY),
        (&late1, NOW - 3 * DAY),
        (&fine, NOW - DAY),
    ] {
        f.record(
            Subject::resident(&r.id),
            elderly_fine(),
            FinishVisit::outcome(VisitOutcome::Met),
            at,
        );
    }

    // Overdue follow-ups: a resident's (2 days) and a household's (1 day).
    let follow = f.alone("09号", "回访", vec![]);
    f.record(
        Subject::resident(&follow.id),
        vec![],
        FinishVisit {
            outcome: VisitOutcome::NeedsFollowUp,
            note: None,
            follow_up_at_ms: Some(NOW - 2 * DAY),
            follow_up_note: Some("送药后回访".into()),
        },
        NOW - 4 * DAY,
    );
    let family = f.household("10号");
    f.resident(&family, "一家人", vec![]);
    f.record(
        Subject::household(&family.id),
        vec![],
        FinishVisit {
            outcome: VisitOutcome::NeedsFollowUp,
            note: None,
            follow_up_at_ms: Some(NOW - DAY),
            follow_up_note: None,
        },
        NOW - 3 * DAY,
    );

    // Never visited households, by address; one tried with nobody home.
    let knocked = f.household("13号");
    f.record(
        Subject::household(&knocked.id),
        vec![],
        FinishVisit::outcome(VisitOutcome::NobodyHome),
        NOW - DAY,
    );
    let empty = f.household("14号");

    let due = f.due();
    let got: Vec<(u32, DueTier, String)> = due
        .iter()
        .map(|e| {
            (
                e.rank,
                e.tier,
                e.resident_name.clone().unwrap_or_else(|| e.address.clone()),
            )
        })
        .collect();
    let want: Vec<(u32, DueTier, String)> = [
        (DueTier::Life, "无人照料"),
        (DueTier::Life, "急症"),
        (DueTier::Life, "缺药"),
        (DueTier::Vulnerable, "缺粮"),
        (DueTier::Vulnerable, "从未走访"),
        (DueTier::Vulnerable, "逾期三天"),
        (DueTier::Vulnerable, "逾期一天"),
        (DueTier::Overdue, "回访"),
        (DueTier::Overdue, "10号"),
        (DueTier::NeverVisited, "12号"),
        (DueTier::NeverVisited, "13号"),
        (DueTier::NeverVisited, "14号"),
    ]
    .iter()
    .enumerate()
    .map(|(i, (t, n))| (i as u32 + 1, *t, n.to_string()))
    .collect();
    assert_eq!(got, want);

    // Each entry says why.
    let by_name = |n: &str| {
        due.iter()
            .find(|e| e.resident_name.as_deref() == Some(n) || e.address == n)
            .unwrap()
    };
    assert!(matches!(
        by_name("缺药").reasons.as_slice(),
        [
            DueReason::LifeNeed { category: NeedCategory::Medicine, runs_out_at_ms: Some(t), .. },
            DueReason::OpenNeeds { count: 1, top_urgency: Urgency::High },
            DueReason::NeverVisited { attempts: 0 },
        ] if *t == NOW + DAY
    ));
    assert_eq!(
        by_name("缺粮").reasons,
        [DueReason::OpenNeeds {
            count: 1,
            top_urgency: Urgency::Normal
        }]
    );
    assert_eq!(
        by_name("逾期三天").reasons,
        [DueReason::VisitOverdue {
            due_at_ms: NOW - 3 * DAY,
            overdue_ms: 3 * DAY,
            every_ms: 2 * DAY
        }]
    );
    assert_eq!(by_name("逾期三天").last_contact_at_ms, Some(NOW - 5 * DAY));
    assert_eq!(
        by_name("回访").reasons,
        [DueReason::FollowUpOverdue {
            due_at_ms: NOW - 2 * DAY,
            overdue_ms: 2 * DAY
        }]
    );
    assert_eq!(
        by_name("13号").reasons,
        [DueReason::NeverVisited { attempts: 1 }]
    );
    assert_eq!(by_name("14号").household_id, empty.id);
    assert_eq!(by_name("从未走访").tags, [Tag::ElderlyAlone]);
    assert_eq!(by_name("从未走访").resident_id.as_ref(), Some(&never.id));
    assert_eq!(
        by_name("从未走访").reasons,
        [DueReason::NeverVisited { attempts: 0 }]
    );

    // Eight days on, the ten-day medicine is about to run out: now a life need, ranked
    // by when it runs out, after the one that already has.
    f.clock.advance(8 * DAY);
    let due = f.due();
    let life: Vec<&str> = due
        .iter()
        .filter(|e| e.tier == DueTier::Life)
        .map(|e| e.resident_name.as_deref().unwrap())
        .collect();
    assert_eq!(life, ["无人照料", "急症", "缺药", "药够"]);
    // Limit.
    let two =
        f.d.due_list(&DueQuery {
            area_ids: vec![f.grid.id.clone()],
            limit: 2,
        })
        .unwrap();
    assert_eq!(two.len(), 2);
    assert!(matches!(
        f.d.due_list(&DueQuery {
            area_ids: vec![f.grid.id.clone()],
            limit: 501
        }),
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        f.d.due_list(&DueQuery {
            area_ids: vec!["nope".into()],
            limit: 0
        }),
        Err(Error::NotFound { kind: "area", .. })
    ));
}

#[test]
fn a_visit_and_a_frequency_change_move_residents_off_the_due_list() {
    let f = open();
    let never = f.alone("1号", "从未走访", vec![Tag::ElderlyAlone]);
    let late = f.alone("2号", "逾期", vec![Tag::ElderlyAlone]);
    f.record(
        Subject::resident(&late.id),
        elderly_fine(),
        FinishVisit::outcome(VisitOutcome::Met),
        NOW - 3 * DAY,
    );
    let names = |f: &Fixture| -> Vec<String> {
        f.due()
            .into_iter()
            .filter_map(|e| e.resident_name)
            .collect()
    };
    assert_eq!(names(&f), ["从未走访", "逾期"]);

    // A knock with nobody home is not a visit: still due.
    f.record(
        Subject::resident(&never.id),
        vec![],
        FinishVisit::outcome(VisitOutcome::NobodyHome),
        NOW - HOUR,
    );
    assert_eq!(names(&f), ["从未走访", "逾期"]);
    let entry = f.due().into_iter().next().unwrap();
    assert_eq!(entry.reasons, [DueReason::NeverVisited { attempts: 1 }]);

    // Met: off the list.
    let s =
        f.d.start_visit(&NewVisit {
            subject: Subject::resident(&never.id),
            template_id: None,
        })
        .unwrap();
    f.d.answer_all(&s.visit_id, &some(elderly_fine())).unwrap();
    f.d.finish_visit(&s.visit_id, &FinishVisit::outcome(VisitOutcome::Met))
        .unwrap();
    assert_eq!(names(&f), ["逾期"]);

    // Elderly living alone every 4 days instead of 2: no longer overdue.
    assert!(f.d.visit_frequencies().unwrap().contains(&VisitFrequency {
        tag: Tag::ElderlyAlone,
        every_ms: Some(2 * DAY)
    }));
    f.d.set_visit_frequency(&Tag::ElderlyAlone, Some(4 * DAY))
        .unwrap();
    assert!(names(&f).is_empty());
    f.clock.advance(2 * DAY);
    assert_eq!(names(&f), ["逾期"], "due again four days after the visit");
    assert!(matches!(
        f.d.set_visit_frequency(&Tag::ElderlyAlone, Some(1000)),
        Err(Error::Invalid(_))
    ));
    // A deleted resident leaves the list.
    f.d.delete_resident(&late.id).unwrap();
    assert!(names(&f).is_empty());
}

#[test]
fn follow_ups_surface_when_overdue_and_count_as_done_after_a_visit() {
    let f = open();
    let r = f.alone("1号", "张伟", vec![]);
    let s =
        f.d.start_visit(&NewVisit {
            subject: Subject::resident(&r.id),
            template_id: None,
        })
        .unwrap();
    let done =
        f.d.finish_visit(
            &s.visit_id,
            &FinishVisit::outcome(VisitOutcome::NeedsFollowUp),
        )
        .unwrap();
    let fu = done.follow_up.expect("needs follow-up schedules one");
    assert_eq!(fu.due_at_ms, NOW + DAY, "the next day by default");
    assert_eq!(fu.visit_id.as_deref(), Some(s.visit_id.as_str()));
    let is_due = |f: &Fixture| {
        f.due()
            .iter()
            .any(|e| e.resident_id.as_ref() == Some(&r.id))
    };
    assert!(!is_due(&f));
    f.clock.advance(DAY + HOUR);
    assert!(is_due(&f));
    assert_eq!(
        f.due()[0].reasons,
        [DueReason::FollowUpOverdue {
            due_at_ms: NOW + DAY,
            overdue_ms: HOUR
        }]
    );
    f.record(
        Subject::resident(&r.id),
        vec![],
        FinishVisit::outcome(VisitOutcome::Refused),
        NOW + DAY + HOUR,
    );
    assert!(!is_due(&f));
    let list = f.d.follow_ups(&Subject::resident(&r.id)).unwrap();
    assert_eq!(list.len(), 1);
    assert!(list[0].done);

    // A need can plan the next visit too; cancelling takes it off.
    let need = f.need(
        Subject::resident(&r.id),
        NeedCategory::ReliefApplication,
        Urgency::Normal,
    );
    let planned =
        f.d.schedule_follow_up(&NewFollowUp {
            subject: Subject::resident(&r.id),
            due_at_ms: NOW + DAY + 2 * HOUR,
            note: Some("带申请表".into()),
            visit_id: None,
            need_id: Some(need.id.clone()),
        })
        .unwrap();
    f.clock.advance(2 * HOUR);
    assert!(is_due(&f));
    let cancelled = f.d.cancel_follow_up(&planned.id).unwrap();
    assert!(cancelled.cancelled);
    assert!(!is_due(&f));
    assert!(matches!(
        f.d.schedule_follow_up(&NewFollowUp {
            subject: Subject::resident(&r.id),
            due_at_ms: NOW - 10 * DAY,
            note: None,
            visit_id: None,
            need_id: None,
        }),
        Err(Error::Invalid(m)) if m.contains("in the past")
    ));
}

#[test]
fn the_ledger_counts_one_area_day_in_local_time() {
    let f = open();
    let old = f.alone(
        "1号",
        "王秀英",
        vec![Tag::ElderlyAlone, Tag::ChronicIllness],
    );
    let house = f.household("2号");
    let disabled = f.alone("3号", "李建国", vec![Tag::Disability]);
    // 23:30 the day before, China time: not in the day.
    f.record(
        Subject::resident(&disabled.id),
        vec![],
        FinishVisit::outcome(VisitOutcome::Refused),
        NOW - 16 * HOUR - 30 * 60_000,
    );
    f.record(
        Subject::household(&house.id),
        vec![],
        FinishVisit::outcome(VisitOutcome::NobodyHome),
        NOW - 2 * HOUR,
    );
    let visit = f.record(
        Subject::resident(&old.id),
        with(
            elderly_fine(),
            vec![
                a("supplies_ok", Answer::Bool { value: false }),
                a(
                    "supplies_short",
                    Answer::Choices {
                        options: vec!["staples".into()],
                    },
                ),
                a("can_buy_online", Answer::Bool { value: true }),
            ],
        ),
        FinishVisit::outcome(VisitOutcome::Met),
        NOW,
    );
    let food = &visit.needs[0];
    f.d.set_need_status(&food.id, NeedStatus::InProgress, None)
        .unwrap();
    f.d.set_need_status(&food.id, NeedStatus::Resolved, None)
        .unwrap();
    let pills = f.need(
        Subject::resident(&old.id),
        NeedCategory::Medicine,
        Urgency::High,
    );
    let referral =
        f.d.refer_need(
            &pills.id,
            &NewReferral {
                target: ReferralTarget::SuppliesTeam,
                target_id: None,
                target_name: None,
                note: None,
            },
        )
        .unwrap();
    f.d.set_referral_status(&referral.id, ReferralStatus::Accepted, None)
        .unwrap();
    // 00:30 the next day, China time.
    f.clock.set(NOW + 8 * HOUR + 30 * 60_000);
    f.record(
        Subject::resident(&old.id),
        elderly_fine(),
        FinishVisit::outcome(VisitOutcome::Met),
        NOW + 8 * HOUR + 30 * 60_000,
    );

    let community = f.d.ensure_area("武昌区/中南路街道/丽岛社区").unwrap();
    let l = f.d.ledger(&community.id, "2026-11-23", 480).unwrap();
    assert_eq!(l.day, "2026-11-23");
    assert_eq!(l.visits, 2);
    assert_eq!(
        l.visits_by_outcome,
        [
            OutcomeCount {
                outcome: VisitOutcome::Met,
                count: 1
            },
            OutcomeCount {
                outcome: VisitOutcome::NobodyHome,
                count: 1
            }
        ]
    );
    assert_eq!((l.households_visited, l.residents_reached), (2, 1));
    assert_eq!(
        l.residents_reached_by_tag,
        [
            TagCount {
                tag: Tag::ElderlyAlone,
                count: 1
            },
            TagCount {
                tag: Tag::ChronicIllness,
                count: 1
            }
        ]
    );
    assert_eq!(
        l.needs_raised,
        [
            CategoryCount {
                category: NeedCategory::FoodStaples,
                count: 1
            },
            CategoryCount {
                category: NeedCategory::Medicine,
                count: 1
            }
        ]
    );
    assert_eq!(
        l.needs_resolved,
        [CategoryCount {
            category: NeedCategory::FoodStaples,
            count: 1
        }]
    );
    assert_eq!(
        l.referrals,
        [
            ReferralStatusCount {
                status: ReferralStatus::Accepted,
                count: 1
            },
            ReferralStatusCount {
                status: ReferralStatus::Sent,
                count: 1
            }
        ]
    );
    let before = f.d.ledger(&f.grid.id, "2026-11-22", 480).unwrap();
    assert_eq!((before.visits, before.residents_reached), (1, 0));
    let next = f.d.ledger(&f.grid.id, "2026-11-24", 480).unwrap();
    assert_eq!((next.visits, next.residents_reached), (1, 1));
    // In UTC the first visit falls on the 22nd (15:30).
    assert_eq!(f.d.ledger(&f.grid.id, "2026-11-22", 0).unwrap().visits, 1);
    let other = f.d.ensure_area("武昌区/水果湖街道").unwrap();
    assert_eq!(f.d.ledger(&other.id, "2026-11-23", 480).unwrap().visits, 0);
    assert!(matches!(
        f.d.ledger(&f.grid.id, "23/11/2026", 480),
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        f.d.ledger(&f.grid.id, "2026-11-23", 2000),
        Err(Error::Invalid(_))
    ));
}

#[test]
fn visits_needs_and_referrals_sync_to_another_phone() {
    let a_phone = open();
    let dir = tempfile::tempdir().unwrap();
    let b_phone = Doorstep::open_with_clock(
        dir.path().join("b.db"),
        &KEY,
        Arc::new(ManualClock::new(NOW + HOUR)),
    )
    .unwrap();
    b_phone.set_user("supplies-1").unwrap();
    let sync = |from: &Doorstep, to: &Doorstep| {
        let ops = from.pending_ops(10_000).unwrap();
        to.apply_remote(&ops).unwrap();
    };

    let r = a_phone.alone("1号", "王秀英", vec![Tag::ElderlyAlone]);
    let never = a_phone.alone("2号", "从未走访", vec![Tag::ElderlyAlone]);
    let first = a_phone.record(
        Subject::resident(&r.id),
        elderly_fine(),
        FinishVisit::outcome(VisitOutcome::Met),
        NOW - 5 * DAY,
    );
    a_phone
        .d
        .correct_visit(
            &first.visit.id,
            &VisitCorrection {
                answers: with(
                    elderly_fine(),
                    vec![
                        a("supplies_ok", Answer::Bool { value: false }),
                        a(
                            "supplies_short",
                            Answer::Choices {
                                options: vec!["oil".into()],
                            },
                        ),
                        a("can_buy_online", Answer::Bool { value: true }),
                    ],
                ),
                outcome: VisitOutcome::Met,
                note: None,
            },
        )
        .unwrap();
    let oil = a_phone.d.needs_of(&Subject::resident(&r.id)).unwrap()[0].clone();
    let referral = a_phone
        .d
        .refer_need(
            &oil.id,
            &NewReferral {
                target: ReferralTarget::SuppliesTeam,
                target_id: None,
                target_name: None,
                note: Some("一桶油".into()),
            },
        )
        .unwrap();
    sync(&a_phone.d, &b_phone);

    let snap = |d: &Doorstep| d.read(|c| crate::log::snapshot(c, crate::SCHEMA)).unwrap();
    assert_eq!(snap(&a_phone.d), snap(&b_phone), "the two stores converge");

    // The supplies team sees the referral and accepts it; the social worker sees that.
    let seen = b_phone.referral(&referral.id).unwrap();
    assert_eq!(seen.status, ReferralStatus::Sent);
    b_phone
        .set_referral_status(&referral.id, ReferralStatus::Accepted, Some("明天送"))
        .unwrap();
    sync(&b_phone, &a_phone.d);
    let back = a_phone.d.referral(&referral.id).unwrap();
    assert_eq!(back.status, ReferralStatus::Accepted);
    let history = a_phone.d.referral_history(&referral.id).unwrap();
    assert_eq!(history.last().unwrap().by_user, "supplies-1");

    // The due list on the other phone is built from synced facts alone.
    let list = |d: &Doorstep| -> Vec<(Option<String>, DueTier)> {
        d.due_list(&DueQuery {
            area_ids: vec![a_phone.grid.id.clone()],
            limit: 10,
        })
        .unwrap()
        .into_iter()
        .map(|e| (e.resident_id, e.tier))
        .collect()
    };
    let on_b = list(&b_phone);
    assert_eq!(
        on_b,
        [
            (Some(never.id.clone()), DueTier::Vulnerable),
            (Some(r.id.clone()), DueTier::Vulnerable),
        ]
    );
    assert_eq!(list(&a_phone.d), on_b);
    let history = b_phone.visit_history(&Subject::resident(&r.id)).unwrap();
    assert_eq!(history.len(), 2);
    assert!(history[0].superseded_by.is_some());
}
