//! A process's first stores opened from many threads at once. SQLite reports itself
//! initialised before SQLCipher has finished starting, and a thread that keyed its
//! connection in between was refused. This binary opens no store before the threads do,
//! so they race through start-up; the race is narrow, so a pass proves little alone, but
//! a failure here names the fault.

use std::sync::{Arc, Barrier};

use doorstep_core::Doorstep;

#[test]
fn stores_opened_by_many_threads_at_start_all_open() {
    let dir = tempfile::tempdir().unwrap();
    let threads = 16;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|i| {
            let path = dir.path().join(format!("s{i}.db"));
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                Doorstep::open(&path, &[i as u8; 32]).map(|d| d.areas().map(|a| a.len()))
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap().unwrap().unwrap(), 0);
    }
}
