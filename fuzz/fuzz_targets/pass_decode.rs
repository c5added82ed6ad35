//! Feeds arbitrary bytes and text to the pass decoder: it must never panic, and what it
//! accepts must encode back to the same pass.
#![no_main]

use doorstep_core::checkin::pass;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = pass::decode_bytes(data) {
        assert_eq!(p.to_bytes().as_slice(), data);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(p) = pass::decode(text) {
            assert_eq!(pass::decode(&p.to_text()), Ok(p));
        }
        // The same bytes behind the prefix reach the Base45 decoder too.
        let prefixed = format!("{}{text}", pass::PREFIX);
        let _ = pass::decode(&prefixed);
    }
});
