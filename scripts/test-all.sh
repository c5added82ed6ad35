#!/usr/bin/env bash
# The one test command: formatting, lints, every Rust test, the API contract
# (schemathesis), then the Python, Kotlin and Swift suites against the real cdylib. Installs what the suites need on first run.
set -euo pipefail
cd "$(dirname "$0")/.."
# A clean run never reuses incremental state; without it the build writes gigabytes less.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

step() { printf '\n== %s ==\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check
step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets -- -D warnings
step "core has no uniffi without its ffi feature"
scripts/check-core-tree.sh
step "test tools"
scripts/install-tools.sh
step "cargo test (with a throwaway PostgreSQL for the server's PostgreSQL tests)"
scripts/with-postgres.sh cargo test --workspace
step "API contract: schemathesis against a running station, without and with a token"
tests/api/run.sh
step "python bindings, against a stripped release-profile library"
# The release profile's own symbol and strip settings, with LTO and optimisation off here:
# what can break binding generation is kept, and the run stays minutes shorter.
# scripts/cdylib-size.sh builds the library as it ships (LTO, one codegen unit).
CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
  CARGO_PROFILE_RELEASE_OPT_LEVEL=0 tests/python/run.sh release
step "kotlin bindings"
tests/kotlin/run.sh
step "swift bindings"
tests/swift/run.sh
step "all suites passed"
