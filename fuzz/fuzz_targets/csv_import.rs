//! A residents sheet from anywhere: bytes in any encoding imported by `import_csv` into a
//! copy of a phone that holds half of the demo. Nothing may panic; the report adds up; a
//! sheet refused whole stores nothing; the store's integrity check stays clean; search
//! over what was stored panics nowhere. libFuzzer's RSS limit bounds memory.
#![no_main]

use doorstep_core::registry::{SearchQuery, MAX_REPORTED_ERRORS};
use doorstep_core::Doorstep;
use doorstep_fuzz::{fixture, KEY};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let fx = fixture();
    let (_dir, file) = fx.phone_copy();
    let d = Doorstep::open(&file, &KEY).expect("the phone copy opens");
    let before = d.pending_op_count().expect("pending count");
    if let Ok(r) = d.import_csv(data) {
        assert!(r.rows_refused <= r.rows, "{r:?}");
        assert!(r.errors.len() as u64 <= r.error_count, "{r:?}");
        assert!(r.errors.len() <= MAX_REPORTED_ERRORS);
        assert!(r.rows_refused <= r.error_count, "{r:?}");
        assert!(
            r.residents_added + r.residents_updated + r.unchanged <= r.rows,
            "{r:?}"
        );
        let after = d.pending_op_count().expect("pending count");
        if r.refused_whole {
            assert_eq!(after, before, "a sheet refused whole stores nothing");
        }
    } else {
        assert_eq!(d.pending_op_count().expect("pending count"), before);
    }
    assert_eq!(
        d.check_integrity().expect("integrity check runs"),
        Vec::<String>::new()
    );
    for text in ["王", "w", "1"] {
        let _ = d.search(&SearchQuery {
            text: text.into(),
            area_id: None,
            tag: None,
            limit: 20,
        });
    }
});
