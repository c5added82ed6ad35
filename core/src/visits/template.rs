//! Checklist templates (走访清单): parsing a template's JSON with every problem reported
//! at its JSON path, `show_if` conditions, which questions are visible given the answers
//! so far, checking an answer against its question, and the mapping from answers to
//! needs.
//!
//! The parser walks `serde_json::Value` by hand instead of deriving `Deserialize`, so an
//! error can name the exact place (`$.questions[3].show_if.all[1].question`) that a
//! station admin has to fix.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use serde_json::{Map, Value};

use super::model::{Answer, AnswerIssue, AnswerProblem, NeedCategory, Urgency};
use crate::error::{Error, Result};
use crate::registry::Tag;

/// Largest template body accepted, in bytes.
pub const MAX_TEMPLATE_BYTES: usize = 256 * 1024;
const MAX_QUESTIONS: usize = 200;
const MAX_OPTIONS: usize = 50;
const MAX_RULES: usize = 200;
const MAX_LABEL: usize = 200;
const MAX_ID: usize = 64;
/// Text answers default to this many characters when the template gives no limit.
pub const DEFAULT_TEXT_LENGTH: u32 = 500;
/// The longest text answer a template may allow.
pub const MAX_TEXT_LENGTH: u32 = 5000;
const MAX_PHOTO_REF: usize = 200;
const MAX_CONDITION_DEPTH: usize = 16;

/// A label in the two languages the apps show.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct Label {
    pub zh_cn: String,
    pub en: String,
}

/// One option of a choice question.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct ChoiceOption {
    pub id: String,
    pub label: Label,
}

/// What a question asks for.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
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
        /// Only whole numbers.
        integer: bool,
        unit: Option<Label>,
    },
    Text {
        max_length: u32,
    },
    Date,
    Photo,
}

impl QuestionKind {
    /// The code used in template JSON.
    pub fn code(&self) -> &'static str {
        match self {
            QuestionKind::YesNo => "yes_no",
            QuestionKind::SingleChoice { .. } => "single_choice",
            QuestionKind::MultiChoice { .. } => "multi_choice",
            QuestionKind::Number { .. } => "number",
            QuestionKind::Text { .. } => "text",
            QuestionKind::Date => "date",
            QuestionKind::Photo => "photo",
        }
    }

    fn options(&self) -> &[ChoiceOption] {
        match self {
            QuestionKind::SingleChoice { options } | QuestionKind::MultiChoice { options } => {
                options
            }
            _ => &[],
        }
    }
}

const KINDS: &[&str] = &[
    "yes_no",
    "single_choice",
    "multi_choice",
    "number",
    "text",
    "date",
    "photo",
];

/// One question of a checklist.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct Question {
    pub id: String,
    pub label: Label,
    pub kind: QuestionKind,
    /// Must be answered (when visible) for the visit to finish as met.
    pub required: bool,
    /// Shown only when this holds over earlier answers and the resident's tags.
    pub show_if: Option<Condition>,
}

/// How a comparison compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum Comparison {
    Greater,
    GreaterOrEqual,
    Less,
    LessOrEqual,
}

/// A condition over answers and tags. Any test on an unanswered (or hidden) question is
/// false.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum Condition {
    /// Every one holds.
    All { conditions: Vec<Condition> },
    /// At least one holds.
    Any { conditions: Vec<Condition> },
    /// It does not hold.
    Not { condition: Box<Condition> },
    /// The answer equals the value. For a multiple-choice question, a single option means
    /// "includes this option" and a list means "exactly these options".
    Equals { question: String, value: Answer },
    /// The answer is one of the values; for a multiple-choice question, any picked option
    /// is one of them.
    In {
        question: String,
        values: Vec<Answer>,
    },
    /// A number (or date) answer compared with a bound.
    Compare {
        question: String,
        op: Comparison,
        value: Answer,
    },
    /// The resident (or, for a household visit, anyone in the household) has the tag.
    Tag { tag: Tag },
}

/// A mapping from answers to a need: when `when` holds, a need of `category` is raised.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct NeedRule {
    pub when: Condition,
    pub category: NeedCategory,
    pub urgency: Urgency,
    /// A question whose answer becomes the need's details.
    pub details_from: Option<String>,
    /// A text question naming the drug (medicine needs).
    pub drug_from: Option<String>,
    /// A number question giving the days of medicine left.
    pub days_left_from: Option<String>,
}

/// A checklist template, checked.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct Template {
    pub id: String,
    pub version: u32,
    pub title: Label,
    /// Tags of the residents it is for; empty means any household.
    pub applies_to: Vec<Tag>,
    /// Among fitting templates, the highest priority is picked.
    pub priority: i32,
    pub questions: Vec<Question>,
    pub needs: Vec<NeedRule>,
    /// The JSON it was read from, as stored and synced.
    pub body: String,
    /// Shipped with Doorstep rather than added at run time.
    pub builtin: bool,
}

/// A need the mapping raised from a visit's answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RaisedNeed {
    /// Index of the rule in the template's `needs`.
    pub rule: usize,
    pub category: NeedCategory,
    pub urgency: Urgency,
    pub details: Option<String>,
    pub drug: Option<String>,
    pub days_left: Option<u32>,
}

/// Answers by question id.
pub type Answers = BTreeMap<String, Answer>;

const BUILTIN_SOURCES: &[&str] = &[
    include_str!("templates/elderly_alone.json"),
    include_str!("templates/severe_disability.json"),
    include_str!("templates/child_in_hardship.json"),
    include_str!("templates/stranded_worker.json"),
    include_str!("templates/general_household.json"),
];

/// The templates shipped with Doorstep. They are not stored: every device has them, and
/// a station replaces one by adding a higher version of the same id.
pub fn builtins() -> Result<&'static [Template]> {
    static BUILTINS: OnceLock<std::result::Result<Vec<Template>, String>> = OnceLock::new();
    BUILTINS
        .get_or_init(|| {
            BUILTIN_SOURCES
                .iter()
                .map(|src| {
                    parse(src)
                        .map(|mut t| {
                            t.builtin = true;
                            t
                        })
                        .map_err(|e| e.to_string())
                })
                .collect()
        })
        .as_deref()
        .map_err(|e| Error::invalid(format!("a built-in template is broken: {e}")))
}

fn err(path: &str, reason: impl Into<String>) -> Error {
    Error::Template {
        path: path.to_string(),
        reason: reason.into(),
    }
}

/// Reads and checks a template. Every refusal is an `Error::Template` naming the JSON
/// path of the problem.
pub fn parse(json: &str) -> Result<Template> {
    if json.len() > MAX_TEMPLATE_BYTES {
        return Err(err(
            "$",
            format!(
                "template is {} bytes, more than the {MAX_TEMPLATE_BYTES} allowed",
                json.len()
            ),
        ));
    }
    let root: Value = serde_json::from_str(json).map_err(|e| {
        err(
            "$",
            format!(
                "malformed JSON at line {} column {}: {e}",
                e.line(),
                e.column()
            ),
        )
    })?;
    let map = object(&root, "$")?;
    allow_keys(
        map,
        "$",
        &[
            "id",
            "version",
            "title",
            "applies_to",
            "priority",
            "questions",
            "needs",
            "description",
        ],
    )?;
    let id = ident(required(map, "$", "id")?, "$.id")?;
    let version = match required(map, "$", "version")? {
        Value::Number(n) => n
            .as_u64()
            .filter(|v| (1..=1_000_000).contains(v))
            .ok_or_else(|| {
                err(
                    "$.version",
                    format!("version {n} is not a whole number from 1 to 1000000"),
                )
            })? as u32,
        other => {
            return Err(err(
                "$.version",
                format!("expected a number, found {}", type_name(other)),
            ))
        }
    };
    let title = label(required(map, "$", "title")?, "$.title")?;
    if let Some(d) = map.get("description") {
        label(d, "$.description")?;
    }
    let mut applies_to = Vec::new();
    if let Some(v) = map.get("applies_to") {
        for (i, t) in array(v, "$.applies_to")?.iter().enumerate() {
            let path = format!("$.applies_to[{i}]");
            let code = string(t, &path)?;
            let tag = Tag::parse(code).map_err(|e| err(&path, e.to_string()))?;
            applies_to.push(tag);
        }
    }
    applies_to.sort();
    applies_to.dedup();
    let priority = match map.get("priority") {
        None => 0,
        Some(Value::Number(n)) => n
            .as_i64()
            .filter(|p| (-1000..=1000).contains(p))
            .ok_or_else(|| {
                err(
                    "$.priority",
                    format!("priority {n} is not a whole number from -1000 to 1000"),
                )
            })? as i32,
        Some(other) => {
            return Err(err(
                "$.priority",
                format!("expected a number, found {}", type_name(other)),
            ))
        }
    };

    let raw_questions = array(required(map, "$", "questions")?, "$.questions")?;
    if raw_questions.is_empty() {
        return Err(err("$.questions", "a template needs at least one question"));
    }
    if raw_questions.len() > MAX_QUESTIONS {
        return Err(err(
            "$.questions",
            format!(
                "{} questions, more than the {MAX_QUESTIONS} allowed",
                raw_questions.len()
            ),
        ));
    }
    // First the questions without their conditions, so conditions can check the kind of
    // any question they name, earlier or later.
    let mut questions: Vec<Question> = Vec::with_capacity(raw_questions.len());
    let mut index: HashMap<String, usize> = HashMap::new();
    for (i, raw) in raw_questions.iter().enumerate() {
        let path = format!("$.questions[{i}]");
        let q = question(raw, &path)?;
        if let Some(first) = index.get(&q.id) {
            return Err(err(
                &format!("{path}.id"),
                format!(
                    "duplicate question id {:?} (also $.questions[{first}])",
                    q.id
                ),
            ));
        }
        index.insert(q.id.clone(), i);
        questions.push(q);
    }
    let mut refs: Vec<Vec<(usize, String)>> = vec![Vec::new(); questions.len()];
    let mut conditions = Vec::with_capacity(questions.len());
    for (i, raw) in raw_questions.iter().enumerate() {
        let cond = match raw.get("show_if") {
            None | Some(Value::Null) => None,
            Some(v) => {
                let path = format!("$.questions[{i}].show_if");
                let mut ctx = CondCtx {
                    questions: &questions,
                    index: &index,
                    refs: Vec::new(),
                };
                let c = condition(v, &path, &mut ctx, 0)?;
                refs[i] = ctx.refs;
                Some(c)
            }
        };
        conditions.push(cond);
    }
    check_order(&questions, &refs)?;
    for (q, c) in questions.iter_mut().zip(conditions) {
        q.show_if = c;
    }

    let mut needs = Vec::new();
    if let Some(v) = map.get("needs") {
        let rules = array(v, "$.needs")?;
        if rules.len() > MAX_RULES {
            return Err(err(
                "$.needs",
                format!(
                    "{} need rules, more than the {MAX_RULES} allowed",
                    rules.len()
                ),
            ));
        }
        for (i, raw) in rules.iter().enumerate() {
            needs.push(need_rule(
                raw,
                &format!("$.needs[{i}]"),
                &questions,
                &index,
            )?);
        }
    }
    Ok(Template {
        id,
        version,
        title,
        applies_to,
        priority,
        questions,
        needs,
        body: json.to_string(),
        builtin: false,
    })
}

/// Refuses a `show_if` cycle first (it names the loop), then a `show_if` that looks at a
/// question further down: answers are given top to bottom.
fn check_order(questions: &[Question], refs: &[Vec<(usize, String)>]) -> Result<()> {
    // 0 = unseen, 1 = on the stack, 2 = done.
    let mut state = vec![0u8; questions.len()];
    let mut stack: Vec<usize> = Vec::new();
    fn visit(
        i: usize,
        refs: &[Vec<(usize, String)>],
        state: &mut [u8],
        stack: &mut Vec<usize>,
        questions: &[Question],
    ) -> Result<()> {
        state[i] = 1;
        stack.push(i);
        for (j, path) in &refs[i] {
            match state[*j] {
                1 => {
                    let from = stack.iter().position(|k| k == j).unwrap_or(0);
                    let mut names: Vec<&str> = stack[from..]
                        .iter()
                        .map(|k| questions[*k].id.as_str())
                        .collect();
                    names.push(questions[*j].id.as_str());
                    return Err(err(
                        path,
                        format!("show_if forms a cycle: {}", names.join(" → ")),
                    ));
                }
                0 => visit(*j, refs, state, stack, questions)?,
                _ => {}
            }
        }
        stack.pop();
        state[i] = 2;
        Ok(())
    }
    for i in 0..questions.len() {
        if state[i] == 0 {
            visit(i, refs, &mut state, &mut stack, questions)?;
        }
    }
    for (i, rs) in refs.iter().enumerate() {
        for (j, path) in rs {
            if *j > i {
                return Err(err(
                    path,
                    format!(
                        "question {:?} depends on {:?}, which comes later; a question may only depend on earlier ones",
                        questions[i].id, questions[*j].id
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn question(v: &Value, path: &str) -> Result<Question> {
    let map = object(v, path)?;
    allow_keys(
        map,
        path,
        &[
            "id",
            "kind",
            "label",
            "required",
            "show_if",
            "options",
            "min",
            "max",
            "integer",
            "unit",
            "max_length",
            "help",
        ],
    )?;
    let id = ident(required(map, path, "id")?, &format!("{path}.id"))?;
    let kind_path = format!("{path}.kind");
    let kind_code = string(required(map, path, "kind")?, &kind_path)?;
    let label_v = label(required(map, path, "label")?, &format!("{path}.label"))?;
    if let Some(h) = map.get("help") {
        label(h, &format!("{path}.help"))?;
    }
    let required_flag = match map.get("required") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(err(
                &format!("{path}.required"),
                format!("expected true or false, found {}", type_name(other)),
            ))
        }
    };
    let only = |keys: &[&str]| -> Result<()> {
        for k in ["options", "min", "max", "integer", "unit", "max_length"] {
            if !keys.contains(&k) && map.contains_key(k) {
                return Err(err(
                    &format!("{path}.{k}"),
                    format!("a {kind_code} question takes no {k}"),
                ));
            }
        }
        Ok(())
    };
    let kind = match kind_code {
        "yes_no" => {
            only(&[])?;
            QuestionKind::YesNo
        }
        "single_choice" | "multi_choice" => {
            only(&["options"])?;
            let opath = format!("{path}.options");
            let raw = array(required(map, path, "options")?, &opath)?;
            if raw.is_empty() || raw.len() > MAX_OPTIONS {
                return Err(err(
                    &opath,
                    format!(
                        "a choice question needs 1 to {MAX_OPTIONS} options, found {}",
                        raw.len()
                    ),
                ));
            }
            let mut options: Vec<ChoiceOption> = Vec::with_capacity(raw.len());
            for (k, o) in raw.iter().enumerate() {
                let p = format!("{opath}[{k}]");
                let m = object(o, &p)?;
                allow_keys(m, &p, &["id", "label"])?;
                let oid = ident(required(m, &p, "id")?, &format!("{p}.id"))?;
                if options.iter().any(|x| x.id == oid) {
                    return Err(err(
                        &format!("{p}.id"),
                        format!("duplicate option id {oid:?}"),
                    ));
                }
                options.push(ChoiceOption {
                    id: oid,
                    label: label(required(m, &p, "label")?, &format!("{p}.label"))?,
                });
            }
            if kind_code == "single_choice" {
                QuestionKind::SingleChoice { options }
            } else {
                QuestionKind::MultiChoice { options }
            }
        }
        "number" => {
            only(&["min", "max", "integer", "unit"])?;
            let num = |k: &str| -> Result<Option<f64>> {
                match map.get(k) {
                    None | Some(Value::Null) => Ok(None),
                    Some(Value::Number(n)) => Ok(n.as_f64()),
                    Some(other) => Err(err(
                        &format!("{path}.{k}"),
                        format!("expected a number, found {}", type_name(other)),
                    )),
                }
            };
            let (min, max) = (num("min")?, num("max")?);
            if let (Some(lo), Some(hi)) = (min, max) {
                if lo > hi {
                    return Err(err(
                        &format!("{path}.max"),
                        format!("max {hi} is below min {lo}"),
                    ));
                }
            }
            let integer = match map.get("integer") {
                None => false,
                Some(Value::Bool(b)) => *b,
                Some(other) => {
                    return Err(err(
                        &format!("{path}.integer"),
                        format!("expected true or false, found {}", type_name(other)),
                    ))
                }
            };
            let unit = map
                .get("unit")
                .map(|u| label(u, &format!("{path}.unit")))
                .transpose()?;
            QuestionKind::Number {
                min,
                max,
                integer,
                unit,
            }
        }
        "text" => {
            only(&["max_length"])?;
            let max_length = match map.get("max_length") {
                None => DEFAULT_TEXT_LENGTH,
                Some(Value::Number(n)) => n
                    .as_u64()
                    .filter(|l| (1..=MAX_TEXT_LENGTH as u64).contains(l))
                    .ok_or_else(|| {
                        err(
                            &format!("{path}.max_length"),
                            format!(
                                "max_length {n} is not a whole number from 1 to {MAX_TEXT_LENGTH}"
                            ),
                        )
                    })? as u32,
                Some(other) => {
                    return Err(err(
                        &format!("{path}.max_length"),
                        format!("expected a number, found {}", type_name(other)),
                    ))
                }
            };
            QuestionKind::Text { max_length }
        }
        "date" => {
            only(&[])?;
            QuestionKind::Date
        }
        "photo" => {
            only(&[])?;
            QuestionKind::Photo
        }
        other => {
            return Err(err(
                &kind_path,
                format!(
                    "question kind {other:?} is unknown (one of {})",
                    KINDS.join(", ")
                ),
            ))
        }
    };
    Ok(Question {
        id,
        label: label_v,
        kind,
        required: required_flag,
        show_if: None,
    })
}

struct CondCtx<'a> {
    questions: &'a [Question],
    index: &'a HashMap<String, usize>,
    /// Questions named, with the path of the name.
    refs: Vec<(usize, String)>,
}

const LEAF_OPS: &[&str] = &["equals", "in", "gt", "gte", "lt", "lte"];

fn condition(v: &Value, path: &str, ctx: &mut CondCtx, depth: usize) -> Result<Condition> {
    if depth > MAX_CONDITION_DEPTH {
        return Err(err(
            path,
            format!("condition nested deeper than {MAX_CONDITION_DEPTH}"),
        ));
    }
    let map = object(v, path)?;
    if map.len() == 1 {
        let (k, inner) = map.iter().next().expect("a map of length 1 has an entry");
        let p = format!("{path}.{k}");
        match k.as_str() {
            "all" | "any" => {
                let items = array(inner, &p)?;
                if items.is_empty() {
                    return Err(err(&p, format!("{k} needs at least one condition")));
                }
                let mut out = Vec::with_capacity(items.len());
                for (i, c) in items.iter().enumerate() {
                    out.push(condition(c, &format!("{p}[{i}]"), ctx, depth + 1)?);
                }
                return Ok(if k == "all" {
                    Condition::All { conditions: out }
                } else {
                    Condition::Any { conditions: out }
                });
            }
            "not" => {
                return Ok(Condition::Not {
                    condition: Box::new(condition(inner, &p, ctx, depth + 1)?),
                })
            }
            "tag" => {
                let code = string(inner, &p)?;
                let tag = Tag::parse(code).map_err(|e| err(&p, e.to_string()))?;
                return Ok(Condition::Tag { tag });
            }
            _ => {}
        }
    }
    // A leaf: {"question": "id", <op>: value}.
    let Some(qv) = map.get("question") else {
        let keys: Vec<&str> = map.keys().map(String::as_str).collect();
        return Err(err(
            path,
            format!(
                "a condition is one of all, any, not, tag, or question with {}; found {{{}}}",
                LEAF_OPS.join("/"),
                keys.join(", ")
            ),
        ));
    };
    let qpath = format!("{path}.question");
    let qid = string(qv, &qpath)?;
    let Some(&qi) = ctx.index.get(qid) else {
        return Err(err(
            &qpath,
            format!("refers to question {qid:?}, which does not exist"),
        ));
    };
    ctx.refs.push((qi, qpath));
    let q = &ctx.questions[qi];
    let ops: Vec<&String> = map.keys().filter(|k| *k != "question").collect();
    let op = match ops.as_slice() {
        [one] => one.as_str(),
        [] => {
            return Err(err(
                path,
                format!("a question test needs one of {}", LEAF_OPS.join(", ")),
            ))
        }
        many => {
            let names: Vec<&str> = many.iter().map(|s| s.as_str()).collect();
            if let Some(bad) = names.iter().find(|n| !LEAF_OPS.contains(n)) {
                return Err(err(
                    &format!("{path}.{bad}"),
                    format!("unknown operator {bad:?} (one of {})", LEAF_OPS.join(", ")),
                ));
            }
            return Err(err(
                path,
                format!(
                    "a question test takes one operator, found {}",
                    names.join(" and ")
                ),
            ));
        }
    };
    let vpath = format!("{path}.{op}");
    let value = &map[op];
    let question = q.id.clone();
    match op {
        "equals" => Ok(Condition::Equals {
            value: operand(q, value, &vpath, true)?,
            question,
        }),
        "in" => {
            let items = array(value, &vpath)?;
            if items.is_empty() {
                return Err(err(&vpath, "in needs at least one value"));
            }
            let mut values = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                values.push(operand(q, item, &format!("{vpath}[{i}]"), false)?);
            }
            Ok(Condition::In { question, values })
        }
        "gt" | "gte" | "lt" | "lte" => {
            let cmp = match op {
                "gt" => Comparison::Greater,
                "gte" => Comparison::GreaterOrEqual,
                "lt" => Comparison::Less,
                _ => Comparison::LessOrEqual,
            };
            let value = match (&q.kind, value) {
                (QuestionKind::Number { .. }, Value::Number(n)) => Answer::Number {
                    value: n.as_f64().unwrap_or(0.0),
                },
                (QuestionKind::Date, Value::String(s)) => Answer::Date {
                    value: date(s, &vpath)?,
                },
                (QuestionKind::Number { .. }, other) => {
                    return Err(err(
                        &vpath,
                        format!("expected a number, found {}", type_name(other)),
                    ))
                }
                (QuestionKind::Date, other) => {
                    return Err(err(
                        &vpath,
                        format!("expected a date \"YYYY-MM-DD\", found {}", type_name(other)),
                    ))
                }
                (kind, _) => {
                    return Err(err(
                        &vpath,
                        format!(
                            "{op} compares numbers or dates, but question {:?} is {}",
                            q.id,
                            kind.code()
                        ),
                    ))
                }
            };
            Ok(Condition::Compare {
                question,
                op: cmp,
                value,
            })
        }
        other => Err(err(
            &vpath,
            format!(
                "unknown operator {other:?} (one of {})",
                LEAF_OPS.join(", ")
            ),
        )),
    }
}

/// A value a condition compares an answer with, checked against the question's kind.
fn operand(q: &Question, v: &Value, path: &str, allow_list: bool) -> Result<Answer> {
    let option = |s: &str| -> Result<String> {
        if q.kind.options().iter().any(|o| o.id == s) {
            Ok(s.to_string())
        } else {
            Err(err(
                path,
                format!("question {:?} has no option {s:?}", q.id),
            ))
        }
    };
    match (&q.kind, v) {
        (QuestionKind::YesNo, Value::Bool(b)) => Ok(Answer::Bool { value: *b }),
        (QuestionKind::SingleChoice { .. }, Value::String(s)) => {
            Ok(Answer::Choice { option: option(s)? })
        }
        (QuestionKind::MultiChoice { .. }, Value::String(s)) => {
            Ok(Answer::Choice { option: option(s)? })
        }
        (QuestionKind::MultiChoice { .. }, Value::Array(items)) if allow_list => {
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let p = format!("{path}[{i}]");
                let s = string(item, &p)?;
                if !q.kind.options().iter().any(|o| o.id == s) {
                    return Err(err(&p, format!("question {:?} has no option {s:?}", q.id)));
                }
                out.push(s.to_string());
            }
            out.sort();
            out.dedup();
            Ok(Answer::Choices { options: out })
        }
        (QuestionKind::Number { .. }, Value::Number(n)) => Ok(Answer::Number {
            value: n.as_f64().unwrap_or(0.0),
        }),
        (QuestionKind::Text { .. }, Value::String(s)) => Ok(Answer::Text {
            value: s.trim().to_string(),
        }),
        (QuestionKind::Date, Value::String(s)) => Ok(Answer::Date {
            value: date(s, path)?,
        }),
        (QuestionKind::Photo, _) => Err(err(
            path,
            format!(
                "question {:?} is a photo; a condition can only test photos with other questions",
                q.id
            ),
        )),
        (kind, other) => Err(err(
            path,
            format!(
                "question {:?} is {}, which cannot equal {}",
                q.id,
                kind.code(),
                type_name(other)
            ),
        )),
    }
}

fn need_rule(
    v: &Value,
    path: &str,
    questions: &[Question],
    index: &HashMap<String, usize>,
) -> Result<NeedRule> {
    let map = object(v, path)?;
    allow_keys(
        map,
        path,
        &[
            "when",
            "category",
            "urgency",
            "details_from",
            "drug_from",
            "days_left_from",
        ],
    )?;
    let mut ctx = CondCtx {
        questions,
        index,
        refs: Vec::new(),
    };
    let when = condition(
        required(map, path, "when")?,
        &format!("{path}.when"),
        &mut ctx,
        0,
    )?;
    let cpath = format!("{path}.category");
    let code = string(required(map, path, "category")?, &cpath)?;
    let category = NeedCategory::parse(code).map_err(|e| err(&cpath, e.to_string()))?;
    let upath = format!("{path}.urgency");
    let code = string(required(map, path, "urgency")?, &upath)?;
    let urgency = Urgency::from_code(code).ok_or_else(|| {
        err(
            &upath,
            format!(
                "urgency {code:?} is unknown (one of {})",
                Urgency::ALL.map(|u| u.code()).join(", ")
            ),
        )
    })?;
    let from =
        |key: &str, fits: &dyn Fn(&QuestionKind) -> bool, what: &str| -> Result<Option<String>> {
            let Some(v) = map.get(key) else {
                return Ok(None);
            };
            let p = format!("{path}.{key}");
            let qid = string(v, &p)?;
            let Some(&i) = index.get(qid) else {
                return Err(err(
                    &p,
                    format!("refers to question {qid:?}, which does not exist"),
                ));
            };
            if !fits(&questions[i].kind) {
                return Err(err(
                    &p,
                    format!(
                        "question {qid:?} is {}; {key} needs {what}",
                        questions[i].kind.code()
                    ),
                ));
            }
            Ok(Some(qid.to_string()))
        };
    let details_from = from(
        "details_from",
        &|k| {
            matches!(
                k,
                QuestionKind::Text { .. }
                    | QuestionKind::SingleChoice { .. }
                    | QuestionKind::MultiChoice { .. }
            )
        },
        "a text or choice question",
    )?;
    let drug_from = from(
        "drug_from",
        &|k| matches!(k, QuestionKind::Text { .. }),
        "a text question",
    )?;
    let days_left_from = from(
        "days_left_from",
        &|k| matches!(k, QuestionKind::Number { .. }),
        "a number question",
    )?;
    Ok(NeedRule {
        when,
        category,
        urgency,
        details_from,
        drug_from,
        days_left_from,
    })
}

// Small readers that name the path of what they refuse.

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn object<'a>(v: &'a Value, path: &str) -> Result<&'a Map<String, Value>> {
    v.as_object()
        .ok_or_else(|| err(path, format!("expected an object, found {}", type_name(v))))
}

fn array<'a>(v: &'a Value, path: &str) -> Result<&'a Vec<Value>> {
    v.as_array()
        .ok_or_else(|| err(path, format!("expected an array, found {}", type_name(v))))
}

fn string<'a>(v: &'a Value, path: &str) -> Result<&'a str> {
    v.as_str()
        .ok_or_else(|| err(path, format!("expected a string, found {}", type_name(v))))
}

fn required<'a>(map: &'a Map<String, Value>, path: &str, key: &str) -> Result<&'a Value> {
    map.get(key)
        .ok_or_else(|| err(&format!("{path}.{key}"), format!("{key} is missing")))
}

/// Refuses keys a template does not know, so a typo ("requried") is not silently ignored.
fn allow_keys(map: &Map<String, Value>, path: &str, keys: &[&str]) -> Result<()> {
    for k in map.keys() {
        if !keys.contains(&k.as_str()) {
            return Err(err(
                &format!("{path}.{k}"),
                format!("unknown field {k:?} (known: {})", keys.join(", ")),
            ));
        }
    }
    Ok(())
}

fn ident(v: &Value, path: &str) -> Result<String> {
    let s = string(v, path)?;
    let ok = !s.is_empty()
        && s.len() <= MAX_ID
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-' | '.'));
    if !ok {
        return Err(err(
            path,
            format!("id {s:?} must be 1 to {MAX_ID} characters of a-z, 0-9, '_', '-' or '.'"),
        ));
    }
    Ok(s.to_string())
}

fn label(v: &Value, path: &str) -> Result<Label> {
    let map = object(v, path)?;
    allow_keys(map, path, &["zh-CN", "en"])?;
    let get = |key: &str| -> Result<String> {
        let p = format!("{path}.{key}");
        let s = string(required(map, path, key)?, &p)?.trim().to_string();
        if s.is_empty() || s.chars().count() > MAX_LABEL {
            return Err(err(&p, format!("a label is 1 to {MAX_LABEL} characters")));
        }
        Ok(s)
    };
    Ok(Label {
        zh_cn: get("zh-CN")?,
        en: get("en")?,
    })
}

fn date(s: &str, path: &str) -> Result<String> {
    parse_date(s).ok_or_else(|| err(path, format!("{s:?} is not a date \"YYYY-MM-DD\"")))
}

/// A `YYYY-MM-DD` date, normalised, or `None`.
pub fn parse_date(s: &str) -> Option<String> {
    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .ok()
        .map(|d| d.format("%Y-%m-%d").to_string())
}

impl Template {
    /// The question with this id.
    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }

    /// Whether the template is meant for someone with these tags: any of its tags, or
    /// anyone when it names none.
    pub fn fits(&self, tags: &[String]) -> bool {
        self.applies_to.is_empty() || self.applies_to.iter().any(|t| tags.contains(&t.code()))
    }

    /// For each question in order, whether it is visible given the answers and tags.
    /// Answers to hidden questions count as not given.
    pub fn visibility(&self, answers: &Answers, tags: &[String]) -> Vec<bool> {
        let mut visible = Vec::with_capacity(self.questions.len());
        let mut seen: Answers = Answers::new();
        for q in &self.questions {
            let shown = q.show_if.as_ref().is_none_or(|c| c.holds(&seen, tags));
            if shown {
                if let Some(a) = answers.get(&q.id) {
                    seen.insert(q.id.clone(), a.clone());
                }
            }
            visible.push(shown);
        }
        visible
    }

    /// The answers that count: those to visible questions, in template order.
    pub fn visible_answers(&self, answers: &Answers, tags: &[String]) -> Answers {
        let visible = self.visibility(answers, tags);
        self.questions
            .iter()
            .zip(visible)
            .filter(|(_, v)| *v)
            .filter_map(|(q, _)| answers.get(&q.id).map(|a| (q.id.clone(), a.clone())))
            .collect()
    }

    /// Problems with a full set of answers: unknown or hidden questions answered, bad
    /// values, and (when `complete`) required visible questions left unanswered.
    pub fn check(&self, answers: &Answers, tags: &[String], complete: bool) -> Vec<AnswerIssue> {
        let mut issues = Vec::new();
        for id in answers.keys() {
            if self.question(id).is_none() {
                issues.push(AnswerIssue {
                    question_id: id.clone(),
                    problem: AnswerProblem::UnknownQuestion,
                    message: format!(
                        "template {}@{} has no question {id:?}",
                        self.id, self.version
                    ),
                });
            }
        }
        let visible = self.visibility(answers, tags);
        for (q, shown) in self.questions.iter().zip(visible) {
            match (answers.get(&q.id), shown) {
                (Some(_), false) => issues.push(AnswerIssue {
                    question_id: q.id.clone(),
                    problem: AnswerProblem::Hidden,
                    message: format!(
                        "question {:?} is hidden by its show_if, so it takes no answer",
                        q.id
                    ),
                }),
                (Some(a), true) => {
                    if let Err(issue) = check_answer(q, a) {
                        issues.push(issue);
                    }
                }
                (None, true) if complete && q.required => issues.push(AnswerIssue {
                    question_id: q.id.clone(),
                    problem: AnswerProblem::Missing,
                    message: format!("question {:?} is required", q.id),
                }),
                _ => {}
            }
        }
        issues
    }

    /// The needs the mapping raises from these answers: rules are tried in order and a
    /// category is raised at most once (by the first rule for it that holds).
    pub fn raised_needs(&self, answers: &Answers, tags: &[String]) -> Vec<RaisedNeed> {
        let answers = self.visible_answers(answers, tags);
        let mut out: Vec<RaisedNeed> = Vec::new();
        for (i, rule) in self.needs.iter().enumerate() {
            if out.iter().any(|n| n.category == rule.category) || !rule.when.holds(&answers, tags) {
                continue;
            }
            let details = rule
                .details_from
                .as_deref()
                .and_then(|q| self.describe(q, answers.get(q)?));
            let drug = rule
                .drug_from
                .as_deref()
                .and_then(|q| match answers.get(q) {
                    Some(Answer::Text { value: t }) if !t.is_empty() => Some(t.clone()),
                    _ => None,
                });
            let days_left = rule
                .days_left_from
                .as_deref()
                .and_then(|q| match answers.get(q) {
                    Some(Answer::Number { value: n }) if *n >= 0.0 => {
                        Some(n.floor().min(10_000.0) as u32)
                    }
                    _ => None,
                });
            out.push(RaisedNeed {
                rule: i,
                category: rule.category,
                urgency: rule.urgency,
                details,
                drug,
                days_left,
            });
        }
        out
    }

    /// An answer in words, for a need's details: text as written, options by their
    /// zh-CN label.
    fn describe(&self, question: &str, answer: &Answer) -> Option<String> {
        let q = self.question(question)?;
        let name = |id: &str| {
            q.kind
                .options()
                .iter()
                .find(|o| o.id == id)
                .map(|o| o.label.zh_cn.clone())
                .unwrap_or_else(|| id.to_string())
        };
        let text = match answer {
            Answer::Text { value: t } => t.clone(),
            Answer::Choice { option: c } => name(c),
            Answer::Choices { options: cs } => {
                cs.iter().map(|c| name(c)).collect::<Vec<_>>().join("、")
            }
            _ => return None,
        };
        (!text.is_empty()).then_some(text)
    }
}

/// Checks one answer against its question and returns it normalised (text trimmed,
/// choices in option order).
pub fn check_answer(q: &Question, a: &Answer) -> std::result::Result<Answer, AnswerIssue> {
    let issue = |problem: AnswerProblem, message: String| AnswerIssue {
        question_id: q.id.clone(),
        problem,
        message,
    };
    let has = |id: &str| q.kind.options().iter().any(|o| o.id == id);
    match (&q.kind, a) {
        (QuestionKind::YesNo, Answer::Bool { value: _ }) => Ok(a.clone()),
        (QuestionKind::SingleChoice { .. }, Answer::Choice { option: c }) => {
            if has(c) {
                Ok(a.clone())
            } else {
                Err(issue(
                    AnswerProblem::UnknownOption,
                    format!("question {:?} has no option {c:?}", q.id),
                ))
            }
        }
        (QuestionKind::MultiChoice { options }, Answer::Choices { options: cs }) => {
            if let Some(bad) = cs.iter().find(|c| !has(c)) {
                return Err(issue(
                    AnswerProblem::UnknownOption,
                    format!("question {:?} has no option {bad:?}", q.id),
                ));
            }
            Ok(Answer::Choices {
                options: options
                    .iter()
                    .filter(|o| cs.contains(&o.id))
                    .map(|o| o.id.clone())
                    .collect(),
            })
        }
        (
            QuestionKind::Number {
                min, max, integer, ..
            },
            Answer::Number { value: n },
        ) => {
            if !n.is_finite() {
                return Err(issue(
                    AnswerProblem::OutOfRange,
                    format!("question {:?}: {n} is not a number", q.id),
                ));
            }
            if let Some(lo) = min.filter(|lo| n < lo) {
                return Err(issue(
                    AnswerProblem::OutOfRange,
                    format!("question {:?}: {n} is below the minimum {lo}", q.id),
                ));
            }
            if let Some(hi) = max.filter(|hi| n > hi) {
                return Err(issue(
                    AnswerProblem::OutOfRange,
                    format!("question {:?}: {n} is above the maximum {hi}", q.id),
                ));
            }
            if *integer && n.fract() != 0.0 {
                return Err(issue(
                    AnswerProblem::OutOfRange,
                    format!("question {:?}: {n} is not a whole number", q.id),
                ));
            }
            Ok(a.clone())
        }
        (QuestionKind::Text { max_length }, Answer::Text { value: t }) => {
            let t = t.trim();
            let n = t.chars().count();
            if n > *max_length as usize {
                return Err(issue(
                    AnswerProblem::TooLong,
                    format!(
                        "question {:?}: text is {n} characters, more than the {max_length} allowed",
                        q.id
                    ),
                ));
            }
            Ok(Answer::Text {
                value: t.to_string(),
            })
        }
        (QuestionKind::Date, Answer::Date { value: d }) => parse_date(d)
            .map(|value| Answer::Date { value })
            .ok_or_else(|| {
                issue(
                    AnswerProblem::Malformed,
                    format!("question {:?}: {d:?} is not a date \"YYYY-MM-DD\"", q.id),
                )
            }),
        (QuestionKind::Photo, Answer::Photo { reference: p }) => {
            let p = p.trim();
            if p.is_empty() || p.len() > MAX_PHOTO_REF || p.chars().any(char::is_control) {
                return Err(issue(
                    AnswerProblem::Malformed,
                    format!(
                        "question {:?}: a photo reference is 1 to {MAX_PHOTO_REF} printable characters",
                        q.id
                    ),
                ));
            }
            Ok(Answer::Photo {
                reference: p.to_string(),
            })
        }
        (kind, a) => Err(issue(
            AnswerProblem::WrongType,
            format!(
                "question {:?} is {} and takes no {} answer",
                q.id,
                kind.code(),
                a.kind_name()
            ),
        )),
    }
}

impl Condition {
    /// Whether the condition holds over these answers and tags.
    pub fn holds(&self, answers: &Answers, tags: &[String]) -> bool {
        match self {
            Condition::All { conditions } => conditions.iter().all(|c| c.holds(answers, tags)),
            Condition::Any { conditions } => conditions.iter().any(|c| c.holds(answers, tags)),
            Condition::Not { condition } => !condition.holds(answers, tags),
            Condition::Tag { tag } => tags.contains(&tag.code()),
            Condition::Equals { question, value } => {
                answers.get(question).is_some_and(|a| equals(a, value))
            }
            Condition::In { question, values } => answers.get(question).is_some_and(|a| match a {
                Answer::Choices { options: picked } => picked.iter().any(|p| {
                    values
                        .iter()
                        .any(|v| matches!(v, Answer::Choice { option: c } if c == p))
                }),
                one => values.iter().any(|v| equals(one, v)),
            }),
            Condition::Compare {
                question,
                op,
                value,
            } => answers.get(question).is_some_and(|a| {
                let ord = match (a, value) {
                    (Answer::Number { value: x }, Answer::Number { value: y }) => x.partial_cmp(y),
                    // ISO dates order as strings.
                    (Answer::Date { value: x }, Answer::Date { value: y }) => Some(x.cmp(y)),
                    _ => None,
                };
                ord.is_some_and(|o| match op {
                    Comparison::Greater => o.is_gt(),
                    Comparison::GreaterOrEqual => o.is_ge(),
                    Comparison::Less => o.is_lt(),
                    Comparison::LessOrEqual => o.is_le(),
                })
            }),
        }
    }
}

fn equals(answer: &Answer, value: &Answer) -> bool {
    match (answer, value) {
        (Answer::Choices { options: picked }, Answer::Choice { option: c }) => picked.contains(c),
        (Answer::Choices { options: picked }, Answer::Choices { options: want }) => {
            let mut p = picked.clone();
            p.sort();
            p == *want
        }
        (Answer::Number { value: x }, Answer::Number { value: y }) => x == y,
        (a, b) => a == b,
    }
}
