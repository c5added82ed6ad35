#!/usr/bin/env bash
# Builds the release cdylib (LTO, one codegen unit) and prints the size of a stripped copy,
# as an app ships it (the release profile keeps the symbol table for uniffi-bindgen).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q --release -p doorstep-ffi --lib
lib="${CARGO_TARGET_DIR:-target}/release/libdoorstep_ffi.so"
stripped="${CARGO_TARGET_DIR:-target}/release/libdoorstep_ffi.stripped.so"
strip --strip-all -o "$stripped" "$lib"
bytes=$(stat -c %s "$stripped")
echo "$stripped: $bytes bytes ($(awk "BEGIN{printf \"%.1f\", $bytes/1048576}") MiB; unstripped $(stat -c %s "$lib"))"
