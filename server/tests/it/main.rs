//! The server's integration tests, linked into one binary so a clean build links and
//! stores one test executable instead of one per file. `log_privacy` stays apart: it
//! installs a process-wide log subscriber.

#[macro_use]
#[path = "../common/mod.rs"]
mod common;

mod nodes;
mod operations;
mod station;
mod station_browser;
mod station_cli;
mod station_security;
mod station_serve;
mod station_storage;
mod store_upgrade;
mod sync;
mod sync_blobs;
mod sync_convergence;
mod sync_restart;
mod sync_trust;
