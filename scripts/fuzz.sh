#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60), one after another, and fails if
# any of them finds a crash. Needs nightly Rust and cargo-fuzz (see fuzz/README.md); the
# test command (scripts/test-all.sh) stays on stable and never fuzzes.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# The seed corpora are written from the project's own data (the demo station's ops,
# the built-in templates, sample sheets, real passes and their QR images) into
# fuzz/corpus/<target>/ the first time; what the fuzzer finds is added there. Each run's
# libFuzzer output is kept in fuzz/logs/<target>.log.
set -euo pipefail

secs=${1:-60}
shift || true
all=(pass_decode push pull_apply template csv_import image blobs)
targets=("${@:-${all[@]}}")
[ $# -eq 0 ] && targets=("${all[@]}")

cd "$(dirname "$0")/../fuzz"
export CARGO_INCREMENTAL=0
cargo +nightly fuzz build
bin=target/x86_64-unknown-linux-gnu/release

if [ ! -e corpus/.seeded ]; then
    mkdir -p corpus
    empty=$(mktemp)
    DOORSTEP_FUZZ_SEEDS=corpus "$bin/push" "$empty" >/dev/null 2>&1
    rm -f "$empty"
    touch corpus/.seeded
fi

max_len() {
    case $1 in
        pass_decode | blobs) echo 4096 ;;
        *) echo 65536 ;;
    esac
}

mkdir -p logs
failed=()
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    echo "== $t: ${secs}s"
    if ! cargo +nightly fuzz run "$t" -- \
        -max_total_time="$secs" -max_len="$(max_len "$t")" -timeout=60 \
        -rss_limit_mb=3072 -print_final_stats=1 >"logs/$t.log" 2>&1; then
        failed+=("$t")
    fi
    grep -E '^(#[0-9]+ *DONE|stat::number_of_executed_units|Done [0-9]+ runs)' "logs/$t.log" || true
    grep -E '^#[0-9]+' "logs/$t.log" | tail -1 || true
    if ls "artifacts/$t"/* >/dev/null 2>&1; then
        echo "   crash inputs in fuzz/artifacts/$t/"
        [[ " ${failed[*]} " == *" $t "* ]] || failed+=("$t")
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "crashes in: ${failed[*]} (see fuzz/logs/ and fuzz/artifacts/)" >&2
    exit 1
fi
echo "no crashes"
