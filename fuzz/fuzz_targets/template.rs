//! A checklist template as a station admin writes it, and answers against it. The input
//! up to its first NUL is the template's JSON; the rest picks answers (to the template's
//! own questions mostly, with its own option ids) and the resident's tags. Nothing may
//! panic; an answer `check_answer` accepts is accepted again as it returned it; a
//! template `add_template` stores reads back as it was parsed.
#![no_main]

use std::sync::{Mutex, OnceLock};

use arbitrary::{Result as ArbResult, Unstructured};
use doorstep_core::visits::template::{self, Answers, QuestionKind, Template};
use doorstep_core::visits::Answer;
use doorstep_core::Doorstep;
use doorstep_fuzz::{arb_string, scratch, KEY};
use libfuzzer_sys::fuzz_target;
use tempfile::TempDir;

const TAGS: &[&str] = &[
    "elderly_alone",
    "disability",
    "child_in_hardship",
    "stranded",
    "frontline_family",
    "pregnant",
    "chronic_illness",
    "low_income",
];

/// One store for the process: `add_template` only sees parsed templates, and a template
/// id and version stored before is a conflict, which is an answer too.
fn store() -> &'static Mutex<(TempDir, Doorstep)> {
    static STORE: OnceLock<Mutex<(TempDir, Doorstep)>> = OnceLock::new();
    STORE.get_or_init(|| {
        let dir = scratch();
        let d = Doorstep::open(dir.path().join("t.db"), &KEY).expect("a store opens");
        Mutex::new((dir, d))
    })
}

fn arb_answer(u: &mut Unstructured, t: &Template) -> ArbResult<(String, Answer)> {
    let q = u.choose(&t.questions)?;
    let qid = if u.ratio(15, 16)? {
        q.id.clone()
    } else {
        arb_string(u)?
    };
    let options: Vec<String> = match &q.kind {
        QuestionKind::SingleChoice { options } | QuestionKind::MultiChoice { options } => {
            options.iter().map(|o| o.id.clone()).collect()
        }
        _ => vec![],
    };
    let option = |u: &mut Unstructured| -> ArbResult<String> {
        if !options.is_empty() && u.ratio(7, 8)? {
            Ok(u.choose(&options)?.clone())
        } else {
            arb_string(u)
        }
    };
    let a = match u.int_in_range(0..=6)? {
        0 => Answer::Bool {
            value: u.arbitrary()?,
        },
        1 => Answer::Choice { option: option(u)? },
        2 => Answer::Choices {
            options: (0..u.int_in_range(0..=4)?)
                .map(|_| option(u))
                .collect::<ArbResult<_>>()?,
        },
        3 => Answer::Number {
            value: match u.int_in_range(0..=3)? {
                0 => u.arbitrary()?,
                1 => f64::from(u.arbitrary::<i16>()?),
                2 => *u.choose(&[f64::NAN, f64::INFINITY, -0.0, f64::MAX, 1e-300])?,
                _ => f64::from(u.arbitrary::<i8>()?) / 4.0,
            },
        },
        4 => Answer::Text {
            value: if u.ratio(1, 8)? {
                "字".repeat(u.int_in_range(0..=6000)?)
            } else {
                arb_string(u)?
            },
        },
        5 => Answer::Date {
            value: arb_date(u)?,
        },
        _ => Answer::Photo {
            reference: arb_string(u)?,
        },
    };
    Ok((qid, a))
}

fn arb_date(u: &mut Unstructured) -> ArbResult<String> {
    if u.ratio(1, 2)? {
        Ok(format!(
            "{:04}-{:02}-{:02}",
            u.int_in_range(0..=10000)?,
            u.int_in_range(0..=13)?,
            u.int_in_range(0..=32)?
        ))
    } else {
        arb_string(u)
    }
}

fn answers_against(t: &Template, u: &mut Unstructured) -> ArbResult<()> {
    if t.questions.is_empty() {
        return Ok(());
    }
    let mut tags: Vec<String> = Vec::new();
    for _ in 0..u.int_in_range(0..=3)? {
        tags.push(if u.ratio(7, 8)? {
            u.choose(TAGS)?.to_string()
        } else {
            arb_string(u)?
        });
    }
    let mut checked = Answers::new();
    // Answers as they may arrive from another phone, never checked on this one.
    let mut raw = Answers::new();
    for _ in 0..u.int_in_range(0..=16)? {
        let (qid, a) = arb_answer(u, t)?;
        if let Some(q) = t.question(&qid) {
            if let Ok(ok) = template::check_answer(q, &a) {
                assert_eq!(
                    template::check_answer(q, &ok).as_ref(),
                    Ok(&ok),
                    "an accepted answer is accepted again as it is"
                );
                checked.insert(qid.clone(), ok);
            }
        }
        raw.insert(qid, a);
    }
    for answers in [&checked, &raw] {
        let visible = t.visibility(answers, &tags);
        assert_eq!(visible.len(), t.questions.len());
        let kept = t.visible_answers(answers, &tags);
        assert!(kept.len() <= answers.len());
        let _ = t.check(answers, &tags, true);
        let _ = t.check(answers, &tags, false);
        let _ = t.raised_needs(answers, &tags);
        let _ = t.fits(&tags);
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let cut = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let Ok(json) = std::str::from_utf8(&data[..cut]) else {
        return;
    };
    let rest = data.get(cut + 1..).unwrap_or_default();
    let Ok(t) = template::parse(json) else {
        return;
    };
    let _ = answers_against(&t, &mut Unstructured::new(rest));
    let guard = store().lock().unwrap_or_else(|e| e.into_inner());
    let d = &guard.1;
    if d.add_template(json).is_ok() {
        let back = d
            .template(&t.id, Some(t.version))
            .expect("a stored template reads back");
        // The same template may have been stored before as other text of equal JSON.
        let same_json = |a: &str, b: &str| {
            serde_json::from_str::<serde_json::Value>(a).ok()
                == serde_json::from_str::<serde_json::Value>(b).ok()
        };
        assert!(
            same_json(&back.body, json),
            "a stored template keeps its JSON"
        );
        let parsed = Template {
            body: back.body.clone(),
            ..t
        };
        assert!(back == parsed, "a stored template reads back as parsed");
    }
});
