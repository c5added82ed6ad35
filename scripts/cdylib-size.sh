#!/usr/bin/env bash
# Builds the release cdylib (LTO, one codegen unit, stripped) and prints its size.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q --release -p doorstep-ffi --lib
lib="${CARGO_TARGET_DIR:-target}/release/libdoorstep_ffi.so"
bytes=$(stat -c %s "$lib")
echo "$lib: $bytes bytes ($(awk "BEGIN{printf \"%.1f\", $bytes/1048576}") MiB)"
