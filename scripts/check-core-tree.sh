#!/usr/bin/env bash
# Core without its `ffi` feature (as the station server and every Rust user build it) must
# not pull uniffi in: the FFI crate alone turns the feature on.
set -euo pipefail
cd "$(dirname "$0")/.."
tree="$(cargo tree -q -p doorstep-core -e normal,build --prefix none --offline)"
if grep -q '^uniffi' <<<"$tree"; then
  echo "doorstep-core without the ffi feature depends on uniffi:" >&2
  grep '^uniffi' <<<"$tree" | sort -u >&2
  exit 1
fi
with="$(cargo tree -q -p doorstep-core -e normal,build --prefix none --offline --features ffi)"
grep -q '^uniffi ' <<<"$with" || { echo "doorstep-core with ffi has no uniffi: the check looks at the wrong tree" >&2; exit 1; }
echo "doorstep-core: no uniffi in its tree without the ffi feature"
